// ciscouc: the epan layer's shared declarations (the plugin's support
// header, like the profinet plugin's packet-pn.h).
//
//   packet-ciscouc.cpp  fields, expert info, preferences, registration, the postdissector's tree
//   conversation.cpp    per-conversation state and evidence (conversation.h)
//   detect.cpp          which protocols a frame's layers show (detect.h)
//   heur-ciscouc.cpp    heuristic dissectors and RTP recognition
//   ports.cpp           owned (stolen) and sniffed ports, Decode As
//   allowlist.cpp       the site allow-list UAT (allowlist.h)
//   hosts.cpp           host roles from the UC dissectors' fields, -z ciscouc,hosts
//   stats.cpp           -z ciscouc,conv and the stats trees
//   plugin.cpp          the plugin entry points
#pragma once

#include <wireshark.h>
#include <epan/packet.h>
#include <epan/conversation.h>
#include <epan/expert.h>
#include <epan/prefs.h>
#include <epan/uat.h>
#include <epan/tap.h>
#include <epan/proto_data.h>
#include <epan/addr_resolv.h>
#include <epan/to_str.h>
#include <epan/dissectors/packet-tcp.h>

#include <cstdio>
#include <string>

#include "core/classify.h"
#include "core/flags.h"
#include "core/pipeline.h"
#include "core/roles.h"

#include "ws_compat.h"  // every Wireshark version bridge

namespace ciscouc {
namespace epan {

extern int proto_ciscouc;
extern int ciscouc_tap;
extern int hf_heuristic;  // ciscouc.heuristic: the signature that recognised a packet

// The ciscouc preferences (registered in packet-ciscouc.cpp).
enum DetailLevel : gint { kDetailsFull = 0, kDetailsCompact = 1, kDetailsConversation = 2 };
struct Settings {
    ciscouc_pref_bool labels = TRUE;                  // label conversations
    gint edition = -1;                       // preferred edition group, -1 all
    ciscouc_pref_bool only_preferred = FALSE;         // hide other editions' rows
    gint language = 0;                       // 0 English, 1 the guide's language
    ciscouc_pref_bool info_column = FALSE;            // append [UC: ...] to Info
    ciscouc_pref_bool flag[kFlagCount] = {};          // each flag on or off (all on at registration): use flag_on()
    gint details = kDetailsConversation;     // DetailLevel
    ciscouc_pref_bool steal = TRUE;                   // try UC signatures first on ports of unrelated dissectors
    ciscouc_pref_bool rtp_decode = FALSE;             // hand recognised RTP to Wireshark's RTP dissector
    gint claims = 0;                         // ClaimsMode (core/evidence.h): which uses are shown
    bool flag_on(Flag f) const { return flag[flag_index(f)] != FALSE; }
    // The core's labelling settings (core/pipeline.h) from these preferences
    // and the site allow-list.
    ciscouc::Settings labelling() const;
};
extern Settings settings;

// Per-packet payload evidence: the vocabulary protocol a packet's payload
// shows, recorded by a handler that does not decode it as that protocol (a
// sniffed port; recognised RTP left undecoded) and read by the
// postdissector. pinfo->pool proto data (it lives while the packet is
// dissected); the value is the protocol index + 1; the first record wins.
constexpr guint32 kEvidenceKey = 1;
inline void add_evidence(packet_info *pinfo, int protocol) {
    if (protocol >= 0 && !p_get_proto_data(pinfo->pool, pinfo, proto_ciscouc, kEvidenceKey))
        p_add_proto_data(pinfo->pool, pinfo, proto_ciscouc, kEvidenceKey, GINT_TO_POINTER(protocol + 1));
}
inline int packet_evidence(packet_info *pinfo) {
    gpointer ev = p_get_proto_data(pinfo->pool, pinfo, proto_ciscouc, kEvidenceKey);
    return ev ? GPOINTER_TO_INT(ev) - 1 : -1;
}

// Per-packet: the payload may still prove to be RTP (a consistent run not yet
// confirmed) on a port a stock dissector owns (a game or fieldbus dissector
// inside a documented RTP range; ports.cpp). The owner's decode is no evidence
// yet: detect() sees payload but no protocol, so no flag is raised on what
// the owner claims and then withdrawn when the run confirms.
constexpr guint32 kUndecidedKey = 3;
inline void mark_undecided(packet_info *pinfo) {
    p_add_proto_data(pinfo->pool, pinfo, proto_ciscouc, kUndecidedKey, GINT_TO_POINTER(1));
}
inline bool packet_undecided(packet_info *pinfo) {
    return p_get_proto_data(pinfo->pool, pinfo, proto_ciscouc, kUndecidedKey) != nullptr;
}

// The signature that recognised this packet's payload (ciscouc.heuristic),
// shown under the postdissector's tree: a field added where the heuristic
// runs would sit at the top of the tree, where io,phs counts it as a layer.
constexpr guint32 kHeuristicKey = 2;
inline void note_heuristic(packet_info *pinfo, const char *signature) {
    if (!p_get_proto_data(pinfo->pool, pinfo, proto_ciscouc, kHeuristicKey))
        p_add_proto_data(pinfo->pool, pinfo, proto_ciscouc, kHeuristicKey, const_cast<char *>(signature));
}
inline const char *packet_heuristic(packet_info *pinfo) {
    return static_cast<const char *>(p_get_proto_data(pinfo->pool, pinfo, proto_ciscouc, kHeuristicKey));
}

// heur-ciscouc.cpp: heuristic dissectors and RTP recognition.
void register_heuristics();  // at registration: file-scoped maps
void init_heuristics();      // at handoff: stock handles, heur_dissector_add
// Hand the payload to the stock dissector of signature `sig` (-1: FALSE).
ciscouc_heur_bool hand_off(int sig, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data);
// ciscouc sits between TCP and the dissector it calls: keep reassembly possible.
inline void transparent_for_reassembly(packet_info *pinfo) {
    // Every dissector call lowers pinfo->can_desegment by one, so without this
    // the called dissector (SIP over TCP, Skinny, Q.931/TPKT) could no longer
    // ask TCP to reassemble.
    pinfo->can_desegment = pinfo->saved_can_desegment;
}

// On a documented media port a stock dissector owns: the conversation's RTP
// run decides before the owner (the core's RtpVote). kRtp: confirmed, this
// packet was decoded as heur_rtp decodes RTP; kUndecided: the packets so far
// may still complete a run (the owner decodes, the packet is no evidence);
// kOwner: not RTP, the owner decodes as usual.
RtpBeforeOwner rtp_before_owner(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data);

// ports.cpp: owned and sniffed ports, Decode As.
const char *steal_ports_description();  // the try_uc_first help text, from the steal-port table
void register_ports();

// stats.cpp
void register_stats();

// A -z table (ciscouc,conv; ciscouc,hosts): a listener of the "ciscouc" tap
// with its own state T, drawn at the end; false, and tshark's message, when
// it cannot be registered.
template <typename T>
ciscouc_stat_init_ret register_table_tap(const char *name, tap_reset_cb reset, tap_packet_cb packet, tap_draw_cb draw) {
    auto *t = new T();
    GString *err = register_tap_listener("ciscouc", t, nullptr, TL_REQUIRES_NOTHING, reset, packet, draw,
                                         [](void *p) { delete static_cast<T *>(p); });
    if (!err) return ciscouc_stat_init_result(true);
    fprintf(stderr, "tshark: couldn't register %s tap: %s\n", name, err->str);
    g_string_free(err, TRUE);
    delete t;
    return ciscouc_stat_init_result(false);
}

// hosts.cpp: the capture's host table, fed from the UC dissectors' fields.
void hosts_register();
void hosts_handoff(dissector_handle_t postdissector);
// Apply what this packet's fields say about its sender and receiver; true
// when a host showed a new role. to_server: the packet goes to the listener.
bool observe_hosts(packet_info *pinfo, proto_tree *tree, bool to_server, bool sccp, bool ras);
// Every packet, before it is labelled: a session that continues the traffic
// of the one an epan reset ended (tshark -M) gets its hosts' roles back.
void hosts_session_packet(packet_info *pinfo);
HostTable &host_table();  // the capture's host table, which the core's Pipeline labels with
RoleSet host_roles(const address *a);
std::string host_key(const address *a);  // the host table's key for an address
guint32 host_roles_generation();
// The RTP dissector's rtp.setup-method and rtp.setup-frame in this packet's
// tree (media that signalling set up), read like the role fields.
bool rtp_setup_of(proto_tree *tree, const char **method, guint32 *frame);
// What this packet's payload says about which side serves, read like the role
// fields: a SIP status line (RFC 3261 section 7.2: the response to a request,
// sent by the side that received it) or a TFTP read/write request (RFC 1350:
// the requester's port is the client end of the transfer leg that follows).
enum class PayloadSide : guint8 { kNone, kSipStatus, kTftpRequest };
PayloadSide payload_side(proto_tree *tree);



// calls.cpp: the core's calls (core/calls.h), -z ciscouc,calls.
struct Conversation;
void calls_register();
void calls_wanted(GArray *wanted);  // the fields and protocol items the calls read
void observe_calls(packet_info *pinfo, proto_tree *tree, Transport t, const Conversation *conv);

// packet-ciscouc.cpp
void register_protocol();
void register_handoff();

}  // namespace epan
}  // namespace ciscouc
