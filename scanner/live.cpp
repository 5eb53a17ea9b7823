// ciscouc-scan --live (see live.h).
#include "live.h"

#include <pcap/pcap.h>
#include <signal.h>
#include <sys/time.h>

#include <cinttypes>
#include <cstring>

#include "records.h"

namespace ciscouc {
namespace scan {

namespace {

pcap_t *g_pcap = nullptr;
volatile sig_atomic_t g_stop = 0;

// pcap_breakloop(3PCAP): may be called from a signal handler; the loop
// returns PCAP_ERROR_BREAK.
void on_signal(int) {
    g_stop = 1;
    if (g_pcap) pcap_breakloop(g_pcap);
}

double wall_now() {
    timeval tv;
    gettimeofday(&tv, nullptr);
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

struct Loop {
    Scanner *scanner;
    int linktype;
    double tick;  // seconds per unit of the timestamps' fraction
    uint32_t frame = 0;
};

void on_packet(u_char *user, const pcap_pkthdr *h, const u_char *data) {
    Loop *l = reinterpret_cast<Loop *>(user);
    const double ts = static_cast<double>(h->ts.tv_sec) + static_cast<double>(h->ts.tv_usec) * l->tick;
    l->scanner->packet(++l->frame, ts, l->linktype, data, h->caplen, h->len);
}

KernelStats kernel_stats(pcap_t *pc) {
    KernelStats k;
    pcap_stat st;
    if (pcap_stats(pc, &st) == 0) {
        k.have = true;
        k.received = st.ps_recv;
        k.dropped = st.ps_drop;
        k.if_dropped = st.ps_ifdrop;
    }
    return k;
}

int fail(const char *iface, const char *what, const char *detail, int status) {
    fprintf(stderr, "ciscouc-scan: --live %s: %s%s%s\n", iface, what, detail && *detail ? ": " : "", detail ? detail : "");
    return status;
}

}  // namespace

int run_live(const LiveOptions &live, Options opt, FILE *out) {
    const char *iface = live.interface.c_str();
    char err[PCAP_ERRBUF_SIZE] = "";
    pcap_t *pc = pcap_create(iface, err);
    if (!pc) return fail(iface, "cannot open the interface", err, kLiveNoInterface);
    pcap_set_snaplen(pc, live.snaplen);
    pcap_set_promisc(pc, 1);
    // A short timeout, not immediate mode: the kernel hands over packets in
    // blocks (TPACKET_V3 on Linux), at most 100 ms late, and idle
    // conversations still end on time when no packet comes.
    pcap_set_timeout(pc, 100);
    pcap_set_buffer_size(pc, live.buffer_mib * 1024 * 1024);
    const bool nano = pcap_set_tstamp_precision(pc, PCAP_TSTAMP_PRECISION_NANO) == 0;
    const int rc = pcap_activate(pc);
    if (rc < 0) {
        // pcap_activate(3PCAP) return values.
        std::string why = pcap_geterr(pc);
        pcap_close(pc);
        switch (rc) {
        case PCAP_ERROR_NO_SUCH_DEVICE:
            return fail(iface, "no such interface", why.c_str(), kLiveNoInterface);
        case PCAP_ERROR_PERM_DENIED:
            return fail(iface, "no permission to capture (run as root or give ciscouc-scan CAP_NET_RAW and CAP_NET_ADMIN)",
                        why.c_str(), kLiveNoPermission);
        case PCAP_ERROR_IFACE_NOT_UP:
            return fail(iface, "the interface is not up", why.c_str(), kLiveNoInterface);
        default:
            return fail(iface, "cannot capture", why.empty() ? pcap_statustostr(rc) : why.c_str(), kLiveNoInterface);
        }
    }
    if (rc > 0) fprintf(stderr, "ciscouc-scan: --live %s: warning: %s\n", iface, pcap_statustostr(rc));
    const int linktype = pcap_datalink(pc);
    if (!link_supported(linktype)) {
        pcap_close(pc);
        return fail(iface, "link-layer type not supported (Ethernet, Linux cooked, raw IP, loopback are)",
                    pcap_datalink_val_to_name(linktype), kLiveNoInterface);
    }
    if (!live.filter.empty()) {
        bpf_program prog;
        if (pcap_compile(pc, &prog, live.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
            fprintf(stderr, "ciscouc-scan: --filter '%s': does not compile: %s\n", live.filter.c_str(), pcap_geterr(pc));
            pcap_close(pc);
            return kLiveBadFilter;
        }
        const int set = pcap_setfilter(pc, &prog);
        pcap_freecode(&prog);
        if (set != 0) {
            fprintf(stderr, "ciscouc-scan: --filter '%s': cannot be set: %s\n", live.filter.c_str(), pcap_geterr(pc));
            pcap_close(pc);
            return kLiveBadFilter;
        }
    }

    JsonlWriter writer(out, live.original_language);
    opt.sink = &writer;
    Scanner scanner(opt);
    Loop loop{&scanner, linktype, nano ? 1e-9 : 1e-6};

    g_pcap = pc;
    g_stop = 0;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    fprintf(stderr, "ciscouc-scan: --live %s: capturing%s%s\n", iface, live.filter.empty() ? "" : ", filter ",
            live.filter.c_str());

    int status = kLiveOk;
    double next_stats = live.stats_seconds > 0 ? wall_now() + live.stats_seconds : 0;
    while (!g_stop) {
        const int n = pcap_dispatch(pc, -1, on_packet, reinterpret_cast<u_char *>(&loop));
        if (n == PCAP_ERROR_BREAK || g_stop) break;
        if (n == PCAP_ERROR) {
            fprintf(stderr, "ciscouc-scan: --live %s: the capture failed: %s\n", iface, pcap_geterr(pc));
            status = kLiveFailed;
            break;
        }
        const double now = wall_now();
        scanner.tick(now);
        if (next_stats && now >= next_stats) {
            writer.stats(scanner, opt, now, kernel_stats(pc), false);
            next_stats = now + live.stats_seconds;
        }
        fflush(out);
    }
    // Stop: the packets already in the ring buffer, every tracked
    // conversation's record, then the final counts.
    if (pcap_setnonblock(pc, 1, err) == 0)
        while (pcap_dispatch(pc, -1, on_packet, reinterpret_cast<u_char *>(&loop)) > 0) {
        }
    scanner.flush();
    writer.stats(scanner, opt, wall_now(), kernel_stats(pc), true);
    fflush(out);
    g_pcap = nullptr;
    pcap_close(pc);
    fprintf(stderr, "ciscouc-scan: --live %s: stopped after %u frames, %" PRIu64 " records\n", iface, loop.frame,
            writer.records());
    return status;
}

}  // namespace scan
}  // namespace ciscouc
