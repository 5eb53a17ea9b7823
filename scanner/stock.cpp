// ciscouc-scan's model of stock Wireshark (see stock.h).
#include "stock.h"

#include <cstring>

#include "signatures.h"

namespace ciscouc {
namespace scan {

namespace {

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

}  // namespace

const Framing kXmlFraming = {0, nullptr};
const Framing kKerberosFraming = {4, kerberos_pdu};
const Framing kLdapFraming = {7, ldap_pdu};
const Framing kPgsqlFraming = {5, pgsql_pdu};
const Framing kBitcoinFraming = {24, bitcoin_pdu};

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

namespace {

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

}  // namespace

const PortDissector *port_dissector(Transport t, uint16_t port) {
    for (const PortDissector &d : kPortDissectors)
        if (d.t == t && port >= d.lo && port <= d.hi) return &d;
    return nullptr;
}

bool signature_matches(Transport t, const char *protocol, bool evidence_too, const uint8_t *data, size_t len) {
    for (size_t i = 0; i < kSignatureCount; ++i) {
        const Signature &s = kSignatures[i];
        if ((s.transports & t) && (evidence_too || !s.evidence_only) && std::strcmp(s.protocol, protocol) == 0 &&
            match_signature(s, data, len))
            return true;
    }
    return false;
}

namespace {

// The heuristics a UDP or TCP payload meets when no port took it: ciscouc's
// own (SCCP, MGCP, H.225, H.245, RAS, XMPP: heur-ciscouc.cpp), and those of
// Wireshark's that UC captures meet, enabled by default: SIP (sip_udp,
// sip_tcp), HTTP and TLS over TCP (the request/status line, a handshake
// record: the core's http-request, http-response and tls-handshake
// signatures; then any TLS record header), DCE/RPC (a version 5 connection-oriented or version 4
// connectionless header, DCE 1.1 RPC chapter 12), BitTorrent DHT (a
// bencoded dictionary, BEP 5) and Bitcoin over TCP (a network's magic).
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
}  // namespace

bool rtcp_packet(Transport t, const uint8_t *d, size_t len, uint16_t dport) {
    return t == kUdp && (dport & 1) && len >= 8 && len % 4 == 0 && (d[0] >> 6) == 2 &&
           (d[1] == 200 || d[1] == 201 || d[1] == 204 || d[1] == 205 || d[1] == 206);
}

namespace {

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

}  // namespace

const Heuristic *heuristic(Transport t, const uint8_t *data, size_t len) {
    for (const Heuristic &h : kHeuristics)
        if (h.match(t, data, len)) return &h;
    return nullptr;
}

}  // namespace scan
}  // namespace ciscouc
