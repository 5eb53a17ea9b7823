// ciscouc core: the conversation and hosts tables (see tables.h).
#include "tables.h"

#include <algorithm>
#include <cinttypes>
#include <string>

namespace ciscouc {

namespace {

const char kRule[] = "================================================================================\n";

template <size_t N>
void write_cells(FILE *out, const std::string (&cells)[N]) {
    write_row(out, cells, N);
}

template <typename Column>
std::string &cell(std::string *cells, Column c) {
    return cells[static_cast<size_t>(c)];
}

std::string seconds(double s) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.6f", s);
    return buf;
}

}  // namespace

void write_row(FILE *out, const std::string *cells, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        if (i) fputc('\t', out);
        for (char ch : cells[i]) fputc(ch == '\t' || ch == '\n' || ch == '\r' ? ' ' : ch, out);
    }
    fputc('\n', out);
}

void write_table_header(FILE *out, const char *title, size_t count, const char *const *titles, size_t n) {
    fputs(kRule, out);
    fprintf(out, "%s: %zu\n", title, count);
    for (size_t i = 0; i < n; ++i) {
        if (i) fputc('\t', out);
        fputs(titles[i], out);
    }
    fputc('\n', out);
}

std::string endpoint_text(const std::string &address, bool ipv6, unsigned port) {
    return (ipv6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

void write_conversations_header(FILE *out, size_t count) {
    write_table_header(out, kConvTableTitle, count, kConvColumnTitles, kConvColumnCount);
}

void write_conversation(FILE *out, const ConvRow &r, bool original_language) {
    std::string v[kConvColumnCount];
    conversation_cells(r, original_language, v);
    write_cells(out, v);
}

void conversation_cells(const ConvRow &r, bool original_language, std::string v[kConvColumnCount]) {
    const ConvState &c = *r.state;
    cell(v, ConvColumn::kColClient) = r.client;
    cell(v, ConvColumn::kColServer) = r.server;
    cell(v, ConvColumn::kColTransport) = r.transport == kTcp ? "tcp" : "udp";
    cell(v, ConvColumn::kColListenerPort) = std::to_string(r.listener);
    cell(v, ConvColumn::kColPackets) = std::to_string(r.packets);
    cell(v, ConvColumn::kColBytes) = std::to_string(r.bytes);
    cell(v, ConvColumn::kColFirst) = seconds(r.first);
    cell(v, ConvColumn::kColLast) = seconds(r.last);
    cell(v, ConvColumn::kColDetected) = c.detected_name();
    cell(v, ConvColumn::kColFlags) = flag_list(c.flags);
    // The purpose columns show the first row when the claims preference
    // shows it (by default only a confirmed one); the rows only possible are
    // listed apart, by entry.
    const bool port_mode = r.claims == ClaimsMode::kPort;
    const size_t listed = !c.shown || !r.cand_count                 ? 0
                          : r.claims == ClaimsMode::kConfirmed ? std::min<size_t>(c.confirmed_rows, r.cand_count)
                                                               : r.cand_count;
    if (listed) {
        const Entry &e = kEntries[kFlows[r.cand[0].flow].entry];
        cell(v, ConvColumn::kColProduct) = e.product;
        cell(v, ConvColumn::kColEntry) = e.id;
        cell(v, ConvColumn::kColPurpose) = std::string(r.cand[0].catch_all ? "(catch-all range) " : "") +
                                        (original_language ? e.purpose_original : e.purpose);
    }
    cell(v, ConvColumn::kColOtherUses) = std::to_string(listed ? listed - 1 : 0);
    if (!port_mode) {
        std::string possible;
        for (size_t i = std::min<size_t>(c.confirmed_rows, r.cand_count); i < r.cand_count; ++i) {
            const char *id = kEntries[kFlows[r.cand[i].flow].entry].id;
            if (possible.find(id) == std::string::npos) possible += (possible.empty() ? "" : ", ") + std::string(id);
        }
        cell(v, ConvColumn::kColPossible) = possible;
    }
    cell(v, ConvColumn::kColEvidence) = claim_text(c.claim);
    cell(v, ConvColumn::kColEvidenceDetail) = r.evidence_detail ? r.evidence_detail : "";
    cell(v, ConvColumn::kColClientRole) = HostTable::role_text(r.client_host);
    cell(v, ConvColumn::kColServerRole) = HostTable::role_text(r.server_host);
}

void host_cells(const HostTable::Host &h, unsigned conversations, std::string v[kHostColumnCount]) {
    cell(v, HostColumn::kColAddress) = h.address;
    cell(v, HostColumn::kColRoles) = role_names(h.roles);
    cell(v, HostColumn::kColVendor) = vendor_names(h.vendors);
    cell(v, HostColumn::kColEvidence) = HostTable::proofs_text(h);
    cell(v, HostColumn::kColConversations) = std::to_string(conversations);
}

void write_table_end(FILE *out) { fputs(kRule, out); }

void write_hosts(FILE *out, const HostTable &hosts, const std::function<unsigned(const std::string &)> &conversations) {
    write_table_header(out, kHostTableTitle, hosts.hosts().size(), kHostColumnTitles, kHostColumnCount);
    for (const HostTable::Host &h : hosts.hosts()) {
        std::string v[kHostColumnCount];
        host_cells(h, conversations(h.address), v);
        write_cells(out, v);
    }
    fputs(kRule, out);
}

}  // namespace ciscouc
