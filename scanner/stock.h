// ciscouc-scan's model of stock Wireshark: which dissector takes a TCP or
// UDP payload when no signalling set the conversation up and no UC signature
// stood in front of the port (the port owners, what each owner accepts, the
// heuristics), and which stock TCP dissectors hold segments until a PDU is
// complete (framing.h). The plugin learns all of this from Wireshark's
// protocol stack; the scanner decides it here, in the order Wireshark's TCP
// and UDP dissectors try them (epan/dissectors/packet-tcp.c decode_tcp_ports,
// packet-udp.c decode_udp_ports).
//
// Which dissector owns which port and which heuristics Wireshark has, in
// which order, is generated at build time from the Wireshark the project
// builds against (wireshark_tables.h, codegen/wireshark.py). Kept by hand in
// stock.cpp, keyed by the dissector's filter name: what an owner does with a
// payload that is not its own (its behaviour), and the heuristic matchers the
// scanner implements.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "catalog.h"
#include "framing.h"

namespace ciscouc {
namespace scan {

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
    kTapa,       // TAPA (dissect_tapa_static in packet-tapa.c): test_tapa_discover's type,
                 // length and request type, or test_tapa_tunnel's version and tunnel type
    kSigComp,    // SigComp (dissect_sigcomp, dissect_sigcomp_tcp in packet-sigcomp.c): the
                 // first byte (after a 0xFFFF delimiter on TCP) opens with five 1 bits
    kDnp3,       // DNP 3.0 (dissect_dnp3_tcp, dissect_dnp3_udp in packet-dnp.c,
                 // check_dnp3_header): the start bytes 0x05 0x64 and the header's CRC
    kRx,         // AFS RX (dissect_rx in packet-rx.c): 28 bytes or more, a known packet
                 // type (1-9, 13) at byte 20
    kEdonkeyUdp, // eDonkey over UDP (dissect_edonkey_udp in packet-edonkey.c): 2 bytes or
                 // more, opening with a protocol of edonkey_protocols
    kIpa,        // ip.access (dissect_ipa in packet-gsm_ipa.c): 4 bytes or more, byte 2 a
                 // stream id of ipa_protocol_vals or an RSL one (below ABISIP_RSL_MAX)
    kNothing,    // rejects every payload with Wireshark's default preferences
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
    int16_t protocol = -1;  // ciscouc's own: the protocol (index) whose signatures it tries, not match
};
// The first heuristic that takes the payload, or nullptr: ciscouc's own (the
// plugin's, core kHeuristics), then Wireshark's enabled ones the scanner has
// a matcher for, in Wireshark's order (its others are skipped: print_model
// lists them).
const Heuristic *heuristic(Transport t, const uint8_t *data, size_t len);

// Wireshark's RTCP heuristic (packet-rtcp.c dissect_rtcp_heur).
bool rtcp_packet(Transport t, const uint8_t *d, size_t len, uint16_t dport);

// The model as text (ciscouc-scan --wireshark-model), for tests to hold
// against tshark: one "tcp.port<TAB>PORT<TAB>OWNER" line per registered
// port, as `tshark -G decodes` prints them; one "tcp<TAB>NAME<TAB>T|F<TAB>
// scanned|skipped" line per entry of Wireshark's tcp and udp heuristic
// lists, in its order, as `tshark -G heuristic-decodes` prints them, with
// whether the scanner has a matcher; one "behaviour<TAB>tcp|udp<TAB>NAME
// <TAB>WHAT" line per behaviour rule.
void print_model(std::FILE *out);

}  // namespace scan
}  // namespace ciscouc
