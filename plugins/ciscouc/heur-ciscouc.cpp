// ciscouc: heuristic dissectors. Recognise UC protocols by payload (the
// signatures of heuristics/signatures.toml, matched by core/signatures.cpp)
// and hand them to Wireshark's own dissectors; RTP only on evidence (a
// documented media port and a consistent run, core/rtp.cpp). What is
// registered is the [[heuristic]] list of signatures.toml (kHeuristics).
#include "packet-ciscouc.h"

#include <array>
#include <utility>
#include <vector>

#include "core/rtp.h"
#include "core/signatures.h"

extern "C" {  // packet-rtp.h has no C++ guard
#include <epan/dissectors/packet-rtp.h>
}

namespace ciscouc {
namespace epan {
namespace {

std::vector<dissector_handle_t> heur_targets;  // the stock dissector of each signature
dissector_handle_t rtp_handle;
dissector_handle_t rtp_seen_handle;  // recognised RTP left undecoded (ciscouc.rtp_decode off)
heur_dtbl_entry_t *rtp_heuristic;  // ciscouc_rtp_udp, to honour its enabled state on owned ports

// One RtpRun per direction of a UDP conversation (file-scoped; the map
// resets with the file): a call's two streams have different SSRCs.
struct RtpRuns {
    address first_src;  // the direction is the sender: address and port
    guint32 first_src_port;
    bool announced;  // the stream was set up with rtp_add_address
    RtpVote vote;    // the core's runs and RTP-before-owner vote
};
wmem_map_t *rtp_runs = nullptr;  // conversation_t * -> RtpRuns

// The stack stays stock's: Wireshark added ciscouc as a layer when it called
// the heuristic (or the Decode As handle); the payload's layer belongs to the
// dissector called next, at the layer number stock gives it (epan/packet.c
// dissector_try_heuristic, call_dissector_work).
void drop_own_layer(packet_info *pinfo) {
    wmem_list_frame_t *last = pinfo->layers ? wmem_list_tail(pinfo->layers) : nullptr;
    if (last && GPOINTER_TO_INT(wmem_list_frame_data(last)) == proto_ciscouc) {
        wmem_list_remove_frame(pinfo->layers, last);
        pinfo->curr_layer_num--;
    }
}

// The signatures of heuristic I's protocol, on its transport.
template <size_t I>
ciscouc_heur_bool heur_signatures(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data) {
    const HeuristicInfo &h = kHeuristics[I];
    guint len = tvb_captured_length(tvb);
    if (len == 0) return FALSE;
    return hand_off(match_protocol(h.transport, h.protocol, tvb_get_ptr(tvb, 0, len), len), tvb, pinfo, tree, data);
}

// A recognised RTP stream, ciscouc.rtp_decode off: the payload stays UDP data,
// as stock shows it, and the postdissector sees RTP as this packet's evidence.
int dissect_rtp_seen(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *) {
    if (!PINFO_FD_VISITED(pinfo)) add_evidence(pinfo, kProtocolRtp);
    call_data_dissector(tvb, pinfo, tree);
    return static_cast<int>(tvb_captured_length(tvb));
}

// The RTP runs of this packet's UDP conversation, created on the first pass
// (nullptr on a later pass when the first never fed one).
RtpRuns *runs_of(packet_info *pinfo, conversation_t *conv) {
    auto *r = static_cast<RtpRuns *>(wmem_map_lookup(rtp_runs, conv));
    if (r || PINFO_FD_VISITED(pinfo)) return r;
    r = new (wmem_alloc(wmem_file_scope(), sizeof(RtpRuns))) RtpRuns();
    copy_address_wmem(wmem_file_scope(), &r->first_src, &pinfo->src);
    r->first_src_port = pinfo->srcport;
    wmem_map_insert(rtp_runs, conv, r);
    return r;
}

// Is this packet from the first sender its conversation's runs saw?
bool forward(packet_info *pinfo, const RtpRuns *r) {
    return pinfo->srcport == r->first_src_port && addresses_equal(&pinfo->src, &r->first_src);
}

bool parse_payload(tvbuff_t *tvb, RtpHeader *h) {
    guint len = tvb_captured_length(tvb);
    return len >= 12 && parse_rtp(tvb_get_ptr(tvb, 0, len), len, h);
}

// A confirmed run: RTP for the rest of the conversation, decoded by
// Wireshark's RTP dissector or left as data with RTP as evidence (ciscouc.rtp_decode).
void decode_confirmed(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data, conversation_t *conv,
                      RtpRuns *r) {
    drop_own_layer(pinfo);
    note_heuristic(pinfo, "rtp-run");
    if (!settings.rtp_decode) {
        // Every later packet of the conversation goes straight to the
        // evidence handler (UDP no longer tries every heuristic on it).
        conversation_set_dissector(conv, rtp_seen_handle);
        dissect_rtp_seen(tvb, pinfo, tree, data);
        return;
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
}

bool rtp_recognition_on() {
    if (settings.rtp_decode && !rtp_handle) return false;
    // Off in Enabled Protocols' heuristic list, it is off on owned ports too.
    return !rtp_heuristic || rtp_heuristic->enabled;
}

ciscouc_heur_bool heur_rtp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data) {
    if (settings.rtp_decode && !rtp_handle) return FALSE;
    if (!documented_media_port(static_cast<guint16>(pinfo->srcport)) &&
        !documented_media_port(static_cast<guint16>(pinfo->destport)))
        return FALSE;
    RtpHeader h;
    if (!parse_payload(tvb, &h)) return FALSE;
    conversation_t *conv = find_or_create_conversation(pinfo);
    RtpRuns *r = runs_of(pinfo, conv);
    if (!r) return FALSE;
    if (!PINFO_FD_VISITED(pinfo)) r->vote.feed(&h, forward(pinfo, r), pinfo->num);
    if (!r->vote.run_confirmed(forward(pinfo, r))) return FALSE;
    decode_confirmed(tvb, pinfo, tree, data, conv, r);
    return TRUE;
}

// heur_dissector_add passes no per-registration data: one instantiation of
// heur_signatures per row of kHeuristics.
template <size_t... I>
constexpr std::array<heur_dissector_t, sizeof...(I)> signature_heuristics(std::index_sequence<I...>) {
    return {heur_signatures<I>...};
}
constexpr auto kSignatureHeuristics = signature_heuristics(std::make_index_sequence<kHeuristicCount>());

}  // namespace

ciscouc_heur_bool hand_off(int sig, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data) {
    if (sig < 0 || !heur_targets[sig]) return FALSE;
    transparent_for_reassembly(pinfo);
    drop_own_layer(pinfo);
    note_heuristic(pinfo, kSignatures[sig].name);
    // A TCP stream recognised once is that protocol for the rest of the
    // conversation: from the next frame on, segments, stanzas and reassembly go
    // straight to it (this frame keeps showing what recognised it).
    if (pinfo->ptype == PT_TCP && !PINFO_FD_VISITED(pinfo))
        conversation_set_dissector_from_frame_number(find_or_create_conversation(pinfo), pinfo->num + 1,
                                                     heur_targets[sig]);
    call_dissector_with_data(heur_targets[sig], tvb, pinfo, tree, data);
    return TRUE;
}

RtpBeforeOwner rtp_before_owner(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data) {
    if (!rtp_recognition_on()) return RtpBeforeOwner::kOwner;
    conversation_t *conv = find_or_create_conversation(pinfo);
    RtpRuns *r = runs_of(pinfo, conv);
    if (!r) return RtpBeforeOwner::kOwner;
    RtpBeforeOwner v;
    if (PINFO_FD_VISITED(pinfo)) {
        v = r->vote.settle();
    } else {
        RtpHeader h;
        const bool rtp = parse_payload(tvb, &h);
        v = r->vote.before_owner(rtp ? &h : nullptr, forward(pinfo, r), pinfo->num);
    }
    if (v == RtpBeforeOwner::kRtp) decode_confirmed(tvb, pinfo, tree, data, conv, r);
    return v;
}

void register_heuristics() {
    rtp_runs = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash, g_direct_equal);
}

void init_heuristics() {
    heur_targets.assign(kSignatureCount, nullptr);
    for (size_t i = 0; i < kSignatureCount; ++i) {
        heur_targets[i] = find_dissector(kSignatures[i].dissector);
        if (!heur_targets[i])
            ws_warning("ciscouc: Wireshark has no dissector '%s' for signature '%s'", kSignatures[i].dissector,
                       kSignatures[i].name);
    }
    for (size_t i = 0; i < kHeuristicCount; ++i) {
        const HeuristicInfo &h = kHeuristics[i];
        heur_dissector_add(h.transport == kTcp ? "tcp" : "udp", h.rtp_run ? heur_rtp : kSignatureHeuristics[i],
                           h.display_name, h.short_name, proto_ciscouc, HEURISTIC_ENABLE);
    }
    for (size_t i = 0; i < kHeuristicCount; ++i)
        if (kHeuristics[i].rtp_run) rtp_heuristic = find_heur_dissector_by_unique_short_name(kHeuristics[i].short_name);
    rtp_handle = find_dissector("rtp");
    // No protocol: the payload stays UDP data with no ciscouc layer, as stock shows it.
    rtp_seen_handle = create_dissector_handle_with_name_and_description(
        dissect_rtp_seen, -1, "ciscouc.rtp_seen", "CiscoUC: RTP recognised by payload, left undecoded");
}

}  // namespace epan
}  // namespace ciscouc
