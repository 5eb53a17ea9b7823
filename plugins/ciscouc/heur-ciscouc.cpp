// ciscouc: heuristic dissectors and port handlers.
//
// Recognise UC protocols by payload (signatures from heuristics/signatures.toml,
// matched by the pure core) and hand them to Wireshark's own dissectors; stand
// in front of unrelated stock dissectors on the UC ports they own (X11, FF,
// HiQnet, actrace) and sniff lenient ports (SIP over TCP, XMPP) for evidence
// without changing how they decode; RTP only on evidence.
#include "ciscouc_epan.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/heuristics.h"

extern "C" {  // packet-rtp.h has no C++ guard
#include <epan/dissectors/packet-rtp.h>
}

namespace ciscouc {
namespace epan {
namespace {

// ---- Heuristics: recognise UC protocols by payload, hand to stock dissectors.

std::vector<dissector_handle_t> heur_targets;  // the stock dissector of each signature
dissector_handle_t rtp_handle;
dissector_handle_t rtp_seen_handle;  // recognised RTP left undecoded (ciscouc.rtp_decode off)

// ciscouc sits between TCP and the dissector it calls. Every dissector call
// lowers pinfo->can_desegment by one, so without this the called dissector
// (SIP over TCP, Skinny, Q.931/TPKT) could no longer ask TCP to reassemble.
void transparent_for_reassembly(packet_info *pinfo) {
    pinfo->can_desegment = pinfo->saved_can_desegment;
}

ciscouc_heur_bool hand_off(int sig, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data) {
    if (sig < 0 || !heur_targets[sig]) return FALSE;
    transparent_for_reassembly(pinfo);
    proto_item *hi = proto_tree_add_string(tree, hf_heuristic, tvb, 0, 0, kSignatures[sig].name);
    proto_item_set_generated(hi);
    // A TCP stream recognised once is that protocol for the rest of the
    // conversation: from the next frame on, segments, stanzas and reassembly go
    // straight to it (this frame keeps showing what recognised it).
    if (pinfo->ptype == PT_TCP && !PINFO_FD_VISITED(pinfo))
        conversation_set_dissector_from_frame_number(find_or_create_conversation(pinfo), pinfo->num + 1,
                                                     heur_targets[sig]);
    call_dissector_with_data(heur_targets[sig], tvb, pinfo, tree, data);
    return TRUE;
}

int match_for(Transport t, tvbuff_t *tvb, const char *protocol_key) {
    guint len = tvb_captured_length(tvb);
    if (len == 0) return -1;
    const guint8 *data = tvb_get_ptr(tvb, 0, len);
    for (size_t i = 0; i < kSignatureCount; ++i) {
        const Signature &s = kSignatures[i];
        if (!(s.transports & t) || s.evidence_only || strcmp(s.protocol, protocol_key) != 0) continue;
        if (match_signature(s, data, len)) return static_cast<int>(i);
    }
    return -1;
}

template <Transport T, const char *Key>
ciscouc_heur_bool heur_proto(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data) {
    return hand_off(match_for(T, tvb, Key), tvb, pinfo, tree, data);
}

const char kSCCP[] = "SCCP", kMGCP[] = "MGCP", kSIP[] = "SIP", kH225[] = "H.225", kRAS[] = "RAS",
           kXMPP[] = "XMPP", kTLS[] = "TLS";

// RTP only on evidence: a UDP conversation on a port the guides document
// for RTP, whose packets form a consistent RTP v2 run (same SSRC, advancing
// sequence and timestamp). Random UDP never becomes RTP.
bool documented_media_port(guint16 port) {
    static int rtp = protocol_by_key("RTP");
    for (uint16_t f : lookup_port(kUdp, port))
        if (entry_has_protocol(kEntries[kFlows[f].entry], rtp)) return true;
    return false;
}

// A recognised RTP stream, ciscouc.rtp_decode off: the payload stays UDP data,
// as stock shows it, and the postdissector sees RTP as this packet's evidence.
int dissect_rtp_seen(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *) {
    static const int rtp = protocol_by_key("RTP");
    if (!PINFO_FD_VISITED(pinfo)) add_evidence(pinfo, rtp);
    call_data_dissector(tvb, pinfo, tree);
    return static_cast<int>(tvb_captured_length(tvb));
}

ciscouc_heur_bool heur_rtp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data) {
    if (pref_rtp_decode && !rtp_handle) return FALSE;
    if (!documented_media_port(static_cast<guint16>(pinfo->srcport)) &&
        !documented_media_port(static_cast<guint16>(pinfo->destport)))
        return FALSE;
    guint len = tvb_captured_length(tvb);
    RtpHeader h;
    if (len < 12 || !parse_rtp(tvb_get_ptr(tvb, 0, len), len, &h)) return FALSE;
    conversation_t *conv = find_or_create_conversation(pinfo);
    // One RtpRun per direction of the conversation (file-scoped; the map
    // resets with the file): a call's two streams have different SSRCs.
    struct Runs {
        address first_src;  // the direction is the sender: address and port
        guint32 first_src_port;
        RtpRun fwd, rev;
        bool announced;  // the stream was set up with rtp_add_address
    };
    static wmem_map_t *runs = nullptr;
    if (!runs) runs = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash, g_direct_equal);
    auto *r = static_cast<Runs *>(wmem_map_lookup(runs, conv));
    if (!r) {
        if (PINFO_FD_VISITED(pinfo)) return FALSE;
        r = new (wmem_alloc(wmem_file_scope(), sizeof(Runs))) Runs();
        copy_address_wmem(wmem_file_scope(), &r->first_src, &pinfo->src);
        r->first_src_port = pinfo->srcport;
        wmem_map_insert(runs, conv, r);
    }
    bool forward = pinfo->srcport == r->first_src_port && addresses_equal(&pinfo->src, &r->first_src);
    RtpRun &run = forward ? r->fwd : r->rev;
    if (!PINFO_FD_VISITED(pinfo)) run.feed(h);
    if (!run.confirmed()) return FALSE;
    proto_item_set_generated(proto_tree_add_string(tree, hf_heuristic, tvb, 0, 0, "rtp-run"));
    if (!pref_rtp_decode) {
        // Every later packet of the conversation goes straight to the
        // evidence handler (UDP no longer tries every heuristic on it).
        conversation_set_dissector(conv, rtp_seen_handle);
        dissect_rtp_seen(tvb, pinfo, tree, data);
        return TRUE;
    }
    if (!PINFO_FD_VISITED(pinfo) && !r->announced) {
        // Set the stream up the way SDP and Skinny do (packet-rtp.h): RTP
        // then keeps one conversation record per direction and shows "Stream
        // setup by ciscouc (frame N)". Without it, Wireshark 4.0's RTP
        // dissector finds this conversation without RTP data and creates a
        // new conversation for every packet it decodes.
        r->announced = true;
        rtp_add_address(pinfo, PT_UDP, &pinfo->net_dst, static_cast<int>(pinfo->destport),
                        static_cast<int>(pinfo->srcport), "ciscouc", pinfo->num, 0, nullptr);
        rtp_add_address(pinfo, PT_UDP, &pinfo->net_src, static_cast<int>(pinfo->srcport),
                        static_cast<int>(pinfo->destport), "ciscouc", pinfo->num, 0, nullptr);
    }
    conversation_set_dissector(conv, rtp_handle);
    call_dissector_with_data(rtp_handle, tvb, pinfo, tree, data);
    return TRUE;
}

// ---- Ports that unrelated stock dissectors own (X11 on 6000-6063,
// Foundation Fieldbus on 1089-1091, HiQnet on 3804, actrace on UDP 2428):
// try the UC signatures listed for the port first, then the stock owner.
struct StolenPort {
    Transport t;
    guint16 port;
    dissector_handle_t original;
};
std::vector<StolenPort> stolen;
dissector_handle_t steal_tcp_handle, steal_udp_handle;

int dissect_stolen(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data, Transport t) {
    guint16 ports[2] = {static_cast<guint16>(pinfo->destport), static_cast<guint16>(pinfo->srcport)};
    guint len = tvb_captured_length(tvb);
    const guint8 *bytes = len ? tvb_get_ptr(tvb, 0, len) : nullptr;
    for (size_t i = 0; i < kStealPortCount && bytes; ++i) {
        const StealPort &sp = kStealPorts[i];
        if (sp.transport != t) continue;
        bool on = (ports[0] >= sp.lo && ports[0] <= sp.hi) || (ports[1] >= sp.lo && ports[1] <= sp.hi);
        if (!on || !match_signature(kSignatures[sp.signature], bytes, len)) continue;
        if (sp.sniff) {
            // Evidence only: remember what the payload is, decode as usual.
            add_evidence(pinfo, protocol_by_key(kSignatures[sp.signature].protocol));
            break;
        }
        if (pref_steal && hand_off(static_cast<int>(sp.signature), tvb, pinfo, tree, data))
            return tvb_captured_length(tvb);
    }
    bool owned_port = false;
    for (guint16 p : ports)
        for (const StolenPort &s : stolen) {
            if (s.t != t || s.port != p) continue;
            owned_port = true;
            if (s.original) {
                transparent_for_reassembly(pinfo);
                return call_dissector_only(s.original, tvb, pinfo, tree, data);
            }
        }
    // Chosen with Decode As on any other port: try every UC signature.
    if (!owned_port && bytes && hand_off(match_any(t, bytes, len), tvb, pinfo, tree, data))
        return tvb_captured_length(tvb);
    return 0;
}

int dissect_stolen_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data) {
    return dissect_stolen(tvb, pinfo, tree, data, kTcp);
}
int dissect_stolen_udp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data) {
    return dissect_stolen(tvb, pinfo, tree, data, kUdp);
}

}  // namespace

void init_heuristics() {
    heur_targets.assign(kSignatureCount, nullptr);
    for (size_t i = 0; i < kSignatureCount; ++i) {
        heur_targets[i] = find_dissector(kSignatures[i].dissector);
        if (!heur_targets[i])
            ws_warning("ciscouc: Wireshark has no dissector '%s' for signature '%s'", kSignatures[i].dissector,
                       kSignatures[i].name);
    }
    heur_dissector_add("tcp", heur_proto<kTcp, kSCCP>, "Skinny (SCCP) on any TCP port (ciscouc)", "ciscouc_sccp_tcp",
                       proto_ciscouc, HEURISTIC_ENABLE);
    heur_dissector_add("udp", heur_proto<kUdp, kMGCP>, "MGCP on any UDP port (ciscouc)", "ciscouc_mgcp_udp",
                       proto_ciscouc, HEURISTIC_ENABLE);
    heur_dissector_add("tcp", heur_proto<kTcp, kH225>, "H.225/Q.931 over TPKT on any TCP port (ciscouc)",
                       "ciscouc_h225_tcp", proto_ciscouc, HEURISTIC_ENABLE);
    heur_dissector_add("udp", heur_proto<kUdp, kRAS>, "H.225 RAS on any UDP port (ciscouc)", "ciscouc_ras_udp",
                       proto_ciscouc, HEURISTIC_ENABLE);
    heur_dissector_add("tcp", heur_proto<kTcp, kXMPP>, "XMPP stream on any TCP port (ciscouc)", "ciscouc_xmpp_tcp",
                       proto_ciscouc, HEURISTIC_ENABLE);
    heur_dissector_add("udp", heur_rtp, "RTP in documented UC media ranges, on evidence (ciscouc)",
                       "ciscouc_rtp_udp", proto_ciscouc, HEURISTIC_ENABLE);
    rtp_handle = find_dissector("rtp");
    rtp_seen_handle = create_dissector_handle_with_name_and_description(
        dissect_rtp_seen, proto_ciscouc, "ciscouc.rtp_seen", "CiscoUC: RTP recognised by payload, left undecoded");

    steal_tcp_handle = create_dissector_handle_with_name_and_description(
        dissect_stolen_tcp, proto_ciscouc, "ciscouc.tcp", "CiscoUC: UC signatures (SCCP, SIP, H.225, XMPP, TLS) over TCP");
    steal_udp_handle = create_dissector_handle_with_name_and_description(
        dissect_stolen_udp, proto_ciscouc, "ciscouc.udp", "CiscoUC: UC signatures (MGCP, SIP, RAS) over UDP");
    // Decode As... CiscoUC on any port tries the UC signatures there.
    dissector_add_for_decode_as("tcp.port", steal_tcp_handle);
    dissector_add_for_decode_as("udp.port", steal_udp_handle);
    dissector_table_t tcp_port = find_dissector_table("tcp.port");
    dissector_table_t udp_port = find_dissector_table("udp.port");
    for (size_t i = 0; i < kStealPortCount; ++i) {
        const StealPort &sp = kStealPorts[i];
        dissector_table_t table = sp.transport == kTcp ? tcp_port : udp_port;
        dissector_handle_t mine = sp.transport == kTcp ? steal_tcp_handle : steal_udp_handle;
        for (guint p = sp.lo; p <= sp.hi; ++p) {
            Transport t = static_cast<Transport>(sp.transport);
            bool known = std::any_of(stolen.begin(), stolen.end(),
                                     [&](const StolenPort &s) { return s.t == t && s.port == p; });
            if (known) continue;
            dissector_handle_t original = dissector_get_uint_handle(table, p);
            if (original == mine) continue;
            stolen.push_back(StolenPort{t, static_cast<guint16>(p), original});
            dissector_add_uint(sp.transport == kTcp ? "tcp.port" : "udp.port", p, mine);
        }
    }
}

}  // namespace epan
}  // namespace ciscouc
