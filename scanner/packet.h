// ciscouc-scan: link, network and transport layers of one captured frame.
// Pure and bounded: every read is checked against the captured length.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ciscouc {
namespace scan {

// Link-layer header types (https://www.tcpdump.org/linktypes.html; the
// LINKTYPE_ values pcap files carry, as libpcap's pcap_datalink() returns them).
enum LinkType : int {
    kLinkNull = 0,        // BSD loopback: 4-byte address family, host byte order
    kLinkEthernet = 1,
    kLinkRaw = 101,       // raw IPv4 or IPv6 (libpcap maps it to DLT_RAW, 12 or 14)
    kLinkRawDlt12 = 12,
    kLinkRawDlt14 = 14,
    kLinkLoop = 108,      // OpenBSD loopback: address family in network byte order
    kLinkSll = 113,       // Linux cooked capture v1
    kLinkIpv4 = 228,
    kLinkIpv6 = 229,
    kLinkSll2 = 276,      // Linux cooked capture v2
};
bool link_supported(int linktype);

struct Address {
    uint8_t family = 0;  // 4 or 6
    uint8_t bytes[16] = {};
    bool operator==(const Address &o) const;
};

// Why a frame carries no TCP/UDP conversation (counted for the footer).
enum class Skip : uint8_t {
    kNone = 0,
    kLink,           // unsupported link type or truncated link header
    kNotIp,          // ARP, LLDP, CDP...: no IP
    kTruncated,      // IP or transport header cut short
    kFragment,       // an IPv4/IPv6 fragment after the first
    kIpv6Extension,  // an IPv6 extension header the scanner does not walk
    kOtherTransport, // ICMP, GRE, ESP, SCTP...
};
constexpr int kSkipKinds = 7;

struct Packet {
    Address src, dst;
    uint8_t transport = 0;  // 6 TCP, 17 UDP
    uint16_t sport = 0, dport = 0;
    uint8_t tcp_flags = 0;
    uint32_t tcp_seq = 0;
    bool first_fragment = false;  // a fragmented datagram's first fragment (the rest is not seen)
    bool cut = false;             // the snap length cut the IP packet short (its lengths say more)
    const uint8_t *payload = nullptr;
    size_t payload_len = 0;
};

enum TcpFlag : uint8_t { kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10 };

// Decodes a frame; returns Skip::kNone when `out` holds a TCP or UDP packet.
Skip decode(int linktype, const uint8_t *data, size_t caplen, Packet *out);

}  // namespace scan
}  // namespace ciscouc
