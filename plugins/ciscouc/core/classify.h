// ciscouc core: decide what a conversation is for (candidate catalog flows,
// ordered by evidence) and which flags it raises. Pure C++, no epan header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "catalog.h"

namespace ciscouc {

// How the listening side was decided.
enum class Direction : uint8_t {
    kHandshake,    // TCP SYN / SYN-ACK seen: the server port is known
    kFirstPacket,  // UDP: the first packet's destination is taken as listener
    kInferred,     // no handshake; only one port is documented, so it listens
    kUnknown,      // no handshake and both ports documented: both labelled
};
const char *direction_text(Direction d);

struct Prefs {
    int edition_group = -1;       // index into kEditionGroups; -1 = all editions
    bool only_preferred = false;  // hide other editions' rows when the preferred one documents the port
};

struct Candidate {
    uint16_t flow;
    uint16_t port;        // the conversation port this flow matched
    bool catch_all;
    bool preferred;       // in the preferred edition group
    bool detected_match;  // documents the protocol seen in the payload
};

struct Label {
    Direction direction = Direction::kUnknown;
    uint16_t listener_port = 0;  // 0 when both ports are labelled
    std::vector<Candidate> candidates;  // ordered by evidence, catch-all last
    bool from_transfer = false;  // labelled as the ephemeral leg of a "then ephemeral" row
    bool empty() const { return candidates.empty(); }
};

// client_port/server_port: as far as the direction is known (for kUnknown the
// order does not matter). detected: vocabulary protocol index or -1.
Label classify(Transport t, uint16_t client_port, uint16_t server_port, Direction d,
               int detected, const Prefs &prefs);

enum Flag : uint32_t {
    kFlagUnexpectedPort = 1u << 0,
    kFlagProtocolMismatch = 1u << 1,
    kFlagInternalOnly = 1u << 2,
    kFlagInsecure = 1u << 3,
    kFlagNotRecommended = 1u << 4,
    kFlagReleaseMismatch = 1u << 5,
};
constexpr int kFlagCount = 6;
const char *flag_name(int bit);  // "unexpected_port", ...
std::string flag_list(uint32_t flags);  // "unexpected_port,insecure"

// Every vocabulary protocol seen in a conversation's frames (a bitset: the
// first application protocol and those it carries, such as SMB in NBSS).
struct ProtocolSet {
    uint64_t bits[4] = {0, 0, 0, 0};
    void add(int p) {
        if (p >= 0 && p < 256) bits[p / 64] |= uint64_t(1) << (p % 64);
    }
    bool has(int p) const { return p >= 0 && p < 256 && (bits[p / 64] >> (p % 64)) & 1; }
    bool empty() const { return !(bits[0] | bits[1] | bits[2] | bits[3]); }
};

struct FlagInput {
    Transport transport = kTransportNone;
    uint16_t client_port = 0, server_port = 0;
    const Label *label = nullptr;
    int detected = -1;                       // vocabulary protocol index, or -1
    const char *detected_other = nullptr;    // a non-UC Wireshark protocol name (hiqnet), or nullptr
    ProtocolSet seen;                        // every vocabulary protocol seen in the conversation
    bool tls_seen = false;                   // TLS appeared (STARTTLS upgrades a cleartext start)
    bool payload_seen = false;               // some packet carried application bytes
    bool listener_is_unified_cm = false;     // the listener host listens for UC signalling elsewhere
    bool same_host = false;                  // both endpoints are the same address
    Prefs prefs;
    bool site_allowed = false;               // the user's allow-list covers this port and protocol
};

struct FlagResult {
    uint32_t flags = 0;
    std::string reason[kFlagCount];
    // not_recommended would fire if the listener turned out to be a Unified CM.
    bool not_recommended_pending = false;
};

// Does this label show the listener acting as a Unified CM: a UC signalling
// protocol (SCCP, MGCP, H.225, RAS) matching a row whose listener is Unified CM?
bool label_shows_unified_cm(const Label &label, int detected);

FlagResult evaluate_flags(const FlagInput &in);

// A short one-line summary of a label for the Info column / custom column.
// purpose: text to show instead of the first row's short purpose ("RTP media
// set up by SIP in frame 5"), or nullptr.
std::string summarize(const Label &label, bool original_language, const char *purpose = nullptr);

}  // namespace ciscouc
