// ciscouc core: the conversation pipeline both engines call. The Wireshark
// plugin (plugins/ciscouc/) and ciscouc-scan (scanner/) are adapters: each
// turns what it sees (epan's protocol stack and fields; raw packets through
// its own model of stock Wireshark) into the events below, and keeps its own
// endpoints and presentation. Every labelling decision is made here, once:
//
//   open()        a new conversation is labelled from its ports alone;
//   inspect()     one of its first kInspectPackets packets: what the payload
//                 shows (the detected protocol, TLS, carried protocols, media
//                 set up by signalling), orientation by payload, relabel;
//   refresh()     a host showed a new role since the conversation was
//                 labelled: label it again.
//
// A label is classify() (classify.h), weighed against the capture's evidence
// (evidence.h weigh), the "a Unified CM listens here" host rule (roles.h),
// then the flags (flags.h evaluate_flags) with the site allow-list and the
// per-flag switches of Settings. EvidenceInput and FlagInput are filled here
// only.
//
// Also here, because both adapters need them: the RTP-before-owner vote on
// documented media ports a stock dissector owns (RtpVote), the ports where
// ciscouc stands in front of a stock dissector (steal_port), and the
// documented media ports themselves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "catalog.h"
#include "classify.h"
#include "evidence.h"
#include "flags.h"
#include "roles.h"
#include "rtp.h"
#include "signatures.h"

namespace ciscouc {

// A conversation's first packets carry the evidence (payload signatures,
// STARTTLS, carried protocols); later packets only show the label.
constexpr uint16_t kInspectPackets = 32;

// ---- The site allow-list: ports where a site runs a UC protocol on purpose,
// which silences unexpected_port there. The plugin's UAT
// ("ciscouc_allowed_ports") and ciscouc-scan --allow FILE (the same file)
// feed it.
struct AllowRule {
    Transport transport = kTransportNone;
    uint16_t lo = 0, hi = 0;
    int protocol = -1;  // vocabulary index
};

class AllowList {
public:
    // Checks and parses one record's fields ("tcp", "5070" or "5065-5070",
    // "SIP"); returns "" or what is wrong with it.
    static std::string parse(const char *transport, const char *ports, const char *protocol, AllowRule *out);
    // Reads a UAT file as Wireshark writes it (one record a line: quoted,
    // comma-separated fields transport, ports, protocol, comment; '#' starts
    // a comment line). False with "FILE:LINE: reason" in *err on the first bad
    // record, or when the file cannot be read; nothing is kept then.
    bool load(const std::string &path, std::string *err);
    void add(const AllowRule &r) { rules_.push_back(r); }
    void clear() { rules_.clear(); }
    size_t size() const { return rules_.size(); }
    bool allows(Transport t, unsigned port, int protocol) const;

private:
    std::vector<AllowRule> rules_;
};

// ---- What the user chose: the plugin's preferences, the scanner's options.
struct Settings {
    Prefs prefs;                                  // ciscouc.edition, ciscouc.only_preferred
    ClaimsMode claims = ClaimsMode::kConfirmed;   // ciscouc.claims
    uint32_t flags_off = 0;                       // flag_bit() of each flag switched off (ciscouc.flag_NAME)
    const AllowList *allow = nullptr;             // the site allow-list, or none
    bool flag_on(Flag f) const { return (flags_off & flag_bit(f)) == 0; }
};

// ---- What one packet's payload shows, as the adapter saw it.
struct Detection {
    int protocol = -1;            // the first application protocol (vocabulary index, as the
                                  // stack shows it: inspect() applies [transport_remap])
    const char *other = nullptr;  // or its Wireshark filter name when not in the vocabulary
    ProtocolSet seen;             // every vocabulary protocol in the packet, `protocol` included
                                  // (SMB inside NBSS)
    bool tls = false;             // TLS anywhere after the transport
    bool payload = false;         // any application bytes at all (even undecoded data)
    bool any() const { return protocol >= 0 || other; }
};

// Which side serves, as the first payload says it (no handshake): read by
// the adapter from the packet when needs_orientation() asks for it.
struct PayloadSides {
    bool sip_status = false;  // a SIP status line (RFC 3261 section 7.2: sent by the side that got the request)
    bool from_client = false; // the packet comes from the conversation's client end
    uint16_t dst_port = 0;    // the packet's destination port
    // A TFTP read/write request (RFC 1350 section 4) came earlier from this
    // conversation's client end (or server end) to the other end's host: the
    // transfer leg is served by the host the requester asked.
    bool tftp_asked_from_client = false, tftp_asked_from_server = false;
};

// Media that signalling in the capture set up (SDP, Skinny, MGCP, H.245).
struct MediaSetup {
    int protocol = -1;   // the signalling protocol, or -1
    uint32_t frame = 0;  // the frame that set it up
};

// The addresses of a conversation's two hosts, as the host table keys them
// (the epan layer's address_to_str, the scanner's inet_ntop). The adapter
// keeps them in the client/server order of ConvState.
struct HostKeys {
    std::string client, server;
};

// ---- One conversation's evidence and label: plain data (the plugin keeps it
// in file-scoped wmem memory, the scanner in its flow table).
struct ConvState {
    Transport transport;
    uint16_t client_port, server_port;  // client/server as classified (a handshake or the payload may swap)
    Direction direction;                // how the client/server order was known
    bool same_host;
    int detected;                // vocabulary protocol index the payload showed first, or -1
    const char *detected_other;  // a Wireshark filter name outside the vocabulary, or nullptr
    ProtocolSet seen;
    bool tls_seen, payload_seen;
    uint32_t payload_frame;      // the frame whose payload showed `detected`
    int media_protocol;          // signalling that set this media stream up, or -1
    uint32_t media_frame;
    uint16_t inspected;          // packets inspected (bounded by kInspectPackets)
    uint32_t first_frame;
    // The label as the last relabel left it.
    uint32_t label_frame;        // the frame whose evidence decided it
    uint16_t listener_port;      // 0 when both ports are labelled
    Direction label_direction;
    Claim claim;                 // the first row's claim
    uint16_t confirmed_rows;     // the label's rows that are confirmed (first in every mode but port)
    bool shown;                  // the first row is shown as the purpose (Settings::claims)
    RoleSet client_roles, server_roles;
    uint32_t roles_generation;   // HostTable::generation() when last labelled
    uint32_t flags;              // flag_bit() of each raised flag
    uint32_t flag_frame[kFlagCount];  // where each flag first held (its expert info's frame)
    bool nr_pending;             // not_recommended waits for evidence that the listener is a Unified CM

    bool has_flag(Flag f) const { return (flags & flag_bit(f)) != 0; }
    const char *detected_name() const {
        return detected >= 0 ? kProtocols[detected].key : detected_other ? detected_other : "";
    }
};

// What a relabel decided, for the adapter to keep (rows, texts) or show.
struct Relabel {
    bool done = false;        // false: nothing changed, the label stands
    bool swapped = false;     // the payload swapped client and server (swap the adapter's endpoints too)
    Verdict verdict;          // the rows left, in evidence order, and what confirms them
    FlagResult result;        // every flag's reason, before the switches
    uint32_t raised = 0;      // flags raised by this relabel that were not raised before
};

class Pipeline {
public:
    Pipeline(const Settings &s, HostTable &hosts) : settings_(s), hosts_(hosts) {}
    void set_settings(const Settings &s) { settings_ = s; }
    const Settings &settings() const { return settings_; }

    // A new conversation: its first packet's ports (client = the sender,
    // unless the handshake said otherwise), how that order is known, and
    // media that signalling set up for it (or none). Labels it.
    Relabel open(ConvState *c, const HostKeys &k, Transport t, uint16_t client_port, uint16_t server_port,
                 Direction direction, bool same_host, uint32_t frame, MediaSetup media = MediaSetup()) const;
    // Is this packet inside the inspection window (or does not_recommended
    // wait for more)? Counts it when it is.
    static bool begin_inspection(ConvState *c);
    // Does inspect() need PayloadSides for this detection (the payload is
    // the conversation's first and there was no handshake)?
    static bool needs_orientation(const ConvState &c, const Detection &d);
    // One inspected packet: the transport's protocol remaps ([transport_remap]),
    // the first detection, orientation by payload (sides: from the adapter
    // when needs_orientation(), else nullptr), media set up by signalling,
    // seen protocols, TLS and payload; relabels when any of it is news.
    Relabel inspect(ConvState *c, HostKeys *k, Detection d, const PayloadSides *sides, MediaSetup media,
                    uint32_t frame) const;
    // Relabel when a host of this conversation showed a role since it was
    // last labelled (the stats call it before they draw).
    Relabel refresh(ConvState *c, const HostKeys &k) const;

private:
    Relabel relabel(ConvState *c, const HostKeys &k, uint32_t frame) const;
    bool orient(ConvState *c, HostKeys *k, const PayloadSides &s) const;

    Settings settings_;
    HostTable &hosts_;
};

// ---- RTP before a port's stock owner: on a UDP port the guides document for
// RTP that a stock dissector owns (Quake on 26000, MINT on 24576...), a
// consistent run is RTP; while every packet so far may still complete one the
// packet is payload without a protocol; from the first packet that is no RTP
// v2 or breaks its direction's run (or after two runs' worth undecided) the
// owner's. One per UDP conversation; `forward` is a packet from the first
// sender the vote saw.
enum class RtpBeforeOwner : uint8_t { kUndecided, kRtp, kOwner };

struct RtpVote {
    RtpRun fwd, rev;
    uint32_t fed_frame = 0;  // each frame feeds its run once (a port's owner and the heuristic may both see it)
    RtpBeforeOwner owned = RtpBeforeOwner::kUndecided;
    uint8_t owned_packets = 0;  // packets fed while undecided
    bool confirmed_ = false;    // a run confirmed through the RTP heuristic: the conversation is RTP

    // Feeds h (nullptr: the payload is no RTP v2 header) to its direction's
    // run once per frame; false when it breaks the run.
    bool feed(const RtpHeader *h, bool forward, uint32_t frame);
    // The owner's port: the decision so far, after this packet.
    RtpBeforeOwner before_owner(const RtpHeader *h, bool forward, uint32_t frame);
    // The decision without a packet to feed (a later pass over the capture):
    // a run the RTP heuristic confirmed makes an undecided vote RTP.
    RtpBeforeOwner settle();
    // The RTP heuristic on a documented media port: is the conversation RTP
    // (this direction's run confirmed now, or a run confirmed before)?
    bool heuristic(const RtpHeader &h, bool forward, uint32_t frame);
    bool run_confirmed(bool forward) const { return (forward ? fwd : rev).confirmed(); }
};

// Does a guide document RTP on this UDP port (any catalog row)?
bool documented_media_port(uint16_t port);

// The ports ciscouc stands in front of (heuristics/signatures.toml `ports`
// and `sniff_ports`): the index in kStealPorts of the first row after `after`
// on either port whose signature matches the payload, or -1. A sniffed row
// only records evidence; an owned one hands the payload to the signature's
// dissector (the plugin tries the next row when that dissector is missing).
int steal_port(Transport t, uint16_t src_port, uint16_t dst_port, const uint8_t *data, size_t len, int after = -1);

}  // namespace ciscouc
