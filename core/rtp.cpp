// ciscouc core: the RTP header check and the RTP run checker.
#include "rtp.h"

namespace ciscouc {

bool parse_rtp(const uint8_t *d, size_t len, RtpHeader *out) {
    // RFC 3550 5.1: V=2, fixed header 12 bytes + 4 * CSRC count.
    if (d == nullptr || len < 12) return false;
    if ((d[0] >> 6) != 2) return false;
    size_t cc = d[0] & 0x0f;
    size_t hdr = 12 + 4 * cc;
    if (len < hdr) return false;
    uint8_t pt = d[1] & 0x7f;
    // 72-76 would be RTCP SR/RR/SDES/BYE/APP (RFC 5761 section 4).
    if (pt >= 72 && pt <= 76) return false;
    if (d[0] & 0x20) {  // padding: last byte counts padding, within the payload
        uint8_t pad = d[len - 1];
        if (pad == 0 || pad > len - hdr) return false;
    }
    out->payload_type = pt;
    out->seq = static_cast<uint16_t>((d[2] << 8) | d[3]);
    out->timestamp = (uint32_t(d[4]) << 24) | (uint32_t(d[5]) << 16) | (uint32_t(d[6]) << 8) | d[7];
    out->ssrc = (uint32_t(d[8]) << 24) | (uint32_t(d[9]) << 16) | (uint32_t(d[10]) << 8) | d[11];
    return true;
}

bool RtpRun::feed(const RtpHeader &h) {
    if (!have_) {
        have_ = true;
        last_ = h;
        good_ = 1;
        return true;
    }
    uint16_t dseq = static_cast<uint16_t>(h.seq - last_.seq);
    uint32_t dts = h.timestamp - last_.timestamp;
    bool ok = h.ssrc == last_.ssrc && dseq >= 1 && dseq <= 16 &&
              (dts <= 48000u * 2 || dts == 0) && h.payload_type == last_.payload_type;
    // A marker/DTMF payload-type change inside one SSRC is allowed, but does not count.
    if (!ok && h.ssrc == last_.ssrc && dseq >= 1 && dseq <= 16) {
        last_ = h;
        return true;
    }
    good_ = ok ? good_ + 1 : 1;
    last_ = h;
    return ok;
}

}  // namespace ciscouc
