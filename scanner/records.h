// ciscouc-scan's JSONL records (--jsonl, --live): one JSON object a line.
//
//   {"record":"conversation","end":"fin", <the conversation table's columns>}
//       keys and values as the conversation table shows them: the keys of
//       [tables.conversations] in catalog/vocabulary.toml (client, server,
//       transport, ..., client_role, server_role), every value its cell's
//       text; "end" says why it was written (scan.h End: fin, rst, reused,
//       idle, evicted, interval, flush).
//   {"record":"host","address":...,"roles":...,"evidence":...,"added":...}
//       a host whose roles changed ([tables.hosts] keys but conversations);
//       "added" the roles new since its last record; at the cap on hosts an
//       evicted host's record has "evicted":true instead.
//   {"record":"stats", ...}  what was read, ended, evicted, dropped (and, live,
//       the kernel's counts from pcap_stats); "final":true for the last one.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "scan.h"

namespace ciscouc {
namespace scan {

// A JSON string literal (RFC 8259 section 7).
std::string json_string(const std::string &s);

// The capture's counts in a stats record (live: from pcap_stats(3PCAP)).
struct KernelStats {
    bool have = false;
    uint64_t received = 0;   // ps_recv
    uint64_t dropped = 0;    // ps_drop: no room in the capture buffer (the ring buffer overran)
    uint64_t if_dropped = 0; // ps_ifdrop: dropped by the interface or its driver
};

class JsonlWriter : public RecordSink {
public:
    JsonlWriter(FILE *out, bool original_language) : out_(out), original_language_(original_language) {}
    void conversation(const ConvRow &row, End why) override;
    void host(const HostTable::Host &h, RoleSet added, bool evicted) override;
    // A stats record of the scanner's counters at `time` (seconds since the epoch).
    void stats(const Scanner &s, const Options &o, double time, const KernelStats &k, bool final);
    uint64_t records() const { return records_; }

private:
    FILE *out_;
    bool original_language_;
    uint64_t records_ = 0;
};

}  // namespace scan
}  // namespace ciscouc
