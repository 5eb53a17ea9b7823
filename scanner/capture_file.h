// ciscouc-scan: capture file formats libpcap does not read but Wireshark's
// wiretap does, which real UC captures still come in: NetXray / Windows
// Sniffer (magic "XCP\0", and the older "VL\0\0") and Microsoft Network
// Monitor 1.x / 2.x (magic "RTSS" / "GMBU"), Ethernet (and NetMon's raw-IP
// and converted-pcap frames) only; and pcapng files whose interfaces have
// different link types, where libpcap stops at the first interface of
// another type (read only when libpcap gave up on the file).
//
// Layouts as wiretap documents them (wiretap/netxray.c, wiretap/netmon.c in
// https://gitlab.com/wireshark/wireshark, and for NetMon 2.x the "Capture
// File Format" chapter of the Network Monitor 3.x help); all integers are
// little-endian.
//
// Bounded: the file header and each record header are fixed-size reads, a
// record's captured length is checked against kMaxFrame and the file's size
// before anything is read, the NetMon frame table against the file's size,
// and the NetXray record walk stops at the header's end offset (wrapping
// once for a circular capture). A bad header or record is an error naming
// the record and its file offset; nothing is read past one. pcapng: the
// block layout of draft-ietf-opsawg-pcapng (section 3.1: type, total length,
// body, total length again; 4.1 SHB, 4.2 IDB, 4.3 EPB, 4.4 SPB; the obsolete
// Packet Block of appendix A), each block's length checked against the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace ciscouc {
namespace scan {

struct FileFrame {
    double ts = 0;          // seconds since the epoch
    int linktype = 0;       // a LINKTYPE_ value (packet.h)
    const uint8_t *data = nullptr;
    uint32_t caplen = 0, len = 0;
};

class CaptureFileReader {
public:
    enum class Open { kNotMine, kMine, kBad };
    // The largest frame accepted (wiretap's WTAP_MAX_PACKET_SIZE_STANDARD).
    static constexpr uint32_t kMaxFrame = 262144;

    // Reads the file header of a seekable file (from offset 0). kNotMine: no
    // magic of these formats (the file is left for another reader); kBad:
    // error() says what is wrong or unsupported.
    Open open(FILE *f);
    // 1: *out holds the next frame (its data valid until the next call);
    // 0: the end of the capture; -1: a bad record (error() names it).
    int next(FileFrame *out);
    // Whether open() should take pcapng files too (libpcap reads them first).
    void accept_pcapng(bool yes) { accept_pcapng_ = yes; }

    const char *format() const { return format_.c_str(); }
    const std::string &error() const { return error_; }
    uint32_t records() const { return records_; }

private:
    enum class Kind { kNetxray, kNetmon, kPcapng };
    bool fail(const char *fmt, ...) __attribute__((format(printf, 2, 3)));
    bool read_at(uint64_t off, void *buf, size_t n);
    bool open_netxray(const uint8_t *h);
    bool open_netmon(const uint8_t *h);
    int next_netxray(FileFrame *out);
    int next_netmon(FileFrame *out);
    int next_pcapng(FileFrame *out);
    uint16_t u16(const uint8_t *p) const;
    uint32_t u32(const uint8_t *p) const;

    FILE *f_ = nullptr;
    uint64_t size_ = 0;
    Kind kind_ = Kind::kNetxray;
    std::string format_, error_;
    std::vector<uint8_t> buf_;
    uint32_t records_ = 0;
    int version_major_ = 0, version_minor_ = 0;
    // NetXray.
    double ticks_per_sec_ = 1, start_ticks_ = 0;
    uint32_t start_secs_ = 0;
    uint64_t pos_ = 0, start_offset_ = 0, end_offset_ = 0;
    bool wrapped_ = false, fcs_valid_ = false;
    // NetMon.
    double start_time_ = 0;
    int file_link_ = 0;
    std::vector<uint32_t> frame_table_;
    size_t next_index_ = 0;
    // pcapng: the section's byte order and its interfaces (link type, time
    // stamp units per second, offset in seconds).
    bool accept_pcapng_ = false, big_endian_ = false;
    struct Interface {
        int linktype;
        double units, offset;
    };
    std::vector<Interface> interfaces_;
};

}  // namespace scan
}  // namespace ciscouc
