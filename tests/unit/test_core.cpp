// Unit tests of the pure ciscouc core (catalog lookup, classifier, flag rules,
// signature interpreter), built against the tables generated from the real
// catalog.
#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "catalog.h"
#include "classify.h"
#include "flags.h"
#include "rtp.h"
#include "signatures.h"

using namespace ciscouc;

namespace {

std::vector<std::string> ids_for(Transport t, uint16_t port) {
    std::vector<std::string> out;
    for (uint16_t f : lookup_port(t, port)) out.push_back(kEntries[kFlows[f].entry].id);
    return out;
}

bool contains(const std::vector<std::string> &v, const std::string &s) {
    for (const auto &x : v)
        if (x == s) return true;
    return false;
}

int proto(const char *k) {
    int p = protocol_by_key(k);
    EXPECT_GE(p, 0) << k;
    return p;
}

Label label_for(Transport t, uint16_t client, uint16_t server, Direction d, int detected = -1, Prefs prefs = {}) {
    return classify(t, client, server, d, detected, prefs);
}

FlagResult flags_for(Transport t, uint16_t client, uint16_t server, Direction d, int detected,
                     bool same_host = false, Prefs prefs = {}, const char *other = nullptr, bool cucm = false) {
    static Label keep;
    keep = classify(t, client, server, d, detected, prefs);
    FlagInput in;
    in.transport = t;
    in.client_port = client;
    in.server_port = server;
    in.label = &keep;
    in.detected = detected;
    in.detected_other = other;
    in.same_host = same_host;
    in.prefs = prefs;
    in.payload_seen = true;
    in.listener_is_unified_cm = cucm;
    return evaluate_flags(in);
}

int group(const char *key) {
    for (size_t i = 0; i < kEditionGroupCount; ++i)
        if (std::strcmp(kEditionGroups[i].key, key) == 0) return static_cast<int>(i);
    ADD_FAILURE() << key;
    return -1;
}

}  // namespace

TEST(Lookup, SegmentsAreSortedAndDisjoint) {
    for (auto [segs, n] : {std::pair{kTcpSegments, kTcpSegmentCount}, std::pair{kUdpSegments, kUdpSegmentCount}}) {
        ASSERT_GT(n, 10u);
        for (size_t i = 0; i < n; ++i) {
            EXPECT_LE(segs[i].lo, segs[i].hi);
            EXPECT_GT(segs[i].count, 0u);
            if (i) {
            EXPECT_GT(segs[i].lo, segs[i - 1].hi);
        }
        }
    }
}

TEST(Lookup, SccpPortFromEveryCucmEdition) {
    auto v = ids_for(kTcp, 2000);
    EXPECT_TRUE(contains(v, "cucm42-en.t5.r3"));
    EXPECT_TRUE(contains(v, "cucm-ko.t6.r3"));
    EXPECT_TRUE(contains(v, "cucm-ja.t6.r3"));
    EXPECT_TRUE(ids_for(kUdp, 2000).empty()) << "SCCP is TCP only";
}

TEST(Lookup, UdpAndTcpDifferOnTheSameNumber) {
    // 3000/udp is the 4.2 TFTP change notification; nothing documents 3000/tcp.
    EXPECT_TRUE(contains(ids_for(kUdp, 3000), "cucm42-en.t1.r10"));
    for (uint16_t f : lookup_port(kTcp, 3000))  // only the CIME 1024-65535 catch-all
        EXPECT_TRUE(kEntries[kFlows[f].entry].flags & kCatchAll) << kEntries[kFlows[f].entry].id;
}

TEST(Lookup, RangesAndUnlistedPorts) {
    EXPECT_FALSE(ids_for(kUdp, 20000).empty());     // RTP range
    EXPECT_TRUE(ids_for(kTcp, 65000).empty() == false);  // CIME 1024-65535 catch-all
    EXPECT_TRUE(ids_for(kUdp, 1).empty());
    EXPECT_TRUE(ids_for(kTransportNone, 2000).empty());
}

TEST(Lookup, CatchAllRowsComeLast) {
    // 2000/tcp lies in the CIME port-mapping catch-all; specific rows first.
    FlowSpan s = lookup_port(kTcp, 2000);
    ASSERT_FALSE(s.empty());
    bool seen_catch_all = false;
    for (uint16_t f : s) {
        bool ca = kEntries[kFlows[f].entry].flags & kCatchAll;
        if (seen_catch_all) {
            EXPECT_TRUE(ca) << "specific row after a catch-all row";
        }
        seen_catch_all = seen_catch_all || ca;
    }
    EXPECT_TRUE(seen_catch_all);
}

TEST(Protocols, DetectNamesMapToVocabulary) {
    EXPECT_EQ(protocol_by_wireshark_name("skinny"), proto("SCCP"));
    EXPECT_EQ(protocol_by_wireshark_name("q931"), proto("H.225"));
    EXPECT_EQ(protocol_by_wireshark_name("x11"), -1);
    EXPECT_EQ(protocol_by_key("NoSuch"), -1);
}

TEST(Classify, HandshakeListenerDecides) {
    // A client that happens to use 2749 as its source port is not CTI/TLS.
    Label l = label_for(kTcp, 2749, 80, Direction::kHandshake);
    EXPECT_EQ(l.listener_port, 80);
    for (const auto &c : l.candidates) EXPECT_EQ(c.port, 80);
}

TEST(Classify, UnknownDirectionLabelsBothDocumentedPorts) {
    Label l = label_for(kTcp, 2000, 5060, Direction::kUnknown);
    EXPECT_EQ(l.direction, Direction::kUnknown);
    bool p2000 = false, p5060 = false;
    for (const auto &c : l.candidates) {
        p2000 |= c.port == 2000;
        p5060 |= c.port == 5060;
    }
    EXPECT_TRUE(p2000 && p5060);
}

TEST(Classify, UnknownDirectionInfersTheOnlyDocumentedPort) {
    Label l = label_for(kTcp, 2000, 60999, Direction::kUnknown);
    EXPECT_EQ(l.direction, Direction::kInferred);
    EXPECT_EQ(l.listener_port, 2000);
}

TEST(Classify, UdpReplyFromWellKnownPortIsInferred) {
    Label l = label_for(kUdp, 161, 52000, Direction::kFirstPacket);
    EXPECT_EQ(l.direction, Direction::kInferred);
    EXPECT_EQ(l.listener_port, 161);
    l = label_for(kUdp, 5060, 6000, Direction::kFirstPacket, proto("SIP"));
    EXPECT_EQ(l.listener_port, 6000) << "both unprivileged: the first packet decides";
}

TEST(Classify, DetectedProtocolOrdersFirst) {
    Label l = label_for(kUdp, 52000, 5060, Direction::kFirstPacket, proto("SIP"));
    ASSERT_FALSE(l.candidates.empty());
    EXPECT_TRUE(l.candidates.front().detected_match);
}

TEST(Classify, PreferredEditionOrdersFirstAndCanFilter) {
    Prefs p;
    p.edition_group = group("cucm-4.2");
    Label l = label_for(kTcp, 52000, 2000, Direction::kHandshake, -1, p);
    ASSERT_FALSE(l.candidates.empty());
    EXPECT_STREQ(kEntries[kFlows[l.candidates.front().flow].entry].id, "cucm42-en.t5.r3");
    p.only_preferred = true;
    l = label_for(kTcp, 52000, 2000, Direction::kHandshake, -1, p);
    for (const auto &c : l.candidates) EXPECT_TRUE(c.preferred);
}

TEST(Flags, SipOn5060IsExpectedButOnUdp6000Unexpected) {
    EXPECT_FALSE(flags_for(kUdp, 52000, 5060, Direction::kFirstPacket, proto("SIP")).flags & kFlagUnexpectedPort);
    FlagResult r = flags_for(kUdp, 5060, 6000, Direction::kFirstPacket, proto("SIP"));
    EXPECT_TRUE(r.flags & kFlagUnexpectedPort);
    EXPECT_NE(r.reason_for(Flag::kUnexpectedPort).find("SIP on 6000/udp"), std::string::npos) << r.reason_for(Flag::kUnexpectedPort);
}

TEST(Flags, SccpOnTcp3000AndH225On1820AreUnexpected) {
    EXPECT_TRUE(flags_for(kTcp, 52000, 3000, Direction::kHandshake, proto("SCCP")).flags & kFlagUnexpectedPort);
    EXPECT_TRUE(flags_for(kTcp, 52000, 1820, Direction::kHandshake, proto("H.225")).flags & kFlagUnexpectedPort);
    EXPECT_FALSE(flags_for(kTcp, 52000, 1720, Direction::kHandshake, proto("H.225")).flags & kFlagUnexpectedPort);
    EXPECT_TRUE(flags_for(kUdp, 52000, 3427, Direction::kFirstPacket, proto("MGCP")).flags & kFlagUnexpectedPort);
    EXPECT_FALSE(flags_for(kUdp, 52000, 2427, Direction::kFirstPacket, proto("MGCP")).flags & kFlagUnexpectedPort);
}

TEST(Flags, ProtocolMismatch) {
    EXPECT_TRUE(flags_for(kTcp, 52000, 5060, Direction::kHandshake, proto("HTTP")).flags & kFlagProtocolMismatch);
    EXPECT_TRUE(flags_for(kUdp, 52000, 5060, Direction::kFirstPacket, -1, false, {}, "wg").flags &
                kFlagProtocolMismatch);
    EXPECT_FALSE(flags_for(kTcp, 52000, 5060, Direction::kHandshake, proto("SIP")).flags & kFlagProtocolMismatch);
    EXPECT_FALSE(flags_for(kTcp, 52000, 5061, Direction::kHandshake, proto("TLS")).flags & kFlagProtocolMismatch);
}

TEST(Flags, InternalOnlyBetweenHostsButNotOnLoopback) {
    // IM and Presence 5049: "Internal port. Localhost traffic only."
    EXPECT_TRUE(flags_for(kTcp, 52000, 5049, Direction::kHandshake, -1, false).flags & kFlagInternalOnly);
    EXPECT_FALSE(flags_for(kTcp, 52000, 5049, Direction::kHandshake, -1, true).flags & kFlagInternalOnly);
    EXPECT_FALSE(flags_for(kTcp, 52000, 5060, Direction::kHandshake, -1, false).flags & kFlagInternalOnly);
}

TEST(Flags, InsecureWhereASecureCounterpartIsDocumented) {
    FlagResult r = flags_for(kTcp, 52000, 2000, Direction::kHandshake, proto("SCCP"));
    EXPECT_TRUE(r.flags & kFlagInsecure);
    EXPECT_NE(r.reason_for(Flag::kInsecure).find("2443"), std::string::npos) << r.reason_for(Flag::kInsecure);
    EXPECT_TRUE(flags_for(kTcp, 52000, 2748, Direction::kHandshake, -1).flags & kFlagInsecure);
    EXPECT_FALSE(flags_for(kTcp, 52000, 2443, Direction::kHandshake, proto("TLS")).flags & kFlagInsecure);
}

TEST(Flags, NotRecommendedOnlyWithEvidenceOfAUnifiedCmServer) {
    // A DHCP or DNS server that is a Unified CM: not recommended.
    EXPECT_TRUE(flags_for(kUdp, 68, 67, Direction::kFirstPacket, proto("DHCP"), false, {}, nullptr, true).flags &
                kFlagNotRecommended);
    EXPECT_TRUE(flags_for(kUdp, 52000, 53, Direction::kFirstPacket, proto("DNS"), false, {}, nullptr, true).flags &
                kFlagNotRecommended);
    // An ordinary DNS or DHCP server: documented plainly by other guides, pending evidence.
    FlagResult dns = flags_for(kUdp, 52000, 53, Direction::kFirstPacket, proto("DNS"));
    EXPECT_FALSE(dns.flags & kFlagNotRecommended);
    EXPECT_TRUE(dns.not_recommended_pending);
    EXPECT_FALSE(flags_for(kUdp, 68, 67, Direction::kFirstPacket, proto("DHCP")).flags & kFlagNotRecommended);
    EXPECT_FALSE(flags_for(kUdp, 52000, 123, Direction::kFirstPacket, proto("NTP"), false, {}, nullptr, true).flags &
                 kFlagNotRecommended);
}

TEST(Flags, InsecureNeedsAPayloadAndNoTls) {
    static Label keep;
    keep = classify(kTcp, 52000, 5060, Direction::kHandshake, -1, {});
    FlagInput in;
    in.transport = kTcp;
    in.client_port = 52000;
    in.server_port = 5060;
    in.label = &keep;
    EXPECT_FALSE(evaluate_flags(in).flags & kFlagInsecure) << "a SYN scan carries no cleartext";
    in.detected = proto("LDAP");
    keep = classify(kTcp, 52000, 389, Direction::kHandshake, in.detected, {});
    in.server_port = 389;
    in.payload_seen = true;
    EXPECT_TRUE(evaluate_flags(in).flags & kFlagInsecure);
    in.tls_seen = true;
    EXPECT_FALSE(evaluate_flags(in).flags & kFlagInsecure) << "STARTTLS upgraded it";
}

TEST(Flags, CleartextOnAPortDocumentedOnlyForTheSecureForm) {
    // IM and Presence 5062: SIP TLS mutual authentication only.
    FlagResult r = flags_for(kTcp, 52000, 5062, Direction::kHandshake, proto("SIP"));
    EXPECT_TRUE(r.flags & kFlagInsecure);
    EXPECT_NE(r.reason_for(Flag::kInsecure).find("only for its secure form"), std::string::npos) << r.reason_for(Flag::kInsecure);
}

TEST(Classify, PayloadEvidencePicksTheDocumentedSideAgainstAnEphemeralPort) {
    // A SIP response from 5060 opening the capture, towards an ephemeral port.
    Label l = label_for(kUdp, 5060, 33489, Direction::kFirstPacket, proto("SIP"));
    EXPECT_EQ(l.listener_port, 5060);
    // A DNS reply from 53 to a port inside the RTP range.
    l = label_for(kUdp, 53, 20000, Direction::kFirstPacket, proto("DNS"));
    EXPECT_EQ(l.listener_port, 53);
}

TEST(Flags, ReleaseMismatchAgainstCurrentUnifiedCm) {
    Prefs p;
    p.edition_group = group("cucm-current");
    EXPECT_TRUE(flags_for(kTcp, 52000, 1433, Direction::kHandshake, -1, false, p).flags & kFlagReleaseMismatch);
    EXPECT_TRUE(flags_for(kTcp, 52000, 135, Direction::kHandshake, -1, false, p).flags & kFlagReleaseMismatch);
    EXPECT_FALSE(flags_for(kTcp, 52000, 2000, Direction::kHandshake, -1, false, p).flags & kFlagReleaseMismatch);
    EXPECT_FALSE(flags_for(kTcp, 52000, 1433, Direction::kHandshake, -1, false, Prefs{}).flags & kFlagReleaseMismatch);
}

// ---- Signatures

namespace {
std::vector<uint8_t> bytes(const std::string &s) { return std::vector<uint8_t>(s.begin(), s.end()); }
int match(Transport t, const std::vector<uint8_t> &v) {
    int i = match_any(t, v.data(), v.size());
    return i;
}
const char *matched_protocol(Transport t, const std::vector<uint8_t> &v) {
    int i = match(t, v);
    return i < 0 ? "" : kSignatures[i].protocol;
}
std::vector<uint8_t> skinny(uint32_t version, uint32_t msg, size_t body) {
    std::vector<uint8_t> v(12 + body, 0);
    uint32_t len = static_cast<uint32_t>(4 + body);
    std::memcpy(v.data(), &len, 4);
    std::memcpy(v.data() + 4, &version, 4);
    std::memcpy(v.data() + 8, &msg, 4);
    return v;
}
}  // namespace

TEST(Signatures, SkinnyKeepAliveAndRegister) {
    EXPECT_STREQ(matched_protocol(kTcp, skinny(0, 0x0000, 0)), "SCCP");
    EXPECT_STREQ(matched_protocol(kTcp, skinny(0x12, 0x0001, 40)), "SCCP");
    EXPECT_STREQ(matched_protocol(kUdp, skinny(0, 0x0000, 0)), "") << "SCCP never on UDP";
    EXPECT_STREQ(matched_protocol(kTcp, skinny(7, 0x0001, 40)), "") << "unknown header version";
    auto truncated = skinny(0, 0x0001, 40);
    truncated.resize(30);
    EXPECT_STREQ(matched_protocol(kTcp, truncated), "") << "length field beyond the payload";
}

TEST(Signatures, TextProtocols) {
    EXPECT_STREQ(matched_protocol(kUdp, bytes("RSIP 1 *@gw.example.com MGCP 1.0\r\nRM: restart\r\n")), "MGCP");
    EXPECT_STREQ(matched_protocol(kUdp, bytes("200 1 OK\r\n")), "MGCP");
    EXPECT_STREQ(matched_protocol(kUdp, bytes("INVITE sip:100@10.0.0.1 SIP/2.0\r\nVia: x\r\n")), "SIP");
    EXPECT_STREQ(matched_protocol(kTcp, bytes("SIP/2.0 200 OK\r\n")), "SIP");
    EXPECT_STREQ(matched_protocol(kTcp, bytes("GET / HTTP/1.1\r\nHost: x\r\n")), "");
    EXPECT_STREQ(matched_protocol(kTcp, bytes("<?xml version='1.0'?><stream:stream to='example.com'>")), "XMPP");
    EXPECT_STREQ(matched_protocol(kUdp, bytes("INVITE sip:x HTTP/1.1\r\n")), "");
}

// Each payload matches `protocol` (or nothing, "") on UDP.
void expect_udp(const char *protocol, std::initializer_list<const char *> payloads) {
    for (const char *p : payloads) EXPECT_STREQ(matched_protocol(kUdp, bytes(p)), protocol) << p;
}

TEST(Signatures, MgcpCommandsOfBothVersions) {
    expect_udp("MGCP", {"RSIP 7 *@gw.example.com MGCP 0.1\r\nRM: restart\r\n",
                        "NTFY 999999999 aaln/1@gw MGCP 1.0 NCS 1.0\r\n"});
    // Near misses: no transaction id, a ten-digit one, no endpoint domain, no
    // version on the line, another version, a line that never ends.
    expect_udp("", {"RSIP *@gw.example.com MGCP 0.1\r\n", "RSIP 1234567890 *@gw MGCP 0.1\r\n",
                    "RSIP 7 gw.example.com MGCP 0.1\r\n", "RSIP 7 *@gw.example.com\r\nMGCP 0.1\r\n",
                    "RSIP 7 *@gw.example.com MGCP 2.0\r\n", "RSIP 7 *@gw.example.com MGCP 0.1"});
}

TEST(Signatures, MgcpResponsesNeedTheStrictLayout) {
    expect_udp("MGCP", {"200 1 OK\r\n", "510 123456789\r\n", "801 42 package specific\n"});
    // Near misses: "ddd d" followed by anything, a 3xx or 6xx class, a
    // four-digit code, no transaction id, binary after the code, no line end.
    expect_udp("", {"200 1abc OK\r\n", "300 1 OK\r\n", "600 1 OK\r\n", "2000 1 OK\r\n", "200 OK\r\n",
                    "200 1 OK\x01\x02\r\n", "200 1 OK"});
}

TEST(Signatures, TpktQ931Setup) {
    std::vector<uint8_t> v = {3, 0, 0, 12, 0x08, 0x02, 0x12, 0x34, 0x05, 0x04, 0x03, 0x80};
    EXPECT_STREQ(matched_protocol(kTcp, v), "H.225");
    v[8] = 0x99;  // not a Q.931 message type
    EXPECT_STREQ(matched_protocol(kTcp, v), "");
}

TEST(Signatures, TpktH245TerminalCapabilitySet) {
    // The first message of a separate H.245 channel (h323_ss_hold_transfer.pcapng
    // frame 17): TPKT, then terminalCapabilitySet with the protocolIdentifier
    // OID 0.0.8.245.0.7.
    std::vector<uint8_t> v = {3, 0, 0, 20, 0x02, 0x70, 0x01, 0x06, 0x00, 0x08, 0x81, 0x75, 0x00, 0x07,
                              0x80, 0x13, 0x80, 0x00, 0x14, 0x00};
    EXPECT_STREQ(matched_protocol(kTcp, v), "H.245");
    EXPECT_STREQ(matched_protocol(kUdp, v), "") << "the H.245 channel is TCP";
    auto other_oid = v;
    other_oid[11] = 0x76;  // 0.0.8.246: not H.245
    EXPECT_STREQ(matched_protocol(kTcp, other_oid), "");
    auto long_length = v;
    long_length[3] = 200;  // TPKT length beyond the payload
    EXPECT_STREQ(matched_protocol(kTcp, long_length), "");
    auto no_tpkt = v;
    no_tpkt[0] = 2;
    EXPECT_STREQ(matched_protocol(kTcp, no_tpkt), "");
}

TEST(Signatures, RandomPayloadsMatchNothing) {
    std::mt19937 rng(20261121);
    std::vector<uint8_t> buf;
    int hits = 0;
    for (int i = 0; i < 100000; ++i) {
        buf.resize(rng() % 200);
        for (auto &b : buf) b = static_cast<uint8_t>(rng());
        if (match_any(kTcp, buf.data(), buf.size()) >= 0) ++hits;
        if (match_any(kUdp, buf.data(), buf.size()) >= 0) ++hits;
    }
    EXPECT_EQ(hits, 0);
}

TEST(Signatures, NeverReadsPastTheEnd) {
    // Every prefix of a valid message is checked without reading beyond it
    // (ASan builds turn an overread into a failure).
    auto v = skinny(0x12, 0x0001, 40);
    for (size_t n = 0; n <= v.size(); ++n) {
        std::vector<uint8_t> cut(v.begin(), v.begin() + n);
        match_any(kTcp, cut.data(), cut.size());
    }
    EXPECT_EQ(match_any(kTcp, nullptr, 0), -1);
}

TEST(Rtp, RunNeedsConsistentPackets) {
    RtpRun run;
    for (int i = 0; i < RtpRun::kRtpRunNeeded; ++i) {
        RtpHeader h{0, static_cast<uint16_t>(100 + i), 160u * i, 0xdeadbeef};
        run.feed(h);
    }
    EXPECT_TRUE(run.confirmed());
    RtpRun bad;
    std::mt19937 rng(7);
    for (int i = 0; i < 50; ++i) {
        RtpHeader h{static_cast<uint8_t>(rng() % 128), static_cast<uint16_t>(rng()), static_cast<uint32_t>(rng()),
                    static_cast<uint32_t>(rng())};
        bad.feed(h);
    }
    EXPECT_FALSE(bad.confirmed());
}

TEST(Summary, MentionsPortEntryAndCount) {
    Label l = label_for(kUdp, 52000, 5060, Direction::kFirstPacket, proto("SIP"));
    ASSERT_GT(l.candidates.size(), 1u);
    std::string s = summarize(l, false);
    const Entry &e = kEntries[kFlows[l.candidates.front().flow].entry];
    EXPECT_EQ(s, std::string("5060: ") + e.purpose_short + " [" + e.id + " +" +
                     std::to_string(l.candidates.size() - 1) + "]");
    // The short purpose is the start of the purpose, or its first sentence cut short.
    std::string shrt = e.purpose_short;
    if (shrt.size() >= 3 && shrt.compare(shrt.size() - 3, 3, "...") == 0) shrt.resize(shrt.size() - 3);
    EXPECT_EQ(std::string(e.purpose).rfind(shrt, 0), 0u) << e.purpose;
}

TEST(Summary, ShortPurposesAreShortFirstSentences) {
    for (size_t i = 0; i < kEntryCount; ++i) {
        const Entry &e = kEntries[i];
        std::string s = e.purpose_short;
        EXPECT_FALSE(s.empty()) << e.id;
        EXPECT_LE(s.size(), 60u) << e.id << ": " << s;  // English: one column per byte
        EXPECT_EQ(s.find(". "), std::string::npos) << e.id << ": " << s;
        EXPECT_LE(std::string(e.purpose_original_short).size(), 3u * 60u) << e.id;
    }
}

TEST(Classify, TftpTransferLegIsLabelledFromThenEphemeralRows) {
    Label l = label_for(kUdp, 52000, 53000, Direction::kFirstPacket, proto("TFTP"));
    ASSERT_FALSE(l.candidates.empty());
    EXPECT_TRUE(l.from_transfer);
    for (const auto &c : l.candidates) EXPECT_TRUE(kEntries[kFlows[c.flow].entry].flags & kThenEphemeral);
    EXPECT_NE(summarize(l, false).find("transfer leg after 69"), std::string::npos) << summarize(l, false);
    // Without TFTP in the payload, the ephemeral pair stays unexplained.
    EXPECT_TRUE(label_for(kUdp, 52000, 53000, Direction::kFirstPacket).candidates.empty());
}

TEST(Flags, RowsNamingNoProtocolAreNotContradictedByUnexpectedPort) {
    // IM and Presence TCP 5070 "used on a call configuration" names no protocol.
    EXPECT_FALSE(flags_for(kTcp, 52000, 5070, Direction::kHandshake, proto("SIP")).flags & kFlagUnexpectedPort);
    // A catch-all range alone is no documentation.
    EXPECT_TRUE(flags_for(kTcp, 52000, 3000, Direction::kHandshake, proto("SIP")).flags & kFlagUnexpectedPort);
}

namespace {
FlagResult flags_with_roles(uint16_t server, const char *detected, RoleSet client, RoleSet server_roles,
                            Transport t = kTcp) {
    static Label keep;
    keep = classify(t, 52000, server, t == kTcp ? Direction::kHandshake : Direction::kFirstPacket,
                    protocol_by_key(detected), Prefs());
    FlagInput in;
    in.transport = t;
    in.client_port = 52000;
    in.server_port = server;
    in.label = &keep;
    in.detected = protocol_by_key(detected);
    in.payload_seen = true;
    in.client_roles = client;
    in.server_roles = server_roles;
    return evaluate_flags(in);
}
RoleSet roles_of(const char *a, const char *b = nullptr) {
    return role_bit(role_by_key(a)) | (b ? role_bit(role_by_key(b)) : 0);
}
}  // namespace

// UC payload on a port the guides document for another purpose (issue 22).
TEST(Flags, UcPayloadOnAnotherPurposesPort) {
    const RoleSet phone = roles_of("phone"), cucm = roles_of("unified_cm"), imp = roles_of("imp");
    // SIP on 1090/tcp: the rows there name RMI (IM and Presence AMC) or name no
    // protocol for Unified CM -> RTMT; a phone is no Unified CM.
    FlagResult sip = flags_with_roles(1090, "SIP", phone, cucm);
    EXPECT_TRUE(sip.has(Flag::kUnexpectedPort));
    EXPECT_NE(sip.reason_for(Flag::kUnexpectedPort).find("whose ends the hosts' roles do not fit"), std::string::npos)
        << sip.reason_for(Flag::kUnexpectedPort);
    // SCCP from a phone to its Unified CM on 8002 (SDL between Unified CM nodes).
    EXPECT_TRUE(flags_with_roles(8002, "SCCP", phone, cucm).has(Flag::kUnexpectedPort));
    // MGCP, H.225 and XMPP on ports documented for other protocols (TFTP, SMB, HTTPS).
    EXPECT_TRUE(flags_with_roles(69, "MGCP", roles_of("gateway"), cucm, kUdp).has(Flag::kUnexpectedPort));
    EXPECT_TRUE(flags_with_roles(445, "H.225", roles_of("gateway"), cucm).has(Flag::kUnexpectedPort));
    EXPECT_TRUE(flags_with_roles(443, "XMPP", roles_of("xmpp_client"), imp).has(Flag::kUnexpectedPort));
    // Near misses: each on a port that documents it.
    EXPECT_FALSE(flags_with_roles(5060, "SIP", phone, cucm).has(Flag::kUnexpectedPort));
    EXPECT_FALSE(flags_with_roles(2000, "SCCP", phone, cucm).has(Flag::kUnexpectedPort));
    EXPECT_FALSE(flags_with_roles(2427, "MGCP", cucm, roles_of("gateway"), kUdp).has(Flag::kUnexpectedPort));
    EXPECT_FALSE(flags_with_roles(1720, "H.225", roles_of("gateway"), cucm).has(Flag::kUnexpectedPort));
    EXPECT_FALSE(flags_with_roles(5222, "XMPP", roles_of("xmpp_client"), imp).has(Flag::kUnexpectedPort));
    // A row naming no protocol whose ends fit: Unified CM -> IM and Presence on 5070.
    EXPECT_FALSE(flags_with_roles(5070, "SIP", cucm, imp).has(Flag::kUnexpectedPort));
    // SCCP between two Unified CM nodes on 8002 fits its row's ends.
    EXPECT_FALSE(flags_with_roles(8002, "SCCP", cucm, cucm).has(Flag::kUnexpectedPort));
}

TEST(Flags, TableFollowsTheEnum) {
    // kFlagInfo and the Flag enum are generated together from vocabulary.toml [flags.NAME].
    EXPECT_STREQ(flag_info(Flag::kUnexpectedPort).name, "unexpected_port");
    EXPECT_STREQ(flag_info(Flag::kInsecure).name, "insecure");
    EXPECT_EQ(flag_info(Flag::kInternalOnly).group, FlagGroup::kSecurity);
    EXPECT_EQ(flag_info(Flag::kProtocolMismatch).severity, FlagSeverity::kWarn);
    EXPECT_EQ(flag_info(Flag::kReleaseMismatch).severity, FlagSeverity::kNote);
    EXPECT_EQ(flag_list(kFlagUnexpectedPort | kFlagInsecure), "unexpected_port,insecure");
    for (int i = 0; i < kFlagCount; ++i) {
        EXPECT_EQ(flag_bit(flag_at(i)), 1u << i);
        EXPECT_STRNE(kFlagInfo[i].summary, "");
        EXPECT_STRNE(kFlagInfo[i].preference, "");
    }
}

TEST(Signatures, ProtocolIndexResolvedByTheGenerator) {
    for (size_t i = 0; i < kSignatureCount; ++i)
        EXPECT_EQ(kSignatures[i].protocol_index, protocol_by_key(kSignatures[i].protocol)) << kSignatures[i].name;
    for (size_t i = 0; i < kHeuristicCount; ++i) EXPECT_GE(kHeuristics[i].protocol, 0) << kHeuristics[i].short_name;
    EXPECT_EQ(kProtocolRtp, protocol_by_key("RTP"));
    EXPECT_EQ(remap_protocol(kUdp, protocol_by_key("H.225")), protocol_by_key("RAS"));
    EXPECT_EQ(remap_protocol(kTcp, protocol_by_key("H.225")), protocol_by_key("H.225"));
}
