// ciscouc-scan: NetXray / Windows Sniffer and Microsoft NetMon capture files
// (see capture_file.h for the sources of the layouts).
#include "capture_file.h"

#include <sys/types.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstring>
#include <ctime>

#include "packet.h"

namespace ciscouc {
namespace scan {

namespace {

uint16_t le16(const uint8_t *p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
uint32_t le32(const uint8_t *p) {
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
           static_cast<uint32_t>(p[3]) << 24;
}
uint64_t le64(const uint8_t *p) { return static_cast<uint64_t>(le32(p)) | static_cast<uint64_t>(le32(p + 4)) << 32; }

// Both formats pad their file header, magic included, to 128 bytes.
constexpr size_t kFileHeader = 128;

// ---- NetXray / Windows Sniffer (wiretap/netxray.c).
//
// File header: magic (4), version text "00M.mmm\0" (8) at 4, capture start as
// UNIX seconds at 12, frame count at 16, first record's offset at 24, the
// offset after the last record at 28 (a circular capture has it before the
// first), network type at 44 and the byte after it at 45, time unit at 48,
// the start time stamp in ticks (low, high 32 bits) at 52 and 56, "realtick"
// (ticks per second for some captures) at 76, capture type at 84.
//
// Record header: time stamp in ticks (low, high 32 bits), then for the old
// "VL" format the frame length (2) and 6 bytes (16 in all); for 1.x the wire
// length (2), the captured length (2) and 16 bytes (28 in all); for 2.x the
// same with 28 bytes (40 in all), where bytes 2 and 3 of those, both 0xff,
// mean 4 bytes at the end of the frame: its FCS when realtick's middle bytes
// are 0x34 0x12, else junk wiretap drops.
constexpr size_t kNetxrayRecord[3] = {16, 28, 40};

// Ticks per second of 2.x Ethernet captures, by capture type and time unit
// (0 where wiretap knows no value): NDIS (capture type 0; unit 2 takes
// realtick), and the capture pods 2 (gigabit), 3, 5 and 6.
struct PodTicks {
    uint8_t captype;
    double per_unit[3];
};
constexpr double kNdisTicks[2] = {1e6, 1193000.0};
constexpr PodTicks kPodTicks[] = {
    {2, {1e9, 0, 31250000.0}},
    {3, {1e6, 0, 1250000.0}},
    {5, {1e6, 0, 0}},
    {6, {1e9, 0, 20000000.0}},
};

// ---- Microsoft Network Monitor (wiretap/netmon.c; NetMon 3.x help).
//
// File header: magic (4), minor and major version at 4 and 5, network type
// (2) at 6, the capture start as a SYSTEMTIME (year, month, day of week,
// day, hour, minute, second, millisecond: 2 bytes each) at 8, the frame
// table's offset and length in bytes at 24 and 28 (one 4-byte file offset
// per record, records in the table's order).
//
// Record header: 1.x a 4-byte millisecond delta from the start, wire and
// captured lengths (2 each); 2.x an 8-byte microsecond delta, wire and
// captured lengths (4 each). 2.1 and later add a trailer after the frame:
// its network type (2), and from 2.2 a process index (4), from 2.3 a UTC
// FILETIME (8) and a time zone index (1).
//
// Network types: 0 and 1 Ethernet, 7-9 raw IP (tunnel, wireless WAN, raw IP
// frames); 0xE000 + a LINKTYPE_ value for a converted pcap file; 0xFFFC-0xFFFE
// metadata records wiretap does not show as frames.
int netmon_link(uint32_t network) {
    if (network == 0 || network == 1) return kLinkEthernet;
    if (network >= 7 && network <= 9) return kLinkRaw;
    return -1;
}
constexpr size_t kNetmonTrailer[4] = {0, 2, 6, 15};  // by minor version, 3 and later as 3
// Seconds from 1601-01-01 (FILETIME's epoch) to 1970-01-01.
constexpr uint64_t kFiletimeEpoch = 11644473600ull;

}  // namespace

bool CaptureFileReader::fail(const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    error_ = format_.empty() ? buf : format_ + " file: " + buf;
    return false;
}

bool CaptureFileReader::read_at(uint64_t off, void *buf, size_t n) {
    if (off > size_ || n > size_ - off) return false;
    if (fseeko(f_, static_cast<off_t>(off), SEEK_SET) != 0) return false;
    return n == 0 || std::fread(buf, 1, n, f_) == n;
}

CaptureFileReader::Open CaptureFileReader::open(FILE *f) {
    const bool pcapng = accept_pcapng_;
    *this = CaptureFileReader();
    accept_pcapng_ = pcapng;
    f_ = f;
    if (fseeko(f, 0, SEEK_END) != 0) return Open::kNotMine;
    off_t end = ftello(f);
    if (end < 4) return Open::kNotMine;
    size_ = static_cast<uint64_t>(end);
    uint8_t h[kFileHeader] = {};
    if (!read_at(0, h, 4)) return Open::kNotMine;
    if (std::memcmp(h, "XCP\0", 4) == 0 || std::memcmp(h, "VL\0\0", 4) == 0) {
        kind_ = Kind::kNetxray;
        format_ = "NetXray/Sniffer";
    } else if (std::memcmp(h, "RTSS", 4) == 0 || std::memcmp(h, "GMBU", 4) == 0) {
        kind_ = Kind::kNetmon;
        format_ = "Microsoft NetMon";
    } else if (pcapng && std::memcmp(h, "\x0a\x0d\x0d\x0a", 4) == 0) {
        kind_ = Kind::kPcapng;
        format_ = "pcapng";
        pos_ = 0;
        return Open::kMine;  // blocks are read, and checked, one at a time
    } else {
        return Open::kNotMine;
    }
    if (size_ < kFileHeader || !read_at(0, h, kFileHeader)) {
        fail("the 128-byte file header is cut short (the file has %llu bytes)", static_cast<unsigned long long>(size_));
        return Open::kBad;
    }
    bool ok = kind_ == Kind::kNetxray ? open_netxray(h) : open_netmon(h);
    return ok ? Open::kMine : Open::kBad;
}

bool CaptureFileReader::open_netxray(const uint8_t *h) {
    static const char *const versions[] = {"001.000", "001.100", "002.000", "002.001", "002.002", "002.003"};
    if (h[0] == 'V') {
        version_major_ = version_minor_ = 0;
        format_ += " (old)";
    } else {
        int v = -1;
        for (int i = 0; i < 6; ++i)
            if (std::memcmp(h + 4, versions[i], 8) == 0) v = i;
        if (v < 0) return fail("version \"%.8s\" is not one NetXray/Sniffer wrote (001.000-002.003)", h + 4);
        version_major_ = v < 2 ? 1 : 2;
        version_minor_ = v < 2 ? v : v - 2;
        format_ += " " + std::string(reinterpret_cast<const char *>(h + 4), 7);
    }
    unsigned network;
    if (h[45] == 0) network = h[44] + 1u;  // an NDIS network type minus 1
    else if (h[45] == 2) network = h[44];  // an NDIS network type
    else return fail("the byte after the network type is %u (0 or 2 expected)", h[45]);
    // NDIS network types: 1 Ethernet; 4 WAN, shaped like Ethernet before 2.x.
    if (!(network == 1 || (network == 4 && version_major_ < 2)))
        return fail("network type %u is not supported (Ethernet only)", network);
    if (version_major_ < 2) {
        ticks_per_sec_ = version_major_ == 1 && version_minor_ == 1 ? 1e6 : 1e3;
    } else {
        uint8_t captype = h[84], unit = h[48];
        double tps = 0;
        if (captype == 0) {
            tps = unit < 2 ? kNdisTicks[unit] : unit == 2 ? static_cast<double>(le32(h + 76)) : 0;
        } else {
            const PodTicks *pod = nullptr;
            for (const PodTicks &p : kPodTicks)
                if (p.captype == captype) pod = &p;
            if (!pod) return fail("capture type %u of an Ethernet capture is not supported", captype);
            tps = unit < 3 ? pod->per_unit[unit] : 0;
        }
        if (tps <= 0) return fail("time unit %u of capture type %u is not supported", unit, captype);
        ticks_per_sec_ = tps;
        fcs_valid_ = h[77] == 0x34 && h[78] == 0x12;
    }
    start_ticks_ = static_cast<double>(le32(h + 52)) + static_cast<double>(le32(h + 56)) * 4294967296.0;
    // Pod captures of 2.002 and 2.003 count from 0, whatever the header says.
    if (version_major_ == 2 && h[84] != 0 && version_minor_ >= 2) start_ticks_ = 0;
    start_secs_ = le32(h + 12);
    start_offset_ = le32(h + 24);
    end_offset_ = le32(h + 28);
    if (start_offset_ < kFileHeader || start_offset_ > size_)
        return fail("the first record's offset %llu is outside the file (128-%llu)",
                    static_cast<unsigned long long>(start_offset_), static_cast<unsigned long long>(size_));
    // An end offset past the end of the file is a file cut short: its
    // records are read up to the cut, which next() reports.
    if (end_offset_ < kFileHeader)
        return fail("the end offset %llu is inside the file header", static_cast<unsigned long long>(end_offset_));
    pos_ = start_offset_;
    return true;
}

int CaptureFileReader::next_netxray(FileFrame *out) {
    const size_t hs = kNetxrayRecord[version_major_];
    for (;;) {
        if (pos_ == end_offset_ || (wrapped_ && pos_ > end_offset_)) return 0;
        if (!wrapped_ && start_offset_ <= end_offset_ && pos_ > end_offset_) {
            fail("record %u ends at offset %llu, past the end offset %llu the header gives", records_,
                 static_cast<unsigned long long>(pos_), static_cast<unsigned long long>(end_offset_));
            return -1;
        }
        if (pos_ < size_) break;
        // The end of the file at a record boundary: a circular capture goes
        // on from the first record slot; a linear one was cut short.
        if (start_offset_ <= end_offset_ || wrapped_) {
            fail("cut short: the file ends at offset %llu, before the end offset %llu the header gives",
                 static_cast<unsigned long long>(pos_), static_cast<unsigned long long>(end_offset_));
            return -1;
        }
        wrapped_ = true;
        pos_ = kFileHeader;
    }
    uint8_t r[40];
    const uint32_t n = records_ + 1;
    if (!read_at(pos_, r, hs)) {
        fail("record %u at offset %llu: its %zu-byte header passes the end of the file (%llu bytes)", n,
             static_cast<unsigned long long>(pos_), hs, static_cast<unsigned long long>(size_));
        return -1;
    }
    const double ticks = static_cast<double>(le32(r)) + static_cast<double>(le32(r + 4)) * 4294967296.0;
    uint32_t incl, orig, padding = 0;
    if (version_major_ == 0) {
        incl = orig = le16(r + 8);
    } else {
        orig = le16(r + 8);
        incl = le16(r + 10);
        if (version_major_ == 2 && r[14] == 0xff && r[15] == 0xff && !fcs_valid_) padding = 4;
    }
    if (incl < padding) {
        fail("record %u at offset %llu: captured length %u is shorter than its 4-byte trailer", n,
             static_cast<unsigned long long>(pos_), incl);
        return -1;
    }
    buf_.resize(incl);
    if (!read_at(pos_ + hs, buf_.data(), incl)) {
        fail("record %u at offset %llu: its %u bytes of frame data pass the end of the file (%llu bytes)", n,
             static_cast<unsigned long long>(pos_), incl, static_cast<unsigned long long>(size_));
        return -1;
    }
    pos_ += hs + incl;
    ++records_;
    out->ts = static_cast<double>(start_secs_) + (ticks - start_ticks_) / ticks_per_sec_;
    out->linktype = kLinkEthernet;
    out->data = buf_.data();
    out->caplen = incl - padding;
    out->len = orig >= padding ? orig - padding : out->caplen;
    return 1;
}

bool CaptureFileReader::open_netmon(const uint8_t *h) {
    version_minor_ = h[4];
    version_major_ = h[5];
    if (version_major_ != 1 && version_major_ != 2) return fail("major version %u is not supported (1 or 2)", version_major_);
    format_ += " " + std::to_string(version_major_) + ".x";
    const uint16_t network = le16(h + 6);
    const bool per_packet = version_major_ == 2 && version_minor_ >= 1;  // the trailer names each frame's type
    file_link_ = netmon_link(network);
    if (!per_packet && file_link_ < 0)
        return fail("network type %u is not supported (Ethernet and raw IP only)", network);
    // The SYSTEMTIME of the capture start, taken as UTC (wiretap takes it
    // in the reader's local time zone; the tests run tshark with TZ=UTC).
    struct tm tm = {};
    tm.tm_year = le16(h + 8) - 1900;
    tm.tm_mon = le16(h + 10) - 1;
    tm.tm_mday = le16(h + 14);
    tm.tm_hour = le16(h + 16);
    tm.tm_min = le16(h + 18);
    tm.tm_sec = le16(h + 20);
    start_time_ = static_cast<double>(timegm(&tm)) + le16(h + 22) / 1e3;
    const uint32_t table = le32(h + 24), length = le32(h + 28);
    if (length == 0 || length % 4 != 0)
        return fail("the frame table's length %u is not a positive multiple of 4", length);
    if (table < kFileHeader || static_cast<uint64_t>(table) + length > size_)
        return fail("the frame table (%u bytes at offset %u) is outside the file (%llu bytes)", length, table,
                    static_cast<unsigned long long>(size_));
    std::vector<uint8_t> raw(length);
    if (!read_at(table, raw.data(), length)) return fail("the frame table at offset %u cannot be read", table);
    frame_table_.resize(length / 4);
    for (size_t i = 0; i < frame_table_.size(); ++i) frame_table_[i] = le32(raw.data() + 4 * i);
    return true;
}

int CaptureFileReader::next_netmon(FileFrame *out) {
    const size_t hs = version_major_ == 1 ? 8 : 16;
    const size_t trailer = version_major_ == 2 ? kNetmonTrailer[version_minor_ < 3 ? version_minor_ : 3] : 0;
    while (next_index_ < frame_table_.size()) {
        const uint32_t n = static_cast<uint32_t>(++next_index_);
        const uint64_t off = frame_table_[n - 1];
        uint8_t r[16];
        if (!read_at(off, r, hs)) {
            fail("record %u at offset %llu: its %zu-byte header passes the end of the file (%llu bytes)", n,
                 static_cast<unsigned long long>(off), hs, static_cast<unsigned long long>(size_));
            return -1;
        }
        double delta;  // seconds from the capture start
        uint32_t orig, incl;
        if (version_major_ == 1) {
            delta = le32(r) / 1e3;
            orig = le16(r + 4);
            incl = le16(r + 6);
        } else {
            // Microseconds, unsigned in the documentation, negative in some
            // files: wiretap reads it as a signed count of 100 ns units
            // after multiplying by 10 (the product wraps, as unsigned).
            delta = static_cast<double>(static_cast<int64_t>(le64(r) * 10u)) / 1e7;
            orig = le32(r + 8);
            incl = le32(r + 12);
        }
        if (incl > kMaxFrame) {
            fail("record %u at offset %llu: captured length %u is over the %u-byte limit", n,
                 static_cast<unsigned long long>(off), incl, kMaxFrame);
            return -1;
        }
        buf_.resize(incl + trailer);
        if (!read_at(off + hs, buf_.data(), incl + trailer)) {
            fail("record %u at offset %llu: its %u bytes of frame data%s pass the end of the file (%llu bytes)", n,
                 static_cast<unsigned long long>(off), incl, trailer ? " and trailer" : "",
                 static_cast<unsigned long long>(size_));
            return -1;
        }
        out->ts = start_time_ + delta;
        out->linktype = file_link_;
        if (trailer) {
            const uint8_t *t = buf_.data() + incl;
            const uint16_t network = le16(t);
            if (network >= 0xfffc && network <= 0xfffe) continue;  // metadata, not a frame
            if (network >= 0xe080 && network <= 0xe08a) out->linktype = -1;  // Message Analyzer types
            else if ((network & 0xf000) == 0xe000) out->linktype = network & 0x0fff;
            else out->linktype = netmon_link(network);  // -1: not one the scanner decodes
            if (version_minor_ >= 3) {
                const uint64_t ft = le64(t + 6);  // 100 ns units since 1601-01-01 UTC
                out->ts = static_cast<double>(ft / 10000000u) - static_cast<double>(kFiletimeEpoch) +
                          static_cast<double>(ft % 10000000u) / 1e7;
            }
        }
        ++records_;
        out->data = buf_.data();
        out->caplen = incl;
        out->len = orig;
        return 1;
    }
    return 0;
}

uint16_t CaptureFileReader::u16(const uint8_t *p) const {
    return big_endian_ ? static_cast<uint16_t>(p[0] << 8 | p[1]) : le16(p);
}
uint32_t CaptureFileReader::u32(const uint8_t *p) const {
    return big_endian_ ? static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
                             static_cast<uint32_t>(p[2]) << 8 | p[3]
                       : le32(p);
}

int CaptureFileReader::next_pcapng(FileFrame *out) {
    // Block types (draft-ietf-opsawg-pcapng section 10.1) and the largest
    // block accepted (a frame of kMaxFrame plus its header and options).
    constexpr uint32_t kShb = 0x0A0D0D0A, kIdb = 1, kPb = 2, kSpb = 3, kEpb = 6;
    constexpr uint32_t kMaxBlock = kMaxFrame + 65536;
    for (;;) {  // each block moves pos_ on by 12 bytes or more
        if (pos_ == size_) return 0;
        uint8_t h[12];
        if (!read_at(pos_, h, 12)) {
            fail("the block at offset %llu is cut short (the file has %llu bytes)",
                 static_cast<unsigned long long>(pos_), static_cast<unsigned long long>(size_));
            return -1;
        }
        const uint32_t type = le32(h);  // the SHB's type reads the same in both byte orders
        if (type == kShb) {
            // Section Header Block: its byte-order magic sets the section's order.
            uint32_t bom = le32(h + 8);
            if (bom == 0x1A2B3C4D) big_endian_ = false;
            else if (bom == 0x4D3C2B1A) big_endian_ = true;
            else {
                fail("the section header at offset %llu has no byte-order magic", static_cast<unsigned long long>(pos_));
                return -1;
            }
            interfaces_.clear();
        }
        const uint32_t total = u32(h + 4);
        if (total < 12 || total % 4 != 0 || total > kMaxBlock || total > size_ - pos_) {
            fail("the block at offset %llu has a total length of %u (a multiple of 4 from 12 to %u within the "
                 "file's %llu bytes)", static_cast<unsigned long long>(pos_), total, kMaxBlock,
                 static_cast<unsigned long long>(size_));
            return -1;
        }
        buf_.resize(total);
        if (!read_at(pos_, buf_.data(), total) || u32(buf_.data() + total - 4) != total) {
            fail("the block at offset %llu does not end with its total length %u", static_cast<unsigned long long>(pos_),
                 total);
            return -1;
        }
        const uint64_t at = pos_;
        pos_ += total;
        const uint8_t *b = buf_.data() + 8;  // the body
        const size_t body = total - 12;
        const uint32_t kind = type == kShb ? kShb : u32(buf_.data());
        if (kind == kIdb) {
            if (body < 8) {
                fail("the interface block at offset %llu is shorter than its 8-byte body", static_cast<unsigned long long>(at));
                return -1;
            }
            Interface itf{u16(b), 1e6, 0};
            // Options (section 3.5): code, length, value padded to 4;
            // if_tsresol (9) and if_tsoffset (14) set the time stamps.
            for (size_t o = 8; o + 4 <= body;) {
                const uint16_t code = u16(b + o), len = u16(b + o + 2);
                if (code == 0 || o + 4 + len > body) break;
                if (code == 9 && len >= 1) {
                    const uint8_t r = b[o + 4];
                    const int e = r & 0x7f;
                    if (e < 64) itf.units = (r & 0x80) ? static_cast<double>(1ull << e) : std::pow(10.0, e);
                }
                if (code == 14 && len >= 8) {
                    uint64_t v = big_endian_ ? static_cast<uint64_t>(u32(b + o + 4)) << 32 | u32(b + o + 8)
                                             : static_cast<uint64_t>(u32(b + o + 8)) << 32 | u32(b + o + 4);
                    itf.offset = static_cast<double>(static_cast<int64_t>(v));
                }
                o += 4 + ((len + 3u) & ~3u);
            }
            if (interfaces_.size() < 65536) interfaces_.push_back(itf);
            continue;
        }
        if (kind != kEpb && kind != kSpb && kind != kPb) continue;  // statistics, name resolution, others
        uint32_t id = 0, caplen, len, hi = 0, lo = 0;
        size_t data_at;
        if (kind == kSpb) {
            if (body < 4) caplen = len = 0;
            else len = u32(b), caplen = static_cast<uint32_t>(std::min<size_t>(len, body - 4));
            data_at = 4;
        } else {
            if (body < 20) {
                fail("the packet block at offset %llu is shorter than its 20-byte header", static_cast<unsigned long long>(at));
                return -1;
            }
            id = kind == kEpb ? u32(b) : u16(b);
            hi = u32(b + 4);
            lo = u32(b + 8);
            caplen = u32(b + 12);
            len = u32(b + 16);
            data_at = 20;
        }
        if (caplen > kMaxFrame || data_at + caplen > body) {
            fail("the packet block at offset %llu (frame %u) claims %u captured bytes, more than it holds",
                 static_cast<unsigned long long>(at), records_ + 1, caplen);
            return -1;
        }
        if (id >= interfaces_.size()) {
            fail("the packet block at offset %llu (frame %u) names interface %u, of %zu described",
                 static_cast<unsigned long long>(at), records_ + 1, id, interfaces_.size());
            return -1;
        }
        const Interface &itf = interfaces_[id];
        ++records_;
        out->linktype = itf.linktype;
        out->ts = static_cast<double>(static_cast<uint64_t>(hi) << 32 | lo) / itf.units + itf.offset;
        out->data = b + data_at;
        out->caplen = caplen;
        out->len = len;
        return 1;
    }
}

int CaptureFileReader::next(FileFrame *out) {
    if (!f_ || !error_.empty()) return -1;
    switch (kind_) {
    case Kind::kNetxray: return next_netxray(out);
    case Kind::kNetmon: return next_netmon(out);
    case Kind::kPcapng: return next_pcapng(out);
    }
    return -1;
}

}  // namespace scan
}  // namespace ciscouc
