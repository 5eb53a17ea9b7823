// ciscouc-scan: link, network and transport layers (see packet.h).
#include "packet.h"

#include <cstring>

namespace ciscouc {
namespace scan {

namespace {

uint16_t be16(const uint8_t *p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// EtherTypes (IEEE 802 numbers): IPv4, IPv6, and the VLAN tags 802.1Q
// (0x8100), 802.1ad QinQ (0x88A8) and the pre-standard QinQ 0x9100.
constexpr uint16_t kEtherIpv4 = 0x0800, kEtherIpv6 = 0x86DD;
bool vlan_tag(uint16_t t) { return t == 0x8100 || t == 0x88A8 || t == 0x9100; }

// IP protocol numbers (IANA): the IPv6 extension headers walked here (RFC 8200
// section 4: hop-by-hop 0, routing 43, destination options 60, fragment 44),
// AH 51 (RFC 4302: length in 4-byte units minus 2), no next header 59.
constexpr uint8_t kTcp = 6, kUdp = 17;

// Tunnels are decoded to their innermost TCP/UDP packet, as Wireshark shows
// them (the plugin labels the innermost conversation): IP in IP (protocol 4,
// RFC 2003), IPv6 in IP (41, RFC 4213), GRE (47, RFC 2784), VXLAN (UDP 4789,
// RFC 7348), VXLAN-GPE (UDP 4790), Geneve (UDP 6081, RFC 8926) and GTP-U
// (UDP 2152, 3GPP TS 29.281).
constexpr int kMaxDepth = 4;
Skip ipv4(const uint8_t *p, size_t len, Packet *out, int depth);
Skip ipv6(const uint8_t *p, size_t len, Packet *out, int depth);
Skip ethernet(const uint8_t *p, size_t len, Packet *out, int depth);
Skip by_ethertype(uint16_t type, const uint8_t *p, size_t len, Packet *out, int depth);

Skip ip_by_version(const uint8_t *p, size_t len, Packet *out, int depth) {
    if (len < 1) return Skip::kTruncated;
    if ((p[0] >> 4) == 4) return ipv4(p, len, out, depth);
    if ((p[0] >> 4) == 6) return ipv6(p, len, out, depth);
    return Skip::kNotIp;
}

// A UDP payload that is a tunnel: the inner packet replaces the outer one.
bool udp_tunnel(const uint8_t *p, size_t len, Packet *out, int depth, Skip *result) {
    if (depth >= kMaxDepth) return false;
    if ((out->dport == 4789 || out->sport == 4789) && len >= 8 && (p[0] & 0x08)) {
        *result = ethernet(p + 8, len - 8, out, depth + 1);
        return true;
    }
    if ((out->dport == 4790 || out->sport == 4790) && len >= 8 && p[3] >= 1 && p[3] <= 3) {
        // VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe section 3): 8 bytes, the next
        // protocol at byte 3 (1 IPv4, 2 IPv6, 3 Ethernet), which Wireshark's
        // vxlan_gpe dissector follows whether or not the P flag is set.
        *result = p[3] == 3 ? ethernet(p + 8, len - 8, out, depth + 1) : ip_by_version(p + 8, len - 8, out, depth + 1);
        return true;
    }
    if ((out->dport == 6081 || out->sport == 6081) && len >= 8 && (p[0] >> 6) == 0) {
        size_t opt = static_cast<size_t>(p[0] & 0x3f) * 4;
        if (8 + opt > len) return false;
        uint16_t type = be16(p + 2);
        *result = type == 0x6558 ? ethernet(p + 8 + opt, len - 8 - opt, out, depth + 1)
                                 : by_ethertype(type, p + 8 + opt, len - 8 - opt, out, depth + 1);
        return true;
    }
    if ((out->dport == 2152 || out->sport == 2152) && len >= 8 && (p[0] >> 5) == 1 && p[1] == 0xff) {
        // GTPv1-U G-PDU: 8 bytes, 4 more when E, S or PN is set, then extension headers.
        size_t off = 8;
        if (p[0] & 0x07) {
            if (len < 12) return false;
            off = 12;
            uint8_t next = p[11];
            for (int n = 0; (p[0] & 0x04) && next && n < 8; ++n) {
                if (off >= len) return false;
                size_t elen = static_cast<size_t>(p[off]) * 4;
                if (elen == 0 || off + elen > len) return false;
                next = p[off + elen - 1];
                off += elen;
            }
        }
        *result = ip_by_version(p + off, len - off, out, depth + 1);
        return true;
    }
    return false;
}

Skip transport(uint8_t proto, const uint8_t *p, size_t len, Packet *out, int depth) {
    out->transport = proto;
    if (depth < kMaxDepth) {
        if (proto == 4) return ipv4(p, len, out, depth + 1);
        if (proto == 41) return ipv6(p, len, out, depth + 1);
        if (proto == 47 && len >= 4 && (p[0] & 0x07) == 0 && (p[1] & 0x07) == 0) {
            // GRE: flags C (checksum + reserved), K (key), S (sequence) add 4 bytes each.
            size_t off = 4 + ((p[0] & 0x80) ? 4 : 0) + ((p[0] & 0x20) ? 4 : 0) + ((p[0] & 0x10) ? 4 : 0);
            if (off > len) return Skip::kTruncated;
            uint16_t type = be16(p + 2);
            if (type == 0x6558) return ethernet(p + off, len - off, out, depth + 1);
            return by_ethertype(type, p + off, len - off, out, depth + 1);
        }
    }
    if (proto == kUdp) {
        // RFC 768: ports, length (header included), checksum.
        if (len < 8) return Skip::kTruncated;
        out->sport = be16(p);
        out->dport = be16(p + 2);
        size_t ulen = be16(p + 4);
        size_t body = len - 8;
        if (ulen >= 8 && ulen - 8 < body) body = ulen - 8;
        out->payload = p + 8;
        out->payload_len = body;
        Skip inner;
        if (udp_tunnel(p + 8, body, out, depth, &inner)) return inner;
        return Skip::kNone;
    }
    if (proto == kTcp) {
        // RFC 9293 section 3.1: data offset in 32-bit words at byte 12, flags at 13.
        if (len < 20) return Skip::kTruncated;
        out->sport = be16(p);
        out->dport = be16(p + 2);
        size_t off = static_cast<size_t>(p[12] >> 4) * 4;
        out->tcp_flags = p[13];
        out->tcp_seq = static_cast<uint32_t>(p[4]) << 24 | static_cast<uint32_t>(p[5]) << 16 |
                       static_cast<uint32_t>(p[6]) << 8 | p[7];
        if (off < 20 || off > len) return Skip::kTruncated;
        out->payload = p + off;
        out->payload_len = len - off;
        return Skip::kNone;
    }
    return Skip::kOtherTransport;
}

Skip ipv4(const uint8_t *p, size_t len, Packet *out, int depth) {
    // RFC 791 section 3.1.
    if (len < 20 || (p[0] >> 4) != 4) return Skip::kTruncated;
    size_t ihl = static_cast<size_t>(p[0] & 0x0f) * 4;
    size_t total = be16(p + 2);
    if (ihl < 20 || ihl > len) return Skip::kTruncated;
    if (total >= ihl && total < len) len = total;  // drop Ethernet padding
    if (total > len) out->cut = true;
    uint16_t frag = be16(p + 6);
    if (frag & 0x1fff) return Skip::kFragment;
    out->first_fragment = (frag & 0x2000) != 0;
    out->src.family = out->dst.family = 4;
    std::memcpy(out->src.bytes, p + 12, 4);
    std::memcpy(out->dst.bytes, p + 16, 4);
    return transport(p[9], p + ihl, len - ihl, out, depth);
}

Skip ipv6(const uint8_t *p, size_t len, Packet *out, int depth) {
    // RFC 8200 section 3: 40-byte header, payload length at 4, next header at 6.
    if (len < 40 || (p[0] >> 4) != 6) return Skip::kTruncated;
    size_t plen = be16(p + 4);
    if (plen && 40 + plen < len) len = 40 + plen;
    if (40 + plen > len) out->cut = true;
    out->src.family = out->dst.family = 6;
    std::memcpy(out->src.bytes, p + 8, 16);
    std::memcpy(out->dst.bytes, p + 24, 16);
    uint8_t next = p[6];
    size_t off = 40;
    for (int hops = 0; hops < 8; ++hops) {
        if (next == kTcp || next == kUdp || next == 4 || next == 41 || next == 47)
            return transport(next, p + off, len - off, out, depth);
        if (next == 0 || next == 43 || next == 60) {
            if (off + 8 > len) return Skip::kTruncated;
            size_t ext = (static_cast<size_t>(p[off + 1]) + 1) * 8;
            next = p[off];
            off += ext;
        } else if (next == 44) {
            // Fragment header (section 4.5): offset in the top 13 bits of bytes 2-3.
            if (off + 8 > len) return Skip::kTruncated;
            uint16_t fo = be16(p + off + 2);
            if (fo & 0xfff8) return Skip::kFragment;
            out->first_fragment = (fo & 1) != 0;
            next = p[off];
            off += 8;
        } else if (next == 51) {
            if (off + 8 > len) return Skip::kTruncated;
            size_t ext = (static_cast<size_t>(p[off + 1]) + 2) * 4;
            next = p[off];
            off += ext;
        } else if (next == 50 || next == 59 || next == 58 || next == 132) {
            out->transport = next;
            return Skip::kOtherTransport;
        } else {
            return Skip::kIpv6Extension;
        }
        if (off > len) return Skip::kTruncated;
    }
    return Skip::kIpv6Extension;
}

Skip by_ethertype(uint16_t type, const uint8_t *p, size_t len, Packet *out, int depth) {
    if (type == kEtherIpv4) return ipv4(p, len, out, depth);
    if (type == kEtherIpv6) return ipv6(p, len, out, depth);
    if (type == 0x8864 && len >= 8) {
        // PPPoE session (RFC 2516 section 4): 6-byte header, then the PPP
        // protocol (RFC 1661): 0x0021 IPv4, 0x0057 IPv6.
        uint16_t ppp = be16(p + 6);
        if (ppp == 0x0021) return ipv4(p + 8, len - 8, out, depth);
        if (ppp == 0x0057) return ipv6(p + 8, len - 8, out, depth);
        return Skip::kNotIp;
    }
    if (type == 0x8847 || type == 0x8848) {
        // MPLS (RFC 3032): 4-byte label entries up to the bottom of stack, then IP.
        size_t off = 0;
        for (int n = 0; n < 8; ++n) {
            if (off + 4 > len) return Skip::kTruncated;
            bool bottom = p[off + 2] & 0x01;
            off += 4;
            if (bottom) return ip_by_version(p + off, len - off, out, depth);
        }
        return Skip::kNotIp;
    }
    return Skip::kNotIp;
}

Skip ethernet(const uint8_t *p, size_t len, Packet *out, int depth) {
    // IEEE 802.3: destination, source, EtherType; then any number of
    // 4-byte VLAN tags (802.1Q TCI + inner EtherType).
    if (len < 14) return Skip::kLink;
    uint16_t type = be16(p + 12);
    size_t off = 14;
    for (int tags = 0; vlan_tag(type) && tags < 4; ++tags) {
        if (off + 4 > len) return Skip::kLink;
        type = be16(p + off + 2);
        off += 4;
    }
    return by_ethertype(type, p + off, len - off, out, depth);
}

}  // namespace

bool Address::operator==(const Address &o) const {
    return family == o.family && std::memcmp(bytes, o.bytes, family == 4 ? 4 : 16) == 0;
}

bool link_supported(int linktype) {
    switch (linktype) {
    case kLinkNull: case kLinkEthernet: case kLinkRaw: case kLinkRawDlt12: case kLinkRawDlt14: case kLinkLoop:
    case kLinkSll: case kLinkIpv4: case kLinkIpv6: case kLinkSll2:
        return true;
    }
    return false;
}

Skip decode(int linktype, const uint8_t *p, size_t len, Packet *out) {
    *out = Packet();
    switch (linktype) {
    case kLinkEthernet:
        return ethernet(p, len, out, 0);
    case kLinkSll:
        // https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html: protocol at 14, 16-byte header.
        if (len < 16) return Skip::kLink;
        return by_ethertype(be16(p + 14), p + 16, len - 16, out, 0);
    case kLinkSll2:
        // https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html: protocol at 0, 20-byte header.
        if (len < 20) return Skip::kLink;
        return by_ethertype(be16(p), p + 20, len - 20, out, 0);
    case kLinkRaw: case kLinkRawDlt12: case kLinkRawDlt14:
        return ip_by_version(p, len, out, 0);
    case kLinkIpv4:
        return ipv4(p, len, out, 0);
    case kLinkIpv6:
        return ipv6(p, len, out, 0);
    case kLinkNull: case kLinkLoop: {
        // https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html: a 4-byte AF_ value
        // (2 IPv4; 10, 24, 28 or 30 IPv6 depending on the OS). The byte order
        // varies with the writer: the IP version nibble decides.
        if (len < 4) return Skip::kLink;
        return ip_by_version(p + 4, len - 4, out, 0);
    }
    }
    return Skip::kLink;
}

}  // namespace scan
}  // namespace ciscouc
