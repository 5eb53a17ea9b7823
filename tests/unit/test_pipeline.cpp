// Unit tests of the conversation pipeline both engines call (core/pipeline.*),
// the role-rule dispatch (core/roles.* observe_payload) and the table writer
// (core/tables.*), against the tables generated from the real catalog. Each
// rule next to its near miss.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "pipeline.h"
#include "roles.h"
#include "tables.h"

using namespace ciscouc;

namespace {

int proto(const char *k) {
    int p = protocol_by_key(k);
    EXPECT_GE(p, 0) << k;
    return p;
}

Detection payload(const char *key) {
    Detection d;
    d.protocol = proto(key);
    d.seen.add(d.protocol);
    d.payload = true;
    return d;
}

struct Fixture {
    HostTable hosts;
    Settings settings;
    Pipeline pipe{settings, hosts};
    ConvState c;
    HostKeys k{"10.0.0.2", "10.0.0.1"};
};

std::string temp_file(const std::string &text) {
    char name[] = "/tmp/ciscouc-allow-XXXXXX";
    int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(text.c_str(), f);
    fclose(f);
    return name;
}

}  // namespace

TEST(Pipeline, OpenLabelsFromThePortAndInspectConfirmsFromThePayload) {
    Fixture x;
    Relabel r = x.pipe.open(&x.c, x.k, kTcp, 51234, 2000, Direction::kHandshake, false, 1);
    ASSERT_TRUE(r.done);
    EXPECT_EQ(x.c.listener_port, 2000);
    EXPECT_NE(x.c.claim, Claim::kConfirmed);  // a port alone confirms nothing
    ASSERT_TRUE(Pipeline::begin_inspection(&x.c));
    r = x.pipe.inspect(&x.c, &x.k, payload("SCCP"), nullptr, MediaSetup(), 4);
    ASSERT_TRUE(r.done);
    EXPECT_EQ(x.c.claim, Claim::kConfirmed);
    EXPECT_EQ(r.verdict.detail, "SCCP payload in frame 4");
    EXPECT_TRUE(x.c.has_flag(Flag::kInsecure));
    EXPECT_TRUE(r.raised & flag_bit(Flag::kInsecure));
    EXPECT_EQ(x.c.flag_frame[flag_index(Flag::kInsecure)], 4u);
    // SCCP to 2000 shows its listener to be a Unified CM (the host rule).
    EXPECT_TRUE(x.hosts.roles("10.0.0.1") & role_bit(role_by_key("unified_cm")));
    // The same packet again is no news: no relabel, the flag keeps its frame.
    r = x.pipe.inspect(&x.c, &x.k, payload("SCCP"), nullptr, MediaSetup(), 5);
    EXPECT_FALSE(r.done);
    EXPECT_EQ(x.c.flag_frame[flag_index(Flag::kInsecure)], 4u);
}

TEST(Pipeline, InspectionWindowIsBoundedUnlessNotRecommendedWaits) {
    Fixture x;
    x.pipe.open(&x.c, x.k, kUdp, 40000, 40001, Direction::kFirstPacket, false, 1);
    for (int i = 0; i < kInspectPackets; ++i) ASSERT_TRUE(Pipeline::begin_inspection(&x.c));
    EXPECT_FALSE(Pipeline::begin_inspection(&x.c));
    x.c.nr_pending = true;  // not_recommended waits for a Unified CM listener
    EXPECT_TRUE(Pipeline::begin_inspection(&x.c));
}

TEST(Pipeline, FlagSwitchedOffIsNotRaised) {
    Fixture x;
    Settings s;
    s.flags_off = flag_bit(Flag::kInsecure);
    x.pipe.set_settings(s);
    x.pipe.open(&x.c, x.k, kTcp, 51234, 2000, Direction::kHandshake, false, 1);
    Relabel r = x.pipe.inspect(&x.c, &x.k, payload("SCCP"), nullptr, MediaSetup(), 4);
    EXPECT_TRUE(r.result.has(Flag::kInsecure));  // the rule held...
    EXPECT_FALSE(x.c.has_flag(Flag::kInsecure));  // ...and the switch kept it from the user
    EXPECT_EQ(x.c.claim, Claim::kConfirmed);
}

TEST(Pipeline, SipStatusLineOrientsUnlessTheReceiverPortDocumentsSip) {
    // A 200 OK from 5054 to 51806 (no handshake): the sender serves.
    Fixture x;
    x.k = HostKeys{"10.0.0.1", "10.0.0.2"};
    x.pipe.open(&x.c, x.k, kUdp, 5054, 51806, Direction::kFirstPacket, false, 1);
    Detection d = payload("SIP");
    ASSERT_TRUE(Pipeline::needs_orientation(x.c, d));
    PayloadSides s;
    s.sip_status = true;
    s.from_client = true;
    s.dst_port = 51806;
    Relabel r = x.pipe.inspect(&x.c, &x.k, d, &s, MediaSetup(), 1);
    EXPECT_TRUE(r.swapped);
    EXPECT_EQ(x.c.server_port, 5054);
    EXPECT_EQ(x.k.server, "10.0.0.1");
    EXPECT_EQ(x.c.direction, Direction::kPayload);
    // Near miss: a phone's 200 OK to a Unified CM's 5060 keeps its order.
    Fixture y;
    y.k = HostKeys{"10.0.0.5", "10.0.0.1"};
    y.pipe.open(&y.c, y.k, kUdp, 5060, 5060, Direction::kFirstPacket, false, 1);
    s.dst_port = 5060;
    r = y.pipe.inspect(&y.c, &y.k, payload("SIP"), &s, MediaSetup(), 1);
    EXPECT_FALSE(r.swapped);
    EXPECT_NE(y.c.direction, Direction::kPayload);
    // A handshake decides alone.
    Fixture z;
    z.pipe.open(&z.c, z.k, kTcp, 5060, 40000, Direction::kHandshake, false, 1);
    EXPECT_FALSE(Pipeline::needs_orientation(z.c, payload("SIP")));
}

TEST(Pipeline, TftpTransferLegIsServedByTheHostItsRequesterAsked) {
    Fixture x;  // first packet from the server's new port: 10.0.0.1:37001 -> 10.0.0.2:49152
    x.k = HostKeys{"10.0.0.1", "10.0.0.2"};
    x.pipe.open(&x.c, x.k, kUdp, 37001, 49152, Direction::kFirstPacket, false, 2);
    PayloadSides s;
    s.tftp_asked_from_server = true;  // the RRQ came from 10.0.0.2:49152
    Relabel r = x.pipe.inspect(&x.c, &x.k, payload("TFTP"), &s, MediaSetup(), 2);
    EXPECT_TRUE(r.swapped);
    EXPECT_EQ(x.c.server_port, 37001);
    // Near miss: no request seen, the first packet's order stands.
    Fixture y;
    y.pipe.open(&y.c, y.k, kUdp, 37001, 49152, Direction::kFirstPacket, false, 2);
    const PayloadSides none;
    r = y.pipe.inspect(&y.c, &y.k, payload("TFTP"), &none, MediaSetup(), 2);
    EXPECT_FALSE(r.swapped);
}

TEST(Pipeline, MediaSetUpBySignallingConfirmsTheStream) {
    Fixture x;
    x.pipe.open(&x.c, x.k, kUdp, 24580, 28672, Direction::kFirstPacket, false, 20);
    Detection d;
    d.payload = true;
    Relabel r = x.pipe.inspect(&x.c, &x.k, d, nullptr, MediaSetup{proto("SCCP"), 18}, 20);
    ASSERT_TRUE(r.done);
    EXPECT_EQ(x.c.claim, Claim::kConfirmed);
    EXPECT_EQ(r.verdict.detail, "RTP media set up by SCCP in frame 18");
    // Near miss: the same datagrams with no signalling are no claim.
    Fixture y;
    y.pipe.open(&y.c, y.k, kUdp, 24580, 28672, Direction::kFirstPacket, false, 20);
    y.pipe.inspect(&y.c, &y.k, d, nullptr, MediaSetup(), 20);
    EXPECT_NE(y.c.claim, Claim::kConfirmed);
}

TEST(Pipeline, RefreshRelabelsOnlyWhenAHostShowedANewRole) {
    Fixture x;
    x.pipe.open(&x.c, x.k, kTcp, 52443, 8443, Direction::kHandshake, false, 1);
    x.pipe.inspect(&x.c, &x.k, payload("TLS"), nullptr, MediaSetup(), 4);
    EXPECT_NE(x.c.claim, Claim::kConfirmed);  // HTTPS on 8443 between hosts with no role
    EXPECT_FALSE(x.pipe.refresh(&x.c, x.k).done);
    x.hosts.add("10.0.0.9", role_by_key("phone"), proto("SCCP"), 9);  // another host: no relabel
    EXPECT_FALSE(x.pipe.refresh(&x.c, x.k).done);
    x.hosts.add("10.0.0.2", role_by_key("phone"), proto("SCCP"), 10);
    x.hosts.add("10.0.0.1", role_by_key("unified_cm"), proto("SCCP"), 10);
    Relabel r = x.pipe.refresh(&x.c, x.k);
    ASSERT_TRUE(r.done);
    EXPECT_EQ(x.c.claim, Claim::kConfirmed);
    EXPECT_EQ(r.verdict.detail.rfind("roles: ", 0), 0u) << r.verdict.detail;
}

TEST(AllowList, SilencesUnexpectedPortForItsPortAndProtocolOnly) {
    auto unexpected = [](const AllowList *allow, uint16_t port, const char *key) {
        Fixture x;
        Settings s;
        s.allow = allow;
        x.pipe.set_settings(s);
        x.pipe.open(&x.c, x.k, kTcp, 40000, port, Direction::kHandshake, false, 1);
        x.pipe.inspect(&x.c, &x.k, payload(key), nullptr, MediaSetup(), 4);
        return x.c.has_flag(Flag::kUnexpectedPort);
    };
    ASSERT_TRUE(unexpected(nullptr, 5048, "SIP"));
    AllowList a;
    std::string err;
    const std::string path = temp_file("# ciscouc site allow-list\n\"tcp\",\"5047-5048\",\"SIP\",\"our trunk\"\n");
    ASSERT_TRUE(a.load(path, &err)) << err;
    EXPECT_EQ(a.size(), 1u);
    EXPECT_FALSE(unexpected(&a, 5048, "SIP"));
    EXPECT_TRUE(unexpected(&a, 5046, "SIP"));   // near miss: outside the range
    EXPECT_TRUE(unexpected(&a, 5048, "SCCP"));  // near miss: another protocol
    std::remove(path.c_str());
}

TEST(AllowList, BadRecordsNameFileLineAndReason) {
    struct Case {
        const char *text, *says;
    } cases[] = {
        {"\"sctp\",\"5070\",\"SIP\",\"\"\n", "Transport must be tcp or udp"},
        {"\"tcp\",\"5071-5070\",\"SIP\",\"\"\n", "must be N or N-M"},
        {"\"tcp\",\"5070\",\"SIPX\",\"\"\n", "Unknown protocol 'SIPX'"},
        {"\"tcp\",\"5070\n", "not a record"},
        {"\"tcp\"\n", "expected 3 or 4 fields"},
    };
    for (const Case &c : cases) {
        const std::string path = temp_file(std::string("# comment\n\"udp\",\"5060\",\"SIP\",\"ok\"\n") + c.text);
        AllowList a;
        std::string err;
        EXPECT_FALSE(a.load(path, &err)) << c.text;
        EXPECT_NE(err.find(path + ":3: "), std::string::npos) << err;
        EXPECT_NE(err.find(c.says), std::string::npos) << err;
        EXPECT_EQ(a.size(), 0u);  // nothing kept from a bad file
        std::remove(path.c_str());
    }
    AllowList a;
    std::string err;
    EXPECT_FALSE(a.load("/nonexistent/allow", &err));
    EXPECT_NE(err.find("/nonexistent/allow: cannot be read"), std::string::npos) << err;
}

TEST(RtpVote, ARunBeatsTheOwnerAndABreakLeavesItTheOwners) {
    auto header = [](uint16_t seq, uint32_t ts) {
        RtpHeader h;
        h.payload_type = 0;
        h.seq = seq;
        h.timestamp = ts;
        h.ssrc = 0x1234;
        return h;
    };
    RtpVote v;
    RtpBeforeOwner last = RtpBeforeOwner::kUndecided;
    for (int i = 0; i < RtpRun::kRtpRunNeeded; ++i) {
        RtpHeader h = header(static_cast<uint16_t>(100 + i), 160u * i);
        last = v.before_owner(&h, true, static_cast<uint32_t>(i + 1));
        if (i + 1 < RtpRun::kRtpRunNeeded) {
            EXPECT_EQ(last, RtpBeforeOwner::kUndecided);
        }
    }
    EXPECT_EQ(last, RtpBeforeOwner::kRtp);
    // Near miss: a payload that is no RTP v2 hands the port to its owner at once.
    RtpVote w;
    RtpHeader h = header(1, 0);
    EXPECT_EQ(w.before_owner(&h, true, 1), RtpBeforeOwner::kUndecided);
    EXPECT_EQ(w.before_owner(nullptr, true, 2), RtpBeforeOwner::kOwner);
    // A frame feeds once, whichever path sees it first.
    RtpVote once;
    EXPECT_TRUE(once.feed(&h, true, 7));
    EXPECT_TRUE(once.feed(nullptr, true, 7));
}

TEST(Pipeline, DocumentedMediaPortsAndStealPorts) {
    EXPECT_TRUE(documented_media_port(16384));
    EXPECT_TRUE(documented_media_port(32767));
    EXPECT_FALSE(documented_media_port(5060));
    const uint8_t invite[] = "INVITE sip:1000@10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.2\r\n\r\n";
    const int sp = steal_port(kTcp, 40000, 6000, invite, sizeof invite - 1);
    ASSERT_GE(sp, 0);  // X11's 6000: UC signatures stand in front of it
    EXPECT_EQ(kSignatures[kStealPorts[sp].signature].protocol_index, proto("SIP"));
    EXPECT_LT(steal_port(kTcp, 40000, 7000, invite, sizeof invite - 1), 0);  // near miss: no steal port
    const uint8_t x11[] = "l\0\x0b\0\0\0\0\0\0\0\0\0";
    EXPECT_LT(steal_port(kTcp, 40000, 6000, x11, sizeof x11 - 1), 0);  // near miss: X11's own bytes
}

TEST(RoleDispatch, EveryFactReachesItsRule) {
    HostTable h;
    PayloadFacts f;
    f.sccp = true;
    f.sccp_device = "SEP001122334455";
    PacketSides s;
    s.to_server = true;
    EXPECT_TRUE(h.observe(f, s, "10.0.0.2", "10.0.0.1", 3));
    EXPECT_TRUE(h.roles("10.0.0.2") & role_bit(role_by_key("phone")));
    EXPECT_TRUE(h.roles("10.0.0.1") & role_bit(role_by_key("unified_cm")));
    // Facts of several dissectors in one packet: each rule runs.
    PayloadFacts g;
    g.sip_request = true;
    g.sip_method = "REGISTER";
    g.sip_software = "Cisco-CP7970G/8.5";
    g.tftp_read = true;
    g.tftp_file = "SEP001122334466.cnf.xml";
    Observation o[kMaxObservations];
    EXPECT_EQ(observe_payload(g, PacketSides(), o), 2);
    // Near miss: no facts, no observation.
    EXPECT_EQ(observe_payload(PayloadFacts(), PacketSides(), o), 0);
    EXPECT_FALSE(h.observe(PayloadFacts(), s, "10.0.0.7", "10.0.0.8", 4));
}

TEST(Tables, ColumnsComeFromTheVocabulary) {
    EXPECT_STREQ(kConvColumnTitles[0], "Client");
    EXPECT_STREQ(kConvColumnTitles[static_cast<size_t>(ConvColumn::kColListenerPort)], "Listener");
    EXPECT_STREQ(kHostColumnTitles[static_cast<size_t>(HostColumn::kColConversations)], "Conversations");
    EXPECT_EQ(endpoint_text("2001:db8::1", true, 5060), "[2001:db8::1]:5060");
    EXPECT_TRUE(listener_first(5060, 5060, 40000));
    EXPECT_FALSE(listener_first(5060, 5060, 5060));  // both ends on the listener port: as it came
}
