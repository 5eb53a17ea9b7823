// ciscouc core: the flags a conversation raises. One rule per flag
// (flags.cpp), run in the order of the Flag enum, which the generator writes
// from the [flags.NAME] sections of catalog/vocabulary.toml together with
// kFlagInfo[] (names, expert texts, preference titles). Pure C++, no epan header.
#pragma once

#include <cstdint>
#include <string>

#include "catalog.h"
#include "classify.h"
#include "roles.h"
#include "plugin_tables.h"  // generated: enum class Flag, kFlagCount, kFlag<Name> bits

namespace ciscouc {

enum class FlagSeverity : uint8_t { kNote, kWarn };
enum class FlagGroup : uint8_t { kProtocol, kSecurity };

// One flag's metadata (vocabulary [flags.NAME]).
struct FlagInfo {
    const char *name;        // "unexpected_port": ciscouc.flags text, expert field ciscouc.NAME
    const char *summary;     // expert info summary
    const char *title;       // short title ("unexpected port")
    const char *preference;  // title of the ciscouc.flag_NAME preference
    FlagSeverity severity;
    FlagGroup group;
};
extern const FlagInfo kFlagInfo[];  // kFlagCount entries, in Flag order

constexpr uint32_t flag_bit(Flag f) { return 1u << static_cast<unsigned>(f); }
constexpr int flag_index(Flag f) { return static_cast<int>(f); }
inline Flag flag_at(int i) { return static_cast<Flag>(i); }
inline const FlagInfo &flag_info(Flag f) { return kFlagInfo[flag_index(f)]; }
// The name of the flag at enum position i ("unexpected_port"), "" outside.
inline const char *flag_name(int i) { return i >= 0 && i < kFlagCount ? kFlagInfo[i].name : ""; }

std::string flag_list(uint32_t flags);  // "unexpected_port,insecure"

// Every vocabulary protocol seen in a conversation's frames (a bitset: the
// first application protocol and those it carries, such as SMB in NBSS).
struct ProtocolSet {
    uint64_t bits[4] = {0, 0, 0, 0};
    void add(int p) {
        if (p >= 0 && p < 256) bits[p / 64] |= uint64_t(1) << (p % 64);
    }
    void remove(int p) {
        if (p >= 0 && p < 256) bits[p / 64] &= ~(uint64_t(1) << (p % 64));
    }
    bool has(int p) const { return p >= 0 && p < 256 && (bits[p / 64] >> (p % 64)) & 1; }
    bool empty() const { return !(bits[0] | bits[1] | bits[2] | bits[3]); }
    // Adds `o`; true when that added a protocol.
    bool merge(const ProtocolSet &o) {
        bool grew = false;
        for (int i = 0; i < 4; ++i) {
            if (o.bits[i] & ~bits[i]) grew = true;
            bits[i] |= o.bits[i];
        }
        return grew;
    }
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
    RoleSet client_roles = 0, server_roles = 0;  // the hosts' roles (roles.h HostTable::roles)
    bool other_vendor = false;               // no Cisco guide applies (evidence.h no_cisco_guide)
    Prefs prefs;
    bool site_allowed = false;               // the user's allow-list covers this port and protocol
};

struct FlagResult {
    uint32_t flags = 0;
    std::string reason[kFlagCount];  // indexed by flag_index(Flag): see reason_for()
    // not_recommended would fire if the listener turned out to be a Unified CM.
    bool not_recommended_pending = false;
    bool has(Flag f) const { return (flags & flag_bit(f)) != 0; }
    const std::string &reason_for(Flag f) const { return reason[flag_index(f)]; }
};

// Does this label show the listener acting as a Unified CM: a UC signalling
// protocol (SCCP, MGCP, H.225, RAS) matching a row whose listener is Unified CM?
bool label_shows_unified_cm(const Label &label, int detected);

FlagResult evaluate_flags(const FlagInput &in);

}  // namespace ciscouc
