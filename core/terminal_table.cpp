// ciscouc core: `--format table` (see terminal_table.h).
#include "terminal_table.h"

#ifndef _WIN32
#include <sys/ioctl.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "tables.h"

namespace ciscouc {

namespace {

// The next code point of s at i (advanced); a malformed byte is taken alone.
unsigned next_code_point(const std::string &s, size_t *i) {
    unsigned char c = static_cast<unsigned char>(s[*i]);
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    unsigned cp = extra == 3 ? c & 0x07 : extra == 2 ? c & 0x0F : extra == 1 ? c & 0x1F : c;
    size_t j = *i + 1;
    for (int k = 0; k < extra && j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80; ++k, ++j)
        cp = (cp << 6) | (static_cast<unsigned char>(s[j]) & 0x3F);
    *i = j;
    return cp;
}

// Wide (W) and fullwidth (F) blocks of Unicode's East Asian Width property
// (UAX #11, EastAsianWidth.txt), by block: Hangul Jamo, CJK radicals to Yi,
// Hangul syllables, CJK compatibility ideographs, vertical and compatibility
// forms, fullwidth forms, and the supplementary ideographic planes.
bool wide(unsigned cp) {
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
           (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

// s cut to at most `width` columns, with "…" where it was cut.
std::string fit(const std::string &s, unsigned width) {
    if (display_width(s) <= width) return s;
    std::string out;
    unsigned used = 0;
    for (size_t i = 0; i < s.size();) {
        size_t start = i;
        unsigned w = wide(next_code_point(s, &i)) ? 2 : 1;
        if (used + w + 1 > width) break;
        out.append(s, start, i - start);
        used += w;
    }
    return out + "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
}

std::vector<std::string> split_tabs(const std::string &line) {
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream in(line);
    while (std::getline(in, cell, '\t')) cells.push_back(cell);
    if (!line.empty() && line.back() == '\t') cells.emplace_back();
    return cells;
}

struct Layout {
    const char *title;
    const char *const *titles;
    size_t count;
    const uint8_t *terminal;
    size_t terminal_count;
};

void write_block(std::string &out, const Layout &t, const std::string &title_line,
                 const std::vector<std::vector<std::string>> &rows, unsigned width) {
    std::vector<std::vector<std::string>> lines;
    std::vector<std::string> head;
    for (size_t k = 0; k < t.terminal_count; ++k) head.push_back(t.titles[t.terminal[k]]);
    lines.push_back(head);
    for (const auto &r : rows) {
        std::vector<std::string> line;
        for (size_t k = 0; k < t.terminal_count; ++k) line.push_back(t.terminal[k] < r.size() ? r[t.terminal[k]] : "");
        lines.push_back(line);
    }
    size_t last = t.terminal_count - 1;
    std::vector<unsigned> widths(t.terminal_count, 0);
    for (const auto &l : lines)
        for (size_t k = 0; k < last; ++k) widths[k] = std::max(widths[k], display_width(l[k]));
    unsigned used = 0;
    for (size_t k = 0; k < last; ++k) used += widths[k] + 2;
    unsigned room = width > used + 12 ? width - used : 12;
    out += title_line + "\n";
    for (const auto &l : lines) {
        std::string text;
        for (size_t k = 0; k < last; ++k) text += l[k] + std::string(widths[k] - display_width(l[k]) + 2, ' ');
        text += fit(l[last], room);
        text.erase(text.find_last_not_of(' ') + 1);
        out += text + "\n";
    }
}

}  // namespace

unsigned display_width(const std::string &s) {
    unsigned w = 0;
    for (size_t i = 0; i < s.size();) w += wide(next_code_point(s, &i)) ? 2 : 1;
    return w;
}

std::string terminal_tables(const std::string &tsv, unsigned width) {
    const Layout layouts[] = {
        {kConvTableTitle, kConvColumnTitles, kConvColumnCount, kConvTerminalColumns, kConvTerminalColumnCount},
        {kHostTableTitle, kHostColumnTitles, kHostColumnCount, kHostTerminalColumns, kHostTerminalColumnCount},
    };
    std::vector<std::string> lines;
    std::istringstream in(tsv);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    std::string out;
    for (size_t i = 0; i < lines.size(); ++i) {
        const Layout *t = nullptr;
        for (const Layout &l : layouts)
            if (lines[i].rfind(std::string(l.title) + ": ", 0) == 0) t = &l;
        if (!t || i + 1 >= lines.size()) {
            // The rules around a block are not drawn: a blank line separates blocks.
            if (lines[i].find_first_not_of('=') == std::string::npos && !lines[i].empty()) continue;
            out += lines[i] + "\n";
            continue;
        }
        std::vector<std::vector<std::string>> rows;
        size_t j = i + 2;
        for (; j < lines.size() && lines[j].rfind("=====", 0) != 0; ++j) rows.push_back(split_tabs(lines[j]));
        write_block(out, *t, lines[i], rows, width);
        out += "\n";
        i = j;  // the closing rule
    }
    return out;
}

unsigned terminal_width(int fd) {
    if (const char *c = std::getenv("COLUMNS")) {
        char *end = nullptr;
        long v = std::strtol(c, &end, 10);
        if (end != c && *end == '\0' && v > 0) return static_cast<unsigned>(v);
    }
#ifndef _WIN32
    winsize ws{};
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
#else
    (void)fd;
#endif
    return 120;
}

}  // namespace ciscouc
