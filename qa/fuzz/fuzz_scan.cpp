// libFuzzer target of ciscouc-scan's packet path: link layers, IP, TCP/UDP,
// the flow table, the payload parsers and the output, over a run of frames.
//
// Input: byte 0 picks the link type; then frames, each a 2-byte big-endian
// length and that many bytes (a short last frame is taken as it is). Frames
// go to one Scanner in order, so state that spans packets (handshakes, media
// that signalling announced, host roles, the idle list) is exercised too.
// Byte 0 from 0xf0 up: the rest is a capture file for the NetXray/NetMon
// and pcapng reader (capture_file.h), whose frames go to the Scanner the same way.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "capture_file.h"
#include "fuzz_common.h"
#include "payload.h"
#include "scan.h"

namespace {

const int kLinks[] = {1, 113, 276, 101, 228, 229, 0, 108};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    using namespace ciscouc::scan;
    if (size < 1) return 0;
    static FILE *sink = std::fopen("/dev/null", "w");
    Options o;
    o.max_conversations = 64;
    o.max_live = 8;
    o.idle_seconds = 2;
    Scanner s(o);
    if (data[0] >= 0xf0) {
        // fmemopen needs a writable buffer even to read; the file is a copy.
        std::vector<uint8_t> file(data + 1, data + size);
        FILE *f = file.empty() ? nullptr : fmemopen(file.data(), file.size(), "rb");
        if (!f) return 0;
        CaptureFileReader r;
        r.accept_pcapng(true);
        uint32_t frame = 0;
        if (r.open(f) == CaptureFileReader::Open::kMine) {
            FileFrame fr;
            int rc;
            while (frame < 256 && (rc = r.next(&fr)) == 1) {
                FUZZ_CHECK(fr.caplen <= CaptureFileReader::kMaxFrame);
                s.packet(++frame, fr.ts, fr.linktype, fr.data, fr.caplen, fr.len);
            }
            FUZZ_CHECK(r.records() == frame);
        }
        std::fclose(f);
        FUZZ_CHECK(s.counters().frames == frame);
        if (sink) {
            s.finish();
            s.print_conversations(sink);
        }
        return 0;
    }
    int link = kLinks[data[0] % (sizeof kLinks / sizeof kLinks[0])];
    size_t off = 1;
    uint32_t frame = 0;
    while (off < size && frame < 256) {
        size_t n = size - off;
        if (n >= 2) {
            size_t want = static_cast<size_t>(data[off]) << 8 | data[off + 1];
            off += 2;
            n = size - off;
            if (want < n) n = want;
        } else {
            off = size;
            break;
        }
        ++frame;
        s.packet(frame, frame * 0.75, link, data + off, n, n + 4);
        // The parsers alone, on the same bytes, with views that stay inside them.
        SipMessage sip;
        if (parse_sip(data + off, n, &sip) && !sip.software.empty())
            FUZZ_CHECK(sip.software.data() >= reinterpret_cast<const char *>(data + off) &&
                       sip.software.data() + sip.software.size() <= reinterpret_cast<const char *>(data + off + n));
        SccpMessages sccp;
        if (parse_sccp(data + off, n, &sccp)) FUZZ_CHECK(sccp.device_name.size() <= 16);
        std::string_view sni;
        if (parse_tls_sni(data + off, n, &sni))
            FUZZ_CHECK(sni.data() + sni.size() <= reinterpret_cast<const char *>(data + off + n));
        off += n;
    }
    FUZZ_CHECK(s.conversations().size() <= frame);
    FUZZ_CHECK(s.conversations().size() <= o.max_conversations);
    uint64_t seen = s.counters().conversation_packets + s.counters().dropped_packets;
    for (uint64_t k : s.counters().skipped) seen += k;
    FUZZ_CHECK(seen == s.counters().frames);
    if (sink) {
        s.finish();
        s.print_conversations(sink);
        s.print_hosts(sink);
        s.print_footer(sink, "fuzz");
    }
    return 0;
}
