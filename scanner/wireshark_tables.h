// The tables generated at build time from the Wireshark the project builds
// against (codegen/wireshark.py: tshark -G decodes, tshark -G
// heuristic-decodes), into the build tree. stock.cpp reads them; what a
// dissector does with a payload is not in them (stock.cpp's behaviours).
#pragma once

#include <cstddef>
#include <cstdint>

#include "catalog.h"

namespace ciscouc {
namespace scan {

// A tcp.port or udp.port registration: the dissector Wireshark's TCP or UDP
// dissector hands a payload on these ports to (consecutive ports of one
// owner as one range).
struct PortOwner {
    Transport t;
    uint16_t lo, hi;
    const char *wireshark;  // the dissector's protocol filter name
};
extern const PortOwner kPortOwners[];  // sorted by transport, then port
extern const size_t kPortOwnerCount;

// An entry of Wireshark's tcp or udp heuristic list.
struct WiresharkHeuristic {
    Transport t;
    const char *wireshark;  // the heuristic's protocol filter name
    bool enabled;           // enabled by default
};
extern const WiresharkHeuristic kWiresharkHeuristics[];  // in the order Wireshark tries them
extern const size_t kWiresharkHeuristicCount;

}  // namespace scan
}  // namespace ciscouc
