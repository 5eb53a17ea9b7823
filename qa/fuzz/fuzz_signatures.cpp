// Fuzz the payload-signature interpreter (core/signatures.cpp).
//
// Every signature of heuristics/signatures.toml is matched against the input
// (libFuzzer hands it over in a heap buffer of exactly `size` bytes, so ASan
// reports any read past the payload), then match_any for TCP and UDP. The
// first byte also chooses a transport and a truncated prefix that is copied
// into its own exact-size buffer, so short payloads are checked the same way,
// and bytes 1-2 a port for sniffed_for.
#include <cstdint>
#include <cstring>
#include <memory>

#include "fuzz_common.h"
#include "signatures.h"

using namespace ciscouc;

namespace {

// match_any must agree with match_signature: the first heuristic (not
// evidence-only) signature of this transport that matches.
void check_any(Transport t, const uint8_t *d, size_t n) {
    int got = match_any(t, d, n);
    int want = -1;
    for (size_t i = 0; i < kSignatureCount && want < 0; ++i)
        if ((kSignatures[i].transports & t) && !kSignatures[i].evidence_only && match_signature(kSignatures[i], d, n))
            want = static_cast<int>(i);
    FUZZ_CHECK(got == want);
    if (got >= 0) FUZZ_CHECK(n >= kSignatures[got].min_length);
}

// sniffed_for agrees with the sniff rows of kStealPorts.
void check_sniffed(Transport t, uint16_t port) {
    for (size_t i = 0; i < kSignatureCount; ++i) {
        bool got = sniffed_for(t, port, kSignatures[i].protocol_index);
        bool want = false;
        for (size_t k = 0; k < kStealPortCount && !want; ++k) {
            const StealPort &sp = kStealPorts[k];
            want = sp.sniff && sp.transport == t && port >= sp.lo && port <= sp.hi &&
                   std::strcmp(kSignatures[sp.signature].protocol, kSignatures[i].protocol) == 0;
        }
        FUZZ_CHECK(got == want);
    }
}

void check_all(const uint8_t *d, size_t n) {
    for (size_t i = 0; i < kSignatureCount; ++i) {
        bool m = match_signature(kSignatures[i], d, n);
        if (m) FUZZ_CHECK(n >= kSignatures[i].min_length);
    }
    check_any(kTcp, d, n);
    check_any(kUdp, d, n);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_all(data, size);
    if (size == 0) {
        for (size_t i = 0; i < kSignatureCount; ++i) FUZZ_CHECK(!match_signature(kSignatures[i], nullptr, 0));
        return 0;
    }
    // First byte: bit 0 the transport, the rest how much of the tail to keep.
    Transport t = (data[0] & 1) ? kUdp : kTcp;
    size_t tail = size - 1;
    size_t keep = tail ? (data[0] >> 1) % (tail + 1) : 0;
    if (keep == 0) keep = tail;
    std::unique_ptr<uint8_t[]> buf(new uint8_t[keep ? keep : 1]);
    if (keep) std::memcpy(buf.get(), data + 1, keep);
    check_any(t, keep ? buf.get() : nullptr, keep);
    for (size_t i = 0; i < kSignatureCount; ++i) match_signature(kSignatures[i], buf.get(), keep);
    if (size >= 3) check_sniffed(t, static_cast<uint16_t>((data[1] << 8) | data[2]));
    return 0;
}
