// Fuzz the RTP header check and the RTP run consistency state machine
// (core/rtp.cpp parse_rtp, RtpRun).
//
// The whole input is parsed as one RTP packet. Then it is read as a run of
// packets, each a length byte followed by that many bytes (the last one
// takes what is left), each copied into an exact-size buffer, parsed, and fed
// to one RtpRun like the plugin does for a UDP conversation.
#include <cstdint>
#include <cstring>
#include <memory>

#include "fuzz_common.h"
#include "rtp.h"

using namespace ciscouc;

namespace {

uint32_t be32(const uint8_t *p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

bool parse_checked(const uint8_t *d, size_t n, RtpHeader *h) {
    RtpHeader out{};
    bool ok = parse_rtp(d, n, &out);
    if (ok) {
        // What was accepted is an RTP v2 header that fits, and the fields are its bytes.
        FUZZ_CHECK(d && n >= 12);
        FUZZ_CHECK((d[0] >> 6) == 2);
        FUZZ_CHECK(n >= 12 + 4 * size_t(d[0] & 0x0f));
        FUZZ_CHECK(out.payload_type == (d[1] & 0x7f));
        FUZZ_CHECK(out.payload_type < 72 || out.payload_type > 76);
        FUZZ_CHECK(out.seq == ((d[2] << 8) | d[3]));
        FUZZ_CHECK(out.timestamp == be32(d + 4));
        FUZZ_CHECK(out.ssrc == be32(d + 8));
        *h = out;
    }
    return ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    RtpHeader h;
    parse_checked(size ? data : nullptr, size, &h);

    RtpRun run;
    int fed = 0;
    size_t pos = 0;
    while (pos < size) {
        size_t n = data[pos++];
        if (n > size - pos) n = size - pos;
        std::unique_ptr<uint8_t[]> pkt(new uint8_t[n ? n : 1]);
        if (n) std::memcpy(pkt.get(), data + pos, n);
        pos += n;
        if (!parse_checked(n ? pkt.get() : nullptr, n, &h)) continue;
        int before = run.good();
        bool ok = run.feed(h);
        ++fed;
        int after = run.good();
        FUZZ_CHECK(after >= 1);
        FUZZ_CHECK(run.confirmed() == (after >= RtpRun::kRtpRunNeeded));
        if (fed == 1) FUZZ_CHECK(ok && after == 1);
        // A consistent packet extends the run by one, a payload-type change
        // inside the SSRC leaves it be, anything else restarts it.
        else if (ok) FUZZ_CHECK(after == before + 1 || after == before);
        else FUZZ_CHECK(after == 1);
    }
    return 0;
}
