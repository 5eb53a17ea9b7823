// ciscouc: per-conversation state and the evidence that labels it. The
// postdissector builds the tree from it; the stats read it directly.
#pragma once

#include "packet-ciscouc.h"
#include "core/evidence.h"

namespace ciscouc {
namespace epan {

// One TCP/UDP conversation, file-scoped (wmem_file_scope: freed with the
// file, rebuilt on re-dissection). Plain data, zero-initialised by wmem.
struct Conversation {
    Transport transport;
    address client_addr, server_addr;
    guint16 client_port, server_port;
    Direction direction;  // how the client/server order was known at creation
    bool same_host;
    int detected;                // vocabulary protocol index, or -1
    const char *detected_other;  // a Wireshark filter name outside the vocabulary, or nullptr
    Candidate *cand;             // the current label's documented uses, best first
    guint cand_count, cand_capacity;
    guint16 listener_port;       // 0 when both ports are labelled
    Direction label_direction;
    guint32 flags;               // flag_bit() of each raised flag
    guint32 flag_frame[kFlagCount];  // where each flag first held: use flag_frame_of()
    const char *reason[kFlagCount];  // why: use reason_of()
    const char *summary;         // ciscouc.summary, or nullptr
    const char *flags_text;      // ciscouc.flags, rebuilt only when the flags change
    ProtocolSet seen;
    bool tls_seen, payload_seen;
    bool nr_pending;      // not_recommended waits for evidence that the listener is a Unified CM
    guint16 inspected;    // packets whose layers were inspected (bounded)
    guint32 first_frame;  // the conversation's first frame
    guint32 label_frame;  // the frame whose evidence decided the current label
    // Evidence (core/evidence.h): the first row's claim and what shows it.
    Claim claim;
    bool shown;                          // the first row is shown as the purpose (ciscouc.claims)
    const char *evidence_detail;         // "SIP payload in frame 3", or nullptr
    RoleSet client_roles, server_roles;  // of the hosts at client_addr / server_addr
    guint32 roles_generation;            // host_roles_generation() when last labelled
    int media_protocol;                  // signalling that set this media stream up, or -1
    guint32 media_frame;                 // the frame that set it up
    guint32 payload_frame;               // the frame whose payload showed `detected`

    bool tcp() const { return transport == kTcp; }
    bool has_flag(Flag f) const { return (flags & flag_bit(f)) != 0; }
    guint32 flag_frame_of(Flag f) const { return flag_frame[flag_index(f)]; }
    const char *reason_of(Flag f) const { return reason[flag_index(f)]; }
    // A flag whose expert info belongs to this frame.
    bool flag_raised_in(Flag f, guint32 frame) const { return has_flag(f) && flag_frame_of(f) == frame; }
    // ciscouc.detected: the vocabulary key, the other Wireshark name, or "".
    const char *detected_name() const {
        return detected >= 0 ? kProtocols[detected].key : detected_other ? detected_other : "";
    }
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
