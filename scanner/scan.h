// ciscouc-scan: the conversation table and its labelling through the pure
// core, the way the Wireshark plugin labels conversations (packet-ciscouc.cpp),
// without Wireshark: own flow table, own small payload parsers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "calls.h"
#include "catalog.h"
#include "packet.h"
#include "pipeline.h"
#include "kept_hosts.h"
#include "roles.h"
#include "tables.h"

namespace ciscouc {
namespace scan {

// Stream mode (ciscouc-scan --live, --jsonl): why a conversation's record is
// written. Every reason but kInterval ends the conversation and frees it.
enum class End : uint8_t {
    kFin,       // TCP: both ends sent FIN, and a packet after both
    kRst,       // TCP: a reset
    kReused,    // TCP: a new SYN on the same ports (Wireshark: "TCP port numbers reused")
    kIdle,      // no packet for the transport's idle time
    kEvicted,   // the least recently seen conversation, at the cap on tracked conversations
    kInterval,  // a long conversation's periodic record (it goes on)
    kFlush,     // the end of the capture, or SIGINT/SIGTERM
};
constexpr int kEndKinds = 7;
const char *end_name(End e);

// Where stream mode writes its records (scanner/records.h writes JSONL).
class RecordSink {
public:
    virtual ~RecordSink() = default;
    // A conversation as the conversation table would show it at this point.
    virtual void conversation(const ConvRow &row, End why) = 0;
    // A host whose roles changed (`added`: the roles it has shown since its
    // last record), or one evicted at the cap on hosts (`evicted`).
    virtual void host(const HostTable::Host &h, RoleSet added, bool evicted) = 0;
};

struct Options {
    // The plugin's preferences (ciscouc.edition, only_preferred, claims, the
    // flag switches; its allow-list when allow is set).
    Settings settings;
    AllowList allow;                             // --allow FILE: the site allow-list
    bool original_language = false;              // ciscouc.language: the guide's own purpose text
    // Conversations tracked per capture; packets of further conversations are
    // counted as dropped and reported.
    size_t max_conversations = 1000000;
    // Conversations with inspection state (the evidence window); beyond it the
    // longest-idle one ends its inspection early (counted, reported).
    size_t max_live = 65536;
    // A conversation idle this long (capture time) ends its inspection; its
    // row stays.
    double idle_seconds = 120.0;
    // --calls: every call with its media and diagnoses (core/calls.h); off, no call is tracked.
    bool calls = false;
    // Stream mode: records to `sink` as conversations end, which are then
    // freed; host roles as they change. Off (nullptr): the tables at the end.
    RecordSink *sink = nullptr;
    double end_idle_tcp = 300.0, end_idle_udp = 60.0;  // a conversation idle this long ends (capture time)
    double interval = 0;       // > 0: a record of each long conversation this often (capture time)
    size_t max_hosts = 65536;  // hosts with roles kept; beyond, the least recently seen are evicted
};

// A host:port pair, ordered canonically inside a conversation key.
struct Endpoint {
    Address addr;
    uint16_t port = 0;
};

struct ConvKey {
    uint8_t transport = 0;
    bool directed = false;    // set-up media: RTP/RTCP a -> b; T.38 a the announced end, b empty (else a < b)
    uint32_t generation = 0;  // directed: the frame that announced a
    Endpoint a, b;
    bool operator==(const ConvKey &o) const;
};
struct ConvKeyHash {
    size_t operator()(const ConvKey &k) const;
};

// A TCP direction whose stock dissector holds its segments until a PDU is
// complete (scan.cpp Framing): the PDU's length (0 until its header is in),
// the bytes held, the next sequence number, and the PDU's first bytes.
struct Held {
    bool on = false;
    uint64_t need = 0, have = 0;
    uint32_t next_seq = 0;
    std::string head;
};
struct Framing;  // stock.h

// Per-conversation inspection state: only while the evidence window is open.
struct Inspect {
    Held held[2];  // from first_src [0] and from first_dst [1]
    // The dissector a TCP heuristic handed the conversation to, when it frames PDUs.
    const char *framed_by = nullptr;
    const Framing *framing = nullptr;
    // SIP over TCP: a message split across segments, kept (bounded) until
    // its Content-Length is in, as Wireshark's SIP dissector reassembles it.
    std::string sip[2];
    bool have_rtp_dir = false;
    Endpoint rtp_first;  // the first sender the RTP vote saw
    RtpVote rtp;         // RTP runs, and the vote on a media port a stock dissector owns
    uint32_t prev = UINT32_MAX, next = UINT32_MAX;  // idle list (conversation indices)
};

// A conversation: the core's evidence and label (ConvState, labelled by the
// core's Pipeline) and what the scanner itself keeps: its endpoints, counts,
// the rows and text the label shows, and TCP and inspection state.
struct Conv : ConvState {
    Endpoint first_src, first_dst;   // the first packet's sender and receiver
    Endpoint client, server;         // as classified (handshake or payload may swap)
    bool signalled = false;  // UDP: in the conversation an announcement of media made (ConvKey::directed)
    uint64_t packets = 0, bytes = 0;
    double first = 0, last = 0;
    std::vector<Candidate> cand;  // the rows the label shows, in evidence order
    std::string evidence_detail;
    bool have_seq[2] = {false, false};  // TCP: the first sequence number from first_src [0] and first_dst [1]
    uint32_t base_seq[2] = {0, 0};
    int signalling = -1;  // SIP, SCCP or MGCP: its later packets still announce media and roles
    std::unique_ptr<Inspect> inspect;
    // Stream mode: its key, its place in its transport's list (least
    // recently seen first), its FINs (bit 0 from first_src, bit 1 from
    // first_dst), and when its last interval record was written.
    ConvKey key;
    uint32_t lru_prev = UINT32_MAX, lru_next = UINT32_MAX;
    uint8_t fins = 0;
    bool used = false;
    double reported = 0;
};

struct Counters {
    uint64_t frames = 0, conversation_packets = 0;
    uint64_t skipped[kSkipKinds] = {};
    uint64_t first_fragments = 0;
    uint64_t dropped_packets = 0;  // of conversations beyond max_conversations
    uint64_t expired = 0, evicted = 0;  // inspection ended by idle time / by the live cap
    uint64_t media_dropped = 0;         // media announcements beyond the table's cap
    // Stream mode: records written by reason, hosts evicted at the cap, and
    // media announcements let go (the oldest) at the cap.
    uint64_t ended[kEndKinds] = {};
    uint64_t hosts_evicted = 0, media_evicted = 0;
};

class Scanner {
public:
    explicit Scanner(const Options &o);
    const Options &options() const { return opt_; }
    // One frame, numbered from 1 as Wireshark numbers them; ts in seconds.
    void packet(uint32_t frame, double ts, int linktype, const uint8_t *data, size_t caplen, size_t wirelen);

    // The end of the capture: conversations whose hosts showed a role since
    // they were last labelled are labelled again (the plugin's stats call
    // conversation_refresh() before they draw). Call before printing.
    void finish();
    // The -z ciscouc,conv table (plugins/ciscouc/stats.cpp conv_draw layout).
    void print_conversations(FILE *out) const;
    // The -z ciscouc,hosts table (plugins/ciscouc/hosts.cpp hosts_draw layout):
    // roles per host, what showed them, how many conversations involve it.
    void print_hosts(FILE *out) const;
    // The -z ciscouc,calls tables (core/calls.h write_calls), from scanner/calls.cpp.
    void print_calls(FILE *out);
    // What the scanner did not look at, for the footer.
    void print_footer(FILE *out, const char *name) const;

    // Stream mode: end idle conversations and write the interval records at
    // time `now` (the live loop calls it when no packet came for a while).
    void tick(double now);
    // Stream mode: write every tracked conversation (End::kFlush) and free it.
    void flush();
    size_t tracked() const { return active_; }
    double now() const { return now_; }  // the last packet's time

    const std::vector<Conv> &conversations() const { return convs_; }
    const Counters &counters() const { return n_; }
    const HostTable &hosts() const { return hosts_; }

private:
    // What the scanner's model of stock Wireshark (stock.h) decides a packet's
    // payload is, before it becomes the core's Detection.
    struct StockDetection {
        int protocol = -1;
        const char *other = nullptr;
        int carried = -1;  // a vocabulary protocol inside the first one (SMB in NetBIOS)
        const char *other_carried = nullptr;
        bool tls = false, payload = false;
        bool held = false;  // a TCP segment the dissector holds: its frame shows no payload
        bool any() const { return protocol >= 0 || other; }
    };
    enum class Leg : uint8_t { kRtp, kRtcp, kT38, kTransfer };  // kTransfer: a TFTP transfer leg, not media
    struct Setup {
        int protocol;    // signalling that announced it
        uint32_t frame;  // where
        Leg leg;
    };
    struct EndpointHash {
        size_t operator()(const Endpoint &e) const;
    };
    struct EndpointEq {
        bool operator()(const Endpoint &x, const Endpoint &y) const { return x.port == y.port && x.addr == y.addr; }
    };

    uint32_t label(uint32_t frame, double ts, int linktype, const uint8_t *data, size_t caplen, size_t wirelen,
                   uint8_t *tcp_flags);
    uint32_t conversation(const Packet &p, uint32_t frame, double ts, bool *created);
    ConvRow row_of(const Conv &c) const;
    // Stream mode (records.h): a conversation's record, then it is freed.
    void end(uint32_t idx, End why);
    void after(uint32_t idx, uint8_t tcp_flags, double ts);
    void lru_touch(uint32_t idx);
    void lru_unlink(uint32_t idx);
    void hosts_changed();
    bool forget_oldest_setup();  // false: nothing left to forget
    void note_setup(const Endpoint &e, uint32_t frame);
    StockDetection detect(Conv &c, Packet &p, uint32_t frame);
    bool held(Conv &c, const Packet &p, const Framing &f, const uint8_t **data, size_t *len);
    bool sip_stream(Conv &c, const Packet &p, const uint8_t **data, size_t *len);
    void observe(Conv &c, const Packet &p, uint32_t frame, int protocol);
    void announce(const Address &a, uint16_t port, int protocol, uint32_t frame, Leg leg);
    HostKeys keys(const Conv &c) const;
    void keep(Conv &c, const Relabel &r);
    void refresh(Conv &c);
    PayloadSides sides(const Conv &c, const Packet &p, int detected, uint32_t frame) const;
    void observe_and_refresh(Conv &c, const Packet &p, uint32_t frame, int detected);
    // scanner/calls.cpp: a packet's signalling, TCP flags and UDP payload for the core's calls.
    void feed_calls(uint32_t idx, const Packet &p, uint32_t frame, int protocol);
    void feed_sip(const Conv &c, const Packet &p, uint32_t frame, const uint8_t *msg, size_t len);
    CallPacket call_packet(uint32_t idx, const Packet &p, uint32_t frame) const;
    void touch(uint32_t idx, double ts);
    void unlink(uint32_t idx);
    void expire(double now);
    std::string address_text(const Address &a) const;

    Options opt_;
    std::string pdu_;  // the first bytes of a PDU completed by the packet at hand
    std::vector<Conv> convs_;
    std::unordered_map<ConvKey, uint32_t, ConvKeyHash> index_;
    std::unordered_map<Endpoint, Setup, EndpointHash, EndpointEq> setups_;
    HostTable hosts_;
    Pipeline pipe_;  // the core's labelling, over hosts_
    CallTable calls_;
    Counters n_;
    double capture_start_ = 0;
    bool started_ = false;
    uint32_t live_head_ = UINT32_MAX, live_tail_ = UINT32_MAX;
    size_t live_ = 0;
    // Stream mode.
    std::vector<uint32_t> free_;  // freed conversation slots
    size_t active_ = 0;
    uint32_t lru_head_[2] = {UINT32_MAX, UINT32_MAX}, lru_tail_[2] = {UINT32_MAX, UINT32_MAX};  // [0] TCP, [1] UDP
    double now_ = 0, next_interval_ = 0;
    KeptHosts kept_{65536};
    // Per hosts_.hosts() entry: the roles and vendors its records showed.
    std::vector<std::pair<RoleSet, VendorSet>> host_shown_;
    uint32_t host_generation_ = 0;
    std::vector<std::pair<Endpoint, uint32_t>> setup_order_;  // announcements, oldest first (from setup_head_)
    size_t setup_head_ = 0;
    bool from_first_ = false;  // the packet at hand came from its conversation's first_src
};

}  // namespace scan
}  // namespace ciscouc
