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

namespace ciscouc {
namespace epan {

extern int proto_ciscouc;
extern int ciscouc_tap;
extern int hf_heuristic;      // ciscouc.heuristic: the signature that recognised a packet
extern gboolean pref_steal;   // try UC signatures first on ports of unrelated dissectors
extern gboolean pref_rtp_decode;  // hand recognised RTP to Wireshark's RTP dissector

// Per-packet payload evidence recorded by the sniffing port handler
// (p_add_proto_data key; the value is the signature index + 1).
constexpr guint32 kEvidenceKey = 1;
// A packet of an RTP stream recognised by ciscouc_rtp_udp and left undecoded
// (pinfo->pool proto data: the evidence lives only while the packet is dissected).
constexpr guint32 kRtpSeenKey = 2;

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
