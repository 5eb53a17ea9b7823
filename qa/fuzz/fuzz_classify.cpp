// Fuzz the classifier, the flag rules and the summary (core/classify.cpp, core/flags.cpp)
// over the real catalog tables, and the catalog lookups (core/catalog.cpp).
//
// Input layout (missing bytes read as 0), so seeds stay readable:
//   [0]     transport: 0 none, 1 tcp, 2 udp, 3 udp
//   [1..2]  client port, big-endian      [3..4] server port, big-endian
//   [5]     direction (mod 4)            [6] detected protocol (mod kProtocolCount+1, minus 1)
//   [7]     preferred edition group (mod kEditionGroupCount+1, minus 1)
//   [8]     bits: 0 only_preferred, 1 same_host, 2 site_allowed,
//           3 original language, 4-5 detected_other (none, hiqnet, http, t38)
//   [9]     bits: 0 tls_seen, 1 payload_seen, 2 listener_is_unified_cm
//   [10..11] two protocols added to FlagInput::seen (each mod kProtocolCount+1, minus 1)
//   [12..13] an entry index, [14] a protocol index (signed) for entry_has_protocol
//   [15..]  a name for protocol_by_key / protocol_by_wireshark_name /
//           entry_mentions_wireshark_name
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "classify.h"
#include "flags.h"
#include "fuzz_common.h"

using namespace ciscouc;

namespace {

struct Reader {
    const uint8_t *d;
    size_t n;
    uint8_t at(size_t i) const { return i < n ? d[i] : 0; }
    uint16_t be16(size_t i) const { return static_cast<uint16_t>((at(i) << 8) | at(i + 1)); }
};

bool valid_utf8(const std::string &s) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > s.size()) return false;
        for (size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

// The evidence order classify() promises: specific before catch-all, then
// the detected protocol, then the preferred edition.
int rank(const Candidate &c) { return (c.catch_all ? 4 : 0) + (c.detected_match ? 0 : 2) + (c.preferred ? 0 : 1); }

void check_label(const Label &label, Transport t, uint16_t client, uint16_t server, Direction d, int detected,
                 const Prefs &prefs) {
    // The listener is one of the two ports, or 0 when both are labelled.
    FUZZ_CHECK(label.listener_port == 0 || label.listener_port == client || label.listener_port == server);
    // A handshake or the payload (a SIP status line, a TFTP request) names the server.
    const bool known = d == Direction::kHandshake || d == Direction::kPayload;
    if (known) {
        FUZZ_CHECK(label.direction == d);
        FUZZ_CHECK(label.listener_port == server);
    } else {
        FUZZ_CHECK(label.direction != Direction::kHandshake && label.direction != Direction::kPayload);
    }
    if (label.direction == Direction::kUnknown) FUZZ_CHECK(label.listener_port == 0);
    FUZZ_CHECK(!(label.from_transfer && label.from_ephemeral));
    if (label.from_transfer) {
        // A transfer leg: no specific row documents the port; rows of the
        // detected protocol that say "then ephemeral" explain it, ahead of
        // the catch-all ranges the port is in.
        FUZZ_CHECK(detected >= 0 && !label.empty() && label.listener_port == (known ? server : 0));
        for (const Candidate &c : label.candidates) {
            if (c.catch_all) continue;
            FUZZ_CHECK(c.flow < kFlowCount && c.port == server && c.detected_match);
            FUZZ_CHECK((kEntries[kFlows[c.flow].entry].flags & kThenEphemeral) && (kFlows[c.flow].transports & t));
        }
    }
    if (label.from_ephemeral) {
        // A negotiated protocol (H.245) on a port no specific row documents:
        // the rows whose port the guides give as "ephemeral" explain it.
        FUZZ_CHECK(detected >= 0 && kProtocols[detected].negotiated);
        for (const Candidate &c : label.candidates) {
            if (c.catch_all) continue;
            bool listed = false;
            for (size_t i = 0; i < kEphemeralFlowCount; ++i) listed = listed || kEphemeralFlows[i] == c.flow;
            FUZZ_CHECK(listed && c.port == label.listener_port && c.detected_match);
            FUZZ_CHECK(entry_has_protocol(kEntries[kFlows[c.flow].entry], detected) && (kFlows[c.flow].transports & t));
        }
    }
    bool any_preferred_specific = false;
    for (size_t i = 0; i < label.candidates.size(); ++i) {
        const Candidate &c = label.candidates[i];
        FUZZ_CHECK(c.flow < kFlowCount);
        FUZZ_CHECK(kFlows[c.flow].entry < kEntryCount);
        any_preferred_specific = any_preferred_specific || (c.preferred && !c.catch_all);
        const Entry &e = kEntries[kFlows[c.flow].entry];
        FUZZ_CHECK(e.doc < kDocumentCount);
        FUZZ_CHECK(c.port == client || c.port == server);
        if (label.from_transfer || label.from_ephemeral) continue;
        if (label.direction != Direction::kUnknown) FUZZ_CHECK(c.port == label.listener_port);
        FUZZ_CHECK(c.catch_all == ((e.flags & kCatchAll) != 0));
        FUZZ_CHECK(c.preferred == (prefs.edition_group >= 0 && kDocuments[e.doc].group == prefs.edition_group));
        FUZZ_CHECK(c.detected_match == (detected >= 0 && entry_has_protocol(e, detected)));
        // The flow really is documented on that port and transport.
        bool found = false;
        for (uint16_t f : lookup_port(t, c.port)) found = found || f == c.flow;
        FUZZ_CHECK(found);
    }
    for (size_t i = 1; i < label.candidates.size(); ++i)
        FUZZ_CHECK(rank(label.candidates[i - 1]) <= rank(label.candidates[i]));
    if (prefs.only_preferred && prefs.edition_group >= 0 && any_preferred_specific)
        for (const Candidate &c : label.candidates) FUZZ_CHECK(c.preferred);
    if (!prefs.only_preferred && !label.from_transfer && !label.from_ephemeral) {
        // Nothing dropped: every flow of the labelled port(s).
        size_t want = 0;
        if (label.direction == Direction::kUnknown) {
            want = lookup_port(t, server).size + (client != server ? lookup_port(t, client).size : 0);
        } else {
            want = lookup_port(t, label.listener_port).size;
        }
        FUZZ_CHECK(label.candidates.size() == want);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Reader r{data, size};
    static const Transport kTransports[] = {kTransportNone, kTcp, kUdp, kUdp};
    Transport t = kTransports[r.at(0) & 3];
    uint16_t client = r.be16(1), server = r.be16(3);
    Direction d = static_cast<Direction>(r.at(5) % 6);  // every Direction, kPayload and kProtocol too
    int detected = static_cast<int>(r.at(6) % (kProtocolCount + 1)) - 1;
    Prefs prefs;
    prefs.edition_group = static_cast<int>(r.at(7) % (kEditionGroupCount + 1)) - 1;
    uint8_t bits = r.at(8);
    prefs.only_preferred = bits & 1;
    static const char *const kOthers[] = {nullptr, "hiqnet", "http", "t38"};

    Label label = classify(t, client, server, d, detected, prefs);
    check_label(label, t, client, server, d, detected, prefs);
    if (t == kTransportNone) FUZZ_CHECK(label.empty());

    FlagInput in;
    in.transport = t;
    in.client_port = client;
    in.server_port = server;
    in.label = &label;
    in.detected = detected;
    in.detected_other = kOthers[(bits >> 4) & 3];
    in.same_host = bits & 2;
    in.prefs = prefs;
    in.site_allowed = bits & 4;
    uint8_t bits2 = r.at(9);
    in.tls_seen = bits2 & 1;
    in.payload_seen = bits2 & 2;
    in.listener_is_unified_cm = bits2 & 4;
    for (size_t i = 10; i <= 11; ++i) {
        int p = static_cast<int>(r.at(i) % (kProtocolCount + 1)) - 1;
        in.seen.add(p);
        if (p >= 0) FUZZ_CHECK(in.seen.has(p));
    }
    if (detected >= 0) in.seen.add(detected);
    FlagResult fr = evaluate_flags(in);
    FUZZ_CHECK(fr.flags < (1u << kFlagCount));
    for (int b = 0; b < kFlagCount; ++b) {
        bool set = (fr.flags >> b) & 1;
        FUZZ_CHECK(set == !fr.reason[b].empty());
        FUZZ_CHECK(valid_utf8(fr.reason[b]));
        FUZZ_CHECK(*flag_name(b) != '\0');
    }
    // protocol_mismatch is only raised when unexpected_port is not.
    FUZZ_CHECK((fr.flags & (kFlagUnexpectedPort | kFlagProtocolMismatch)) !=
               (kFlagUnexpectedPort | kFlagProtocolMismatch));
    if (in.site_allowed) FUZZ_CHECK(!(fr.flags & kFlagUnexpectedPort));
    if (in.same_host) FUZZ_CHECK(!(fr.flags & kFlagInternalOnly));
    if (in.tls_seen) FUZZ_CHECK(!(fr.flags & kFlagInsecure));
    if (fr.flags & kFlagInsecure) FUZZ_CHECK(label.listener_port != 0);
    // not_recommended_pending: it would fire if the listener were a Unified CM.
    if (fr.not_recommended_pending) {
        FUZZ_CHECK(!(fr.flags & kFlagNotRecommended) && !in.listener_is_unified_cm);
        FlagInput cucm = in;
        cucm.listener_is_unified_cm = true;
        FUZZ_CHECK(evaluate_flags(cucm).flags & kFlagNotRecommended);
    }
    if (label_shows_unified_cm(label, detected)) FUZZ_CHECK(detected >= 0 && label.listener_port != 0);
    FUZZ_CHECK(*direction_text(label.direction) != '\0');

    std::string s = summarize(label, bits & 8);
    FUZZ_CHECK(s.empty() == label.empty());
    FUZZ_CHECK(valid_utf8(s));

    // Catalog helpers with arbitrary arguments.
    if (kEntryCount) {
        const Entry &e = kEntries[r.be16(12) % kEntryCount];
        int p = static_cast<int8_t>(r.at(14));
        bool has = entry_has_protocol(e, p);
        if (p < 0 || static_cast<size_t>(p) >= kProtocolCount) FUZZ_CHECK(!has);
        entry_protocol_unknown(e);
        FUZZ_CHECK(!entry_mentions_wireshark_name(e, nullptr));
        std::string cname = size > 15 ? std::string(reinterpret_cast<const char *>(data + 15), size - 15) : "";
        entry_mentions_wireshark_name(e, cname.c_str());
    }
    std::string_view name = size > 15 ? std::string_view(reinterpret_cast<const char *>(data + 15), size - 15)
                                      : std::string_view();
    int k = protocol_by_key(name);
    FUZZ_CHECK(k >= -1 && k < static_cast<int>(kProtocolCount));
    if (k >= 0) FUZZ_CHECK(name == kProtocols[k].key);
    int w = protocol_by_wireshark_name(name);
    FUZZ_CHECK(w >= -1 && w < static_cast<int>(kProtocolCount));
    return 0;
}
