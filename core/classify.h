// ciscouc core: decide what a conversation is for (candidate catalog flows,
// ordered by evidence). The flag rules are in flags.h. Pure C++, no epan header.
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
    kPayload,      // no handshake; the payload says which side serves (a SIP status
                   // line's sender, the server of the TFTP request a transfer leg follows)
    kProtocol,     // no handshake; only this port documents the payload's protocol
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
    bool from_ephemeral = false;  // labelled by rows whose port is "ephemeral" (kEphemeralFlows)
    bool empty() const { return candidates.empty(); }
};

// client_port/server_port: as far as the direction is known (for kUnknown the
// order does not matter). detected: vocabulary protocol index or -1.
Label classify(Transport t, uint16_t client_port, uint16_t server_port, Direction d,
               int detected, const Prefs &prefs);

// A short one-line summary of a label for the Info column / custom column.
// purpose: text to show instead of the first row's short purpose ("RTP media
// set up by SIP in frame 5"), or nullptr.
std::string summarize(const Label &label, bool original_language, const char *purpose = nullptr);

}  // namespace ciscouc
