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

#include "ws_compat.h"
#include "core/classify.h"

namespace ciscouc {
namespace epan {

extern int proto_ciscouc;
extern int ciscouc_tap;
extern int hf_heuristic;      // ciscouc.heuristic: the signature that recognised a packet
extern ciscouc_pref_bool pref_steal;   // try UC signatures first on ports of unrelated dissectors
extern ciscouc_pref_bool pref_rtp_decode;  // hand recognised RTP to Wireshark's RTP dissector

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

void register_protocol();
void register_handoff();
void register_stats();

const Candidate *state_candidates(const void *state, guint *count);
guint32 state_flags(const void *state);
const char *state_detected(const void *state);
guint16 state_listener(const void *state);
bool state_transport_tcp(const void *state);

}  // namespace epan
}  // namespace ciscouc
