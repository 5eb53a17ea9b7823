// ciscouc: shared declarations of the epan layer (the plugin's support
// header, like the profinet plugin's packet-pn.h).
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

#include "core/classify.h"
#include "core/roles.h"

#include <string>

// Version bridges (field_info's value became a pointer in Wireshark 4.2; the
// telephony stats group was renamed).
#if WIRESHARK_VERSION_MAJOR > 4 || (WIRESHARK_VERSION_MAJOR == 4 && WIRESHARK_VERSION_MINOR >= 2)
#define CISCOUC_FVALUE(fi) ((fi)->value)
#define CISCOUC_STAT_GROUP REGISTER_TELEPHONY_GROUP_UNSORTED
#else
#define CISCOUC_FVALUE(fi) (&(fi)->value)
#define CISCOUC_STAT_GROUP REGISTER_STAT_GROUP_TELEPHONY
#endif

namespace ciscouc {
namespace epan {

extern int proto_ciscouc;
extern int ciscouc_tap;
extern int hf_heuristic;      // ciscouc.heuristic: the signature that recognised a packet
extern gboolean pref_steal;   // try UC signatures first on ports of unrelated dissectors
extern gboolean pref_rtp_decode;  // hand recognised RTP to Wireshark's RTP dissector

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

// Heuristic dissectors, stolen and sniffed ports, Decode As (heur-ciscouc.cpp).
void init_heuristics();

// What the postdissector hands to the "ciscouc" tap for each TCP/UDP packet.
struct ciscouc_tap_info {
    const void *state;  // the conversation's state (stable for the file)
};

// Host roles (hosts.cpp): the capture's host table, fed from the UC
// dissectors' fields.
void hosts_register();
void hosts_handoff(dissector_handle_t postdissector);
// Apply what this packet's fields say about its sender and receiver; true
// when a host showed a new role. to_server: the packet goes to the listener.
bool observe_hosts(packet_info *pinfo, proto_tree *tree, bool to_server, bool sccp, bool ras);
void add_host_role(const address *a, int role, int protocol, guint32 frame);
RoleSet host_roles(const address *a);
std::string host_key(const address *a);  // the host table's key for an address
RoleSet host_roles_by_key(const std::string &key);
guint32 host_roles_generation();

void register_protocol();
void register_handoff();
void register_stats();

const Candidate *state_candidates(const void *state, guint *count);
guint32 state_flags(const void *state);
const char *state_detected(const void *state);
guint16 state_listener(const void *state);
bool state_transport_tcp(const void *state);
const char *state_claim(const void *state);          // "confirmed", "possible" or ""
const char *state_evidence_detail(const void *state);
RoleSet state_client_roles(const void *state);       // roles of the row's client (sender) host
RoleSet state_server_roles(const void *state);
bool state_shown(const void *state);                 // the first row is shown as the purpose (ciscouc.claims)
// Bring a conversation's label up to date with the host table (a role
// learnt after its last packet), as the stats do before they draw.
void state_refresh(const void *state);

}  // namespace epan
}  // namespace ciscouc
