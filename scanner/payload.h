// ciscouc-scan: small bounded parsers that read just enough of a UC payload
// for the core's evidence (host roles, media set up by signalling). None
// reads outside [data, data + len); views point into the payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "packet.h"

namespace ciscouc {
namespace scan {

// A media address that signalling announced (SDP c=/m=, SCCP channel messages).
struct MediaAddress {
    Address addr;
    uint16_t port = 0;
    bool t38 = false;  // m=image ... udptl t38 (ITU-T T.38 annex D): fax relay, not RTP
};
constexpr int kMaxMedia = 8;
struct MediaList {
    MediaAddress item[kMaxMedia];
    int count = 0;
    void add(const Address &a, uint16_t port, bool t38 = false);
};

// SDP (RFC 8866 sections 5.7 and 5.14): every m= line with a non-zero port,
// at the address of the media-level c= line, else the session-level one.
void parse_sdp(std::string_view body, MediaList *out);

// SIP (RFC 3261 section 7): request or status line, the User-Agent (requests)
// or Server (responses) header, and the SDP body's media.
struct SipMessage {
    bool request = false;
    std::string_view method;    // requests
    int status = 0;             // responses
    std::string_view software;  // User-Agent or Server value
    MediaList media;
};
bool parse_sip(const uint8_t *data, size_t len, SipMessage *out);
// SIP over TCP (RFC 3261 section 18.3: the Content-Length header frames a
// message on a stream): the length of the message `data` starts, headers,
// blank line and body; kSipNeedMore while its header block has not ended
// within `len`; 0 when `data` does not start with a SIP start line.
constexpr size_t kSipNeedMore = SIZE_MAX;
size_t sip_message_length(const uint8_t *data, size_t len);

// MGCP (RFC 3435 section 3.2): the command verb, or a response; and the SDP
// a CRCX/MDCX or its response carries after an empty line.
struct MgcpMessage {
    bool request = false;
    std::string_view verb;
    MediaList media;
};
bool parse_mgcp(const uint8_t *data, size_t len, MgcpMessage *out);

// SCCP (Skinny) messages in one TCP segment. Layout from Wireshark's
// epan/dissectors/packet-skinny.c: a 12-byte header (data length LE, header
// version LE, message id LE) then the body.
struct SccpMessages {
    std::string_view device_name;  // RegisterMessage (0x0001)
    uint32_t device_type = 0;      // its deviceType, 0 when the message is too short
    bool any = false;              // at least one well-formed header
    MediaList media;               // OpenReceiveChannelAck (0x0022), StartMediaTransmission (0x008A)
};
bool parse_sccp(const uint8_t *data, size_t len, SccpMessages *out);

// H.225.0 call signalling framing: RFC 1006 TPKT headers (version 3, length
// including the 4-byte header) each carrying a Q.931 message (protocol
// discriminator 0x08). Returns how many whole TPKT units the segment holds.
int count_tpkt_q931(const uint8_t *data, size_t len);

// H.225.0 RAS: the RasMessage CHOICE index of a PER-encoded message (ITU-T
// X.691 section 23: an extension bit, then the index of 25 root alternatives
// in 5 bits). -1 for an extension alternative or too short a payload.
int ras_choice(const uint8_t *data, size_t len);

// TFTP read request (RFC 1350 section 5: opcode 1, file name, NUL, mode, NUL).
bool parse_tftp_read(const uint8_t *data, size_t len, std::string_view *filename);

// XMPP stream header (RFC 6120 section 4.7): <stream:stream ...>; a server
// stream declares the jabber:server namespace.
bool parse_xmpp_stream(const uint8_t *data, size_t len, bool *server_stream);

// DHCP (RFC 2131 section 2: the 236-byte BOOTP header, then the magic
// cookie 99.130.83.99 and the options, RFC 2132): option 60 (vendor class
// identifier), option 66 (TFTP server name) and option 150 (TFTP server
// addresses, RFC 5859). Views point into the payload.
struct DhcpOptions {
    std::string_view vendor_class;  // option 60
    std::string_view tftp_name;     // option 66
    Address tftp[2];                // option 150, the first two
    int tftp_count = 0;
};
bool parse_dhcp(const uint8_t *data, size_t len, DhcpOptions *out);

// TLS ClientHello server_name (RFC 8446 section 4.1.2, RFC 6066 section 3).
bool parse_tls_sni(const uint8_t *data, size_t len, std::string_view *sni);

}  // namespace scan
}  // namespace ciscouc
