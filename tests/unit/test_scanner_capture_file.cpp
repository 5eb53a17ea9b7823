// Unit tests of ciscouc-scan's NetXray/Sniffer, NetMon and pcapng reader
// (scanner/capture_file.*) on small crafted files, each next to a near miss
// or a bad file. (tests/test_scanner.py also reads files Wireshark's own
// editcap wrote in these formats.)
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "capture_file.h"
#include "packet.h"

using namespace ciscouc::scan;

namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes *b, size_t off, uint16_t v) {
    if (b->size() < off + 2) b->resize(off + 2);
    (*b)[off] = uint8_t(v);
    (*b)[off + 1] = uint8_t(v >> 8);
}
void put32(Bytes *b, size_t off, uint32_t v) {
    put16(b, off, uint16_t(v));
    put16(b, off + 2, uint16_t(v >> 16));
}
void put64(Bytes *b, size_t off, uint64_t v) {
    put32(b, off, uint32_t(v));
    put32(b, off + 4, uint32_t(v >> 32));
}
void append(Bytes *b, const Bytes &x) { b->insert(b->end(), x.begin(), x.end()); }

// A frame whose first byte says which it is.
Bytes frame(uint8_t tag, size_t n) {
    Bytes f(n, 0xab);
    f[0] = tag;
    return f;
}

// The reader over an in-memory file.
struct Mem {
    explicit Mem(Bytes b) : bytes(std::move(b)) { f = fmemopen(bytes.data(), bytes.size(), "rb"); }
    ~Mem() {
        if (f) std::fclose(f);
    }
    Bytes bytes;
    FILE *f = nullptr;
};

// A NetXray file header: magic, version, start seconds, record offsets.
Bytes netxray_header(const char *version, uint32_t start_secs, uint32_t first, uint32_t end) {
    Bytes h(128, 0);
    std::memcpy(h.data(), "XCP\0", 4);
    std::memcpy(h.data() + 4, version, 8);
    put32(&h, 12, start_secs);
    put32(&h, 24, first);
    put32(&h, 28, end);
    return h;  // network 0 + 1 = Ethernet, capture type 0 (NDIS), time unit 0
}

// A NetXray 1.x (28-byte) or 2.x (40-byte) record header and its frame.
Bytes netxray_record(int major, uint64_t ticks, const Bytes &data, bool trailer = false) {
    Bytes r(major == 1 ? 28 : 40, 0);
    put32(&r, 0, uint32_t(ticks));
    put32(&r, 4, uint32_t(ticks >> 32));
    put16(&r, 8, uint16_t(data.size()));
    put16(&r, 10, uint16_t(data.size()));
    if (trailer) r[14] = r[15] = 0xff;
    append(&r, data);
    return r;
}

}  // namespace

TEST(ScannerCaptureFile, NetxrayOneOneFrames) {
    Bytes file = netxray_header("001.100\0", 1265194715, 128, 0);
    append(&file, netxray_record(1, 1000000, frame(1, 60)));  // 1.1: microsecond ticks
    append(&file, netxray_record(1, 3500000, frame(2, 70)));
    put32(&file, 28, uint32_t(file.size()));
    Mem m(file);
    CaptureFileReader r;
    ASSERT_EQ(r.open(m.f), CaptureFileReader::Open::kMine) << r.error();
    EXPECT_STREQ(r.format(), "NetXray/Sniffer 001.100");
    FileFrame f;
    ASSERT_EQ(r.next(&f), 1);
    EXPECT_EQ(f.linktype, kLinkEthernet);
    EXPECT_EQ(f.caplen, 60u);
    EXPECT_EQ(f.data[0], 1);
    EXPECT_DOUBLE_EQ(f.ts, 1265194716.0);
    ASSERT_EQ(r.next(&f), 1);
    EXPECT_EQ(f.caplen, 70u);
    EXPECT_EQ(f.data[0], 2);
    EXPECT_DOUBLE_EQ(f.ts, 1265194718.5);
    EXPECT_EQ(r.next(&f), 0);
    EXPECT_EQ(r.records(), 2u);
}

TEST(ScannerCaptureFile, NetxrayTwoTrailerAndCircularFile) {
    // 2.x: 0xff 0xff in the record header's bytes 14-15 mean 4 bytes at the
    // end of the frame, junk unless realtick's middle bytes say FCS.
    // Circular: the oldest record (at the first offset) is after the newest,
    // with what is left of an overwritten one between them.
    Bytes file = netxray_header("002.001\0", 1000, 0, 0);
    append(&file, netxray_record(2, 3000000, frame(3, 64), true));
    put32(&file, 28, uint32_t(file.size()));  // the offset after the newest
    file.resize(file.size() + 20, 0x55);
    put32(&file, 24, uint32_t(file.size()));  // the first record to read
    append(&file, netxray_record(2, 1000000, frame(1, 64), true));
    Mem m(file);
    CaptureFileReader r;
    ASSERT_EQ(r.open(m.f), CaptureFileReader::Open::kMine) << r.error();
    FileFrame f;
    ASSERT_EQ(r.next(&f), 1);
    EXPECT_EQ(f.data[0], 1);
    EXPECT_EQ(f.caplen, 60u);  // junk dropped
    EXPECT_DOUBLE_EQ(f.ts, 1001.0);
    ASSERT_EQ(r.next(&f), 1);  // wrapped to the first record slot
    EXPECT_EQ(f.data[0], 3);
    EXPECT_EQ(r.next(&f), 0);
    // With realtick 0x??3412??, the 4 bytes are an FCS and stay.
    Bytes fcs = file;
    fcs[77] = 0x34;
    fcs[78] = 0x12;
    Mem m2(fcs);
    ASSERT_EQ(r.open(m2.f), CaptureFileReader::Open::kMine) << r.error();
    ASSERT_EQ(r.next(&f), 1);
    EXPECT_EQ(f.caplen, 64u);
}

TEST(ScannerCaptureFile, NetxrayBadFilesNameWhatIsWrong) {
    FileFrame f;
    CaptureFileReader r;
    // A version NetXray never wrote.
    Bytes v = netxray_header("009.000\0", 0, 128, 128);
    Mem mv(v);
    EXPECT_EQ(r.open(mv.f), CaptureFileReader::Open::kBad);
    EXPECT_NE(r.error().find("version \"009.000\""), std::string::npos) << r.error();
    // Token Ring (NDIS network type 2).
    Bytes tr = netxray_header("001.100\0", 0, 128, 128);
    tr[44] = 1;
    Mem mt(tr);
    EXPECT_EQ(r.open(mt.f), CaptureFileReader::Open::kBad);
    EXPECT_NE(r.error().find("network type 2"), std::string::npos) << r.error();
    // The header cut short.
    Bytes shorth = netxray_header("001.100\0", 0, 128, 128);
    shorth.resize(60);
    Mem ms(shorth);
    EXPECT_EQ(r.open(ms.f), CaptureFileReader::Open::kBad);
    EXPECT_NE(r.error().find("cut short"), std::string::npos) << r.error();
    // The second record's data cut short: record 2 and its offset are named.
    Bytes file = netxray_header("001.100\0", 0, 128, 0);
    append(&file, netxray_record(1, 0, frame(1, 60)));
    size_t second = file.size();
    append(&file, netxray_record(1, 10, frame(2, 60)));
    put32(&file, 28, uint32_t(file.size()));
    file.resize(file.size() - 10);
    put32(&file, 28, uint32_t(file.size()));
    Mem mc(file);
    ASSERT_EQ(r.open(mc.f), CaptureFileReader::Open::kMine) << r.error();
    ASSERT_EQ(r.next(&f), 1);
    EXPECT_EQ(r.next(&f), -1);
    EXPECT_NE(r.error().find("record 2 at offset " + std::to_string(second)), std::string::npos) << r.error();
    EXPECT_EQ(r.next(&f), -1);  // nothing is read past a bad record
    // Near miss: a pcap file is not one of these formats.
    Bytes pcap = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0};
    pcap.resize(24, 0);
    Mem mp(pcap);
    EXPECT_EQ(r.open(mp.f), CaptureFileReader::Open::kNotMine);
}

namespace {

// A NetMon 2.x header: version, Ethernet, 2005-07-17 15:39:20.502, frame table.
Bytes netmon_header(uint8_t minor) {
    Bytes h(128, 0);
    std::memcpy(h.data(), "GMBU", 4);
    h[4] = minor;
    h[5] = 2;
    put16(&h, 6, 1);
    const uint16_t when[8] = {2005, 7, 0, 17, 15, 39, 20, 502};
    for (int i = 0; i < 8; ++i) put16(&h, 8 + 2 * i, when[i]);
    return h;
}

Bytes netmon_record(uint64_t usecs, const Bytes &data, const Bytes &trailer = {}) {
    Bytes r(16, 0);
    put64(&r, 0, usecs);
    put32(&r, 8, uint32_t(data.size()));
    put32(&r, 12, uint32_t(data.size()));
    append(&r, data);
    append(&r, trailer);
    return r;
}

void frame_table(Bytes *file, const std::vector<uint32_t> &offsets) {
    put32(file, 24, uint32_t(file->size()));
    put32(file, 28, uint32_t(4 * offsets.size()));
    Bytes t;
    for (size_t i = 0; i < offsets.size(); ++i) put32(&t, 4 * i, offsets[i]);
    append(file, t);
}

}  // namespace

TEST(ScannerCaptureFile, NetmonTwoFramesInTableOrder) {
    Bytes file = netmon_header(0);
    uint32_t a = uint32_t(file.size());
    append(&file, netmon_record(2000000, frame(2, 60)));
    uint32_t b = uint32_t(file.size());
    append(&file, netmon_record(500000, frame(1, 80)));
    frame_table(&file, {b, a});  // the table's order, not the file's
    Mem m(file);
    CaptureFileReader r;
    ASSERT_EQ(r.open(m.f), CaptureFileReader::Open::kMine) << r.error();
    EXPECT_STREQ(r.format(), "Microsoft NetMon 2.x");
    FileFrame f;
    ASSERT_EQ(r.next(&f), 1);
    EXPECT_EQ(f.data[0], 1);
    EXPECT_EQ(f.caplen, 80u);
    EXPECT_EQ(f.linktype, kLinkEthernet);
    // 2005-07-17 15:39:20 UTC is 1121614760; .502 + 0.5 s.
    EXPECT_NEAR(f.ts, 1121614761.002, 1e-6);
    ASSERT_EQ(r.next(&f), 1);
    EXPECT_EQ(f.data[0], 2);
    EXPECT_EQ(r.next(&f), 0);
}

TEST(ScannerCaptureFile, NetmonTwoThreeTrailers) {
    // 2.3: a 15-byte trailer per frame: network type, process index, FILETIME.
    Bytes file = netmon_header(3);
    auto trailer = [](uint16_t network, uint64_t filetime) {
        Bytes t(15, 0);
        put16(&t, 0, network);
        put64(&t, 6, filetime);
        return t;
    };
    // 1970-01-01 00:00:10.5 UTC as FILETIME (100 ns units since 1601).
    const uint64_t ft = (11644473600ull + 10) * 10000000ull + 5000000ull;
    uint32_t a = uint32_t(file.size());
    append(&file, netmon_record(0, frame(1, 40), trailer(0xe000 | 101, ft)));  // a converted pcap's raw IP
    uint32_t b = uint32_t(file.size());
    append(&file, netmon_record(0, frame(9, 20), trailer(0xfffe, ft)));  // DNS cache metadata: not a frame
    uint32_t c = uint32_t(file.size());
    append(&file, netmon_record(0, frame(2, 60), trailer(2, ft)));  // Token Ring: a frame, not decoded
    frame_table(&file, {a, b, c});
    Mem m(file);
    CaptureFileReader r;
    ASSERT_EQ(r.open(m.f), CaptureFileReader::Open::kMine) << r.error();
    FileFrame f;
    ASSERT_EQ(r.next(&f), 1);
    EXPECT_EQ(f.linktype, kLinkRaw);
    EXPECT_EQ(f.caplen, 40u);
    EXPECT_DOUBLE_EQ(f.ts, 10.5);
    ASSERT_EQ(r.next(&f), 1);
    EXPECT_EQ(f.data[0], 2);
    EXPECT_FALSE(link_supported(f.linktype));
    EXPECT_EQ(r.next(&f), 0);
    EXPECT_EQ(r.records(), 2u);
}

TEST(ScannerCaptureFile, NetmonBadFilesNameWhatIsWrong) {
    CaptureFileReader r;
    FileFrame f;
    // A frame table whose length is not a multiple of 4.
    Bytes odd = netmon_header(0);
    append(&odd, netmon_record(0, frame(1, 60)));
    frame_table(&odd, {128});
    put32(&odd, 28, 6);
    Mem mo(odd);
    EXPECT_EQ(r.open(mo.f), CaptureFileReader::Open::kBad);
    EXPECT_NE(r.error().find("frame table's length 6"), std::string::npos) << r.error();
    // A frame table past the end of the file.
    Bytes past = odd;
    put32(&past, 28, 4000);
    Mem mp(past);
    EXPECT_EQ(r.open(mp.f), CaptureFileReader::Open::kBad);
    EXPECT_NE(r.error().find("outside the file"), std::string::npos) << r.error();
    // A record claiming more than the largest frame, and one past the end.
    Bytes big = netmon_header(0);
    append(&big, netmon_record(0, frame(1, 60)));
    put32(&big, 128 + 12, 1u << 30);
    uint32_t second = uint32_t(big.size());
    append(&big, netmon_record(0, frame(2, 60)));
    frame_table(&big, {second, 128, 1u << 20});
    Mem mb(big);
    ASSERT_EQ(r.open(mb.f), CaptureFileReader::Open::kMine) << r.error();
    ASSERT_EQ(r.next(&f), 1);
    EXPECT_EQ(r.next(&f), -1);
    EXPECT_NE(r.error().find("record 2 at offset 128: captured length 1073741824 is over"), std::string::npos)
        << r.error();
    Bytes far = big;
    put32(&far, 128 + 12, 60);
    Mem mf(far);
    ASSERT_EQ(r.open(mf.f), CaptureFileReader::Open::kMine) << r.error();
    ASSERT_EQ(r.next(&f), 1);
    ASSERT_EQ(r.next(&f), 1);
    EXPECT_EQ(r.next(&f), -1);
    EXPECT_NE(r.error().find("record 3 at offset 1048576"), std::string::npos) << r.error();
    // Near miss: NetMon 3.x's major version.
    Bytes v3 = netmon_header(0);
    v3[5] = 3;
    Mem m3(v3);
    EXPECT_EQ(r.open(m3.f), CaptureFileReader::Open::kBad);
    EXPECT_NE(r.error().find("major version 3"), std::string::npos) << r.error();
}

namespace {

// A pcapng block: type, total length, body (padded to 4), total length.
Bytes block(uint32_t type, const Bytes &body) {
    Bytes b;
    Bytes padded = body;
    padded.resize((padded.size() + 3) & ~size_t(3), 0);
    uint32_t total = uint32_t(12 + padded.size());
    put32(&b, 0, type);
    put32(&b, 4, total);
    append(&b, padded);
    put32(&b, b.size(), total);
    return b;
}

Bytes pcapng_two_link_types() {
    Bytes shb;
    put32(&shb, 0, 0x1A2B3C4D);
    put16(&shb, 4, 1);
    put16(&shb, 6, 0);
    put64(&shb, 8, ~0ull);
    Bytes file = block(0x0A0D0D0A, shb);
    Bytes eth, sll;
    put16(&eth, 0, 1);  // LINKTYPE_ETHERNET, default microsecond time stamps
    put32(&eth, 4, 65535);
    put16(&sll, 0, 113);  // LINKTYPE_LINUX_SLL, if_tsresol 9: nanoseconds
    put32(&sll, 4, 65535);
    put16(&sll, 8, 9);
    put16(&sll, 10, 1);
    sll.push_back(9);
    sll.resize(16, 0);  // the option's padding, then opt_endofopt
    append(&file, block(1, eth));
    append(&file, block(1, sll));
    auto epb = [](uint32_t id, uint64_t ts, const Bytes &data) {
        Bytes e;
        put32(&e, 0, id);
        put32(&e, 4, uint32_t(ts >> 32));
        put32(&e, 8, uint32_t(ts));
        put32(&e, 12, uint32_t(data.size()));
        put32(&e, 16, uint32_t(data.size()));
        append(&e, data);
        return block(6, e);
    };
    append(&file, epb(0, 2500000, frame(1, 60)));
    append(&file, epb(1, 3000000000ull, frame(2, 45)));
    return file;
}

}  // namespace

TEST(ScannerCaptureFile, PcapngInterfacesOfSeveralLinkTypes) {
    Bytes file = pcapng_two_link_types();
    CaptureFileReader r;
    Mem m0(file);
    EXPECT_EQ(r.open(m0.f), CaptureFileReader::Open::kNotMine);  // libpcap's to read first
    r.accept_pcapng(true);
    Mem m(file);
    ASSERT_EQ(r.open(m.f), CaptureFileReader::Open::kMine) << r.error();
    FileFrame f;
    ASSERT_EQ(r.next(&f), 1) << r.error();
    EXPECT_EQ(f.linktype, kLinkEthernet);
    EXPECT_EQ(f.caplen, 60u);
    EXPECT_DOUBLE_EQ(f.ts, 2.5);
    ASSERT_EQ(r.next(&f), 1) << r.error();
    EXPECT_EQ(f.linktype, kLinkSll);
    EXPECT_EQ(f.data[0], 2);
    EXPECT_DOUBLE_EQ(f.ts, 3.0);
    EXPECT_EQ(r.next(&f), 0);
    // Bad: a total length that is not a multiple of 4; a packet of an
    // interface never described.
    Bytes odd = file;
    put32(&odd, 4, 30);
    Mem mo(odd);
    ASSERT_EQ(r.open(mo.f), CaptureFileReader::Open::kMine);
    EXPECT_EQ(r.next(&f), -1);
    EXPECT_NE(r.error().find("block at offset 0 has a total length of 30"), std::string::npos) << r.error();
    Bytes again = pcapng_two_link_types();
    size_t epb2 = again.size() - (12 + 20 + 48);  // the last EPB: 45 bytes of frame padded to 48
    put32(&again, epb2 + 8, 7);                   // its interface id
    Mem ms(again);
    ASSERT_EQ(r.open(ms.f), CaptureFileReader::Open::kMine);
    ASSERT_EQ(r.next(&f), 1);
    EXPECT_EQ(r.next(&f), -1);
    EXPECT_NE(r.error().find("names interface 7, of 2 described"), std::string::npos) << r.error();
}
