// ciscouc-scan --live IFACE: the live sensor. Packets from libpcap
// (pcap_create/pcap_activate, pcap(3PCAP)) go through the same Scanner as a
// capture file, in stream mode: records (records.h) as conversations end and
// host roles change, a stats record every LiveOptions::stats_seconds with the
// kernel's counts (pcap_stats(3PCAP)), and on SIGINT or SIGTERM every tracked
// conversation's record, a final stats record, exit 0.
#pragma once

#include <cstdio>
#include <string>

#include "scan.h"

namespace ciscouc {
namespace scan {

struct LiveOptions {
    std::string interface;
    std::string filter;        // BPF (pcap-filter(7)); empty: every packet
    int buffer_mib = 64;       // the kernel's ring buffer (pcap_set_buffer_size)
    int snaplen = 262144;
    double stats_seconds = 60; // a stats record this often (wall clock); 0: only the final one
    bool original_language = false;
};

// Exit statuses (README "Live" and the usage): 0 stopped by SIGINT/SIGTERM
// after writing everything; 1 the capture failed while running (the records
// so far and a final stats record are written); 3 no such interface, or
// capturing on it is not possible; 4 no permission to capture; 5 the filter
// does not compile.
enum LiveStatus { kLiveOk = 0, kLiveFailed = 1, kLiveNoInterface = 3, kLiveNoPermission = 4, kLiveBadFilter = 5 };

int run_live(const LiveOptions &live, Options opt, FILE *out);

}  // namespace scan
}  // namespace ciscouc
