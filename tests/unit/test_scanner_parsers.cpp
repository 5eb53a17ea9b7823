// Unit tests of ciscouc-scan's link-layer decoder and bounded payload parsers
// (scanner/packet.*, scanner/payload.*), each next to a near miss.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>
#include <string>
#include <vector>

#include "packet.h"
#include "payload.h"

using namespace ciscouc::scan;

namespace {

std::vector<uint8_t> bytes(const std::string &s) { return std::vector<uint8_t>(s.begin(), s.end()); }

void le32(std::vector<uint8_t> *v, uint32_t x) {
    for (int i = 0; i < 4; ++i) v->push_back(static_cast<uint8_t>(x >> (8 * i)));
}

// An SCCP message: data length (id + body), header version, message id, body.
std::vector<uint8_t> sccp(uint32_t id, const std::vector<uint8_t> &body, uint32_t version = 0) {
    std::vector<uint8_t> m;
    le32(&m, static_cast<uint32_t>(4 + body.size()));
    le32(&m, version);
    le32(&m, id);
    m.insert(m.end(), body.begin(), body.end());
    return m;
}

Address v4(const char *text) {
    Address a;
    a.family = 4;
    inet_pton(AF_INET, text, a.bytes);
    return a;
}

// IPv4 + UDP around a payload.
std::vector<uint8_t> ipv4_udp(uint16_t sport, uint16_t dport, const std::string &payload, uint16_t frag = 0) {
    std::vector<uint8_t> p = {0x45, 0, 0, 0, 0, 1, uint8_t(frag >> 8), uint8_t(frag), 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
    size_t total = 20 + 8 + payload.size();
    p[2] = uint8_t(total >> 8);
    p[3] = uint8_t(total);
    size_t ulen = 8 + payload.size();
    std::vector<uint8_t> u = {uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport),
                              uint8_t(ulen >> 8), uint8_t(ulen), 0, 0};
    p.insert(p.end(), u.begin(), u.end());
    p.insert(p.end(), payload.begin(), payload.end());
    return p;
}

}  // namespace

TEST(ScannerPackets, EthernetQinQAndRawIp) {
    std::vector<uint8_t> ip = ipv4_udp(5062, 5060, "hello");
    std::vector<uint8_t> eth(12, 0);
    const uint8_t tags[] = {0x88, 0xa8, 0x00, 0x06, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00};
    eth.insert(eth.end(), tags, tags + sizeof tags);
    eth.insert(eth.end(), ip.begin(), ip.end());
    eth.resize(eth.size() + 6, 0);  // Ethernet padding is not payload
    Packet p;
    ASSERT_EQ(decode(kLinkEthernet, eth.data(), eth.size(), &p), Skip::kNone);
    EXPECT_EQ(p.transport, 17);
    EXPECT_EQ(p.sport, 5062);
    EXPECT_EQ(p.dport, 5060);
    EXPECT_EQ(std::string(reinterpret_cast<const char *>(p.payload), p.payload_len), "hello");
    EXPECT_TRUE(p.src == v4("10.0.0.1"));
    ASSERT_EQ(decode(kLinkRaw, ip.data(), ip.size(), &p), Skip::kNone);
    // Near misses: a later fragment, a truncated header.
    std::vector<uint8_t> later = ipv4_udp(5062, 5060, "hello", 0x0010);
    EXPECT_EQ(decode(kLinkRaw, later.data(), later.size(), &p), Skip::kFragment);
    std::vector<uint8_t> first = ipv4_udp(5062, 5060, "hello", 0x2000);
    ASSERT_EQ(decode(kLinkRaw, first.data(), first.size(), &p), Skip::kNone);
    EXPECT_TRUE(p.first_fragment);
    EXPECT_EQ(decode(kLinkRaw, ip.data(), 24, &p), Skip::kTruncated);
    EXPECT_EQ(decode(147, ip.data(), ip.size(), &p), Skip::kLink);
}

TEST(ScannerPayload, SipHeadersAndSdpMedia) {
    auto m = bytes(
        "INVITE sip:1000@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1\r\nuser-agent : Cisco-CP8865/14.1\r\n"
        "Content-Type: application/sdp\r\n\r\nv=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 16384 RTP/AVP 0\r\n"
        "m=video 0 RTP/AVP 96\r\nm=image 16390 udptl t38\r\nc=IN IP4 10.0.0.9\r\n");
    SipMessage s;
    ASSERT_TRUE(parse_sip(m.data(), m.size(), &s));
    EXPECT_TRUE(s.request);
    EXPECT_EQ(s.method, "INVITE");
    EXPECT_EQ(s.software, "Cisco-CP8865/14.1");
    ASSERT_EQ(s.media.count, 2);  // port 0 is a refused stream
    EXPECT_EQ(s.media.item[0].port, 16384);
    EXPECT_TRUE(s.media.item[0].addr == v4("10.0.0.1"));
    EXPECT_FALSE(s.media.item[0].t38);
    EXPECT_EQ(s.media.item[1].port, 16390);
    EXPECT_TRUE(s.media.item[1].addr == v4("10.0.0.9"));  // the media-level c= after its m= line
    EXPECT_TRUE(s.media.item[1].t38);
    auto r = bytes("SIP/2.0 200 OK\r\nServer: Cisco-CUCM14.0\r\nUser-Agent: not-this\r\n\r\n");
    ASSERT_TRUE(parse_sip(r.data(), r.size(), &s));
    EXPECT_FALSE(s.request);
    EXPECT_EQ(s.status, 200);
    EXPECT_EQ(s.software, "Cisco-CUCM14.0");
    // Near misses: no SIP version, a status code out of range, a body without a final newline.
    auto bad = bytes("INVITE sip:1000@10.0.0.2 HTTP/1.1\r\n\r\n");
    EXPECT_FALSE(parse_sip(bad.data(), bad.size(), &s));
    auto code = bytes("SIP/2.0 099 Nope\r\n\r\n");
    EXPECT_FALSE(parse_sip(code.data(), code.size(), &s));
    auto cut = bytes("SIP/2.0 200 OK\r\n\r\nm=audio 5004 RTP/AVP 0");
    ASSERT_TRUE(parse_sip(cut.data(), cut.size(), &s));
    EXPECT_EQ(s.media.count, 0);  // no c= line: no address to set up
}

TEST(ScannerPayload, SccpRegisterNameAndMediaChannels) {
    std::vector<uint8_t> reg(16, 0);
    std::memcpy(reg.data(), "SEP001122334455", 15);
    reg.resize(28, 0);
    std::vector<uint8_t> ack;
    le32(&ack, 0);  // mediaReceptionStatus
    const uint8_t ip[] = {10, 10, 1, 21};
    ack.insert(ack.end(), ip, ip + 4);
    le32(&ack, 24580);  // portNumber
    le32(&ack, 7);      // passThruPartyID
    std::vector<uint8_t> seg = sccp(0x0001, reg);
    std::vector<uint8_t> second = sccp(0x0022, ack);
    seg.insert(seg.end(), second.begin(), second.end());
    SccpMessages m;
    ASSERT_TRUE(parse_sccp(seg.data(), seg.size(), &m));
    EXPECT_EQ(m.device_name, "SEP001122334455");
    ASSERT_EQ(m.media.count, 1);
    EXPECT_EQ(m.media.item[0].port, 24580);
    EXPECT_TRUE(m.media.item[0].addr == v4("10.10.1.21"));
    // Version 17 and later: ipAddrType then 16 address bytes (StartMediaTransmission).
    std::vector<uint8_t> smt;
    le32(&smt, 1);  // conferenceID
    le32(&smt, 2);  // passThruPartyID
    le32(&smt, 0);  // IPv4
    smt.insert(smt.end(), ip, ip + 4);
    smt.resize(smt.size() + 12, 0);
    le32(&smt, 28672);
    std::vector<uint8_t> v17 = sccp(0x008A, smt, 0x11);
    ASSERT_TRUE(parse_sccp(v17.data(), v17.size(), &m));
    ASSERT_EQ(m.media.count, 1);
    EXPECT_EQ(m.media.item[0].port, 28672);
    // Near miss: a name field cut short is not read past the segment.
    std::vector<uint8_t> shortreg = sccp(0x0001, std::vector<uint8_t>(reg.begin(), reg.begin() + 10));
    ASSERT_TRUE(parse_sccp(shortreg.data(), shortreg.size(), &m));
    EXPECT_TRUE(m.device_name.empty());
}

TEST(ScannerPayload, SccpRegisterDeviceType) {
    // handle_RegisterMessage (packet-skinny.c): DeviceName[16], reserved,
    // instance, stationIpAddr, deviceType (little endian at offset 28).
    std::vector<uint8_t> reg(16, 0);
    std::memcpy(reg.data(), "ANC288093711081", 15);
    reg.resize(28, 0);
    le32(&reg, 0x754b);  // AnalogPhone
    le32(&reg, 0);       // maxStreams
    std::vector<uint8_t> seg = sccp(0x0001, reg);
    SccpMessages m;
    ASSERT_TRUE(parse_sccp(seg.data(), seg.size(), &m));
    EXPECT_EQ(m.device_name, "ANC288093711081");
    EXPECT_EQ(m.device_type, 0x754bu);
    // Near miss: a register that ends before deviceType has none.
    std::vector<uint8_t> cut = sccp(0x0001, std::vector<uint8_t>(reg.begin(), reg.begin() + 30));
    ASSERT_TRUE(parse_sccp(cut.data(), cut.size(), &m));
    EXPECT_EQ(m.device_name, "ANC288093711081");
    EXPECT_EQ(m.device_type, 0u);
}

TEST(ScannerPayload, MgcpTftpXmppTlsRas) {
    auto crcx = bytes("CRCX 1001 aaln/1@gw MGCP 1.0\r\nC: 1\r\n\r\nv=0\r\nc=IN IP4 10.0.0.5\r\nm=audio 2326 RTP/AVP 0\r\n");
    MgcpMessage g;
    ASSERT_TRUE(parse_mgcp(crcx.data(), crcx.size(), &g));
    EXPECT_TRUE(g.request);
    EXPECT_EQ(g.verb, "CRCX");
    ASSERT_EQ(g.media.count, 1);
    EXPECT_EQ(g.media.item[0].port, 2326);
    auto resp = bytes("200 1001 OK\r\n");
    ASSERT_TRUE(parse_mgcp(resp.data(), resp.size(), &g));
    EXPECT_FALSE(g.request);
    auto notmgcp = bytes("CRCX 1001 aaln/1@gw HTTP 1.0\r\n");
    EXPECT_FALSE(parse_mgcp(notmgcp.data(), notmgcp.size(), &g));

    const uint8_t rrq[] = {0, 1, 'S', 'E', 'P', '1', '.', 'c', 'n', 'f', 0, 'o', 'c', 't', 'e', 't', 0};
    std::string_view file;
    ASSERT_TRUE(parse_tftp_read(rrq, sizeof rrq, &file));
    EXPECT_EQ(file, "SEP1.cnf");
    EXPECT_FALSE(parse_tftp_read(rrq, 8, &file));  // no terminating NUL in the buffer

    auto xs = bytes("<?xml version='1.0'?><stream:stream xmlns='jabber:server' to='imp'>");
    bool server = false;
    ASSERT_TRUE(parse_xmpp_stream(xs.data(), xs.size(), &server));
    EXPECT_TRUE(server);
    auto xc = bytes("<stream:stream xmlns='jabber:client' to='imp'>");
    ASSERT_TRUE(parse_xmpp_stream(xc.data(), xc.size(), &server));
    EXPECT_FALSE(server);

    // A ClientHello with only server_name "cucm.example.com".
    std::string name = "cucm.example.com";
    std::vector<uint8_t> ext = {0, 0, 0, uint8_t(name.size() + 5), 0, uint8_t(name.size() + 3), 0, 0,
                                uint8_t(name.size())};
    ext.insert(ext.end(), name.begin(), name.end());
    std::vector<uint8_t> body = {3, 3};
    body.resize(body.size() + 32, 0);                     // random
    body.push_back(0);                                    // session id
    body.insert(body.end(), {0, 2, 0x13, 0x01, 1, 0});    // cipher suites, compression
    body.push_back(uint8_t(ext.size() >> 8));
    body.push_back(uint8_t(ext.size()));
    body.insert(body.end(), ext.begin(), ext.end());
    std::vector<uint8_t> hs = {1, 0, uint8_t(body.size() >> 8), uint8_t(body.size())};
    hs.insert(hs.end(), body.begin(), body.end());
    std::vector<uint8_t> rec = {0x16, 3, 1, uint8_t(hs.size() >> 8), uint8_t(hs.size())};
    rec.insert(rec.end(), hs.begin(), hs.end());
    std::string_view sni;
    ASSERT_TRUE(parse_tls_sni(rec.data(), rec.size(), &sni));
    EXPECT_EQ(sni, name);
    EXPECT_FALSE(parse_tls_sni(rec.data(), rec.size() - 4, &sni));  // the name cut short

    const uint8_t rrq_ras[] = {0x0c, 0, 0};  // CHOICE index 3: registrationRequest
    EXPECT_EQ(ras_choice(rrq_ras, sizeof rrq_ras), 3);
    const uint8_t ext_ras[] = {0x80, 0};  // an extension alternative
    EXPECT_EQ(ras_choice(ext_ras, sizeof ext_ras), -1);

    const uint8_t tpkt[] = {3, 0, 0, 9, 8, 2, 0x12, 0x34, 5, 3, 0, 0, 9};
    EXPECT_EQ(count_tpkt_q931(tpkt, sizeof tpkt), 1);  // the second unit is cut short
}

TEST(ScannerPayload, SipMessageLengthOverTcp) {
    auto whole = bytes("SIP/2.0 200 OK\r\nCall-ID: a\r\nContent-Length: 10\r\n\r\nv=0\r\nc=IN4");
    EXPECT_EQ(sip_message_length(whole.data(), whole.size()), whole.size());
    // The body not all in yet: the length says how much is to come.
    EXPECT_EQ(sip_message_length(whole.data(), whole.size() - 4), whole.size());
    // The compact form "l" (RFC 3261 section 20.14), on a request.
    auto compact = bytes("INVITE sip:1@10.0.0.2 SIP/2.0\r\nl: 3\r\n\r\nabc");
    EXPECT_EQ(sip_message_length(compact.data(), compact.size()), compact.size());
    // Near misses: the header block not ended, a header cut mid-line, no SIP start line.
    auto open = bytes("SIP/2.0 200 OK\r\nCall-ID: a\r\n");
    EXPECT_EQ(sip_message_length(open.data(), open.size()), kSipNeedMore);
    auto cut = bytes("SIP/2.0 200 OK\r\nContent-Len");
    EXPECT_EQ(sip_message_length(cut.data(), cut.size()), kSipNeedMore);
    auto body = bytes("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\n");
    EXPECT_EQ(sip_message_length(body.data(), body.size()), 0u);
}

TEST(ScannerPackets, VxlanGpeOpensToItsInnerPacket) {
    // An IPv4 + UDP packet to 4790 carrying VXLAN-GPE (next protocol 1,
    // IPv4, without the P flag, as arkime's synthetic capture has it).
    std::vector<uint8_t> inner = ipv4_udp(12345, 53, "query");
    std::string gpe("\x08\x00\x00\x01\x00\xd4\x31\x00", 8);
    gpe.append(inner.begin(), inner.end());
    std::vector<uint8_t> outer = ipv4_udp(40000, 4790, gpe);
    Packet p;
    ASSERT_EQ(decode(kLinkRaw, outer.data(), outer.size(), &p), Skip::kNone);
    EXPECT_EQ(p.dport, 53);
    EXPECT_EQ(std::string(reinterpret_cast<const char *>(p.payload), p.payload_len), "query");
    // Near miss: next protocol 4 (NSH) is not opened; the outer packet stays.
    outer[20 + 8 + 3] = 4;
    ASSERT_EQ(decode(kLinkRaw, outer.data(), outer.size(), &p), Skip::kNone);
    EXPECT_EQ(p.dport, 4790);
}

TEST(ScannerPayload, DhcpOptions) {
    // RFC 2131 section 2: a 236-byte BOOTP header, the magic cookie, options (RFC 2132).
    std::vector<uint8_t> m(236, 0);
    m[0] = 2;  // BOOTREPLY
    const uint8_t cookie[] = {99, 130, 83, 99};
    m.insert(m.end(), cookie, cookie + 4);
    const uint8_t opts[] = {53, 1, 5, 0, 150, 8, 10, 10, 0, 11, 10, 10, 0, 12, 66, 9, 't', 'f', 't', 'p', '.', 'l', 'a', 'n', 0,
                            60, 4, 'C', 'i', 's', 'c', 255};
    m.insert(m.end(), opts, opts + sizeof opts);
    DhcpOptions d;
    ASSERT_TRUE(parse_dhcp(m.data(), m.size(), &d));
    ASSERT_EQ(d.tftp_count, 2);
    EXPECT_TRUE(d.tftp[0] == v4("10.10.0.11"));
    EXPECT_TRUE(d.tftp[1] == v4("10.10.0.12"));
    EXPECT_EQ(d.tftp_name, "tftp.lan");
    EXPECT_EQ(d.vendor_class, "Cisc");
    // Near misses: no magic cookie; an option running past the end is not read.
    std::vector<uint8_t> bad = m;
    bad[236] = 0;
    EXPECT_FALSE(parse_dhcp(bad.data(), bad.size(), &d));
    std::vector<uint8_t> cut(m.begin(), m.begin() + 240 + 3 + 6);  // option 150 cut short
    ASSERT_TRUE(parse_dhcp(cut.data(), cut.size(), &d));
    EXPECT_EQ(d.tftp_count, 0);
}
