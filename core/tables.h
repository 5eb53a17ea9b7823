// ciscouc core: the conversation and hosts tables, written the same way by
// both engines (`tshark -q -z ciscouc,conv` / `-z ciscouc,hosts` and
// ciscouc-scan). The titles and the column order are data ([tables.*] in
// catalog/vocabulary.toml, generated into plugin_tables.h), which
// tools/ucstats.py reads too; this file fills each column by its key.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

#include "pipeline.h"
#include "plugin_tables.h"  // generated: ConvColumn, HostColumn

namespace ciscouc {

extern const char kConvTableTitle[];
extern const char *const kConvColumnTitles[];  // kConvColumnCount, in print order
extern const char *const kConvColumnKeys[];    // the columns' keys ([tables.conversations] columns)
extern const char kHostTableTitle[];
extern const char *const kHostColumnTitles[];
extern const char *const kHostColumnKeys[];
// The call tables (core/calls.h write_calls).
extern const char kCallTableTitle[];
extern const char *const kCallColumnTitles[];
extern const char kMediaTableTitle[];
extern const char *const kMediaColumnTitles[];
extern const char kDiagTableTitle[];
extern const char *const kDiagColumnTitles[];

// "10.0.0.1:5060", "[2001:db8::1]:5060".
std::string endpoint_text(const std::string &address, bool ipv6, unsigned port);

// Should a row whose first packet went from src_port to dst_port be turned
// round, so that the listener is on the right?
inline bool listener_first(unsigned listener, unsigned src_port, unsigned dst_port) {
    return listener && listener == src_port && listener != dst_port;
}

// One conversation as both engines print it.
struct ConvRow {
    std::string client, server;  // endpoint_text(), the listener on the right
    Transport transport = kTransportNone;
    unsigned listener = 0;
    uint64_t packets = 0, bytes = 0;
    double first = 0, last = 0;  // seconds since the capture's first packet
    const ConvState *state = nullptr;
    const Candidate *cand = nullptr;  // the rows the label shows, best first
    size_t cand_count = 0;
    const char *evidence_detail = "";
    ClaimsMode claims = ClaimsMode::kConfirmed;  // which rows the purpose columns list (Settings::claims)
    // The hosts (roles and vendors) when the table is written, or nullptr.
    const HostTable::Host *client_host = nullptr, *server_host = nullptr;
};

// Every table's parts (the conversation, hosts and call tables): one row,
// its cells tab-separated (a tab or line break inside a cell becomes a space);
// the opening lines (a rule, "TITLE: count", the column titles).
void write_row(FILE *out, const std::string *cells, size_t n);
void write_table_header(FILE *out, const char *title, size_t count, const char *const *titles, size_t n);

// The table's opening lines (rule, "TITLE: count", the column titles).
void write_conversations_header(FILE *out, size_t count);
// One row's cells, in column order (kConvColumnKeys): what write_conversation
// prints, for another writer (ciscouc-scan's JSONL records).
void conversation_cells(const ConvRow &row, bool original_language, std::string out[kConvColumnCount]);
// One host's cells (kHostColumnKeys), with `conversations` as its count.
void host_cells(const HostTable::Host &h, unsigned conversations, std::string out[kHostColumnCount]);
// One row; original_language: the guide's own purpose text (ciscouc.language).
void write_conversation(FILE *out, const ConvRow &row, bool original_language);
// The closing rule of either table.
void write_table_end(FILE *out);
// The whole hosts table: every host that showed a role, in the order it first
// did, with how many conversations involve it.
void write_hosts(FILE *out, const HostTable &hosts, const std::function<unsigned(const std::string &)> &conversations);

}  // namespace ciscouc
