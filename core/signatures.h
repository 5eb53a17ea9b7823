// ciscouc core: payload signatures (heuristics/signatures.toml) and the
// interpreter that matches them. No epan header: fuzzed and unit-tested alone.
// The RTP run check, which data cannot express, is in rtp.h.
#pragma once

#include <cstddef>
#include <cstdint>

#include "catalog.h"
#include "plugin_tables.h"

namespace ciscouc {

enum class CheckKind : uint8_t {
    kU8, kU16Be, kU16Le, kU32Be, kU32Le, kBytes, kSearch, kPrefix, kLineHas, kLengthField, kPrintable, kDigits,
    kLinePrintable,
};

struct Check {
    CheckKind kind;
    uint32_t offset;
    int32_t plus_u8_at;   // -1: none; else add data[plus_u8_at] to offset
    uint32_t lo, hi;      // integer bounds; search: hi = window; length_field: lo = add, hi = 1 for "eq";
                          // digits: run length bounds
    uint32_t values_first, values_count;  // `in` list, byte length of `text`, or count of alternatives
    const char *text;     // bytes, search needle, NUL-separated prefixes or line texts, digits terminators
};

struct Signature {
    const char *name;
    const char *protocol;   // vocabulary key
    int16_t protocol_index; // index into kProtocols (resolved by the generator)
    uint8_t transports;     // Transport bits
    const char *dissector;  // Wireshark dissector to hand the payload to
    uint32_t min_length;
    uint32_t first_check, check_count;
    bool evidence_only;     // never a heuristic: evidence on sniff ports only
};

// A port where the signature runs before the stock dissector that owns it.
// sniff: only record the evidence, then let the stock dissector decode as
// usual; otherwise a match hands the payload to the signature's dissector.
struct StealPort {
    uint32_t signature;
    uint8_t transport;
    uint16_t lo, hi;
    bool sniff;
};

extern const Check kChecks[];
extern const uint32_t kCheckValues[];
extern const Signature kSignatures[];
extern const size_t kSignatureCount;
extern const StealPort kStealPorts[];
extern const size_t kStealPortCount;

// Does the payload match signature `s`? Never reads outside [data, data+len).
bool match_signature(const Signature &s, const uint8_t *data, size_t len);

// First heuristic signature (not an evidence-only one) for this transport
// that matches, or -1.
int match_any(Transport t, const uint8_t *data, size_t len);

// A heuristic dissector the plugin registers (heuristics/signatures.toml
// [[heuristic]]): it tries the signatures of `protocol`, or the RTP run
// checker (core/rtp.h) when rtp_run.
struct HeuristicInfo {
    const char *short_name;    // "ciscouc_sccp_tcp", the heuristic's preference name
    const char *display_name;  // shown in Enabled Protocols
    Transport transport;
    int16_t protocol;          // index into kProtocols
    bool rtp_run;
};
extern const HeuristicInfo kHeuristics[];  // kHeuristicCount entries (plugin_tables.h)

// First heuristic signature of `protocol` (index) for this transport that
// matches, or -1.
int match_protocol(Transport t, int protocol, const uint8_t *data, size_t len);

// Is port `port` of transport t sniffed for evidence of `protocol` (index)?
bool sniffed_for(Transport t, uint16_t port, int protocol);

}  // namespace ciscouc
