// ciscouc-scan's model of stock Wireshark: which dissector takes a TCP or
// UDP payload when no signalling set the conversation up and no UC signature
// stood in front of the port (the port table, what each port's owner accepts,
// the heuristics), and how stock TCP dissectors hold segments until a PDU is
// complete (framing). The plugin learns all of this from Wireshark's protocol
// stack; the scanner decides it here, in the order Wireshark's TCP and UDP
// dissectors try them (epan/dissectors/packet-tcp.c decode_tcp_ports,
// packet-udp.c decode_udp_ports).
#pragma once

#include <cstddef>
#include <cstdint>

#include "catalog.h"

namespace ciscouc {
namespace scan {

// How a stock TCP dissector asks TCP to hold a segment until more bytes
// arrive ("TCP segment of a reassembled PDU"): the frames it holds show no
// layer above tcp, so the plugin sees no payload in them (core/evidence.h:
// no payload, no claim), and a PDU the capture never completes is never
// dissected. Most use tcp_dissect_pdus (epan/dissectors/packet-tcp.c): a
// fixed header of `header` bytes, then the PDU's length read from it. XMPP
// (packet-xmpp.c dissect_xmpp) holds until the reassembled bytes' last
// non-blank byte is '>' (header 0 here).
struct Framing {
    uint8_t header;
    // The PDU's length from its first `header` bytes; 0: the dissector does
    // not frame this payload (it takes the segment as it is).
    uint64_t (*pdu_length)(const uint8_t *d, size_t len);
};

// The framings stock dissectors use (stock.cpp).
extern const Framing kXmlFraming, kKerberosFraming, kLdapFraming, kPgsqlFraming, kBitcoinFraming;

// A payload the stock dissector registered on a port accepts.
enum class Accept : uint8_t {
    kAny,        // the dissector takes whatever is on its port
    kSignature,  // only what the protocol's signatures recognise (it returns 0 otherwise)
    kNotText,    // TLS: not a payload opening with four printable characters (dissect_ssl
                 // in packet-tls.c returns 0: "unlikely that real TLS traffic starts with
                 // four printable ascii characters")
    kTnsType,    // TNS: a known packet type (1-19) at byte 4 (dissect_tns in packet-tns.c)
    kSnmpUdp,    // SNMP over UDP (dissect_snmp in packet-snmp.c): a BER SEQUENCE no longer
                 // than the datagram, opening with an INTEGER (the version)
};


// Does a payload meet what the dissector on the port accepts?
bool accepts(Accept a, const uint8_t *d, size_t len);

struct PortDissector {
    Transport t;
    uint16_t lo, hi;
    const char *wireshark;  // filter name, as the plugin's protocol stack shows it
    Accept accept = Accept::kAny;
    const char *signature_protocol = nullptr;  // for kSignature: vocabulary key of the signatures
    const Framing *framing = nullptr;          // TCP: how it holds segments for more bytes
};
// The stock dissector registered on this port, or nullptr.
const PortDissector *port_dissector(Transport t, uint16_t port);

// Does a signature of `protocol` match (evidence-only ones too when asked)?
bool signature_matches(Transport t, const char *protocol, bool evidence_too, const uint8_t *data, size_t len);

struct Heuristic {
    const char *wireshark;  // what the plugin's stack shows
    bool (*match)(Transport t, const uint8_t *data, size_t len);
    const Framing *framing = nullptr;  // TCP: how the dissector it hands to holds segments
};
// The first heuristic (ciscouc's, then Wireshark's that UC captures meet)
// that takes the payload, or nullptr.
const Heuristic *heuristic(Transport t, const uint8_t *data, size_t len);

// Wireshark's RTCP heuristic (packet-rtcp.c dissect_rtcp_heur).
bool rtcp_packet(Transport t, const uint8_t *d, size_t len, uint16_t dport);

}  // namespace scan
}  // namespace ciscouc
