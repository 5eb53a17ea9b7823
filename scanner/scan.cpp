// ciscouc-scan: conversations labelled through the pure core (see scan.h).
//
// What the plugin learns from Wireshark's protocol stack (which dissector
// took a payload) the scanner decides itself, in the order Wireshark 4.0's
// TCP and UDP dissectors try them (epan/dissectors/packet-tcp.c
// decode_tcp_ports, packet-udp.c decode_udp_ports): a conversation set up by
// signalling (RTP, RTCP and TFTP transfer legs), the ports ciscouc stands in
// front of (kStealPorts), the port table (TCP: the handshake's server port
// first; then the lower port, then the higher), then the heuristics.
#include "scan.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cinttypes>
#include <cstring>

#include "payload.h"

namespace ciscouc {
namespace scan {

namespace {

// Wireshark's per-conversation inspection window (kInspectPackets in
// plugins/ciscouc/packet-ciscouc.cpp): a conversation's first packets carry
// the evidence.
constexpr uint16_t kInspectPackets = 32;
constexpr size_t kMaxSetups = 65536;

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

bool accepts(Accept a, const uint8_t *d, size_t len) {
    auto printable = [](uint8_t c) { return c >= 0x20 && c <= 0x7e; };  // g_ascii_isprint
    switch (a) {
    case Accept::kNotText:
        return !(len > 4 && printable(d[0]) && printable(d[1]) && printable(d[2]) && printable(d[3]));
    case Accept::kTnsType:
        return len < 5 || (d[4] >= 1 && d[4] <= 19);
    case Accept::kSnmpUdp: {
        // X.690: identifier 0x30 (universal, constructed, SEQUENCE); a
        // definite length, short or long form; then universal tag 2.
        if (len < 2 || d[0] != 0x30) return false;
        size_t off = 2, body = d[1];
        if (d[1] & 0x80) {
            size_t n = d[1] & 0x7f;
            if (n > 4 || len < 2 + n) return false;
            body = 0;
            for (size_t i = 0; i < n; ++i) body = body << 8 | d[2 + i];
            off += n;
        }
        return body <= len - off && off < len && (d[off] & 0xdf) == 0x02;
    }
    default:
        return true;
    }
}

// How a stock TCP dissector asks TCP to hold a segment until more bytes
// arrive ("TCP segment of a reassembled PDU"): the frames it holds show no
// layer above tcp, so the plugin sees no payload in them (core/evidence.h:
// no payload, no claim), and a PDU the capture never completes is never
// dissected. Most use tcp_dissect_pdus (epan/dissectors/packet-tcp.c): a
// fixed header of `header` bytes, then the PDU's length read from it. XMPP
// (packet-xmpp.c dissect_xmpp) holds until the reassembled bytes' last
// non-blank byte is '>' (header 0 here).
}  // namespace

struct Framing {
    uint8_t header;
    // The PDU's length from its first `header` bytes; 0: the dissector does
    // not frame this payload (it takes the segment as it is).
    uint64_t (*pdu_length)(const uint8_t *d, size_t len);
};

namespace {

// The first bytes of a held PDU kept for the dissection that completes it
// (the signatures and the XMPP stream header look at no more).
constexpr size_t kHeldBytes = 512;
// A SIP message over TCP is kept up to this size for its SDP.
constexpr size_t kSipBytes = 16384;

uint32_t be32(const uint8_t *d) {
    return static_cast<uint32_t>(d[0]) << 24 | static_cast<uint32_t>(d[1]) << 16 | static_cast<uint32_t>(d[2]) << 8 | d[3];
}

// Kerberos over TCP (packet-kerberos.c get_krb_pdu_len; RFC 4120 section
// 7.2.2): a 4-byte record mark, its low 31 bits the record's length.
uint64_t kerberos_pdu(const uint8_t *d, size_t) { return (be32(d) & 0x7fffffffu) + 4ull; }

// LDAP (packet-ldap.c dissect_ldap_tcp, get_normal_ldap_pdu_len): a BER
// SEQUENCE (0x30) whose definite length is 2 or more, read from a 7-byte
// header (the smallest LDAP message); anything else is not framed so.
uint64_t ldap_pdu(const uint8_t *d, size_t) {
    if (d[0] != 0x30) return 0;
    uint64_t len = 0;
    size_t hdr = 2;
    if (d[1] < 0x80) {
        len = d[1];
    } else {
        size_t n = d[1] & 0x7f;
        if (n == 0 || n > 4) return 0;  // indefinite, or longer than BER lengths LDAP uses
        for (size_t i = 0; i < n; ++i) len = len << 8 | d[2 + i];
        hdr += n;
    }
    return len < 2 ? 0 : hdr + len;
}

// PostgreSQL (packet-pgsql.c pgsql_length, 5-byte header): a type byte and
// a 4-byte length counting itself; the startup message has no type byte
// (its first byte is 0).
uint64_t pgsql_pdu(const uint8_t *d, size_t) { return d[0] ? be32(d + 1) + 1ull : be32(d); }

// Bitcoin (packet-bitcoin.c get_bitcoin_pdu_length): a 24-byte header of
// magic, command and checksum around the payload's little-endian length at 16.
uint64_t bitcoin_pdu(const uint8_t *d, size_t) {
    return 24ull + (static_cast<uint32_t>(d[16]) | static_cast<uint32_t>(d[17]) << 8 |
                    static_cast<uint32_t>(d[18]) << 16 | static_cast<uint32_t>(d[19]) << 24);
}

const Framing kXmlFraming = {0, nullptr};
const Framing kKerberosFraming = {4, kerberos_pdu};
const Framing kLdapFraming = {7, ldap_pdu};
const Framing kPgsqlFraming = {5, pgsql_pdu};
const Framing kBitcoinFraming = {24, bitcoin_pdu};

struct PortDissector {
    Transport t;
    uint16_t lo, hi;
    const char *wireshark;  // filter name, as the plugin's protocol stack shows it
    Accept accept = Accept::kAny;
    const char *signature_protocol = nullptr;  // for kSignature: vocabulary key of the signatures
    const Framing *framing = nullptr;          // TCP: how it holds segments for more bytes
};

// Wireshark 4.0's default port registrations for the protocols a UC capture
// shows, and the others the shared real captures carry (`tshark -G decodes`,
// tables tcp.port and udp.port: CUPS, C12.22, L2TP, MSN Messenger, Megaco,
// DOF, Diameter, STANAG 5066 SIS, BACnet/IP's BVLC), and the ports
// ciscouc itself stands in front of (X11, Foundation Fieldbus, HiQnet,
// actrace: their stock owners take the payload when no UC signature does).
// The Skinny, MGCP and UDP SIP dissectors reject what is not theirs
// (dissect_skinny_tcp, dissect_mgcp, dissect_sip return 0).
const PortDissector kPortDissectors[] = {
    {kTcp, 20, 21, "ftp"},
    {kTcp, 22, 22, "ssh"},
    {kTcp, 23, 23, "telnet"},
    {kTcp, 25, 25, "smtp"},
    {kTcp, 49, 49, "tacplus"},
    {kUdp, 49, 49, "tacacs"},
    {kTcp, 53, 53, "dns"},
    {kUdp, 53, 53, "dns"},
    {kUdp, 67, 68, "dhcp"},
    {kUdp, 69, 69, "tftp"},
    {kTcp, 80, 80, "http"},
    {kTcp, 88, 88, "kerberos", Accept::kAny, nullptr, &kKerberosFraming},
    {kUdp, 88, 88, "kerberos"},
    {kTcp, 110, 110, "pop"},
    {kTcp, 111, 111, "rpc"},
    {kUdp, 111, 111, "rpc"},
    {kTcp, 123, 123, "ntp"},
    {kUdp, 123, 123, "ntp"},
    {kUdp, 137, 137, "nbns"},
    {kUdp, 138, 138, "nbdgm"},
    {kTcp, 139, 139, "nbss"},
    {kTcp, 143, 143, "imap"},
    {kTcp, 161, 162, "snmp"},
    {kUdp, 161, 162, "snmp", Accept::kSnmpUdp},
    {kUdp, 177, 177, "xdmcp"},
    {kTcp, 179, 179, "bgp"},
    {kUdp, 319, 320, "ptp"},
    {kTcp, 389, 389, "ldap", Accept::kAny, nullptr, &kLdapFraming},
    {kUdp, 389, 389, "cldap"},
    {kTcp, 427, 427, "srvloc"},
    {kUdp, 427, 427, "srvloc"},
    {kTcp, 443, 443, "tls", Accept::kNotText},
    {kTcp, 445, 445, "nbss"},
    {kTcp, 465, 465, "tls", Accept::kNotText},
    {kUdp, 500, 500, "isakmp"},
    {kTcp, 502, 502, "mbtcp"},
    {kUdp, 514, 514, "syslog"},
    {kUdp, 520, 520, "rip"},
    {kUdp, 546, 547, "dhcpv6"},
    {kTcp, 554, 554, "rtsp"},
    {kTcp, 587, 587, "smtp"},
    {kTcp, 631, 631, "http"},
    {kUdp, 631, 631, "cups"},
    {kTcp, 636, 636, "tls", Accept::kNotText},
    {kTcp, 646, 646, "ldp"},
    {kUdp, 646, 646, "ldp"},
    {kUdp, 853, 853, "dtls"},
    {kTcp, 993, 993, "tls", Accept::kNotText},
    {kTcp, 995, 995, "tls", Accept::kNotText},
    {kTcp, 1080, 1080, "socks"},
    {kTcp, 1089, 1091, "ff"},
    {kTcp, 1153, 1153, "c1222"},
    {kUdp, 1153, 1153, "c1222"},
    {kTcp, 1194, 1194, "openvpn"},
    {kUdp, 1194, 1194, "openvpn"},
    {kTcp, 1433, 1433, "tds"},
    {kTcp, 1521, 1521, "tns", Accept::kTnsType},
    {kUdp, 1645, 1646, "radius"},
    {kUdp, 1700, 1700, "radius"},
    {kUdp, 1701, 1701, "l2tp"},
    {kUdp, 1718, 1719, "h225"},
    {kUdp, 1812, 1813, "radius"},
    {kTcp, 1863, 1863, "msnms"},
    {kTcp, 1883, 1883, "mqtt"},
    {kTcp, 1900, 1900, "http"},
    {kUdp, 1900, 1900, "ssdp"},
    {kUdp, 1985, 1985, "hsrp"},
    {kTcp, 2000, 2000, "skinny", Accept::kSignature, "SCCP"},
    {kUdp, 2029, 2029, "hsrp"},
    {kUdp, 2055, 2055, "cflow"},
    {kUdp, 2221, 2221, "dtls"},
    {kTcp, 2427, 2427, "mgcp", Accept::kSignature, "MGCP"},
    {kUdp, 2427, 2427, "mgcp", Accept::kSignature, "MGCP"},
    {kUdp, 2428, 2428, "actrace"},
    {kTcp, 2433, 2433, "tds"},
    {kTcp, 2443, 2443, "tls", Accept::kNotText},
    {kTcp, 2727, 2727, "mgcp", Accept::kSignature, "MGCP"},
    {kUdp, 2727, 2727, "mgcp", Accept::kSignature, "MGCP"},
    {kTcp, 2944, 2944, "megaco"},
    {kUdp, 2944, 2944, "megaco"},
    {kTcp, 3128, 3128, "http"},
    {kTcp, 3268, 3268, "ldap", Accept::kAny, nullptr, &kLdapFraming},
    {kTcp, 3306, 3306, "mysql"},
    {kTcp, 3389, 3389, "tpkt"},
    {kUdp, 3478, 3478, "stun"},
    {kTcp, 3567, 3567, "dof"},
    {kUdp, 3567, 3567, "dof"},
    {kUdp, 3784, 3784, "bfd"},
    {kUdp, 3799, 3799, "radius"},
    {kTcp, 3804, 3804, "hiqnet"},
    {kUdp, 3804, 3804, "hiqnet"},
    {kTcp, 3868, 3868, "diameter"},
    {kUdp, 4000, 4000, "icq"},
    {kTcp, 4739, 4739, "cflow"},
    {kUdp, 4739, 4739, "cflow"},
    {kUdp, 4784, 4784, "bfd"},
    {kTcp, 5060, 5060, "sip"},
    {kUdp, 5060, 5060, "sip", Accept::kSignature, "SIP"},
    {kTcp, 5061, 5061, "tls", Accept::kNotText},
    {kTcp, 5066, 5066, "s5066sis"},
    {kTcp, 5222, 5222, "xmpp", Accept::kAny, nullptr, &kXmlFraming},
    {kTcp, 5353, 5353, "dns"},
    {kUdp, 5353, 5353, "mdns"},
    {kUdp, 5355, 5355, "llmnr"},
    {kTcp, 5432, 5432, "pgsql", Accept::kAny, nullptr, &kPgsqlFraming},
    {kTcp, 5500, 5501, "vnc"},
    {kTcp, 5683, 5683, "coap"},
    {kUdp, 5683, 5683, "coap"},
    {kUdp, 5684, 5684, "dtls"},
    {kUdp, 5868, 5868, "dtls"},
    {kTcp, 5900, 5901, "vnc"},
    {kTcp, 6000, 6063, "x11"},
    {kUdp, 6343, 6343, "sflow"},
    {kTcp, 6667, 6667, "irc"},
    {kUdp, 6784, 6784, "bfd"},
    {kUdp, 6970, 6970, "rdt"},
    {kUdp, 7784, 7784, "bfd"},
    {kTcp, 8080, 8080, "http"},
    {kTcp, 8088, 8088, "http"},
    {kUdp, 9996, 9996, "cflow"},
    // Inside the RTP ranges the guides document (16384-32767): here the RTP
    // run decides first (rtp_before_owner).
    {kUdp, 24576, 24577, "mint"},
    {kUdp, 26000, 26000, "quake"},
    {kUdp, 27910, 27910, "quake2"},
    {kUdp, 27950, 27953, "quake3"},
    {kUdp, 27960, 27963, "quake3"},
    {kTcp, 44818, 44818, "enip"},
    {kUdp, 44818, 44818, "enip"},
    {kUdp, 47808, 47808, "bvlc"},
    {kTcp, 57000, 57000, "irc"},
};

const PortDissector *port_dissector(Transport t, uint16_t port) {
    for (const PortDissector &d : kPortDissectors)
        if (d.t == t && port >= d.lo && port <= d.hi) return &d;
    return nullptr;
}

// Does a signature of `protocol` match (evidence-only ones too when asked)?
bool signature_matches(Transport t, const char *protocol, bool evidence_too, const uint8_t *data, size_t len) {
    for (size_t i = 0; i < kSignatureCount; ++i) {
        const Signature &s = kSignatures[i];
        if ((s.transports & t) && (evidence_too || !s.evidence_only) && std::strcmp(s.protocol, protocol) == 0 &&
            match_signature(s, data, len))
            return true;
    }
    return false;
}

// The heuristics a UDP or TCP payload meets when no port took it: ciscouc's
// own (SCCP, MGCP, H.225, H.245, RAS, XMPP: heur-ciscouc.cpp), and those of
// Wireshark's that UC captures meet, enabled by default: SIP (sip_udp,
// sip_tcp), HTTP and TLS over TCP (the request/status line, a handshake
// record: the core's http-request, http-response and tls-handshake
// signatures; then any TLS record header), DCE/RPC (a version 5 connection-oriented or version 4
// connectionless header, DCE 1.1 RPC chapter 12), BitTorrent DHT (a
// bencoded dictionary, BEP 5) and Bitcoin over TCP (a network's magic).
struct Heuristic {
    const char *wireshark;  // what the plugin's stack shows
    bool (*match)(Transport t, const uint8_t *data, size_t len);
    const Framing *framing = nullptr;  // TCP: how the dissector it hands to holds segments
};

template <const char *Key, bool EvidenceToo>
bool by_signature(Transport t, const uint8_t *data, size_t len) {
    return signature_matches(t, Key, EvidenceToo, data, len);
}

bool dcerpc_header(Transport t, const uint8_t *d, size_t len) {
    if (t == kTcp) return len >= 16 && d[0] == 5 && d[1] <= 1 && d[2] <= 19 && (d[4] & 0xee) == 0;
    return len >= 80 && d[0] == 4 && d[1] <= 10;
}

// Wireshark's TLS heuristic over TCP (tls_tcp, packet-tls.c): a record
// header anywhere in a stream, not only a handshake: content type 20-23
// (RFC 8446 section 5.1), legacy version 3.0-3.4, length <= 2^14 + 2048.
bool tls_record(Transport t, const uint8_t *d, size_t len) {
    if (t != kTcp || len < 5 || d[0] < 20 || d[0] > 23 || d[1] != 3 || d[2] > 4) return false;
    size_t rlen = static_cast<size_t>(d[3]) << 8 | d[4];
    return rlen > 0 && rlen <= 16384 + 2048;
}

// Wireshark's DTLS and QUIC heuristics over UDP (dtls_udp, quic): DTLS
// records that fill the datagram exactly (packet-dtls.c dissect_dtls_heur,
// looks_like_dtls; RFC 9147 section 4: a 13-byte header, content type 20-25,
// version 1.0 0xFEFF, 1.2 0xFEFD or OpenSSL's pre-standard 0x0100, the
// length at 11), and a QUIC version 1 long header (RFC 9000 section 17.2:
// header form and fixed bits set, version 0x00000001).
bool dtls_record(Transport t, const uint8_t *d, size_t len) {
    if (t != kUdp) return false;
    size_t off = 0;
    for (int n = 0; n < 64 && off + 13 <= len; ++n) {
        const uint8_t *r = d + off;
        const unsigned version = static_cast<unsigned>(r[1]) << 8 | r[2];
        if (r[0] < 20 || r[0] > 25 || (version != 0xfeff && version != 0xfefd && version != 0x0100)) return false;
        off += 13 + (static_cast<size_t>(r[11]) << 8 | r[12]);
        if (off == len) return true;
    }
    return false;
}

bool quic_long_header(Transport t, const uint8_t *d, size_t len) {
    return t == kUdp && len >= 7 && (d[0] & 0xc0) == 0xc0 && d[1] == 0 && d[2] == 0 && d[3] == 0 && d[4] == 1;
}

// Wireshark's RTCP heuristic (packet-rtcp.c dissect_rtcp_heur): to an odd
// port, version 2, a compound packet opening with SR (200), RR (201), APP
// (204), RTPFB (205) or PSFB (206), a length that is a multiple of 4.
bool rtcp_packet(Transport t, const uint8_t *d, size_t len, uint16_t dport) {
    return t == kUdp && (dport & 1) && len >= 8 && len % 4 == 0 && (d[0] >> 6) == 2 &&
           (d[1] == 200 || d[1] == 201 || d[1] == 204 || d[1] == 205 || d[1] == 206);
}

// Wireshark's SIP heuristics (sip_udp, sip_tcp) take any request line
// sip_parse_line (packet-sip.c) calls one, whatever its method: a first
// token, a Request-URI of 3 or more characters with a ':' after its first,
// and "SIP/2.0" ending the line (RFC 3261 section 7.1). Status lines are the
// catalogue's sip-response signature.
bool sip_request_line(Transport, const uint8_t *d, size_t len) {
    size_t eol = 0;
    while (eol < len && d[eol] != '\r' && d[eol] != '\n') ++eol;
    const uint8_t *sp1 = static_cast<const uint8_t *>(std::memchr(d, ' ', eol));
    if (!sp1 || sp1 == d) return false;
    const uint8_t *uri = sp1 + 1;
    const uint8_t *sp2 = static_cast<const uint8_t *>(std::memchr(uri, ' ', static_cast<size_t>(d + eol - uri)));
    if (!sp2 || sp2 - uri < 3 || !std::memchr(uri + 1, ':', static_cast<size_t>(sp2 - uri - 1))) return false;
    const uint8_t *version = sp2 + 1;
    return d + eol - version == 7 && std::memcmp(version, "SIP/2.0", 7) == 0;
}

// packet-bitcoin.c dissect_bitcoin_heur: the little-endian magic of the
// main network (0xD9B4BEF9), testnet (0xDAB5BFFA) or testnet3 (0x0709110B).
bool bitcoin_magic(Transport t, const uint8_t *d, size_t len) {
    if (t != kTcp || len < 4) return false;
    uint32_t m = static_cast<uint32_t>(d[0]) | static_cast<uint32_t>(d[1]) << 8 | static_cast<uint32_t>(d[2]) << 16 |
                 static_cast<uint32_t>(d[3]) << 24;
    return m == 0xD9B4BEF9u || m == 0xDAB5BFFAu || m == 0x0709110Bu;
}

bool bt_dht(Transport t, const uint8_t *d, size_t len) {
    return t == kUdp && len >= 6 && d[0] == 'd' && d[1] >= '1' && d[1] <= '9' && d[len - 1] == 'e';
}

const char kSCCPk[] = "SCCP", kMGCPk[] = "MGCP", kH225k[] = "H.225", kH245k[] = "H.245", kRASk[] = "RAS", kXMPPk[] = "XMPP",
           kSIPk[] = "SIP", kHTTPk[] = "HTTP", kTLSk[] = "TLS";
const Heuristic kHeuristics[] = {
    {"skinny", by_signature<kSCCPk, false>}, {"mgcp", by_signature<kMGCPk, false>},
    {"q931", by_signature<kH225k, false>},   {"h245", by_signature<kH245k, false>},
    {"h225", by_signature<kRASk, false>},
    {"xmpp", by_signature<kXMPPk, false>},   {"sip", by_signature<kSIPk, false>},
    {"sip", sip_request_line},
    {"http", by_signature<kHTTPk, true>},    {"tls", by_signature<kTLSk, false>},
    {"tls", tls_record},                     {"dtls", dtls_record},
    {"quic", quic_long_header},
    {"dcerpc", dcerpc_header},               {"bt-dht", bt_dht},
    {"bitcoin", bitcoin_magic, &kBitcoinFraming},
};

const Heuristic *heuristic(Transport t, const uint8_t *data, size_t len) {
    for (const Heuristic &h : kHeuristics)
        if (h.match(t, data, len)) return &h;
    return nullptr;
}

int protocol_of_wireshark(const char *name, const char **other) {
    int p = protocol_by_wireshark_name(name);
    *other = p < 0 ? name : nullptr;
    return p;
}

bool documented_media_port(uint16_t port) {
    static const int rtp = protocol_by_key("RTP");
    for (uint16_t f : lookup_port(kUdp, port))
        if (entry_has_protocol(kEntries[kFlows[f].entry], rtp)) return true;
    return false;
}

// The plugin's rtp_before_owner (plugins/ciscouc/heur-ciscouc.cpp), on a UDP
// port the guides document for RTP that a stock dissector owns: a confirmed
// run is RTP; while every packet so far may still complete one the packet is
// payload without a protocol; from the first that is no RTP v2 or breaks its
// direction's run (or after two runs' worth undecided) the owner's.
enum Owned : uint8_t { kUndecided = 0, kOwnedRtp = 1, kOwner = 2 };
Owned rtp_before_owner(Inspect &in, const Packet &p) {
    RtpHeader rh;
    if (in.owned == kUndecided) {
        if (p.payload_len < 12 || !parse_rtp(p.payload, p.payload_len, &rh)) {
            in.owned = kOwner;
        } else {
            if (!in.have_rtp_dir) {
                in.have_rtp_dir = true;
                in.rtp_first = Endpoint{p.src, p.sport};
            }
            bool forward = p.sport == in.rtp_first.port && p.src == in.rtp_first.addr;
            if (!(forward ? in.fwd : in.rev).feed(rh) || ++in.owned_packets > 2 * RtpRun::kRtpRunNeeded)
                in.owned = kOwner;
            else if (in.fwd.confirmed() || in.rev.confirmed())
                in.owned = kOwnedRtp;
        }
    }
    if (in.owned == kOwnedRtp) in.rtp_confirmed = true;
    return static_cast<Owned>(in.owned);
}

bool endpoint_less(const Endpoint &x, const Endpoint &y) {
    if (x.addr.family != y.addr.family) return x.addr.family < y.addr.family;
    int c = std::memcmp(x.addr.bytes, y.addr.bytes, 16);
    if (c) return c < 0;
    return x.port < y.port;
}

}  // namespace

bool ConvKey::operator==(const ConvKey &o) const {
    return transport == o.transport && directed == o.directed && generation == o.generation && a.port == o.a.port && b.port == o.b.port && a.addr == o.a.addr &&
           b.addr == o.b.addr;
}

size_t ConvKeyHash::operator()(const ConvKey &k) const {
    // FNV-1a over the fields (addresses zero-padded to 16 bytes).
    uint64_t h = 1469598103934665603ull;
    auto mix = [&](const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
    };
    uint8_t kind[2] = {k.transport, k.directed};
    mix(kind, 2);
    mix(k.a.addr.bytes, 16);
    mix(k.b.addr.bytes, 16);
    uint8_t ports[8] = {uint8_t(k.a.port >> 8), uint8_t(k.a.port), uint8_t(k.b.port >> 8), uint8_t(k.b.port),
                        uint8_t(k.generation >> 24), uint8_t(k.generation >> 16), uint8_t(k.generation >> 8),
                        uint8_t(k.generation)};
    mix(ports, 8);
    return static_cast<size_t>(h);
}

size_t Scanner::EndpointHash::operator()(const Endpoint &e) const {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < 16; ++i) h = (h ^ e.addr.bytes[i]) * 1099511628211ull;
    h = (h ^ e.port) * 1099511628211ull;
    return static_cast<size_t>(h);
}

Scanner::Scanner(const Options &o) : opt_(o) {}

std::string Scanner::address_text(const Address &a) const {
    char buf[INET6_ADDRSTRLEN];
    if (!inet_ntop(a.family == 6 ? AF_INET6 : AF_INET, a.bytes, buf, sizeof buf)) return std::string();
    return buf;
}


// ---- The idle list: conversations with inspection state, least recently seen first.

void Scanner::unlink(uint32_t idx) {
    Inspect *in = convs_[idx].inspect.get();
    if (in->prev != UINT32_MAX) convs_[in->prev].inspect->next = in->next;
    else live_head_ = in->next;
    if (in->next != UINT32_MAX) convs_[in->next].inspect->prev = in->prev;
    else live_tail_ = in->prev;
    in->prev = in->next = UINT32_MAX;
}

void Scanner::touch(uint32_t idx, double ts) {
    Conv &c = convs_[idx];
    c.last = ts;
    if (!c.inspect) {
        c.inspect.reset(new Inspect());
        ++live_;
    } else {
        unlink(idx);
    }
    c.inspect->prev = live_tail_;
    if (live_tail_ != UINT32_MAX) convs_[live_tail_].inspect->next = idx;
    else live_head_ = idx;
    live_tail_ = idx;
}

void Scanner::expire(double now) {
    while (live_head_ != UINT32_MAX) {
        uint32_t idx = live_head_;
        bool idle = now - convs_[idx].last > opt_.idle_seconds;
        if (!idle && live_ <= opt_.max_live) break;
        (idle ? n_.expired : n_.evicted)++;
        unlink(idx);
        convs_[idx].inspect.reset();
        --live_;
    }
}

uint32_t Scanner::conversation(const Packet &p, uint32_t frame, double ts, bool *created) {
    Endpoint s{p.src, p.sport}, d{p.dst, p.dport};
    ConvKey k;
    k.transport = p.transport;
    k.a = endpoint_less(s, d) ? s : d;
    k.b = endpoint_less(s, d) ? d : s;
    // Media that signalling announced: Wireshark keeps one conversation per
    // announcement (rtp_add_address: the announced end and any far end, from
    // the announcing frame on; a new announcement starts a new one), and a
    // packet joins its sender's end's if announced, else its receiver's.
    // The plugin keeps RTP and RTCP rows per direction, by the packet's
    // addresses and ports, whichever announcement's conversation it is in
    // (ciscouc_conv_get_data in plugins/ciscouc/ws_compat.h); a T.38 leg is
    // one row per announcement, any far end (a NAT'd sender) included.
    // Wireshark looks for the exact conversation first (find_conversation in
    // epan/conversation.c): a 5-tuple that had packets before the
    // announcement keeps its conversation.
    if (p.transport == 17 && !setups_.empty() && !index_.count(k)) {
        auto valid = [&](const Endpoint &e) -> const Setup * {
            auto it = setups_.find(e);
            return it != setups_.end() && it->second.frame < frame && it->second.leg != Leg::kTransfer ? &it->second
                                                                                                       : nullptr;
        };
        const Setup *ss = valid(s), *sd = ss ? nullptr : valid(d);
        if (const Setup *su = ss ? ss : sd) {
            k.directed = true;
            if (su->leg == Leg::kT38) {
                k.a = ss ? s : d;
                k.b = Endpoint();
                k.generation = su->frame;
            } else {
                k.a = s;
                k.b = d;
            }
        }
    }
    auto it = index_.find(k);
    *created = false;
    if (it != index_.end()) {
        Conv &c = convs_[it->second];
        if (c.transport != kTcp) return it->second;
        // TCP port reuse: a SYN whose sequence number is not the one this
        // direction started with opens a new conversation, as Wireshark's
        // TCP dissector does (packet-tcp.c, "TCP port numbers reused").
        int dir = (s.port == c.first_src.port && s.addr == c.first_src.addr) ? 0 : 1;
        bool reused = (p.tcp_flags & kSyn) && !(p.tcp_flags & kAck) && c.have_seq[dir] && p.tcp_seq != c.base_seq[dir];
        if (!reused) {
            if (!c.have_seq[dir]) {
                c.have_seq[dir] = true;
                c.base_seq[dir] = p.tcp_seq;
            }
            return it->second;
        }
        index_.erase(it);
    }
    if (convs_.size() >= opt_.max_conversations) return UINT32_MAX;
    *created = true;
    uint32_t idx = static_cast<uint32_t>(convs_.size());
    index_.emplace(k, idx);
    convs_.emplace_back();
    Conv &c = convs_.back();
    c.transport = p.transport == 6 ? kTcp : kUdp;
    c.first_src = c.client = s;
    c.first_dst = c.server = d;
    c.direction = c.transport == kUdp ? Direction::kFirstPacket : Direction::kUnknown;
    // Wireshark's TCP dissector remembers the server port from SYN (its
    // destination) or SYN-ACK (its source): tcp_analysis::server_port.
    if (c.transport == kTcp && (p.tcp_flags & kSyn)) {
        c.direction = Direction::kHandshake;
        if (p.tcp_flags & kAck) std::swap(c.client, c.server);
    }
    c.same_host = p.src == p.dst;
    c.signalled = k.directed;
    c.have_seq[0] = c.transport == kTcp;
    c.base_seq[0] = p.tcp_seq;
    c.first = ts;
    c.first_frame = frame;
    // Media or a transfer leg that signalling announced earlier. The plugin
    // reads the setup the RTP dissector shows (rtp.setup-frame), which RTP
    // looks up by the packet's destination first (get_conv_info in
    // epan/dissectors/packet-rtp.c: find_conversation(net_dst, net_src, ...)).
    // Only an RTP leg is media set up by signalling: an RTCP or T.38 leg
    // keeps its own (rtcp_add_address, t38_add_address). With the same port at
    // both ends, both directions show the earlier announcement (as observed
    // on the teaching captures' 16384 <-> 16384 RTP).
    bool source_first = false;
    if (p.sport == p.dport) {
        auto a = setups_.find(s), b = setups_.find(d);
        source_first = a != setups_.end() && (b == setups_.end() || a->second.frame < b->second.frame);
    }
    for (const Endpoint &e : {source_first ? s : d, source_first ? d : s}) {
        auto su = setups_.find(e);
        if (su != setups_.end() && su->second.frame < frame && su->second.leg != Leg::kTransfer) {
            if (su->second.leg == Leg::kRtp) {
                c.media_protocol = su->second.protocol;
                c.media_frame = su->second.frame;
            }
            break;
        }
    }
    relabel(c, frame);
    return idx;
}

void Scanner::announce(const Address &a, uint16_t port, int protocol, uint32_t frame, Leg leg) {
    // A later announcement of the same address replaces the earlier one, as
    // a later rtp_add_address does in Wireshark.
    auto put = [&](uint16_t pt, Leg l) {
        Endpoint e{a, pt};
        auto it = setups_.find(e);
        if (it != setups_.end()) {
            it->second = Setup{protocol, frame, l};
            return;
        }
        if (setups_.size() >= kMaxSetups) {
            ++n_.media_dropped;
            return;
        }
        setups_.emplace(e, Setup{protocol, frame, l});
    };
    put(port, leg);
    // RTCP on the next port (RFC 3550 section 11), as Wireshark's SDP
    // dissector sets it up; Skinny sets up the RTP port only (its RTCP is
    // found by the RTCP heuristic, one conversation per 5-tuple).
    static const int sccp = protocol_by_key("SCCP");
    if (leg == Leg::kRtp && protocol != sccp && port < 65535) put(static_cast<uint16_t>(port + 1), Leg::kRtcp);
}

// Wireshark's TCP reassembly as the plugin sees it, until the conversation
// shows a payload: a segment the dissector holds shows none; the one that
// completes the PDU shows it, dissected from the PDU's start.
bool Scanner::held(Conv &c, const Packet &p, const Framing &f, const uint8_t **data, size_t *len) {
    if (c.payload_seen || !c.inspect) return false;
    Held &h = c.inspect->held[p.sport == c.first_src.port && p.src == c.first_src.addr ? 0 : 1];
    const uint8_t *d = *data;
    const size_t n = *len;
    // A retransmission of held bytes adds nothing (TCP analysis does not hand
    // retransmitted data to the dissector again).
    if (h.on && static_cast<int32_t>(p.tcp_seq - h.next_seq) < 0) return true;
    if (!h.on) h = Held();
    if (h.head.size() < kHeldBytes) h.head.append(reinterpret_cast<const char *>(d), std::min(n, kHeldBytes - h.head.size()));
    h.have += n;
    bool complete = false;
    if (f.header == 0) {
        // The last byte above the blanks, in the reassembled bytes (a blank
        // segment leaves the held ones' last, which was not '>').
        size_t i = n;
        while (i > 0 && d[i - 1] <= ' ') --i;
        complete = i > 0 && d[i - 1] == '>';
    } else {
        if (!h.need && h.head.size() >= f.header) {
            h.need = f.pdu_length(reinterpret_cast<const uint8_t *>(h.head.data()), h.head.size());
            if (!h.need) complete = true;  // not framed: taken as it is
        }
        if (h.need && h.have >= h.need) complete = true;
    }
    if (complete) {
        if (h.on) {
            pdu_ = h.head;
            *data = reinterpret_cast<const uint8_t *>(pdu_.data());
            *len = pdu_.size();
        }
        h = Held();
        return false;
    }
    h.on = true;
    h.next_seq = p.tcp_seq + static_cast<uint32_t>(n);
    return true;
}

// SIP over TCP: false while the message this segment starts or continues
// is incomplete (its SDP, host roles and media are read when it is); then
// *data and *len are the whole message (up to kSipBytes).
bool Scanner::sip_stream(Conv &c, const Packet &p, const uint8_t **data, size_t *len) {
    if (!c.inspect) return true;
    std::string &buf = c.inspect->sip[p.sport == c.first_src.port && p.src == c.first_src.addr ? 0 : 1];
    const char *d = reinterpret_cast<const char *>(*data);
    if (buf.empty()) {
        size_t need = sip_message_length(*data, *len);
        if (need == 0 || (need != kSipNeedMore && need <= *len)) return true;  // complete, or not a message start
        buf.assign(d, std::min(*len, kSipBytes));
        return false;
    }
    buf.append(d, std::min(*len, kSipBytes - std::min(buf.size(), kSipBytes)));
    size_t need = sip_message_length(reinterpret_cast<const uint8_t *>(buf.data()), buf.size());
    if (buf.size() < kSipBytes && (need == kSipNeedMore || need > buf.size())) return false;
    pdu_.swap(buf);
    buf.clear();
    *data = reinterpret_cast<const uint8_t *>(pdu_.data());
    *len = pdu_.size();
    return true;
}

Scanner::Detection Scanner::detect(Conv &c, Packet &p, uint32_t frame) {
    Detection d;
    if (p.payload_len == 0) return d;
    d.payload = true;
    const Transport t = c.transport;
    const uint8_t *data = p.payload;
    size_t len = p.payload_len;
    // The segment held for more bytes (d.held), or the PDU it completes,
    // which the rest of the dissection (observe) then reads.
    auto hold = [&](const Framing *f) {
        if (!f || t != kTcp) return false;
        if (held(c, p, *f, &data, &len)) {
            d.payload = false;
            d.held = true;
            return true;
        }
        p.payload = data;
        p.payload_len = len;
        return false;
    };
    // 1. A conversation signalling set up: RTP/RTCP (SDP, Skinny), TFTP data.
    for (const Endpoint &e : {Endpoint{p.dst, p.dport}, Endpoint{p.src, p.sport}}) {
        if (t != kUdp) break;
        auto su = setups_.find(e);
        if (su == setups_.end() || su->second.frame >= frame) continue;
        // Media legs only in the conversation the announcement made (a
        // 5-tuple that kept its earlier conversation is not set up).
        if (su->second.leg != Leg::kTransfer && !c.signalled) continue;
        static const char *const names[] = {"rtp", "rtcp", "t38", "tftp"};  // by Leg
        d.protocol = protocol_of_wireshark(names[static_cast<int>(su->second.leg)], &d.other);
        return d;
    }
    // 2. Ports ciscouc stands in front of: a sniffed port records evidence;
    //    a stolen port hands a matching payload to the signature's dissector.
    int evidence = -1;
    for (size_t i = 0; i < kStealPortCount; ++i) {
        const StealPort &sp = kStealPorts[i];
        if (sp.transport != t) continue;
        bool on = (p.dport >= sp.lo && p.dport <= sp.hi) || (p.sport >= sp.lo && p.sport <= sp.hi);
        if (!on) continue;
        if (!match_signature(kSignatures[sp.signature], data, len)) continue;
        evidence = protocol_by_key(kSignatures[sp.signature].protocol);
        break;
    }
    if (evidence >= 0) {
        d.protocol = evidence;
        d.tls = kProtocols[evidence].secure;
        return d;
    }
    // A TCP conversation a heuristic handed to a dissector that frames its
    // PDUs stays with it (Bitcoin: conversation_set_dissector), both ways.
    if (t == kTcp && c.inspect && c.inspect->framed_by) {
        if (hold(c.inspect->framing)) return d;
        d.protocol = protocol_of_wireshark(c.inspect->framed_by, &d.other);
        return d;
    }
    // 3. The port table: the handshake's server port, the lower, the higher.
    uint16_t low = std::min(p.sport, p.dport), high = std::max(p.sport, p.dport);
    uint16_t order[3] = {c.direction == Direction::kHandshake ? c.server.port : uint16_t(0), low, high};
    for (uint16_t port : order) {
        if (!port) continue;
        const PortDissector *pd = port_dissector(t, port);
        if (!pd) continue;
        if (t == kUdp && documented_media_port(port)) {
            // UC signalling first, as the plugin's stand-in on the port (ports.cpp).
            const int sig = match_any(t, data, len);
            if (sig >= 0) {
                d.protocol = protocol_by_key(kSignatures[sig].protocol);
                return d;
            }
            Owned o = c.inspect ? rtp_before_owner(*c.inspect, p) : kOwner;
            if (o == kOwnedRtp) d.protocol = protocol_by_key("RTP");
            if (o != kOwner) return d;
        }
        if (pd->accept == Accept::kSignature && !signature_matches(t, pd->signature_protocol, false, data, len)) continue;
        if (!accepts(pd->accept, data, len)) continue;
        if (hold(pd->framing)) return d;
        d.protocol = protocol_of_wireshark(pd->wireshark, &d.other);
        // STARTTLS (LDAP, XMPP, SMTP): the stock owner hands the TLS records
        // that follow to TLS, which the plugin sees in the stack.
        d.tls = std::strcmp(pd->wireshark, "tls") == 0 || signature_matches(t, "TLS", false, data, len);
        // NetBIOS session messages (RFC 1002 section 4.3.1) carrying SMB
        // (\xffSMB) or SMB2 (\xfeSMB): the plugin sees SMB in the stack too.
        if (std::strcmp(pd->wireshark, "nbss") == 0 && len >= 8 && data[0] == 0 &&
            (data[4] == 0xff || data[4] == 0xfe) && std::memcmp(data + 5, "SMB", 3) == 0)
            d.carried = protocol_of_wireshark("smb", &d.other_carried);
        // On a sniffed port, the stock owner's claim needs evidence (detect()
        // in packet-ciscouc.cpp): SIP over TCP calls anything on 5060 SIP.
        if (d.protocol >= 0 && (sniffed_for(t, p.sport, d.protocol) ||
                                sniffed_for(t, p.dport, d.protocol)))
            d.protocol = -1;
        return d;
    }
    // 4. Heuristics: the UC signatures, then RTP on evidence (heur_rtp).
    if (const Heuristic *h = heuristic(t, data, len)) {
        if (h->framing && t == kTcp && c.inspect) {
            c.inspect->framed_by = h->wireshark;
            c.inspect->framing = h->framing;
        }
        if (hold(h->framing)) return d;
        d.protocol = protocol_of_wireshark(h->wireshark, &d.other);
        d.tls = std::strcmp(h->wireshark, "tls") == 0;
        return d;
    }
    if (rtcp_packet(t, data, len, p.dport)) {
        d.protocol = protocol_of_wireshark("rtcp", &d.other);
        return d;
    }
    RtpHeader rh;
    if (t == kUdp && (documented_media_port(p.sport) || documented_media_port(p.dport)) && len >= 12 &&
        parse_rtp(data, len, &rh) && c.inspect) {
        Inspect &in = *c.inspect;
        if (!in.have_rtp_dir) {
            in.have_rtp_dir = true;
            in.rtp_first = Endpoint{p.src, p.sport};
        }
        bool forward = p.sport == in.rtp_first.port && p.src == in.rtp_first.addr;
        RtpRun &run = forward ? in.fwd : in.rev;
        run.feed(rh);
        if (run.confirmed() || in.rtp_confirmed) {
            in.rtp_confirmed = true;
            d.protocol = protocol_by_key("RTP");
        }
    }
    return d;
}

void Scanner::observe(Conv &c, const Packet &p, uint32_t frame, int protocol) {
    static const int sip = protocol_by_key("SIP"), sccp = protocol_by_key("SCCP"), mgcp = protocol_by_key("MGCP"),
                     ras = protocol_by_key("RAS"), tftp = protocol_by_key("TFTP"), xmpp = protocol_by_key("XMPP");
    if (!p.payload_len || protocol < 0) return;
    const std::string sender = address_text(p.src), receiver = address_text(p.dst);
    Observation o;
    if (protocol == sip) {
        const uint8_t *msg = p.payload;
        size_t msg_len = p.payload_len;
        if (c.transport == kTcp && !sip_stream(c, p, &msg, &msg_len)) return;
        SipMessage m;
        if (!parse_sip(msg, msg_len, &m)) return;
        // A datagram the snap length cut: Wireshark's SIP dissector stops at
        // the cut (an exception past the captured bytes), and its header
        // fields do not reach the plugin, so the message shows no host role
        // (as observed on the shared captures' 512-byte snap lengths).
        if (!(p.cut && c.transport == kUdp)) o = observe_sip(m.request, m.method, m.software);
        for (int i = 0; i < m.media.count; ++i) announce(m.media.item[i].addr, m.media.item[i].port, sip, frame, m.media.item[i].t38 ? Leg::kT38 : Leg::kRtp);
    } else if (protocol == sccp) {
        SccpMessages m;
        if (!parse_sccp(p.payload, p.payload_len, &m)) return;
        bool to_server = c.listener_port && p.dport == c.listener_port;
        o = observe_sccp(m.device_name, to_server);
        for (int i = 0; i < m.media.count; ++i) announce(m.media.item[i].addr, m.media.item[i].port, sccp, frame, Leg::kRtp);
    } else if (protocol == mgcp) {
        MgcpMessage m;
        if (!parse_mgcp(p.payload, p.payload_len, &m)) return;
        o = observe_mgcp(m.request, m.verb);
        for (int i = 0; i < m.media.count; ++i) announce(m.media.item[i].addr, m.media.item[i].port, mgcp, frame, m.media.item[i].t38 ? Leg::kT38 : Leg::kRtp);
    } else if (protocol == ras) {
        int choice = ras_choice(p.payload, p.payload_len);
        if (choice < 0) return;
        o = observe_ras(static_cast<uint32_t>(choice));
    } else if (protocol == tftp) {
        std::string_view file;
        if (p.payload_len >= 2 && p.payload[0] == 0 && (p.payload[1] == 1 || p.payload[1] == 2))
            announce(p.src, p.sport, tftp, frame, Leg::kTransfer);  // the server answers from a new port (RFC 1350 section 4)
        if (!parse_tftp_read(p.payload, p.payload_len, &file)) return;
        o = observe_tftp_read(file);
    } else if (protocol == xmpp) {
        bool server_stream = false;
        if (!parse_xmpp_stream(p.payload, p.payload_len, &server_stream)) return;
        bool initiator = p.src == c.client.addr && p.sport == c.client.port;
        o = observe_xmpp_stream(initiator, server_stream);
    } else {
        return;
    }
    if (o.any()) hosts_.apply(o, sender, receiver, frame);
}

// The plugin's relabel() (plugins/ciscouc/conversation.cpp), step for step.
void Scanner::relabel(Conv &c, uint32_t frame) {
    Label first = classify(c.transport, c.client.port, c.server.port, c.direction, c.detected, opt_.prefs);
    auto listener_of = [&](uint16_t port) -> const Endpoint * {
        return port == 0 ? nullptr : port == c.server.port ? &c.server : &c.client;
    };
    // The listener of UC signalling documented to a Unified CM is one.
    static const int unified_cm = role_by_key("unified_cm");
    if (const Endpoint *l = listener_of(first.listener_port); l && label_shows_unified_cm(first, c.detected))
        hosts_.add(address_text(l->addr), unified_cm, c.detected, frame);
    c.client_roles = hosts_.roles(address_text(c.client.addr));
    c.server_roles = hosts_.roles(address_text(c.server.addr));
    c.roles_generation = hosts_.generation();
    EvidenceInput ev;
    ev.transport = c.transport;
    ev.client_port = c.client.port;
    ev.server_port = c.server.port;
    ev.client_roles = c.client_roles;
    ev.server_roles = c.server_roles;
    ev.detected = c.detected;
    ev.detected_other = c.detected_other;
    ev.seen = c.seen;
    ev.payload_seen = c.payload_seen;
    ev.payload_frame = c.payload_frame;
    ev.media_protocol = c.media_protocol;
    ev.media_frame = c.media_frame;
    const Verdict v = weigh(std::move(first), c.direction, ev, opt_.prefs, opt_.claims);
    c.cand = v.label.candidates;
    c.claim = v.as.claim;
    c.evidence_detail = v.detail;
    c.label_frame = frame;
    c.listener_port = v.label.listener_port;
    const Endpoint *listener = listener_of(v.label.listener_port);
    FlagInput in;
    in.transport = c.transport;
    in.client_port = c.client.port;
    in.server_port = c.server.port;
    in.label = &v.flag_label(opt_.claims);
    in.detected = c.detected;
    in.detected_other = c.detected_other;
    in.seen = c.seen;
    in.tls_seen = c.tls_seen;
    in.payload_seen = c.payload_seen;
    in.listener_is_unified_cm = listener && (hosts_.roles(address_text(listener->addr)) & role_bit(unified_cm));
    in.same_host = c.same_host;
    in.prefs = opt_.prefs;
    FlagResult r = evaluate_flags(in);
    c.flags = r.flags;
    c.nr_pending = r.not_recommended_pending;
}

// conversation_refresh(): relabel when a host showed a new role since.
void Scanner::refresh(Conv &c) {
    if (c.roles_generation == hosts_.generation()) return;
    if (hosts_.roles(address_text(c.client.addr)) != c.client_roles ||
        hosts_.roles(address_text(c.server.addr)) != c.server_roles)
        relabel(c, c.label_frame);
    else
        c.roles_generation = hosts_.generation();
}

void Scanner::finish() {
    for (Conv &c : convs_) refresh(c);
}

void Scanner::packet(uint32_t frame, double ts, int linktype, const uint8_t *data, size_t caplen, size_t wirelen) {
    ++n_.frames;
    if (!started_) {
        started_ = true;
        capture_start_ = ts;
    }
    Packet p;
    Skip skip = decode(linktype, data, caplen, &p);
    if (skip != Skip::kNone) {
        ++n_.skipped[static_cast<int>(skip)];
        return;
    }
    if (p.first_fragment) ++n_.first_fragments;
    bool created = false;
    uint32_t idx = conversation(p, frame, ts, &created);
    if (idx == UINT32_MAX) {
        ++n_.dropped_packets;
        return;
    }
    ++n_.conversation_packets;
    touch(idx, ts);
    expire(ts);
    Conv &c = convs_[idx];
    c.packets++;
    c.bytes += wirelen;
    if (!c.inspect) touch(idx, ts);  // expired by the sweep just now: it is live again
    bool inspect = c.inspected < kInspectPackets || c.nr_pending;
    if (!inspect && c.signalling < 0) {
        refresh(c);
        return;
    }
    if (inspect) ++c.inspected;
    Detection d = detect(c, p, frame);
    static const int h225 = protocol_by_key("H.225"), ras = protocol_by_key("RAS"), sip = protocol_by_key("SIP"),
                     sccp = protocol_by_key("SCCP"), mgcp = protocol_by_key("MGCP");
    if (c.transport == kUdp && d.protocol == h225) d.protocol = ras;
    if (d.held) {
        refresh(c);
        return;
    }
    if (!inspect) {
        observe_and_refresh(c, p, frame, d.protocol);
        return;
    }
    bool changed = false;
    if (d.any() && c.detected < 0 && !c.detected_other) {
        c.detected = d.protocol;
        c.detected_other = d.other;
        c.payload_frame = frame;
        if (d.protocol == sip || d.protocol == sccp || d.protocol == mgcp) c.signalling = d.protocol;
        orient_by_payload(c, p, d.protocol, frame);
        changed = true;
    }
    for (int seen : {d.protocol, d.carried}) {
        if (seen >= 0 && !c.seen.has(seen)) {
            c.seen.add(seen);
            changed = true;
        }
    }
    if (d.tls && !c.tls_seen) c.tls_seen = changed = true;
    if (d.payload && !c.payload_seen) c.payload_seen = changed = true;
    if (changed) relabel(c, frame);
    observe_and_refresh(c, p, frame, d.protocol);
}

// No handshake: the payload says which side serves, as the plugin's
// orient_by_payload (plugins/ciscouc/conversation.cpp): a SIP status line
// comes from the side that received the request unless the receiver's port
// documents SIP; a TFTP transfer leg is served by the host its requester asked.
void Scanner::orient_by_payload(Conv &c, const Packet &p, int detected, uint32_t frame) {
    if (c.direction == Direction::kHandshake || c.direction == Direction::kPayload) return;
    static const int sip = protocol_by_key("SIP"), tftp = protocol_by_key("TFTP");
    const bool from_client = p.src == c.client.addr && p.sport == c.client.port;
    if (detected == sip) {
        SipMessage m;
        if (!parse_sip(p.payload, p.payload_len, &m) || m.request) return;
        if (port_documents(c.transport, p.dport, sip)) return;
        if (from_client) std::swap(c.client, c.server);
        c.direction = Direction::kPayload;
    } else if (detected == tftp && c.transport == kUdp) {
        for (bool client_asked : {true, false}) {
            auto su = setups_.find(client_asked ? c.client : c.server);
            if (su == setups_.end() || su->second.leg != Leg::kTransfer || su->second.frame >= frame) continue;
            if (!client_asked) std::swap(c.client, c.server);
            c.direction = Direction::kPayload;
            return;
        }
    }
}

// The plugin's order after inspection (dissect_post): the UC fields show the
// hosts' roles, then a conversation whose hosts showed a new role since it
// was labelled is labelled again (conversation_refresh).
void Scanner::observe_and_refresh(Conv &c, const Packet &p, uint32_t frame, int detected) {
    // Signalling keeps announcing media and showing roles after the window.
    observe(c, p, frame, detected >= 0 ? detected : c.signalling);
    refresh(c);
}

// ---- Output.

namespace {

std::string endpoint_text(const std::string &addr, const Endpoint &e) {
    return (e.addr.family == 6 ? "[" + addr + "]" : addr) + ":" + std::to_string(e.port);
}

}  // namespace

void Scanner::print_conversations(FILE *out) const {
    fprintf(out, "================================================================================\n");
    fprintf(out, "Cisco UC conversations (ciscouc): %zu\n", convs_.size());
    fprintf(out, "Client\tServer\tTransport\tListener\tPackets\tBytes\tFirst\tLast\tDetected\tFlags\tProduct\tEntry\t"
                 "Purpose\tOther uses\tEvidence\tEvidence detail\tClient role\tServer role\n");
    for (const Conv &c : convs_) {
        // Orient the row so that the listener is on the right (conv_packet in stats.cpp).
        Endpoint client = c.first_src, server = c.first_dst;
        if (c.listener_port && c.listener_port == c.first_src.port && c.listener_port != c.first_dst.port)
            std::swap(client, server);
        const std::string ca = address_text(client.addr), sa = address_text(server.addr);
        const char *product = "", *entry = "";
        std::string purpose;
        const size_t n = c.cand.size();
        if (n) {
            const Entry &e = kEntries[kFlows[c.cand.front().flow].entry];
            product = e.product;
            entry = e.id;
            purpose = std::string(c.cand.front().catch_all ? "(catch-all range) " : "") +
                      (opt_.original_language ? e.purpose_original : e.purpose);
        }
        fprintf(out, "%s\t%s\t%s\t%u\t%" PRIu64 "\t%" PRIu64 "\t%.6f\t%.6f\t%s\t%s\t%s\t%s\t%s\t%zu\t%s\t%s\t%s\t%s\n",
                endpoint_text(ca, client).c_str(), endpoint_text(sa, server).c_str(),
                c.transport == kTcp ? "tcp" : "udp", c.listener_port, c.packets, c.bytes, c.first - capture_start_,
                c.last - capture_start_,
                c.detected >= 0 ? kProtocols[c.detected].key : c.detected_other ? c.detected_other : "",
                flag_list(c.flags).c_str(), product, entry, purpose.c_str(), n ? n - 1 : 0, claim_text(c.claim),
                c.evidence_detail.c_str(), role_names(hosts_.roles(ca)).c_str(), role_names(hosts_.roles(sa)).c_str());
    }
    fprintf(out, "================================================================================\n");
}

void Scanner::print_hosts(FILE *out) const {
    // Conversations per host address: each conversation counts once for each
    // of its two hosts (hosts_packet in plugins/ciscouc/hosts.cpp).
    std::unordered_map<std::string, unsigned> conversations;
    for (const HostTable::Host &h : hosts_.hosts()) conversations.emplace(h.address, 0);
    for (const Conv &c : convs_) {
        const std::string a = address_text(c.first_src.addr), b = address_text(c.first_dst.addr);
        for (const std::string *k : {&a, &b}) {
            if (k == &b && b == a) break;
            auto it = conversations.find(*k);
            if (it != conversations.end()) ++it->second;
        }
    }
    fprintf(out, "================================================================================\n");
    fprintf(out, "Cisco UC hosts (ciscouc): %zu\n", hosts_.hosts().size());
    fprintf(out, "Address\tRoles\tEvidence\tConversations\n");
    for (const HostTable::Host &h : hosts_.hosts())
        fprintf(out, "%s\t%s\t%s\t%u\n", h.address.c_str(), role_names(h.roles).c_str(),
                HostTable::proofs_text(h).c_str(), conversations[h.address]);
    fprintf(out, "================================================================================\n");
}

void Scanner::print_footer(FILE *out, const char *name) const {
    static const char *const skip_names[kSkipKinds] = {
        "", "unsupported or truncated link layer", "not IP", "truncated IP or transport header",
        "IP fragments after the first (only first fragments are read)", "IPv6 extension headers not walked",
        "other IP protocols (ICMP, GRE, ESP...)"};
    fprintf(out, "ciscouc-scan: %s: %" PRIu64 " frames, %" PRIu64 " in %zu TCP/UDP conversations", name, n_.frames,
            n_.conversation_packets, convs_.size());
    if (n_.first_fragments)
        fprintf(out, "; %" PRIu64 " first fragments read alone (not reassembled)", n_.first_fragments);
    fprintf(out, "\n");
    for (int i = 1; i < kSkipKinds; ++i)
        if (n_.skipped[i]) fprintf(out, "ciscouc-scan: %s: skipped %" PRIu64 " frames: %s\n", name, n_.skipped[i], skip_names[i]);
    if (n_.dropped_packets)
        fprintf(out, "ciscouc-scan: %s: dropped %" PRIu64 " packets of conversations beyond the cap of %zu\n", name,
                n_.dropped_packets, opt_.max_conversations);
    if (n_.evicted)
        fprintf(out, "ciscouc-scan: %s: %" PRIu64 " conversations ended their inspection early (over %zu live)\n", name,
                n_.evicted, opt_.max_live);
    if (n_.media_dropped)
        fprintf(out, "ciscouc-scan: %s: %" PRIu64 " media announcements not kept (table full)\n", name, n_.media_dropped);
}

}  // namespace scan
}  // namespace ciscouc
