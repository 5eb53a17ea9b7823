// ciscouc-scan's JSONL records (see records.h).
#include "records.h"

#include <cinttypes>

namespace ciscouc {
namespace scan {

std::string json_string(const std::string &s) {
    std::string o = "\"";
    for (unsigned char ch : s) {
        switch (ch) {
        case '"': o += "\\\""; break;
        case '\\': o += "\\\\"; break;
        case '\n': o += "\\n"; break;
        case '\r': o += "\\r"; break;
        case '\t': o += "\\t"; break;
        default:
            if (ch < 0x20) {
                char buf[8];
                snprintf(buf, sizeof buf, "\\u%04x", ch);
                o += buf;
            } else {
                o += static_cast<char>(ch);  // UTF-8 passes through (the guides' own text)
            }
        }
    }
    return o + "\"";
}

void JsonlWriter::conversation(const ConvRow &row, End why) {
    std::string cells[kConvColumnCount];
    conversation_cells(row, original_language_, cells);
    std::string line = "{\"record\":\"conversation\",\"end\":\"" + std::string(end_name(why)) + "\"";
    for (size_t i = 0; i < kConvColumnCount; ++i) line += "," + json_string(kConvColumnKeys[i]) + ":" + json_string(cells[i]);
    line += "}\n";
    fputs(line.c_str(), out_);
    ++records_;
}

void JsonlWriter::host(const HostTable::Host &h, RoleSet added, bool evicted) {
    std::string cells[kHostColumnCount];
    host_cells(h, 0, cells);
    std::string line = "{\"record\":\"host\"";
    for (size_t i = 0; i < kHostColumnCount; ++i) {
        if (static_cast<HostColumn>(i) == HostColumn::kColConversations) continue;  // not counted in stream mode
        line += "," + json_string(kHostColumnKeys[i]) + ":" + json_string(cells[i]);
    }
    line += evicted ? ",\"evicted\":true" : ",\"added\":" + json_string(role_names(added));
    line += "}\n";
    fputs(line.c_str(), out_);
    ++records_;
}

void JsonlWriter::stats(const Scanner &s, const Options &o, double time, const KernelStats &k, bool final) {
    const Counters &n = s.counters();
    uint64_t skipped = 0;
    for (int i = 1; i < kSkipKinds; ++i) skipped += n.skipped[i];
    char buf[1024];
    int len = snprintf(buf, sizeof buf,
                       "{\"record\":\"stats\",\"time\":%.6f,\"frames\":%" PRIu64 ",\"conversation_packets\":%" PRIu64
                       ",\"skipped_frames\":%" PRIu64 ",\"conversations_tracked\":%zu,\"max_conversations\":%zu",
                       time, n.frames, n.conversation_packets, skipped, s.tracked(), o.max_conversations);
    std::string line(buf, static_cast<size_t>(len));
    for (int e = 0; e < kEndKinds; ++e) {
        snprintf(buf, sizeof buf, ",\"ended_%s\":%" PRIu64, end_name(static_cast<End>(e)), n.ended[e]);
        line += buf;
    }
    snprintf(buf, sizeof buf,
             ",\"hosts_tracked\":%zu,\"max_hosts\":%zu,\"hosts_evicted\":%" PRIu64 ",\"media_evicted\":%" PRIu64
             ",\"inspection_evicted\":%" PRIu64 ",\"dropped_packets\":%" PRIu64,
             s.hosts().hosts().size(), o.max_hosts, n.hosts_evicted, n.media_evicted, n.evicted, n.dropped_packets);
    line += buf;
    if (k.have) {
        snprintf(buf, sizeof buf, ",\"kernel_received\":%" PRIu64 ",\"kernel_dropped\":%" PRIu64 ",\"interface_dropped\":%" PRIu64,
                 k.received, k.dropped, k.if_dropped);
        line += buf;
    }
    line += final ? ",\"final\":true}\n" : "}\n";
    fputs(line.c_str(), out_);
    ++records_;
}

}  // namespace scan
}  // namespace ciscouc
