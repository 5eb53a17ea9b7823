"""ITU-T G.711 mu-law encoding (integer only), shared by the capture generators
(captures/pcap.py for teaching and test captures, bench/make_capture.py)."""


def linear_to_ulaw(sample: int) -> int:
    """Encode one 16-bit linear PCM sample as a G.711 mu-law byte (ITU-T G.711 table 2a)."""
    sign = 0x80 if sample < 0 else 0
    mag = min(-sample if sample < 0 else sample, 32635) + 0x84  # clip, then bias 0x84
    exponent = 7
    mask = 0x4000
    while exponent > 0 and not (mag & mask):
        exponent -= 1
        mask >>= 1
    mantissa = (mag >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF
