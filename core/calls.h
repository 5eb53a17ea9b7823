// ciscouc core: calls. A call is the signalling of one dialog with every
// media stream it set up (both directions) and their RTCP:
//   SIP    one Call-ID whose dialog starts with an INVITE (RFC 3261 section 12);
//   SCCP   one callReference on one device's connection to its Unified CM;
//   MGCP   one CallId (C:) of CRCX/MDCX/DLCX (RFC 3435 section 3.2.2.2);
//   H.225  one Q.931 call reference on one call-signalling connection
//          (ITU-T Q.931 section 4.3; H.225.0 carries Q.931 in TPKT, RFC 1006).
//
// Both engines feed it through the same events, with the bytes of one
// signalling message as their dissector (plugin) or parser (ciscouc-scan)
// framed it, and every UDP payload: the facts of a call are read here, once.
// At the end, finish() ties each leg to its hosts' roles and its guide row
// (the adapter says which row its conversation's label shows) and makes the
// diagnoses, each naming the documented flow the network must allow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "catalog.h"
#include "classify.h"
#include "roles.h"

namespace ciscouc {

struct NetAddr {
    uint8_t family = 0;  // 4 or 6
    uint8_t bytes[16] = {};
    bool operator==(const NetAddr &o) const;
    bool operator!=(const NetAddr &o) const { return !(*this == o); }
    std::string text() const;  // inet_ntop, the host table's key
};
struct NetEndpoint {
    NetAddr addr;
    uint16_t port = 0;
    bool operator==(const NetEndpoint &o) const { return port == o.port && addr == o.addr; }
    std::string text() const;  // "10.0.0.1:5060", "[2001:db8::1]:5060"
};

// One packet as the adapter saw it.
struct CallPacket {
    uint32_t frame = 0;
    double ts = 0;  // seconds since the capture's first packet
    Transport transport = kTransportNone;
    NetEndpoint src, dst;
    uint64_t conv = 0;  // the adapter's conversation id (0: none), for its guide row at the end
};

// One media stream (RFC 3550 section 3: one SSRC from one source to one destination).
struct CallStream {
    NetEndpoint src, dst;
    uint32_t ssrc = 0;
    uint8_t pt = 0;
    std::string codec;
    uint64_t packets = 0;
    int64_t lost = 0;
    double max_jitter = 0, mean_jitter = 0;  // ms
    double first = 0, last = 0;
    uint32_t first_frame = 0, last_frame = 0;
    bool rtcp = false;        // RTCP between the two ends (RFC 3550 section 11: port + 1)
    uint32_t rtcp_frame = 0;
    uint32_t setup_frame = 0; // the announcement it goes to
    uint64_t conv = 0;
    // Loss and jitter state (Wireshark ui/tap-rtp-analysis.c rtppacket_analyse).
    uint16_t start_seq = 0, stop_seq = 0, seq = 0;
    uint32_t cycles = 0;
    bool under = false;
    double jitter = 0, prev_time = 0;
    uint32_t prev_ts = 0;
};

// Media a signalling message announced: where its sender (SIP, MGCP SDP;
// SCCP OpenReceiveChannelAck) or the far end (SCCP StartMediaTransmission)
// receives RTP.
struct CallMedia {
    NetEndpoint at;
    NetAddr by;          // the host whose signalling announced it (NAT: differs from `at`)
    uint32_t frame = 0;  // the announcing message
    int protocol = -1;
    std::string codec;
    bool receiver_announced = true;  // `at` receives (false: SCCP StartMediaTransmission, the sender learns it)
};

// One signalling connection of a call, client -> server as its first message went.
struct CallLeg {
    NetEndpoint from, to;
    Transport transport = kTransportNone;
    uint64_t conv = 0;
    uint32_t first_frame = 0;
    // Filled by finish().
    RoleSet from_roles = 0, to_roles = 0;
    int flow = -1;  // the guide row the conversation's label shows (kFlows index), or -1
};

struct CallDiagnosis {
    const char *kind = "";  // one_way_media, media_not_seen, nat, no_answer, syn_unanswered, registration_failed, rtcp_missing
    int call = -1;          // index into calls(), -1: no call (a registration, a handshake)
    std::vector<uint32_t> frames;
    int flow = -1;          // the documented flow the network must allow (kFlows index), or -1
    std::string text;
};

struct Call {
    int protocol = -1;       // vocabulary index
    std::string key;         // Call-ID, "SCCP ref 16777249", MGCP call id, "Q.931 ref 4660"
    uint64_t conv = 0;       // SCCP / H.225: the connection the reference belongs to
    uint32_t first_frame = 0, last_frame = 0;
    double start = 0, end = 0, answer = -1;
    std::string caller, callee, caller_name, callee_name;
    std::string outcome;     // answered, busy, cancelled, failed (SIP 503 ...), no answer, unanswered
    std::string cause;       // "SIP 486 Busy Here", "SCCP Busy", "Q.931 cause 17"
    bool request_seen = false, any_response = false, final_seen = false, cancel_seen = false, bye_seen = false;
    bool setup_seen = false; // INVITE / CRCX / Setup / SCCP call
    std::vector<uint32_t> request_frames;  // the INVITEs / Setups (for no_answer)
    std::vector<CallLeg> legs;
    std::vector<CallMedia> media;
    std::vector<size_t> streams;  // into CallTable::streams()
    std::vector<int> joined;      // other calls sharing an announced media endpoint
    std::vector<size_t> diagnoses;
    std::map<int, std::string> rtpmap;  // payload type -> "encoding/rate" (SDP a=rtpmap)
};

class CallTable {
public:
    // One SIP message (RFC 3261 section 7), as framed by the transport.
    void sip(const CallPacket &p, const uint8_t *msg, size_t len);
    // SCCP messages (packet-skinny.c layout: length, header version, message id, body).
    void sccp(const CallPacket &p, const uint8_t *data, size_t len);
    // One MGCP message (RFC 3435 section 3).
    void mgcp(const CallPacket &p, const uint8_t *msg, size_t len);
    // One Q.931 message (ITU-T Q.931 section 4: discriminator 0x08, call reference, message type, IEs).
    void q931(const CallPacket &p, const uint8_t *msg, size_t len);
    // TCP flags of a packet (SYN without a SYN-ACK on UC signalling).
    void tcp(const CallPacket &p, uint8_t flags);
    // Every UDP payload: RTP or RTCP to an announced media endpoint.
    void udp(const CallPacket &p, const uint8_t *data, size_t len);
    bool wants_udp() const { return !media_index_.empty(); }

    // The end of the capture: roles and guide rows of every leg and stream,
    // joined legs, and the diagnoses. flow_of: the guide row (kFlows index, or
    // -1) the adapter's conversation shows.
    void finish(const HostTable &hosts, const Prefs &prefs, const std::function<int(uint64_t conv)> &flow_of);

    const std::vector<Call> &calls() const { return calls_; }
    const std::vector<CallStream> &streams() const { return streams_; }
    const std::vector<CallDiagnosis> &diagnoses() const { return diagnoses_; }
    void clear();

private:
    struct Registration {
        std::string key;
        std::vector<uint32_t> frames;
        int final_status = 0;
        std::string reason;
        NetEndpoint from, to;
        uint64_t conv = 0;
        int protocol = -1;
    };
    struct Syn {
        NetEndpoint from, to;
        std::vector<uint32_t> frames;
        bool answered = false;
        uint64_t conv = 0;
    };
    Call &call_at(std::map<std::string, size_t> &index, const std::string &key, int protocol, const CallPacket &p);
    void touch(Call &c, const CallPacket &p);
    void leg(Call &c, const CallPacket &p);
    void announce(size_t call, const CallPacket &p, const NetEndpoint &at, const std::string &codec, bool receiver);
    void sdp(size_t call, const CallPacket &p, const char *body, size_t len);
    void rtp(const CallPacket &p, const uint8_t *data, size_t len, const std::vector<std::pair<size_t, uint32_t>> &announced);
    void diagnose(const HostTable &hosts, const Prefs &prefs, const std::function<int(uint64_t)> &flow_of);
    size_t add_diagnosis(CallDiagnosis d);

    std::vector<Call> calls_;
    std::vector<CallStream> streams_;
    std::vector<CallDiagnosis> diagnoses_;
    std::map<std::string, size_t> sip_, sccp_, mgcp_, q931_;
    std::map<std::string, size_t> mgcp_tid_;  // transaction id -> call
    std::map<std::string, Registration> registrations_;
    std::map<std::string, Syn> syns_;
    // Fixed-size keys, hashed without allocating: an endpoint (16 address
    // bytes, port, family) and a stream (two endpoints and the SSRC).
    struct EndpointKey {
        uint8_t b[19];
        bool operator==(const EndpointKey &o) const;
    };
    struct StreamKey {
        uint8_t b[42];
        bool operator==(const StreamKey &o) const;
    };
    struct KeyHash {
        size_t operator()(const EndpointKey &k) const;
        size_t operator()(const StreamKey &k) const;
    };
    static EndpointKey endpoint_key(const NetAddr &a, uint16_t port);
    std::unordered_map<EndpointKey, std::vector<std::pair<size_t, uint32_t>>, KeyHash> media_index_;  // -> (call, frame)
    std::unordered_map<StreamKey, size_t, KeyHash> stream_index_;
    std::unordered_map<EndpointKey, std::vector<size_t>, KeyHash> streams_at_;  // RTP endpoint -> streams from or to it
};

// The documented flow a packet from `from` to `to` (the listener) needs:
// the guides' row for the protocol on the listener's port, the hosts' roles
// first (core/evidence.h weigh). -1 when no guide documents it.
int expected_flow(Transport t, uint16_t from_port, uint16_t to_port, int protocol, RoleSet from_roles,
                  RoleSet to_roles, const Prefs &prefs);
// "Phone -> Phone 16384-32767/udp (cucm-ja.t6.r17)"
std::string flow_text(int flow);

// The three call tables of -z ciscouc,calls and ciscouc-scan --calls
// (titles and columns: [tables.calls], [tables.call_media],
// [tables.call_diagnoses] in catalog/vocabulary.toml): diagnoses first.
void write_calls(FILE *out, const CallTable &t);

}  // namespace ciscouc
