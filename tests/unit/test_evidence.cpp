// Unit tests of host roles and evidence levels (core/roles.*, core/evidence.*),
// each rule next to its near miss, against the tables generated from the real
// catalog.
#include <gtest/gtest.h>

#include <string>

#include "catalog.h"
#include "classify.h"
#include "evidence.h"
#include "roles.h"

using namespace ciscouc;

namespace {

int role(const char *k) {
    int r = role_by_key(k);
    EXPECT_GE(r, 0) << k;
    return r;
}

int proto(const char *k) {
    int p = protocol_by_key(k);
    EXPECT_GE(p, 0) << k;
    return p;
}

struct Judged {
    Label label;
    Assessment a;
};

Judged judge(Transport t, uint16_t client, uint16_t server, EvidenceInput in, ClaimsMode mode = ClaimsMode::kConfirmed,
             Direction d = Direction::kHandshake) {
    Judged j;
    j.label = classify(t, client, server, t == kUdp && d == Direction::kHandshake ? Direction::kFirstPacket : d,
                       in.detected, Prefs());
    in.transport = t;
    in.client_port = client;
    in.server_port = server;
    j.a = assess(&j.label, in, mode);
    return j;
}

const Flow &first_flow(const Judged &j) { return kFlows[j.label.candidates.front().flow]; }

}  // namespace

TEST(Roles, VocabularyResolvesCatalogNames) {
    EXPECT_GT(kRoleCount, 5u);
    bool phone_to_cucm = false;
    for (size_t f = 0; f < kFlowCount; ++f) {
        if (std::string(kFlows[f].from) == "Phone" && std::string(kFlows[f].to) == "Unified CM") {
            phone_to_cucm = true;
            EXPECT_TRUE(kFlows[f].from_roles & role_bit(role("phone")));
            EXPECT_TRUE(kFlows[f].to_roles & role_bit(role("unified_cm")));
        }
        if (std::string(kFlows[f].from) == "ANY") {
            EXPECT_EQ(kFlows[f].from_roles, kAnyHost);
        }
    }
    EXPECT_TRUE(phone_to_cucm);
    EXPECT_EQ(role_by_key("no_such_role"), -1);
    EXPECT_EQ(role_names(role_bit(role("phone")) | role_bit(role("unified_cm"))), "Unified CM, Phone");
}

TEST(Roles, SipSoftwareHeaderNamesTheSender) {
    Observation o = observe_sip(true, "INVITE", "Cisco-CP8865/14.1.1");
    EXPECT_EQ(o.sender_role, role("phone"));
    EXPECT_EQ(o.receiver_role, -1);
    EXPECT_EQ(observe_sip(false, "", "Cisco-CUCM12.5").sender_role, role("unified_cm"));
    EXPECT_EQ(observe_sip(true, "INVITE", "Cisco-SIPGateway/IOS-16.9.2").sender_role, role("gateway"));
    EXPECT_EQ(observe_sip(true, "INVITE", "TANDBERG/4352 (X12.5)").sender_role, role("expressway"));
    // Near miss: other software shows no role (only its vendor).
    Observation linphone = observe_sip(true, "INVITE", "Linphone/3.6.1 (eXosip2/4.1.0)");
    EXPECT_EQ(linphone.sender_role, -1);
    EXPECT_EQ(linphone.receiver_role, -1);
    EXPECT_FALSE(observe_sip(true, "INVITE", "").any());
}

TEST(Roles, SipRegisterShowsEndpointAndRegistrar) {
    // A Cisco user agent registers to a Unified CM.
    Observation o = observe_sip(true, "REGISTER", "Cisco-CP8845/14.1.1");
    EXPECT_EQ(o.sender_role, role("phone"));
    EXPECT_EQ(o.receiver_role, role("unified_cm"));
    // Near misses: another vendor's user agent, or none, registers to a SIP
    // server (whose Unified CM role is only possible).
    Observation l = observe_sip(true, "REGISTER", "Linphone/3.6.1");
    EXPECT_EQ(l.sender_role, role("phone"));
    EXPECT_EQ(l.receiver_role, role("sip_server"));
    EXPECT_EQ(observe_sip(true, "REGISTER", "").receiver_role, role("sip_server"));
    // The software header wins over the endpoint guess.
    EXPECT_EQ(observe_sip(true, "REGISTER", "Cisco-TelePresence-MX300").sender_role, role("telepresence"));
    // Near miss: a 200 OK to REGISTER is a response, not a REGISTER.
    EXPECT_FALSE(observe_sip(false, "REGISTER", "").any());
}

TEST(Roles, SccpDeviceNames) {
    Observation phone = observe_sccp("SEP001122334455", true);
    EXPECT_EQ(phone.sender_role, role("phone"));
    EXPECT_EQ(phone.receiver_role, role("unified_cm"));
    EXPECT_EQ(observe_sccp("NONSECURE_MTP", true).sender_role, role("media_resource"));
    // No register message: the server is still a Unified CM, the client unknown.
    Observation any = observe_sccp("", true);
    EXPECT_EQ(any.sender_role, -1);
    EXPECT_EQ(any.receiver_role, role("unified_cm"));
    Observation reply = observe_sccp("", false);
    EXPECT_EQ(reply.sender_role, role("unified_cm"));
}

TEST(Roles, SccpDeviceTypes) {
    // A gateway's FXS port registers as ANC<MAC...> with device type
    // AnalogPhone (0x754b, sccp_fxs_register.pcapng): a phone, not a media
    // resource; Virtual30SPplus (0x14) likewise.
    EXPECT_EQ(observe_sccp("ANC288093711081", true, 0x754b).sender_role, role("phone"));
    EXPECT_EQ(observe_sccp("AN0011AABBCC", true, 0x14).sender_role, role("phone"));
    EXPECT_EQ(observe_sccp("DA0011AABBCC", true, 0x29).sender_role, role("gateway"));  // Digital Access T1
    EXPECT_EQ(observe_sccp("NONSECURE_MTP", true, 0x53).sender_role, role("media_resource"));  // SoftwareMtpDixieLand
    // Near misses: SEP names a phone whatever the type; a type the table does
    // not name (14) or none leaves a non-SEP name a media resource.
    EXPECT_EQ(observe_sccp("SEP001122334455", true, 0x6f).sender_role, role("phone"));
    EXPECT_EQ(observe_sccp("CFB0015f9b71800", true, 14).sender_role, role("media_resource"));
    EXPECT_EQ(observe_sccp("CFB0015f9b71800", true).sender_role, role("media_resource"));
    EXPECT_EQ(sccp_device_role(0), -1);
    EXPECT_EQ(sccp_device_role(0x7d), -1);  // Trunk: none of these
}

TEST(Roles, SccpMediaNamesAMediaEndpoint) {
    Observation far = observe_sccp_media("10.10.1.22");
    EXPECT_EQ(far.named, "10.10.1.22");
    EXPECT_EQ(far.named_role, role("media_endpoint"));
    // Near miss: no address yet.
    EXPECT_FALSE(observe_sccp_media("0.0.0.0").any());
    // A media endpoint that turns out to be a phone is a phone; a phone
    // named as a far end stays a phone.
    HostTable t;
    EXPECT_TRUE(t.apply(far, "10.10.0.11", "10.10.1.21", 5));
    EXPECT_EQ(t.roles("10.10.1.22"), role_bit(role("media_endpoint")));
    EXPECT_TRUE(t.add("10.10.1.22", role("phone"), proto("SCCP"), 9));
    EXPECT_EQ(t.roles("10.10.1.22"), role_bit(role("phone")));
    EXPECT_FALSE(t.apply(far, "10.10.0.11", "10.10.1.21", 12));
    EXPECT_EQ(t.roles("10.10.1.22"), role_bit(role("phone")));
}

TEST(Roles, DhcpNamesTftpServersAndAPhonesVendor) {
    Observation tftp = observe_dhcp_tftp("10.10.0.11");
    EXPECT_EQ(tftp.named, "10.10.0.11");
    EXPECT_EQ(tftp.named_role, role("tftp_server"));
    EXPECT_FALSE(observe_dhcp_tftp("0.0.0.0").any());
    Observation renew = observe_dhcp_vendor_class("Cisco Systems, Inc. IP Phone CP-7970G", "10.10.1.21");
    EXPECT_EQ(renew.sender_role, role("phone"));
    EXPECT_EQ(renew.sender_vendors, cisco_vendor());
    // Near misses: a Discover from 0.0.0.0 names no host; a Cisco class that is
    // not a phone's names the vendor only; another vendor's phone names its vendor.
    EXPECT_FALSE(observe_dhcp_vendor_class("Cisco Systems, Inc. IP Phone CP-7970G", "0.0.0.0").any());
    Observation ap = observe_dhcp_vendor_class("Cisco AP c1140", "10.10.9.9");
    EXPECT_EQ(ap.sender_role, -1);
    EXPECT_EQ(ap.sender_vendors, cisco_vendor());
    EXPECT_TRUE(other_vendor(observe_dhcp_vendor_class("yealink", "10.10.9.8").sender_vendors));
}

TEST(Roles, MgcpVerbs) {
    Observation rsip = observe_mgcp(true, "RSIP");
    EXPECT_EQ(rsip.sender_role, role("gateway"));
    EXPECT_EQ(rsip.receiver_role, role("unified_cm"));
    Observation crcx = observe_mgcp(true, "CRCX");
    EXPECT_EQ(crcx.sender_role, role("unified_cm"));
    EXPECT_EQ(crcx.receiver_role, role("gateway"));
    EXPECT_FALSE(observe_mgcp(false, "").any());
    EXPECT_FALSE(observe_mgcp(true, "XYZZ").any());
}

TEST(Roles, RasMessages) {
    Observation rrq = observe_ras(3);
    EXPECT_EQ(rrq.sender_role, role("gateway"));
    EXPECT_EQ(rrq.receiver_role, role("gatekeeper"));
    EXPECT_EQ(observe_ras(4).sender_role, role("gatekeeper"));
    EXPECT_FALSE(observe_ras(7).any());  // UCF: either side may unregister
}

TEST(Roles, TftpPhoneFiles) {
    Observation cnf = observe_tftp_read("SEP001122334455.cnf.xml");
    EXPECT_EQ(cnf.sender_role, role("phone"));
    EXPECT_EQ(cnf.receiver_role, role("tftp_server"));
    EXPECT_TRUE(observe_tftp_read("/tftpboot/ITLSEP001122334455.tlv").any());
    EXPECT_TRUE(observe_tftp_read("CTLSEP001122334455.tlv").any());
    EXPECT_TRUE(observe_tftp_read("SEP001122334455.cnf.xml.sgn").any());
    // Near misses.
    EXPECT_FALSE(observe_tftp_read("boot.img").any());
    EXPECT_FALSE(observe_tftp_read("SEPARATOR.txt").any());
    EXPECT_FALSE(observe_tftp_read("ITL.txt").any());
}

TEST(Roles, XmppStreams) {
    Observation c2s = observe_xmpp_stream(true, false);
    EXPECT_EQ(c2s.sender_role, role("xmpp_client"));
    EXPECT_EQ(c2s.receiver_role, role("imp"));
    Observation s2s = observe_xmpp_stream(true, true);
    EXPECT_EQ(s2s.sender_role, role("imp"));
    EXPECT_EQ(s2s.receiver_role, role("imp"));
}

TEST(Roles, HostTableKeepsFirstProofAndCountsNews) {
    HostTable t;
    uint32_t g = t.generation();
    EXPECT_TRUE(t.apply(observe_sccp("SEP001122334455", true), "10.0.0.21", "10.0.0.11", 4));
    EXPECT_GT(t.generation(), g);
    g = t.generation();
    EXPECT_FALSE(t.apply(observe_sccp("SEP001122334455", true), "10.0.0.21", "10.0.0.11", 9));
    EXPECT_EQ(t.generation(), g);
    EXPECT_TRUE(t.apply(observe_tftp_read("SEP001122334455.cnf.xml"), "10.0.0.21", "10.0.0.11", 1));
    ASSERT_EQ(t.hosts().size(), 2u);
    EXPECT_EQ(t.hosts()[1].address, "10.0.0.11");
    EXPECT_EQ(HostTable::proofs_text(t.hosts()[1]), "Unified CM: SCCP frame 4; TFTP server: TFTP frame 1; Cisco: SCCP frame 4");
    EXPECT_EQ(t.roles("10.0.0.99"), 0u);
    EXPECT_FALSE(t.add("", role("phone"), -1, 1));
}

// Every [vendors.*] pattern of the vocabulary matches its example and not
// its near miss (the data's own test cases).
TEST(Vendors, EveryPatternMatchesItsExampleAndNotItsNearMiss) {
    ASSERT_GT(kVendorPatternCount, 20u);
    for (size_t i = 0; i < kVendorPatternCount; ++i) {
        const VendorPattern &p = kVendorPatterns[i];
        EXPECT_TRUE(vendor_pattern_matches(p.example, p.pattern)) << p.pattern << " vs " << p.example;
        EXPECT_FALSE(vendor_pattern_matches(p.near_miss, p.pattern)) << p.pattern << " vs " << p.near_miss;
        EXPECT_TRUE(vendors_named(p.example) & vendor_bit(p.vendor)) << p.example;
    }
}

TEST(Vendors, HeaderValuesNameTheirVendor) {
    auto named = [](const char *text) { return vendor_names(vendors_named(text)); };
    // Real User-Agent/Server values from ../shared/captures (INVENTORY.md).
    EXPECT_EQ(named("Asterisk PBX 1.6.0.6"), "Asterisk");
    EXPECT_EQ(named("Cisco-SIPGateway/IOS-16.9.2"), "Cisco");
    EXPECT_EQ(named("Cirpack/v4.38e (gw_sip)"), "Cirpack");
    EXPECT_EQ(named("Aastra 480i/1.4.3.23 Brcm Callctrl/1.5.1.0 MxSF/v3.2.8.45"), "Mitel/Aastra");
    EXPECT_EQ(named("Huawei SoftX3000 V300R011"), "Huawei");
    EXPECT_EQ(named("kamailio (5.2.1 (x86_64/linux))"), "Kamailio/OpenSIPS");
    // Near misses: a word inside another word, or a product of no listed vendor.
    EXPECT_EQ(named("prod-pbxreg02"), "");
    EXPECT_EQ(named("iOS/8.1 (12B411) iPhone"), "");
    EXPECT_EQ(named("SIP Server"), "");
    EXPECT_TRUE(other_vendor(vendors_named("FreeSWITCH-mod_sofia/1.6.12")));
    EXPECT_FALSE(other_vendor(vendors_named("Cisco-CUCM12.5")));
    EXPECT_FALSE(other_vendor(0));
}

TEST(Vendors, AHostNamingAnotherVendorGetsNoCiscoRole) {
    HostTable t;
    // A REGISTER from a Cisco phone makes its registrar a Unified CM...
    EXPECT_TRUE(t.apply(observe_sip(true, "REGISTER", "Cisco-CP8841/12.5.1"), "10.0.0.5", "10.0.0.1", 1));
    EXPECT_EQ(t.roles("10.0.0.1"), role_bit(role("unified_cm")));
    // ...until the registrar names another vendor in its own words.
    EXPECT_TRUE(t.apply(observe_sip(false, "", "Asterisk PBX 1.6.0.6"), "10.0.0.1", "10.0.0.5", 2));
    EXPECT_EQ(t.roles("10.0.0.1"), kOtherVendor);
    EXPECT_FALSE(t.add("10.0.0.1", role("unified_cm"), proto("SCCP"), 3));
    EXPECT_TRUE(t.add("10.0.0.1", role("sip_server"), proto("SIP"), 3));  // not a Cisco role
    EXPECT_EQ(HostTable::role_text(t.find("10.0.0.1")), "SIP server (Asterisk)");
    EXPECT_EQ(HostTable::proofs_text(*t.find("10.0.0.1")), "SIP server: SIP frame 3; Asterisk: SIP frame 2");
    // Near miss: the Cisco phone keeps its roles and names Cisco only.
    EXPECT_EQ(t.roles("10.0.0.5"), role_bit(role("phone")) | kCiscoVendor);
    EXPECT_EQ(HostTable::role_text(t.find("10.0.0.5")), "Phone");
    EXPECT_EQ(vendor_names(t.find("10.0.0.5")->vendors), "Cisco");
    // A vendor alone, no role.
    EXPECT_TRUE(t.apply(observe_sip(true, "INVITE", "Yealink SIP-T46S 66.84.0.15"), "10.0.0.7", "10.0.0.1", 4));
    EXPECT_EQ(HostTable::role_text(t.find("10.0.0.7")), "(Yealink)");
    // SCCP names Cisco at both ends.
    Observation sccp = observe_sccp("SEP001122334455", true);
    EXPECT_EQ(sccp.sender_vendors, cisco_vendor());
    EXPECT_EQ(sccp.receiver_vendors, cisco_vendor());
}

TEST(Evidence, AnEndNamingAnotherVendorGetsNoCiscoPurpose) {
    // SIP from a phone to an Asterisk on 5060: the payload would confirm the
    // Unified CM "SIP phones" row; the listener's own words say otherwise.
    EvidenceInput in;
    in.detected = proto("SIP");
    in.payload_seen = true;
    in.client_roles = role_bit(role("phone"));
    in.server_roles = role_bit(role("sip_server")) | kOtherVendor;
    Judged j = judge(kUdp, 50000, 5060, in, ClaimsMode::kPossible);
    EXPECT_TRUE(j.label.empty());
    Verdict v = weigh(classify(kUdp, 50000, 5060, Direction::kFirstPacket, in.detected, Prefs()), Direction::kFirstPacket,
                      [&] { EvidenceInput e = in; e.transport = kUdp; e.client_port = 50000; e.server_port = 5060; return e; }(),
                      Prefs(), ClaimsMode::kConfirmed);
    EXPECT_EQ(v.detail, kOtherVendorText);
    // A Cisco phone's Asterisk is still no Unified CM.
    in.client_roles = role_bit(role("phone")) | kCiscoVendor;
    EXPECT_TRUE(judge(kUdp, 50000, 5060, in, ClaimsMode::kPossible).label.empty());
    EXPECT_TRUE(no_cisco_guide(in.client_roles, in.server_roles));
    // Near misses: the same SIP to a SIP server that named no vendor is
    // confirmed by its payload; so is a Yealink phone's SIP to a Unified CM
    // that names Cisco (a third-party phone on a Unified CM).
    in.client_roles = role_bit(role("phone"));
    in.server_roles = role_bit(role("sip_server"));
    Judged k = judge(kUdp, 50000, 5060, in);
    EXPECT_EQ(k.a.claim, Claim::kConfirmed);
    EXPECT_EQ(k.a.basis, Basis::kPayload);
    in.client_roles = role_bit(role("phone")) | kOtherVendor;
    in.server_roles = role_bit(role("unified_cm")) | kCiscoVendor;
    EXPECT_EQ(judge(kUdp, 50000, 5060, in).a.claim, Claim::kConfirmed);
    EXPECT_FALSE(no_cisco_guide(in.client_roles, in.server_roles));
    // Media between them stays media (bare, no Cisco row).
    EvidenceInput m;
    m.transport = kUdp;
    m.client_port = 16384;
    m.server_port = 16386;
    m.detected = proto("RTP");
    m.payload_seen = true;
    m.media_protocol = proto("SIP");
    m.client_roles = kOtherVendor;
    Verdict mv = weigh(classify(kUdp, 16384, 16386, Direction::kFirstPacket, m.detected, Prefs()), Direction::kFirstPacket,
                       m, Prefs(), ClaimsMode::kConfirmed);
    EXPECT_TRUE(mv.bare_media);
    EXPECT_EQ(mv.as.claim, Claim::kConfirmed);
}

TEST(Evidence, AHostWithNoRoleIsNotAUnifiedCm) {
    // DCE-RPC on 135/tcp from a host with no role to a Unified CM: the row
    // "Unified CM -> Unified CM" names a Unified CM at both ends; the sender
    // shows none, so the listener's role alone does not confirm it.
    EvidenceInput in;
    in.detected_other = "dcerpc";
    in.payload_seen = true;
    in.server_roles = role_bit(role("unified_cm"));
    Judged j = judge(kTcp, 50000, 135, in, ClaimsMode::kPossible);
    ASSERT_FALSE(j.label.empty());
    EXPECT_NE(j.a.claim, Claim::kConfirmed);
    // Near miss: both ends are Unified CMs: confirmed by their roles.
    in.client_roles = role_bit(role("unified_cm"));
    Judged k = judge(kTcp, 50000, 135, in);
    ASSERT_FALSE(k.label.empty());
    EXPECT_EQ(k.a.claim, Claim::kConfirmed);
    EXPECT_EQ(k.a.basis, Basis::kHostRoles);
    // A SIP server may be a Unified CM: it neither confirms nor contradicts the row.
    in.client_roles = role_bit(role("sip_server"));
    EXPECT_NE(judge(kTcp, 50000, 135, in, ClaimsMode::kPossible).a.claim, Claim::kConfirmed);
}

TEST(Evidence, CiscoMeaningsOnAGenericCarrierNeedAUcHost) {
    // HTTP on 80 between hosts with no role: the AXL/SOAP row (AXL, SOAP,
    // HTTP) is not even possible; nor COP file install (no protocol) on TLS 443.
    EvidenceInput http;
    http.detected = proto("HTTP");
    http.payload_seen = true;
    EXPECT_TRUE(judge(kTcp, 50000, 80, http, ClaimsMode::kPossible).label.empty());
    EvidenceInput tls;
    tls.detected = proto("TLS");
    tls.payload_seen = true;
    EXPECT_TRUE(judge(kTcp, 50000, 443, tls, ClaimsMode::kPossible).label.empty());
    EvidenceInput h2;
    h2.detected_other = "http2";
    h2.payload_seen = true;
    EXPECT_TRUE(judge(kTcp, 50000, 8443, h2, ClaimsMode::kPossible).label.empty());
    // Near misses: a phone at one end makes them possible; TLS on 5061 may be SIPS.
    http.client_roles = role_bit(role("phone"));
    EXPECT_FALSE(judge(kTcp, 50000, 80, http, ClaimsMode::kPossible).label.empty());
    EXPECT_EQ(judge(kTcp, 50000, 5061, tls, ClaimsMode::kPossible).a.claim, Claim::kPossible);
}

TEST(Evidence, UcPayloadConfirmsTheRowsDocumentingIt) {
    EvidenceInput in;
    in.detected = proto("SIP");
    in.payload_seen = true;
    in.payload_frame = 3;
    Judged j = judge(kUdp, 50000, 5060, in);
    ASSERT_FALSE(j.label.empty());
    EXPECT_EQ(j.a.claim, Claim::kConfirmed);
    EXPECT_EQ(j.a.basis, Basis::kPayload);
    EXPECT_EQ(evidence_text(j.label.candidates.front(), j.a.rows.front(), in), "SIP payload in frame 3");
    // Near miss: TLS on 5060 between hosts with no roles confirms nothing: it
    // contradicts the plain SIP rows; the rows that also document SIPS stay possible.
    EvidenceInput tls;
    tls.detected = proto("TLS");
    tls.payload_seen = true;
    Judged t = judge(kTcp, 50000, 5060, tls, ClaimsMode::kPossible);
    EXPECT_EQ(t.a.claim, Claim::kPossible);
    for (const Candidate &c : t.label.candidates)
        EXPECT_TRUE(entry_has_protocol(kEntries[kFlows[c.flow].entry], proto("SIPS"))) << kEntries[kFlows[c.flow].entry].id;
}

TEST(Evidence, GenericServicesNeedAUcHost) {
    EvidenceInput in;
    in.detected = proto("TLS");
    in.payload_seen = true;
    Judged laptops = judge(kTcp, 50000, 8443, in);
    for (size_t i = 0; i < laptops.a.rows.size(); ++i) EXPECT_NE(laptops.a.rows[i].claim, Claim::kConfirmed);
    EXPECT_NE(laptops.a.claim, Claim::kConfirmed);
    // DNS between two hosts with no roles: no label at all.
    EvidenceInput dns;
    dns.detected = proto("DNS");
    dns.payload_seen = true;
    EXPECT_TRUE(judge(kUdp, 50000, 53, dns).label.empty());
    // The same DNS query from a Unified CM: the Unified CM row is confirmed.
    dns.client_roles = role_bit(role("unified_cm"));
    Judged cucm = judge(kUdp, 50000, 53, dns);
    ASSERT_FALSE(cucm.label.empty());
    EXPECT_EQ(cucm.a.claim, Claim::kConfirmed);
    EXPECT_EQ(cucm.a.basis, Basis::kHostRoles);
    EXPECT_EQ(std::string(first_flow(cucm).from).rfind("Unified CM", 0), 0u);
}

TEST(Evidence, RoleMatchingRowsComeFirst) {
    EvidenceInput in;
    in.detected = proto("TLS");
    in.payload_seen = true;
    in.client_roles = role_bit(role("phone"));
    in.server_roles = role_bit(role("unified_cm"));
    Judged j = judge(kTcp, 50000, 8443, in);
    ASSERT_FALSE(j.label.empty());
    EXPECT_EQ(j.a.claim, Claim::kConfirmed);
    EXPECT_TRUE(j.a.rows.front().roles_match);
    const Flow &f = first_flow(j);
    EXPECT_TRUE(f.from_roles & in.client_roles) << f.from;
    EXPECT_EQ(evidence_text(j.label.candidates.front(), j.a.rows.front(), in).rfind("roles: ", 0), 0u);
    // Near miss: a phone talking to a host with no role: nothing confirms the
    // rows whose listener is a Unified CM; they stay possible.
    in.server_roles = 0;
    Judged k = judge(kTcp, 50000, 8443, in, ClaimsMode::kPossible);
    EXPECT_NE(k.a.claim, Claim::kConfirmed);
    // The other way round, a known Unified CM listening and a client with no
    // role: the listener's role confirms what it serves.
    in.client_roles = 0;
    in.server_roles = role_bit(role("unified_cm"));
    Judged u = judge(kTcp, 50000, 8443, in);
    EXPECT_EQ(u.a.claim, Claim::kConfirmed);
}

TEST(Evidence, SignalledMediaConfirmsEvenCatchAllRanges) {
    EvidenceInput in;
    in.payload_seen = true;
    in.media_protocol = proto("SIP");
    in.media_frame = 5;
    // 8000 is inside Unified CM's gateway range 8000-48200 only (catch-all).
    Judged j = judge(kUdp, 8000, 8002, in);
    ASSERT_FALSE(j.label.empty());
    EXPECT_EQ(j.a.claim, Claim::kConfirmed);
    EXPECT_EQ(j.a.basis, Basis::kMedia);
    EXPECT_EQ(evidence_text(j.label.candidates.front(), j.a.rows.front(), in), "RTP media set up by SIP in frame 5");
    // Near miss: the same ports without signalling: catch-all, no label.
    EvidenceInput bare;
    bare.payload_seen = true;
    EXPECT_TRUE(judge(kUdp, 8000, 8002, bare).label.empty());
}

// weigh(): relabel()'s steps, shared by the plugin and ciscouc-scan.
TEST(Evidence, WeighClassifiesSignalledMediaAgainWithoutADirection) {
    EvidenceInput in;
    in.transport = kUdp;
    in.client_port = 20000;  // inside the RTP range
    in.server_port = 6000;   // the first packet's destination: no UDP media row
    in.payload_seen = true;
    in.media_protocol = proto("SIP");
    in.media_frame = 7;
    Label first = classify(kUdp, 20000, 6000, Direction::kFirstPacket, -1, Prefs());
    Verdict v = weigh(first, Direction::kFirstPacket, in, Prefs(), ClaimsMode::kConfirmed);
    ASSERT_FALSE(v.label.empty());
    EXPECT_FALSE(v.bare_media);
    EXPECT_EQ(v.as.claim, Claim::kConfirmed);
    EXPECT_EQ(v.label.listener_port, 20000);
    EXPECT_EQ(v.detail, "RTP media set up by SIP in frame 7");
    EXPECT_EQ(v.media, v.detail);
    EXPECT_EQ(v.flag_label(ClaimsMode::kConfirmed).candidates.size(), v.label.candidates.size());
    // Near miss: no signalling, no second classification and no media text.
    EvidenceInput plain = in;
    plain.media_protocol = -1;
    Verdict p = weigh(first, Direction::kFirstPacket, plain, Prefs(), ClaimsMode::kConfirmed);
    EXPECT_TRUE(p.media.empty());
    EXPECT_TRUE(p.label.empty());  // catch-all and port-only rows need evidence
}

TEST(Evidence, WeighBareMediaIsConfirmedWithNoRow) {
    EvidenceInput in;
    in.transport = kUdp;
    in.client_port = 65000;
    in.server_port = 65002;  // no guide documents either port for UDP media
    in.payload_seen = true;
    in.media_protocol = proto("SCCP");
    in.media_frame = 3;
    Label first = classify(kUdp, 65000, 65002, Direction::kFirstPacket, -1, Prefs());
    Verdict v = weigh(first, Direction::kFirstPacket, in, Prefs(), ClaimsMode::kConfirmed);
    EXPECT_TRUE(v.bare_media);
    EXPECT_TRUE(v.label.empty());
    EXPECT_EQ(v.as.claim, Claim::kConfirmed);
    EXPECT_EQ(v.as.basis, Basis::kMedia);
    EXPECT_EQ(v.detail, "RTP media set up by SCCP in frame 3");
    // Near miss: without signalling nothing is claimed and nothing is said.
    in.media_protocol = -1;
    Verdict none = weigh(first, Direction::kFirstPacket, in, Prefs(), ClaimsMode::kConfirmed);
    EXPECT_FALSE(none.bare_media);
    EXPECT_EQ(none.as.claim, Claim::kNone);
    EXPECT_TRUE(none.detail.empty());
}

TEST(Evidence, NoPayloadNoLabel) {
    EvidenceInput in;  // a SYN to 2000: no payload
    EXPECT_TRUE(judge(kTcp, 50000, 2000, in).label.empty());
    // Port mode keeps every documented use, honestly marked.
    Judged port = judge(kTcp, 50000, 2000, in, ClaimsMode::kPort);
    ASSERT_FALSE(port.label.empty());
    EXPECT_EQ(port.a.claim, Claim::kNone);
}

TEST(Evidence, UndecodablePayloadOnANonGenericRowIsPossible) {
    EvidenceInput in;  // CTI on 2748: Wireshark has no dissector; the payload is data
    in.payload_seen = true;
    Judged j = judge(kTcp, 50000, 2748, in, ClaimsMode::kPossible);
    ASSERT_FALSE(j.label.empty());
    EXPECT_EQ(j.a.claim, Claim::kPossible);
    EXPECT_NE(evidence_text(j.label.candidates.front(), j.a.rows.front(), in).find("no evidence yet"), std::string::npos);
    EXPECT_FALSE(shown(j.a.claim, ClaimsMode::kConfirmed));
    EXPECT_TRUE(shown(j.a.claim, ClaimsMode::kPossible));
}

TEST(Evidence, RolesWithAContradictingPayloadKeepTheRowForProtocolMismatch) {
    EvidenceInput in;
    in.detected = proto("HTTP");
    in.payload_seen = true;
    in.client_roles = role_bit(role("phone"));
    in.server_roles = role_bit(role("unified_cm"));
    Judged j = judge(kTcp, 50000, 2000, in);
    ASSERT_FALSE(j.label.empty());
    EXPECT_EQ(j.a.claim, Claim::kConfirmed);
    EXPECT_TRUE(j.a.roles_contradicted);
    // Between hosts with no roles: no label, so no flag.
    in.client_roles = in.server_roles = 0;
    EXPECT_TRUE(judge(kTcp, 50000, 2000, in).label.empty());
}
