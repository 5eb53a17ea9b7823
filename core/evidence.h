// ciscouc core: evidence levels. A documented purpose is a claim about a
// conversation; this decides, per candidate row, what the capture shows for
// it, orders the rows by that evidence and drops the ones nothing supports.
// Pure C++, no epan header.
//
//   confirmed  the payload shows a UC protocol the row documents; or the
//              stream is media that signalling in the capture set up; or the
//              hosts' roles match the row's sender and listener roles (or the
//              listener is the documented device and the sender showed no
//              role where the row names no Cisco product: a host with no role
//              is not a Unified CM) and the payload does not contradict the row.
//   possible   the port matches a row and nothing contradicts it, but nothing
//              confirms it.
//   (none)     every row when an end names another vendor than Cisco in its
//              own words (roles.h; the host's RoleSet has kOtherVendor) and
//              the other end shows nothing of Cisco; rows that name only
//              Cisco products (Unified CM) at an end that names another vendor,
//              and with such an end, rows whose roles do not fit both hosts;
//              generic-service rows, and any row whose payload is a
//              protocol every network runs (HTTP, TLS, HTTP/2: AXL, COP
//              install, Control Center ride on them), when neither host has
//              a UC role;
//              catch-all ranges unless the payload or signalling confirms
//              them; conversations with no payload; rows the payload
//              contradicts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "classify.h"
#include "flags.h"
#include "roles.h"

namespace ciscouc {

enum class Claim : uint8_t { kNone = 0, kPossible = 1, kConfirmed = 2 };
const char *claim_text(Claim c);  // "", "possible", "confirmed"

// What confirmed a row.
enum class Basis : uint8_t { kNone = 0, kPayload, kMedia, kHostRoles };

// The ciscouc.claims preference: which rows the user is shown.
enum class ClaimsMode : uint8_t {
    kConfirmed = 0,  // summary, column and Info carry confirmed purposes only
    kPossible = 1,   // confirmed and possible purposes
    kPort = 2,       // every documented use of the port, as a port table would
};

struct EvidenceInput {
    Transport transport = kTransportNone;
    uint16_t client_port = 0, server_port = 0;  // as the label was classified
    RoleSet client_roles = 0, server_roles = 0;  // roles of the hosts at those ports
    int detected = -1;                     // vocabulary protocol the payload shows, or -1
    const char *detected_other = nullptr;  // a non-vocabulary Wireshark protocol name, or nullptr
    ProtocolSet seen;                      // every vocabulary protocol seen in the conversation
    bool payload_seen = false;             // some packet carried application bytes
    uint32_t payload_frame = 0;            // the frame whose payload showed `detected`
    int media_protocol = -1;               // signalling protocol that set this stream up, or -1
    uint32_t media_frame = 0;              // the frame that set it up
};

struct RowEvidence {
    Claim claim = Claim::kNone;
    Basis basis = Basis::kNone;
    bool roles_match = false;  // the hosts' roles match the row's sender and listener
    uint8_t roles_matched = 0;  // how many of the two ends show the documented role (2 beats 1 + "any host")
    bool contradicted = false;  // the payload is a recognisably different protocol
};

struct Assessment {
    Claim claim = Claim::kNone;  // of the first row left (the label's claim)
    Basis basis = Basis::kNone;
    std::vector<RowEvidence> rows;  // parallel to label.candidates after assess()
    // The first row's hosts are UC devices in the documented roles, yet the
    // payload is another protocol (grounds for protocol_mismatch).
    bool roles_contradicted = false;
};

// Judge every candidate of `label`, reorder it (confirmed first; rows whose
// roles match the hosts' roles before others; then the classifier's order)
// and, unless mode is kPort, drop the rows with no claim.
Assessment assess(Label *label, const EvidenceInput &in, ClaimsMode mode);

// One row's evidence in words: "SIP payload in frame 3", "RTP media set up by
// SIP in frame 5", "roles: Phone -> Unified CM", or for a possible row
// "documented for Phone -> Unified CM; no evidence yet that either host is a
// Cisco UC device".
std::string evidence_text(const Candidate &c, const RowEvidence &r, const EvidenceInput &in);

// "RTP media set up by SIP in frame 5" (in.media_protocol >= 0).
std::string media_text(const EvidenceInput &in);

// What a conversation's label says once the evidence is weighed: the steps
// the plugin's relabel() and ciscouc-scan share. `label` is classify()'s
// answer for (in.transport, in.client_port, in.server_port, direction,
// in.detected); its rows are assessed (reordered and filtered). Media that
// signalling set up whose label came out empty is classified again with
// Direction::kUnknown (it has no listener: the first packet's destination may
// be the end no media row documents). Signalled media on ports no guide
// documents is still media: confirmed, with no row to cite ("bare media").
struct Verdict {
    Label label;        // the rows left, in evidence order
    Assessment as;      // claim and basis of the first row (bare media: confirmed, kMedia)
    bool bare_media = false;
    std::string detail;  // the Evidence detail column ("" when no row is left)
    std::string media;   // media_text() when media confirms the label, else ""
    Label confirmed;     // label with its confirmed rows only: the rows flags read
    // The rows evaluate_flags reads: every row in port mode, the confirmed ones else.
    const Label &flag_label(ClaimsMode mode) const { return mode == ClaimsMode::kPort ? label : confirmed; }
};
Verdict weigh(Label label, Direction direction, const EvidenceInput &in, const Prefs &prefs, ClaimsMode mode);

// No Cisco guide applies (no flag is raised): an end names another vendor
// and the other shows nothing of Cisco, or the listener names another vendor.
bool no_cisco_guide(RoleSet client_roles, RoleSet server_roles);

// The evidence detail of a conversation an end of which names another
// vendor, the other nothing of Cisco.
extern const char kOtherVendorText[];

// Should the user be shown this claim as the conversation's purpose?
inline bool shown(Claim c, ClaimsMode mode) {
    return mode == ClaimsMode::kPort || c == Claim::kConfirmed || (mode == ClaimsMode::kPossible && c == Claim::kPossible);
}

}  // namespace ciscouc
