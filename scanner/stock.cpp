// ciscouc-scan's model of stock Wireshark (see stock.h).
#include "stock.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "signatures.h"
#include "wireshark_tables.h"

namespace ciscouc {
namespace scan {

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
    case Accept::kTapa: {
        if (len < 4) return false;
        const unsigned length = static_cast<unsigned>(d[2]) << 8 | d[3];
        // test_tapa_discover: TAPA_TYPE_REQUEST (1) to TAPA_TYPE_REPLY_NEW (4), a
        // length of 12-1472, a request's type TAPA_REQUEST_SERIAL (1) to
        // TAPA_REQUEST_MODEL (6).
        if (d[0] >= 1 && d[0] <= 4 && length >= 12 && length <= 1472 &&
            (d[0] != 1 || (len > 4 && d[4] >= 1 && d[4] <= 6)))
            return true;
        // test_tapa_tunnel: not IPv4 (version nibble below 4), zero at 2-3, tunnel type 0 or 1.
        return (d[0] & 0xf0) < 0x40 && length == 0 && d[1] <= 1;
    }
    case Accept::kSigComp: {
        size_t i = len >= 2 && d[0] == 0xff && d[1] == 0xff ? 2 : 0;
        return i < len && (d[i] & 0xf8) == 0xf8;
    }
    case Accept::kDnp3: {
        // check_dnp3_header: 0x05, then 0x64, then (a whole 10-byte header)
        // its CRC at 8, little-endian: DNP3's CRC-16 (reflected polynomial
        // 0xA6BC, complemented) of bytes 0-7.
        if (len < 1 || d[0] != 0x05 || (len > 1 && d[1] != 0x64)) return false;
        if (len < 10) return true;
        unsigned crc = 0;
        for (size_t i = 0; i < 8; ++i) {
            crc ^= d[i];
            for (int b = 0; b < 8; ++b) crc = crc & 1 ? (crc >> 1) ^ 0xA6BCu : crc >> 1;
        }
        return (~crc & 0xffffu) == (static_cast<unsigned>(d[9]) << 8 | d[8]);
    }
    case Accept::kRx:
        return len >= 28 && d[20] != 0 && (d[20] < 10 || d[20] == 13);
    case Accept::kEdonkeyUdp:
        // EDONKEY_PROTO_EDONKEY, _EMULE_EXT, _EMULE_COMP, _KADEMLIA,
        // _KADEMLIA_COMP, _ADU_KADEMLIA, _ADU_KADEMLIA_COMP (packet-edonkey.h).
        return len >= 2 && (d[0] == 0xe3 || d[0] == 0xc5 || d[0] == 0xd4 || d[0] == 0xe4 || d[0] == 0xe5 ||
                            d[0] == 0xa4 || d[0] == 0xa5);
    case Accept::kIpa:
        // RSL, HSL_DEBUG, OSMO_EXT, IPA_MGCP, AIP_SCCP, ABISIP_IPACCESS, ABISIP_OML.
        return len >= 4 && (d[2] < 0x20 || d[2] == 0xdd || d[2] == 0xee || d[2] >= 0xfc);
    case Accept::kNothing:
        return false;
    default:
        return true;
    }
}

namespace {

// What a stock dissector registered on a port does with a payload that is
// not its own, by its filter name (the port owners themselves are generated,
// wireshark_tables.h). A name not listed takes whatever is on its ports.
struct Behaviour {
    uint8_t transports;  // Transport bits
    const char *wireshark;
    Accept accept;
    const char *signature_protocol;  // for kSignature: vocabulary key of the signatures
    const Framing *framing;          // TCP: how it holds segments for more bytes
};
const Behaviour kBehaviours[] = {
    // dissect_ssl (packet-tls.c) returns 0 on a payload opening with four
    // printable characters.
    {kTcp, "tls", Accept::kNotText, nullptr, nullptr},
    // dissect_tns (packet-tns.c) returns 0 unless byte 4 is a packet type.
    {kTcp, "tns", Accept::kTnsType, nullptr, nullptr},
    // dissect_snmp (packet-snmp.c) returns 0 on UDP unless the datagram is
    // a BER SEQUENCE opening with the version's INTEGER.
    {kUdp, "snmp", Accept::kSnmpUdp, nullptr, nullptr},
    // dissect_skinny_tcp (packet-skinny.c), dissect_mgcp (packet-mgcp.c) and
    // dissect_sip over UDP (packet-sip.c dissect_sip_common) return 0 on what
    // is not theirs; SIP over TCP (dissect_sip_tcp) calls anything on its
    // port a continuation.
    {kTcp, "skinny", Accept::kSignature, "SCCP", nullptr},
    {kTcp | kUdp, "mgcp", Accept::kSignature, "MGCP", nullptr},
    {kUdp, "sip", Accept::kSignature, "SIP", nullptr},
    // The payload checks of stock.h's Accept, each in the function it names.
    {kUdp, "tapa", Accept::kTapa, nullptr, nullptr},
    {kTcp | kUdp, "sigcomp", Accept::kSigComp, nullptr, nullptr},
    {kTcp | kUdp, "dnp3", Accept::kDnp3, nullptr, nullptr},
    {kUdp, "rx", Accept::kRx, nullptr, nullptr},
    {kUdp, "edonkey", Accept::kEdonkeyUdp, nullptr, nullptr},
    {kTcp, "gsm_ipa", Accept::kIpa, nullptr, nullptr},
    // dissect_tpncp and dissect_tpncp_tcp (packet-tpncp.c) return 0 until
    // the TPNCP database is loaded, which the preference tpncp.load_db (off
    // by default) asks for.
    {kTcp | kUdp, "tpncp", Accept::kNothing, nullptr, nullptr},
    // Framing (framing.h): dissect_kerberos_tcp, dissect_ldap_tcp,
    // dissect_pgsql, dissect_ndps_tcp (tcp_dissect_pdus) and dissect_xmpp
    // hold segments.
    {kTcp, "kerberos", Accept::kAny, nullptr, &kKerberosFraming},
    {kTcp, "ldap", Accept::kAny, nullptr, &kLdapFraming},
    {kTcp, "pgsql", Accept::kAny, nullptr, &kPgsqlFraming},
    {kTcp, "ndps", Accept::kAny, nullptr, &kNdpsFraming},
    {kTcp, "xmpp", Accept::kAny, nullptr, &kXmlFraming},
};

const Behaviour *behaviour(Transport t, const char *wireshark) {
    for (const Behaviour &b : kBehaviours)
        if ((b.transports & t) && std::strcmp(b.wireshark, wireshark) == 0) return &b;
    return nullptr;
}

// The generated owners with their behaviours, built once.
const std::vector<PortDissector> &port_dissectors() {
    static const std::vector<PortDissector> table = [] {
        std::vector<PortDissector> v;
        v.reserve(kPortOwnerCount);
        for (size_t i = 0; i < kPortOwnerCount; ++i) {
            const PortOwner &o = kPortOwners[i];
            PortDissector d{o.t, o.lo, o.hi, o.wireshark};
            if (const Behaviour *b = behaviour(o.t, o.wireshark)) {
                d.accept = b->accept;
                d.signature_protocol = b->signature_protocol;
                d.framing = b->framing;
            }
            v.push_back(d);
        }
        return v;
    }();
    return table;
}

}  // namespace

const PortDissector *port_dissector(Transport t, uint16_t port) {
    const std::vector<PortDissector> &v = port_dissectors();
    // Sorted by transport, then port (codegen/wireshark.py): the last range
    // starting at or below the port.
    auto it = std::upper_bound(v.begin(), v.end(), std::make_pair(t, port), [](const std::pair<Transport, uint16_t> &k,
                                                                              const PortDissector &d) {
        return k.first != d.t ? k.first < d.t : k.second < d.lo;
    });
    if (it == v.begin()) return nullptr;
    --it;
    return it->t == t && port >= it->lo && port <= it->hi ? &*it : nullptr;
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

// Wireshark's heuristics the scanner implements (kMatchers below says which
// function of Wireshark each follows). DCE/RPC: a version 5
// connection-oriented or version 4 connectionless header (DCE 1.1 RPC
// chapter 12).
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

bool sip_heuristic(Transport t, const uint8_t *d, size_t len) {
    return signature_matches(t, "SIP", false, d, len) || sip_request_line(t, d, len);
}

// Wireshark's HTTP heuristic over TCP (packet-http.c dissect_http_heur_tcp):
// a request or status line, the core's http-request and http-response
// signatures.
bool http_heuristic(Transport t, const uint8_t *d, size_t len) { return signature_matches(t, "HTTP", true, d, len); }

bool tls_heuristic(Transport t, const uint8_t *d, size_t len) {
    return signature_matches(t, "TLS", false, d, len) || tls_record(t, d, len);
}

// The matchers the scanner implements for Wireshark's heuristics, by the
// heuristic's filter name (`tshark -G heuristic-decodes`); whether each
// exists in this Wireshark, and in what order they are tried, is generated.
struct Matcher {
    const char *wireshark;
    bool (*match)(Transport t, const uint8_t *data, size_t len);  // nullptr: rtcp_packet, which needs the port
    const Framing *framing;
};
const Matcher kMatchers[] = {
    {"sip", sip_heuristic, nullptr},        // packet-sip.c dissect_sip_heur, dissect_sip_tcp_heur
    {"http", http_heuristic, nullptr},      // packet-http.c dissect_http_heur_tcp
    {"tls", tls_heuristic, nullptr},        // packet-tls.c dissect_ssl_heur
    {"dtls", dtls_record, nullptr},         // packet-dtls.c dissect_dtls_heur
    {"quic", quic_long_header, nullptr},    // packet-quic.c dissect_quic_heur
    {"dcerpc", dcerpc_header, nullptr},     // packet-dcerpc.c dissect_dcerpc_cn_heur, dissect_dcerpc_dg_heur
    {"bt-dht", bt_dht, nullptr},            // packet-bt-dht.c dissect_bt_dht_heur
    {"bitcoin", bitcoin_magic, &kBitcoinFraming},  // packet-bitcoin.c dissect_bitcoin_heur
    // packet-rtcp.c dissect_rtcp_heur: Scanner::detect calls rtcp_packet after
    // the others (its matches open with version 2, which none of theirs do).
    {"rtcp", nullptr, nullptr},
};

const Matcher *matcher(const char *wireshark) {
    for (const Matcher &m : kMatchers)
        if (std::strcmp(m.wireshark, wireshark) == 0) return &m;
    return nullptr;
}

// The heuristics of each transport, in the order they are tried: ciscouc's
// own first (a plugin registers after the built-in dissectors, and
// heur_dissector_add in epan/packet.c prepends: last registered, first
// tried), then Wireshark's enabled ones the scanner has a matcher for. The
// RTP run (rtp_run) is Scanner::detect's own, after them.
struct HeuristicLists {
    std::vector<Heuristic> by_transport[2];  // tcp, udp
    // What the plugin's stack shows for what each ciscouc heuristic hands to:
    // the filter name its signature's dissector belongs to ("q931.tpkt": q931).
    char own_names[kHeuristicCount][32] = {};

    HeuristicLists() {
        for (size_t i = kHeuristicCount; i-- > 0;) {
            const HeuristicInfo &h = kHeuristics[i];
            if (h.rtp_run) continue;
            for (size_t k = 0; k < kSignatureCount; ++k) {
                const Signature &s = kSignatures[k];
                if (s.protocol_index != h.protocol || !(s.transports & h.transport) || s.evidence_only) continue;
                std::memcpy(own_names[i], s.dissector, std::min(std::strcspn(s.dissector, "."), sizeof own_names[i] - 1));
                Heuristic x{own_names[i], nullptr};
                x.protocol = h.protocol;
                by_transport[h.transport == kTcp ? 0 : 1].push_back(x);
                break;
            }
        }
        for (size_t i = 0; i < kWiresharkHeuristicCount; ++i) {
            const WiresharkHeuristic &w = kWiresharkHeuristics[i];
            const Matcher *m = w.enabled ? matcher(w.wireshark) : nullptr;
            if (m && m->match) by_transport[w.t == kTcp ? 0 : 1].push_back(Heuristic{m->wireshark, m->match, m->framing});
        }
    }
};

const HeuristicLists &heuristic_lists() {
    static const HeuristicLists lists;
    return lists;
}

const char *transport_name(Transport t) { return t == kTcp ? "tcp" : "udp"; }

}  // namespace

const Heuristic *heuristic(Transport t, const uint8_t *data, size_t len) {
    for (const Heuristic &h : heuristic_lists().by_transport[t == kTcp ? 0 : 1]) {
        bool hit = h.protocol >= 0 ? match_protocol(t, h.protocol, data, len) >= 0 : h.match(t, data, len);
        if (hit) return &h;
    }
    return nullptr;
}

void print_model(std::FILE *out) {
    for (const PortDissector &d : port_dissectors())
        for (uint32_t p = d.lo; p <= d.hi; ++p) std::fprintf(out, "%s.port\t%u\t%s\n", transport_name(d.t), p, d.wireshark);
    for (size_t i = 0; i < kWiresharkHeuristicCount; ++i) {
        const WiresharkHeuristic &w = kWiresharkHeuristics[i];
        std::fprintf(out, "%s\t%s\t%c\t%s\n", transport_name(w.t), w.wireshark, w.enabled ? 'T' : 'F',
                     matcher(w.wireshark) ? "scanned" : "skipped");
    }
    for (const Behaviour &b : kBehaviours)
        for (Transport t : {kTcp, kUdp}) {
            if (!(b.transports & t)) continue;
            std::fprintf(out, "behaviour\t%s\t%s\t%s\n", transport_name(t), b.wireshark, b.framing ? "framing" : "accept");
        }
}

}  // namespace scan
}  // namespace ciscouc
