// ciscouc: per-conversation state and the evidence that labels it. The
// postdissector builds the tree from it; the stats read it directly.
#pragma once

#include "packet-ciscouc.h"
#include "core/pipeline.h"

namespace ciscouc {
namespace epan {

// One TCP/UDP conversation, file-scoped (wmem_file_scope: freed with the
// file, rebuilt on re-dissection). The core's ConvState (evidence and label,
// decided by the core's Pipeline, core/pipeline.h) and what the epan layer
// keeps to show it: the hosts' addresses, the rows, and the texts of the
// tree, the column and the expert infos. Plain data, zero-initialised by wmem.
struct Conversation : ConvState {
    address client_addr, server_addr;  // in ConvState's client/server order
    Candidate *cand;             // the current label's documented uses, best first
    guint cand_count, cand_capacity;
    const char *reason[kFlagCount];  // why each flag was raised: use reason_of()
    const char *summary;         // ciscouc.summary, or nullptr
    const char *flags_text;      // ciscouc.flags, rebuilt only when the flags change
    const char *evidence_detail;         // "SIP payload in frame 3", or nullptr

    bool tcp() const { return transport == kTcp; }
    guint32 flag_frame_of(Flag f) const { return flag_frame[flag_index(f)]; }
    const char *reason_of(Flag f) const { return reason[flag_index(f)]; }
    // A flag whose expert info belongs to this frame.
    bool flag_raised_in(Flag f, guint32 frame) const { return has_flag(f) && flag_frame_of(f) == frame; }
    // The best documented use's entry, or nullptr.
    const Entry *best_entry() const { return cand_count ? &kEntries[kFlows[cand[0].flow].entry] : nullptr; }
};

// Relabel when a host of this conversation showed a role since it was last
// labelled (on any pass; the stats call it before they draw).
void conversation_refresh(Conversation *conv);
// A frame whose payload was SIP or MGCP, which carry SDP (first pass).
void note_signalling_frame(guint32 frame, int protocol);

// What the postdissector hands to the "ciscouc" tap for each TCP/UDP packet.
struct ciscouc_tap_info {
    const Conversation *conv;  // stable for the file
};

// The packet's conversation state, created on the first pass (nullptr when
// the packet has no conversation, or on a later pass for one never seen).
Conversation *conversation_of(packet_info *pinfo, Transport t);
// Collects the evidence of this packet's layers (first pass, first packets
// only) and relabels the conversation when it changes what is known.
void conversation_inspect(Conversation *conv, packet_info *pinfo, proto_tree *tree, Transport t);
// Creates the file-scoped maps (called at registration).
void register_conversations();

}  // namespace epan
}  // namespace ciscouc
