// ciscouc: ports where ciscouc stands in front of a stock dissector (the
// steal-port table from heuristics/signatures.toml `ports` / `sniff_ports`).
// On owned ports (X11 on 6000-6063, Foundation Fieldbus on 1089-1091, HiQnet
// on 3804, actrace on UDP 2428) the UC signatures listed for the port run
// first, then the stock owner; on sniffed ports (SIP over TCP, XMPP) the
// signatures only record evidence and the stock dissector decodes as usual.
// On UDP ports inside documented RTP ranges that a stock dissector owns, a
// consistent RTP run is recognised before the owner (rtp_before_owner).
// Decode As... CiscoUC on any other port tries every UC signature there.
#include "packet-ciscouc.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/signatures.h"

namespace ciscouc {
namespace epan {
namespace {

struct StolenPort {
    Transport t;
    guint16 port;
    dissector_handle_t original;
    bool media;  // a UDP port the guides document for RTP: the RTP run decides first
};
std::vector<StolenPort> stolen;
// Decode As... CiscoUC (ciscouc's protocol: switched off with it) and the
// port-table stand-ins (no protocol: Wireshark calls a disabled protocol's
// handle never, so these must run to hand the port back to its stock owner).
dissector_handle_t steal_tcp_handle, steal_udp_handle, port_tcp_handle, port_udp_handle;

bool ciscouc_enabled() { return proto_is_protocol_enabled(find_protocol_by_id(proto_ciscouc)) != FALSE; }

int dissect_stolen(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data, Transport t) {
    guint16 ports[2] = {static_cast<guint16>(pinfo->destport), static_cast<guint16>(pinfo->srcport)};
    guint len = tvb_captured_length(tvb);
    // ciscouc switched off: the port's stock owner decodes, as without the plugin.
    const bool active = ciscouc_enabled();
    const guint8 *bytes = len && active ? tvb_get_ptr(tvb, 0, len) : nullptr;
    for (int i = bytes ? steal_port(t, ports[1], ports[0], bytes, len) : -1; i >= 0;
         i = steal_port(t, ports[1], ports[0], bytes, len, i)) {
        const StealPort &sp = kStealPorts[i];
        if (sp.sniff) {
            // Evidence only: remember what the payload is, decode as usual.
            add_evidence(pinfo, kSignatures[sp.signature].protocol_index);
            break;
        }
        if (settings.steal && hand_off(static_cast<int>(sp.signature), tvb, pinfo, tree, data))
            return tvb_captured_length(tvb);
    }
    // The owner of the port the table matched (UDP and TCP try the lower
    // port, then the higher: epan/dissectors/packet-udp.c decode_udp_ports),
    // as stock calls it; else the destination's, then the source's.
    const StolenPort *owner = nullptr;
    bool owned_port = false;
    for (guint32 p : {pinfo->match_uint, guint32(ports[0]), guint32(ports[1])}) {
        if (p != ports[0] && p != ports[1]) continue;
        for (const StolenPort &s : stolen) {
            if (s.t != t || s.port != p) continue;
            owned_port = true;
            if (s.original && !owner) owner = &s;
        }
        if (owner) break;
    }
    if (owner) {
        if (active && owner->media) {
            // UC signalling (SIP, MGCP, RAS: the strict signatures) and RTP in
            // a documented RTP range before the game or fieldbus dissector
            // stock registered there (Quake on 26000, MINT on 24576).
            if (settings.steal && bytes && hand_off(match_any(t, bytes, len), tvb, pinfo, tree, data))
                return tvb_captured_length(tvb);
            RtpBeforeOwner v = rtp_before_owner(tvb, pinfo, tree, data);
            if (v == RtpBeforeOwner::kRtp) return tvb_captured_length(tvb);
            if (v == RtpBeforeOwner::kUndecided) mark_undecided(pinfo);
        }
        transparent_for_reassembly(pinfo);
        return call_dissector_only(owner->original, tvb, pinfo, tree, data);
    }
    // Chosen with Decode As on any other port: try every UC signature.
    if (!owned_port && active && bytes && hand_off(match_any(t, bytes, len), tvb, pinfo, tree, data))
        return tvb_captured_length(tvb);
    return 0;
}

int dissect_stolen_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data) {
    return dissect_stolen(tvb, pinfo, tree, data, kTcp);
}
int dissect_stolen_udp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data) {
    return dissect_stolen(tvb, pinfo, tree, data, kUdp);
}

void add_once(std::vector<std::string> *v, const std::string &s) {
    if (std::find(v->begin(), v->end(), s) == v->end()) v->push_back(s);
}

std::string join(const std::vector<std::string> &v, const char *sep, const char *last) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i == 0 ? "" : i + 1 == v.size() ? last : sep) + v[i];
    return out;
}

// "SCCP, SIP, H.225, XMPP, TLS": the protocols of the signatures Decode As tries on t.
std::string signature_protocols(Transport t) {
    std::vector<std::string> keys;
    for (size_t i = 0; i < kSignatureCount; ++i)
        if ((kSignatures[i].transports & t) && !kSignatures[i].evidence_only) add_once(&keys, kSignatures[i].protocol);
    return join(keys, ", ", ", ");
}

}  // namespace

const char *steal_ports_description() {
    // "On TCP 6000-6063, 1089-1091, 3804 and UDP 2428, hand SIP or TLS payloads
    // ...": written from the steal-port table (its owned, not sniffed, ports).
    static std::string text;
    if (!text.empty()) return text.c_str();
    std::vector<std::string> per_transport, protocols;
    for (Transport t : {kTcp, kUdp}) {
        std::vector<std::string> ranges;
        for (size_t i = 0; i < kStealPortCount; ++i) {
            const StealPort &sp = kStealPorts[i];
            if (sp.sniff || sp.transport != t) continue;
            add_once(&ranges, sp.lo == sp.hi ? std::to_string(sp.lo) : std::to_string(sp.lo) + "-" + std::to_string(sp.hi));
            add_once(&protocols, kSignatures[sp.signature].protocol);
        }
        if (!ranges.empty()) per_transport.push_back(std::string(t == kTcp ? "TCP " : "UDP ") + join(ranges, ", ", ", "));
    }
    text = "On " + join(per_transport, ", ", " and ") + ", hand " + join(protocols, ", ", " or ") +
           " payloads to their dissectors before the port's stock owner";
    return text.c_str();
}

void register_ports() {
    static const std::string tcp_text = "CiscoUC: UC signatures (" + signature_protocols(kTcp) + ") over TCP";
    static const std::string udp_text = "CiscoUC: UC signatures (" + signature_protocols(kUdp) + ") over UDP";
    steal_tcp_handle = create_dissector_handle_with_name_and_description(dissect_stolen_tcp, proto_ciscouc, "ciscouc.tcp",
                                                                         tcp_text.c_str());
    steal_udp_handle = create_dissector_handle_with_name_and_description(dissect_stolen_udp, proto_ciscouc, "ciscouc.udp",
                                                                         udp_text.c_str());
    port_tcp_handle = create_dissector_handle_with_name_and_description(
        dissect_stolen_tcp, -1, "ciscouc.port.tcp", "CiscoUC: UC signatures ahead of the port's stock owner (TCP)");
    port_udp_handle = create_dissector_handle_with_name_and_description(
        dissect_stolen_udp, -1, "ciscouc.port.udp", "CiscoUC: UC signatures ahead of the port's stock owner (UDP)");
    // Decode As... CiscoUC on any port tries the UC signatures there.
    dissector_add_for_decode_as("tcp.port", steal_tcp_handle);
    dissector_add_for_decode_as("udp.port", steal_udp_handle);
    dissector_table_t tcp_port = find_dissector_table("tcp.port");
    dissector_table_t udp_port = find_dissector_table("udp.port");
    for (size_t i = 0; i < kStealPortCount; ++i) {
        const StealPort &sp = kStealPorts[i];
        dissector_table_t table = sp.transport == kTcp ? tcp_port : udp_port;
        dissector_handle_t mine = sp.transport == kTcp ? port_tcp_handle : port_udp_handle;
        for (guint p = sp.lo; p <= sp.hi; ++p) {
            Transport t = static_cast<Transport>(sp.transport);
            bool known = std::any_of(stolen.begin(), stolen.end(),
                                     [&](const StolenPort &s) { return s.t == t && s.port == p; });
            if (known) continue;
            dissector_handle_t original = dissector_get_uint_handle(table, p);
            if (original == mine) continue;
            stolen.push_back(StolenPort{t, static_cast<guint16>(p), original, false});
            dissector_add_uint(sp.transport == kTcp ? "tcp.port" : "udp.port", p, mine);
        }
    }
    // Every UDP port the guides document for RTP that a stock dissector owns
    // (`tshark -G decodes`: Quake on 26000, MINT on 24576-24577, DNP3 on
    // 20000...): the port table runs before UDP's heuristics, so without
    // this stand-in RTP there would never reach heur_rtp.
    for (guint p = 1; p <= G_MAXUINT16; ++p) {
        if (!documented_media_port(static_cast<guint16>(p))) continue;
        dissector_handle_t original = dissector_get_uint_handle(udp_port, p);
        if (!original || original == port_udp_handle) continue;
        auto known = std::find_if(stolen.begin(), stolen.end(),
                                  [&](const StolenPort &s) { return s.t == kUdp && s.port == p; });
        if (known != stolen.end()) {
            known->media = true;  // a steal port in a media range: signatures, then the run, then the owner
            continue;
        }
        stolen.push_back(StolenPort{kUdp, static_cast<guint16>(p), original, true});
        dissector_add_uint("udp.port", p, port_udp_handle);
    }
}

}  // namespace epan
}  // namespace ciscouc
