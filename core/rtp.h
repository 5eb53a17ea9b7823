// ciscouc core: RTP recognition by run consistency (what signatures cannot
// say). No epan header: fuzzed and unit-tested alone.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ciscouc {

// RTP: version 2 header sanity for one packet (RFC 3550 section 5.1).
struct RtpHeader {
    uint8_t payload_type;
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
};
bool parse_rtp(const uint8_t *data, size_t len, RtpHeader *out);

// Consistency of a run of RTP packets in one direction: the same SSRC,
// sequence numbers advancing by small steps, timestamps not going backwards
// by much. Fed packet by packet; confirmed() after `kRtpRunNeeded` in a row.
class RtpRun {
public:
    static constexpr int kRtpRunNeeded = 4;
    // Returns true when this packet keeps the run consistent.
    bool feed(const RtpHeader &h);
    bool confirmed() const { return good_ >= kRtpRunNeeded; }
    int good() const { return good_; }

private:
    bool have_ = false;
    RtpHeader last_{};
    int good_ = 0;
};

}  // namespace ciscouc
