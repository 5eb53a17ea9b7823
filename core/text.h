// ciscouc core: the line and word splitting the text protocols' readers share
// (SIP, SDP and MGCP in core/calls.cpp and scanner/payload.cpp).
#pragma once

#include <cstddef>
#include <string_view>

namespace ciscouc {

// The next line of `text` from `*pos` (CRLF or LF ends it); false at the end.
inline bool next_line(std::string_view text, size_t *pos, std::string_view *line) {
    if (*pos >= text.size()) return false;
    size_t end = text.find('\n', *pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(*pos, end - *pos);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    *line = l;
    *pos = end < text.size() ? end + 1 : text.size();
    return true;
}

// `s` without the spaces and tabs around it.
inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// The first `max` space-separated fields of `line` into `out`; how many.
inline size_t split_words(std::string_view line, std::string_view *out, size_t max) {
    size_t k = 0, q = 0;
    while (k < max && q < line.size()) {
        size_t e = line.find(' ', q);
        if (e == std::string_view::npos) e = line.size();
        out[k++] = line.substr(q, e - q);
        q = e + 1;
    }
    return k;
}

}  // namespace ciscouc
