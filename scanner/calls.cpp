// ciscouc-scan: the core's calls (core/calls.h) fed from the scanner's own
// framing: one SIP message at a time (RFC 3261 section 18.3 Content-Length
// framing on TCP), the SCCP and MGCP payloads, the Q.931 message inside each
// TPKT unit (RFC 1006 section 6; H.225.0 call signalling), TCP flags and every
// UDP payload. The facts of a call are read in the core, as for the plugin.
#include <cstring>

#include "payload.h"
#include "scan.h"

namespace ciscouc {
namespace scan {

namespace {
NetEndpoint endpoint(const Address &a, uint16_t port) {
    NetEndpoint e;
    e.addr.family = a.family;
    std::memcpy(e.addr.bytes, a.bytes, sizeof e.addr.bytes);
    e.port = port;
    return e;
}
}  // namespace

CallPacket Scanner::call_packet(uint32_t idx, const Packet &p, uint32_t frame) const {
    CallPacket cp;
    cp.frame = frame;
    cp.ts = convs_[idx].last - capture_start_;
    cp.transport = p.transport == 17 ? kUdp : kTcp;
    cp.src = endpoint(p.src, p.sport);
    cp.dst = endpoint(p.dst, p.dport);
    cp.conv = uint64_t(idx) + 1;
    return cp;
}

void Scanner::feed_sip(const Conv &c, const Packet &p, uint32_t frame, const uint8_t *msg, size_t len) {
    if (!opt_.calls) return;
    const CallPacket cp = call_packet(static_cast<uint32_t>(&c - convs_.data()), p, frame);
    // Each SIP message of the datagram or segment (over TCP, as the framing kept it).
    for (int n = 0; n < 16 && len; ++n) {
        size_t one = cp.transport == kUdp ? len : sip_message_length(msg, len);
        if (one == 0) break;
        if (one == kSipNeedMore || one > len) one = len;
        calls_.sip(cp, msg, one);
        msg += one;
        len -= one;
    }
}

void Scanner::feed_calls(uint32_t idx, const Packet &p, uint32_t frame, int protocol) {
    static const int sip = protocol_by_key("SIP"), sccp = protocol_by_key("SCCP"), mgcp = protocol_by_key("MGCP"),
                     h225 = protocol_by_key("H.225");
    if (!opt_.calls) return;
    const bool udp = p.transport == 17;
    if (udp && !calls_.wants_udp() && protocol != mgcp) return;
    if (!udp && !(p.tcp_flags & kSyn) && protocol != sccp && protocol != h225) return;
    const CallPacket cp = call_packet(idx, p, frame);
    if (!udp && (p.tcp_flags & kSyn)) calls_.tcp(cp, p.tcp_flags);
    if (!p.payload_len || protocol == sip) return;
    if (protocol == sccp) {
        calls_.sccp(cp, p.payload, p.payload_len);
    } else if (protocol == mgcp) {
        calls_.mgcp(cp, p.payload, p.payload_len);
    } else if (protocol == h225 && !udp) {
        size_t off = 0;
        for (int n = 0; n < 64 && off + 5 <= p.payload_len; ++n) {
            const uint8_t *t = p.payload + off;
            const size_t tlen = size_t(t[2]) << 8 | t[3];
            if (t[0] != 3 || tlen < 5 || off + tlen > p.payload_len) break;
            calls_.q931(cp, t + 4, tlen - 4);
            off += tlen;
        }
    } else if (udp) {
        calls_.udp(cp, p.payload, p.payload_len);
    }
}

void Scanner::print_calls(FILE *out) {
    calls_.finish(hosts_, opt_.settings.prefs, [&](uint64_t conv) {
        if (conv == 0 || conv > convs_.size()) return -1;
        const Conv &c = convs_[conv - 1];
        return c.cand.empty() ? -1 : static_cast<int>(c.cand[0].flow);
    });
    write_calls(out, calls_);
}

}  // namespace scan
}  // namespace ciscouc
