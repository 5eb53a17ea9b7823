// ciscouc core: `--format table`, the conversation and hosts tables aligned
// for a terminal (ciscouc-scan; tools/ucstats.py terminal_table does the same
// for tools/annotate). The columns are [tables.*] terminal in
// catalog/vocabulary.toml; the last one is cut to fit the width.
#pragma once
#include <string>

namespace ciscouc {

// Terminal columns a character takes: 2 for East Asian wide and fullwidth
// characters (the Korean and Japanese purposes), 1 otherwise.
unsigned display_width(const std::string &utf8);

// Every table block of `tsv` (the tables as core/tables.cpp writes them:
// a rule, "TITLE: N", tab-separated titles and rows, a rule) as an aligned
// table: the title line, the terminal columns' titles, one line per row,
// columns two spaces apart, the last column cut with "…" so that each line
// fits `width` (never below 12 columns for it). Other lines pass through.
std::string terminal_tables(const std::string &tsv, unsigned width);

// The width to fit: $COLUMNS, else the terminal's width (fd), else 120.
unsigned terminal_width(int fd);

}  // namespace ciscouc
