// ciscouc core: the signature interpreter.
#include "signatures.h"

#include <cstring>

namespace ciscouc {

namespace {

bool read_int(CheckKind k, const uint8_t *d, size_t len, size_t off, uint32_t *v) {
    size_t w = (k == CheckKind::kU8) ? 1 : (k == CheckKind::kU16Be || k == CheckKind::kU16Le) ? 2 : 4;
    if (off > len || len - off < w) return false;
    const uint8_t *p = d + off;
    switch (k) {
    case CheckKind::kU8: *v = p[0]; break;
    case CheckKind::kU16Be: *v = (uint32_t(p[0]) << 8) | p[1]; break;
    case CheckKind::kU16Le: *v = (uint32_t(p[1]) << 8) | p[0]; break;
    case CheckKind::kU32Be: *v = (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3]; break;
    case CheckKind::kU32Le: *v = (uint32_t(p[3]) << 24) | (uint32_t(p[2]) << 16) | (uint32_t(p[1]) << 8) | p[0]; break;
    default: return false;
    }
    return true;
}

bool search(const uint8_t *d, size_t len, size_t window, const char *needle, size_t n) {
    if (n == 0) return false;
    size_t limit = window < len ? window : len;
    if (limit < n) return false;
    for (size_t i = 0; i + n <= limit; ++i)
        if (std::memcmp(d + i, needle, n) == 0) return true;
    return false;
}

size_t first_line_length(const uint8_t *d, size_t len) {
    size_t i = 0;
    while (i < len && d[i] != '\r' && d[i] != '\n') ++i;
    return i;
}

// One of values_count NUL-separated texts is a prefix of [d, d+len) (at = 0)
// or occurs within it (at = SIZE_MAX).
bool any_text(const Check &c, const uint8_t *d, size_t len, bool anywhere) {
    const char *p = c.text;
    for (uint32_t i = 0; i < c.values_count; ++i) {
        size_t n = std::strlen(p);
        if (anywhere ? search(d, len, SIZE_MAX, p, n) : (n && len >= n && std::memcmp(d, p, n) == 0)) return true;
        p += n + 1;
    }
    return false;
}

bool check_one(const Check &c, const uint8_t *d, size_t len) {
    size_t off = c.offset;
    if (c.plus_u8_at >= 0) {
        if (static_cast<size_t>(c.plus_u8_at) >= len) return false;
        off += d[c.plus_u8_at];
    }
    switch (c.kind) {
    case CheckKind::kU8:
    case CheckKind::kU16Be:
    case CheckKind::kU16Le:
    case CheckKind::kU32Be:
    case CheckKind::kU32Le: {
        uint32_t v;
        if (!read_int(c.kind, d, len, off, &v)) return false;
        if (v < c.lo || v > c.hi) return false;
        if (c.values_count) {
            for (uint32_t i = 0; i < c.values_count; ++i)
                if (kCheckValues[c.values_first + i] == v) return true;
            return false;
        }
        return true;
    }
    case CheckKind::kBytes:
        return off <= len && len - off >= c.values_count && std::memcmp(d + off, c.text, c.values_count) == 0;
    case CheckKind::kSearch:
        return search(d, len, c.hi, c.text, c.values_count);
    case CheckKind::kPrefix:
        // text holds values_count prefixes separated by NUL, hi bytes in all.
        return any_text(c, d, len, false);
    case CheckKind::kLineHas:
        return any_text(c, d, first_line_length(d, len), true);
    case CheckKind::kDigits: {
        // lo..hi ASCII digits at off, then one of the values_count terminator bytes.
        size_t n = 0;
        while (off + n < len && n <= c.hi && d[off + n] >= '0' && d[off + n] <= '9') ++n;
        if (n < c.lo || n > c.hi || off + n >= len) return false;
        return std::memchr(c.text, d[off + n], c.values_count) != nullptr;
    }
    case CheckKind::kLinePrintable: {
        // The first line is printable ASCII and ends (CR or LF) inside the payload.
        size_t n = first_line_length(d, len);
        if (n == len) return false;
        for (size_t i = 0; i < n; ++i)
            if (d[i] < 0x20 || d[i] > 0x7e) return false;
        return true;
    }
    case CheckKind::kLengthField: {
        uint32_t v;
        CheckKind k = c.values_count == 4 ? CheckKind::kU32Le : CheckKind::kU16Be;
        if (!read_int(k, d, len, off, &v)) return false;
        uint64_t total = uint64_t(v) + c.lo;
        return c.hi ? total == len : total <= len;
    }
    case CheckKind::kPrintable: {
        if (len < c.values_count) return false;
        for (uint32_t i = 0; i < c.values_count; ++i)
            if (d[i] < 0x20 || d[i] > 0x7e) return false;
        return true;
    }
    }
    return false;
}

}  // namespace

bool match_signature(const Signature &s, const uint8_t *data, size_t len) {
    if (data == nullptr || len < s.min_length) return false;
    for (uint32_t i = 0; i < s.check_count; ++i)
        if (!check_one(kChecks[s.first_check + i], data, len)) return false;
    return true;
}

bool sniffed_for(Transport t, uint16_t port, int protocol) {
    for (size_t k = 0; k < kStealPortCount; ++k) {
        const StealPort &sp = kStealPorts[k];
        if (sp.sniff && sp.transport == t && port >= sp.lo && port <= sp.hi &&
            kSignatures[sp.signature].protocol_index == protocol)
            return true;
    }
    return false;
}

int match_protocol(Transport t, int protocol, const uint8_t *data, size_t len) {
    for (size_t i = 0; i < kSignatureCount; ++i) {
        const Signature &s = kSignatures[i];
        if ((s.transports & t) && !s.evidence_only && s.protocol_index == protocol && match_signature(s, data, len))
            return static_cast<int>(i);
    }
    return -1;
}

int match_any(Transport t, const uint8_t *data, size_t len) {
    for (size_t i = 0; i < kSignatureCount; ++i)
        if ((kSignatures[i].transports & t) && !kSignatures[i].evidence_only &&
            match_signature(kSignatures[i], data, len))
            return static_cast<int>(i);
    return -1;
}

}  // namespace ciscouc
