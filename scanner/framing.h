// How stock TCP dissectors hold segments until a PDU is complete ("TCP
// segment of a reassembled PDU"), as ciscouc-scan emulates it: the frames
// they hold show no layer above tcp, so the plugin sees no payload in them
// (core/evidence.h: no payload, no claim), and a PDU the capture never
// completes is never dissected. Scanner::held (scan.cpp) applies a Framing;
// stock.cpp says which dissector uses which.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ciscouc {
namespace scan {

// Most use tcp_dissect_pdus (epan/dissectors/packet-tcp.c): a fixed header
// of `header` bytes, then the PDU's length read from it. XMPP
// (packet-xmpp.c dissect_xmpp) holds until the reassembled bytes' last
// non-blank byte is '>' (header 0 here).
struct Framing {
    uint8_t header;
    // The PDU's length from its first `header` bytes; 0: the dissector does
    // not frame this payload (it takes the segment as it is).
    uint64_t (*pdu_length)(const uint8_t *d, size_t len);
};

// The framings stock dissectors use (framing.cpp).
extern const Framing kXmlFraming, kKerberosFraming, kLdapFraming, kPgsqlFraming, kBitcoinFraming, kNdpsFraming;

}  // namespace scan
}  // namespace ciscouc
