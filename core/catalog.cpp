// ciscouc core: lookups over the generated catalog tables (see catalog.h).
#include "catalog.h"

#include <algorithm>
#include <cstring>

namespace ciscouc {

FlowSpan lookup_port(Transport t, uint16_t port) {
    const Segment *segs = t == kTcp ? kTcpSegments : kUdpSegments;
    size_t n = t == kTcp ? kTcpSegmentCount : kUdpSegmentCount;
    if (t != kTcp && t != kUdp) return {};
    // Segments are sorted and disjoint: find the last one with lo <= port.
    const Segment *end = segs + n;
    const Segment *it = std::upper_bound(segs, end, port,
                                         [](uint16_t p, const Segment &s) { return p < s.lo; });
    if (it == segs) return {};
    --it;
    if (port > it->hi) return {};
    return FlowSpan{kSegmentMembers + it->first, it->count};
}

int protocol_by_key(std::string_view key) {
    for (size_t i = 0; i < kProtocolCount; ++i)
        if (key == kProtocols[i].key) return static_cast<int>(i);
    return -1;
}

int protocol_by_wireshark_name(std::string_view name) {
    const DetectName *end = kDetectNames + kDetectNameCount;
    const DetectName *it = std::lower_bound(kDetectNames, end, name,
                                            [](const DetectName &d, std::string_view n) { return n.compare(d.wireshark) > 0; });
    if (it != end && name == it->wireshark) return it->protocol;
    return -1;
}

// Does the space-separated Wireshark name list `list` contain `name`?
bool names_contain(const char *list, const char *name) {
    size_t len = std::strlen(name);
    for (const char *p = list; *p;) {
        const char *sp = std::strchr(p, ' ');
        size_t n = sp ? static_cast<size_t>(sp - p) : std::strlen(p);
        if (n == len && std::strncmp(p, name, n) == 0) return true;
        if (!sp) break;
        p = sp + 1;
    }
    return false;
}

bool entry_has_protocol(const Entry &e, int p) {
    if (p < 0 || static_cast<size_t>(p) >= kProtocolCount) return false;
    const Protocol &want = kProtocols[p];
    for (uint16_t i = 0; i < e.proto_count; ++i) {
        uint8_t q = kEntryProtocols[e.proto_first + i];
        if (q == p) return true;
        // Same wire protocol under another name: the detected protocol's
        // first Wireshark name appears in the documented protocol's list
        // (TLS detected where HTTPS or SIPS is documented).
        const char *w = want.wireshark;
        if (!*w) continue;
        char first[32] = {0};
        size_t n = std::strcspn(w, " ");
        if (n >= sizeof first) continue;
        std::memcpy(first, w, n);
        if (names_contain(kProtocols[q].wireshark, first)) return true;
    }
    return false;
}

bool port_documents(Transport t, uint16_t port, int p) {
    for (uint16_t f : lookup_port(t, port)) {
        const Entry &e = kEntries[kFlows[f].entry];
        if (!(e.flags & kCatchAll) && entry_has_protocol(e, p)) return true;
    }
    return false;
}

bool entry_mentions_wireshark_name(const Entry &e, const char *name) {
    if (!name) return false;
    for (uint16_t i = 0; i < e.proto_count; ++i)
        if (names_contain(kProtocols[kEntryProtocols[e.proto_first + i]].wireshark, name)) return true;
    return false;
}

bool entry_protocol_unknown(const Entry &e) {
    if (e.proto_count == 0) return true;
    for (uint16_t i = 0; i < e.proto_count; ++i) {
        const Protocol &p = kProtocols[kEntryProtocols[e.proto_first + i]];
        if (!*p.wireshark) return true;  // Proprietary, CTI, Informix...: no dissector to compare with
    }
    return false;
}

int remap_protocol(Transport t, int p) {
    for (size_t i = 0; i < kProtocolRemapCount; ++i)
        if (kProtocolRemaps[i].transport == t && kProtocolRemaps[i].from == p) return kProtocolRemaps[i].to;
    return p;
}

}  // namespace ciscouc
