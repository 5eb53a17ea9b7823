// ciscouc-scan: label the Cisco UC conversations of pcap/pcapng captures
// without Wireshark, with the same pure core as the plugin.
//
//   ciscouc-scan [--hosts] [--calls] [--edition KEY] [--only-preferred] [--claims MODE]
//                [--language english|original] [--allow FILE] [--flag NAME=off]
//                [--max-conversations N] [--format tsv|table] [--width N]
//                [--idle SECONDS] FILE...    ("-" reads standard input)
//   ciscouc-scan --jsonl [options] FILE...      records as conversations end
//   ciscouc-scan --live IFACE [--filter BPF] [options]   the live sensor (live.h)
//
// Reads what libpcap reads (pcap, pcapng; gzip-compressed through gzip -dc),
// and NetXray/Sniffer and Microsoft NetMon files (capture_file.h).
// Prints, per file, the table `tshark -q -2 -z ciscouc,conv` prints (and with
// --hosts the hosts table after it) on standard output, then a footer of what
// was not read on standard error (diagnostics never mix with the table).
// --format table prints the same rows aligned for a terminal instead
// (core/terminal_table.h); the tab-separated form stays the default.
// Exit status: 0 every file read; 1 a file could not be opened or read at all;
// 2 a file was cut short (its conversations so far are printed); 64 a bad
// option. --live: see live.h (0, 1, 3, 4, 5, 64).
#include <pcap/pcap.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "capture_file.h"
#include "live.h"
#include "records.h"
#include "core/terminal_table.h"
#include "scan.h"
#include "stock.h"

using ciscouc::scan::CaptureFileReader;
using ciscouc::scan::Options;
using ciscouc::scan::Scanner;

namespace {

void usage(FILE *f) {
    fprintf(f,
            "usage: ciscouc-scan [--hosts] [--calls] [--edition KEY] [--only-preferred] [--claims MODE]\n"
            "                    [--language english|original] [--allow FILE] [--flag NAME=off]...\n"
            "                    [--max-conversations N] [--idle SECONDS] [--format tsv|table] [--width N]\n"
            "                    FILE...\n"
            "       ciscouc-scan --jsonl [options] [stream options] FILE...\n"
            "       ciscouc-scan --live IFACE [--filter BPF] [--buffer MIB] [--stats SECONDS]\n"
            "                    [options] [stream options]\n"
            "Label the Cisco UC conversations of pcap/pcapng captures (\"-\": standard input).\n"
            "  --hosts              also print the hosts table (roles each host showed)\n"
            "  --calls              also print the calls: diagnoses, calls, media streams\n"
            "  --edition KEY        preferred edition group (ciscouc.edition):");
    for (size_t i = 0; i < ciscouc::kEditionGroupCount; ++i) fprintf(f, " %s", ciscouc::kEditionGroups[i].key);
    fprintf(f,
            "\n  --only-preferred     hide other editions' rows where the preferred one documents the port\n"
            "  --claims MODE        which documented uses are shown (ciscouc.claims): confirmed (default),\n"
            "                       possible, port\n"
            "  --language L         purposes in english (default) or original (the guide's own language)\n"
            "  --allow FILE         the site allow-list (the plugin's ciscouc_allowed_ports file: \"tcp\",\"5070\",\"SIP\",\"why\")\n"
            "  --flag NAME=off      switch a flag off (ciscouc.flag_NAME), NAME one of the -z ciscouc,conv flags\n"
            "  --max-conversations N  conversations tracked per file (default 1000000)\n"
            "  --idle SECONDS       end a conversation's inspection after this much idle capture time (120)\n"
            "  --format F           tsv (default): the tab-separated tables, for machines; table: the same rows\n"
            "                       aligned for a terminal, purposes cut to fit the width\n"
            "  --width N            the width --format table fits (default: $COLUMNS, the terminal, or 120)\n"
            "  --wireshark-model    print the model of stock Wireshark the scanner was built with (port\n"
            "                       owners and heuristics, generated from tshark -G decodes and\n"
            "                       -G heuristic-decodes) and exit\n"
            "Stream mode (JSONL records on standard output as conversations end, host roles as they change):\n"
            "  --jsonl              records for capture files instead of the tables\n"
            "  --live IFACE         capture on IFACE (libpcap) until SIGINT or SIGTERM, which write every\n"
            "                       tracked conversation and a final stats record\n"
            "  --filter BPF         capture filter (pcap-filter(7)), --live only\n"
            "  --buffer MIB         the kernel's capture ring buffer (64), --live only\n"
            "  --stats SECONDS      a stats record (kernel drops from pcap_stats) this often (60; 0 only at the end)\n"
            "  --idle-tcp SECONDS   a TCP conversation idle this long ends (300); FIN from both ends or RST ends it too\n"
            "  --idle-udp SECONDS   a UDP conversation idle this long ends (60)\n"
            "  --interval SECONDS   also a record of each long conversation this often (0: never)\n"
            "  --max-hosts N        hosts with roles kept (65536); the least recently seen are evicted, with a record\n"
            "  --max-conversations N  in stream mode the least recently seen conversation ends (\"evicted\") at the cap\n"
            "Exit status: 0 done; 1 a file could not be read, or the live capture failed; 2 a file was cut short;\n"
            "3 --live: no such interface, or it cannot be captured on; 4 --live: no permission to capture;\n"
            "5 --filter does not compile; 64 a bad option.\n");
}

int edition_by_key(const char *key) {
    if (std::strcmp(key, "all") == 0) return -1;
    for (size_t i = 0; i < ciscouc::kEditionGroupCount; ++i)
        if (std::strcmp(ciscouc::kEditionGroups[i].key, key) == 0) return static_cast<int>(i);
    return -2;
}

bool parse_number(const char *s, double *out) {
    char *end = nullptr;
    double v = std::strtod(s, &end);
    if (end == s || *end != '\0' || v < 0) return false;
    *out = v;
    return true;
}

bool ends_with(const std::string &s, const char *suffix) {
    size_t n = std::strlen(suffix);
    return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// A gzip-compressed capture (libpcap reads only plain files) is read through
// gzip -dc; *child is its process.
pcap_t *open_capture(const char *path, pid_t *child, char *err) {
    *child = -1;
    if (!ends_with(path, ".gz")) return pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
    int fd[2];
    if (pipe(fd) != 0) {
        snprintf(err, PCAP_ERRBUF_SIZE, "cannot create a pipe for gzip: %s", std::strerror(errno));
        return nullptr;
    }
    *child = fork();
    if (*child == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execlp("gzip", "gzip", "-dc", "--", path, static_cast<char *>(nullptr));
        _exit(127);
    }
    close(fd[1]);
    FILE *f = *child > 0 ? fdopen(fd[0], "rb") : nullptr;
    if (!f) {
        snprintf(err, PCAP_ERRBUF_SIZE, "cannot start gzip -dc");
        close(fd[0]);
        return nullptr;
    }
    pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!pc) fclose(f);
    return pc;
}

// gzip's verdict once its output was read (true: it succeeded, or no gzip ran).
bool reap(pid_t child) {
    if (child <= 0) return true;
    int st = 0;
    if (waitpid(child, &st, 0) != child) return false;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

// --format table: the width to fit, 0 for the tab-separated tables.
unsigned table_width = 0;

void report(Scanner &s, bool hosts, const char *name, const Options &opt) {
    if (opt.sink) {
        // Stream mode: the conversations still tracked, the final counts;
        // the footer goes to standard error.
        s.flush();
        static_cast<ciscouc::scan::JsonlWriter *>(opt.sink)->stats(s, opt, s.now(), ciscouc::scan::KernelStats(), true);
        s.print_footer(stderr, name);
        return;
    }
    s.finish();
    if (table_width) {
        char *buf = nullptr;
        size_t size = 0;
        FILE *mem = open_memstream(&buf, &size);
        if (mem) {
            s.print_conversations(mem);
            if (hosts) s.print_hosts(mem);
            std::fclose(mem);
            fputs(ciscouc::terminal_tables(std::string(buf, size), table_width).c_str(), stdout);
            std::free(buf);
        }
    } else {
        s.print_conversations(stdout);
        if (hosts) s.print_hosts(stdout);
    }
    if (s.options().calls) s.print_calls(stdout);
    fflush(stdout);
    s.print_footer(stderr, name);
}

// A NetXray/Sniffer or NetMon file (libpcap refused it), or with `pcapng` a
// pcapng file libpcap stopped reading: false when it is none of those, else
// *status as scan_file returns it.
bool scan_other_format(const char *path, const Options &opt, bool hosts, int *status, bool pcapng = false) {
    FILE *f = std::fopen(path, "rb");
    if (!f) return false;
    CaptureFileReader r;
    r.accept_pcapng(pcapng);
    CaptureFileReader::Open o = r.open(f);
    if (o == CaptureFileReader::Open::kNotMine) {
        std::fclose(f);
        return false;
    }
    if (o == CaptureFileReader::Open::kBad) {
        fprintf(stderr, "ciscouc-scan: %s: %s\n", path, r.error().c_str());
        std::fclose(f);
        *status = 1;
        return true;
    }
    Scanner s(opt);
    ciscouc::scan::FileFrame fr;
    uint32_t frame = 0;
    int rc;
    while ((rc = r.next(&fr)) == 1) s.packet(++frame, fr.ts, fr.linktype, fr.data, fr.caplen, fr.len);
    *status = 0;
    if (rc < 0) {
        fprintf(stderr, "ciscouc-scan: %s: cut short after frame %u: %s\n", path, frame, r.error().c_str());
        *status = 2;
    }
    std::fclose(f);
    report(s, hosts, path, opt);
    return true;
}

// 0 read, 1 failed, 2 cut short.
int scan_file(const char *path, const Options &opt, bool hosts) {
    char err[PCAP_ERRBUF_SIZE] = "";
    pid_t child = -1;
    pcap_t *pc = open_capture(path, &child, err);
    const char *name = std::strcmp(path, "-") == 0 ? "standard input" : path;
    if (!pc) {
        bool gzip = child > 0;
        reap(child);
        int status = 1;
        if (!gzip && std::strcmp(path, "-") != 0 && scan_other_format(path, opt, hosts, &status)) return status;
        fprintf(stderr, "ciscouc-scan: %s: %s\n", name, err[0] ? err : "not a capture libpcap can read");
        return 1;
    }
    int linktype = pcap_datalink(pc);
    if (!ciscouc::scan::link_supported(linktype)) {
        fprintf(stderr, "ciscouc-scan: %s: link-layer type %d (%s) is not supported (Ethernet, Linux cooked, raw IP, loopback are)\n",
                name, linktype, pcap_datalink_val_to_name(linktype) ? pcap_datalink_val_to_name(linktype) : "unknown");
        pcap_close(pc);
        reap(child);
        return 1;
    }
    Scanner s(opt);
    pcap_pkthdr *h = nullptr;
    const u_char *data = nullptr;
    uint32_t frame = 0;
    int rc;
    while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
        double ts = static_cast<double>(h->ts.tv_sec) + static_cast<double>(h->ts.tv_usec) * 1e-9;
        s.packet(++frame, ts, linktype, data, h->caplen, h->len);
    }
    int status = 0;
    if (rc == PCAP_ERROR) {
        // libpcap's pcapng reader stops at an interface whose link type is
        // not the first one's: a plain pcapng file is read again, whole, by
        // the scanner's own pcapng reader (capture_file.h).
        std::string why = pcap_geterr(pc);
        if (child < 0 && std::strcmp(path, "-") != 0) {
            pcap_close(pc);
            int again = 0;
            if (scan_other_format(path, opt, hosts, &again, true)) return again;
            fprintf(stderr, "ciscouc-scan: %s: cut short after frame %u: %s\n", name, frame, why.c_str());
            report(s, hosts, name, opt);
            return 2;
        }
        fprintf(stderr, "ciscouc-scan: %s: cut short after frame %u: %s\n", name, frame, why.c_str());
        status = 2;
    }
    pcap_close(pc);
    if (!reap(child) && status == 0) {
        fprintf(stderr, "ciscouc-scan: %s: gzip could not decompress all of it (cut short after frame %u)\n", name, frame);
        status = 2;
    }
    report(s, hosts, name, opt);
    return status;
}

}  // namespace

int main(int argc, char **argv) {
    Options opt;
    bool hosts = false, jsonl = false;
    ciscouc::scan::LiveOptions live;
    bool live_mode = false;
    bool format_table = false;
    unsigned width = 0;
    std::vector<const char *> files;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](const char *what) -> const char * {
            if (i + 1 >= argc) {
                fprintf(stderr, "ciscouc-scan: %s needs %s\n", a.c_str(), what);
                std::exit(64);
            }
            return argv[++i];
        };
        if (a == "--hosts") {
            hosts = true;
        } else if (a == "--calls") {
            opt.calls = true;
        } else if (a == "--edition") {
            const char *key = value("an edition key");
            opt.settings.prefs.edition_group = edition_by_key(key);
            if (opt.settings.prefs.edition_group == -2) {
                fprintf(stderr, "ciscouc-scan: --edition %s: no such edition group\n", key);
                usage(stderr);
                return 64;
            }
        } else if (a == "--only-preferred") {
            opt.settings.prefs.only_preferred = true;
        } else if (a == "--claims") {
            const char *mode = value("confirmed, possible or port");
            if (std::strcmp(mode, "confirmed") == 0) opt.settings.claims = ciscouc::ClaimsMode::kConfirmed;
            else if (std::strcmp(mode, "possible") == 0) opt.settings.claims = ciscouc::ClaimsMode::kPossible;
            else if (std::strcmp(mode, "port") == 0) opt.settings.claims = ciscouc::ClaimsMode::kPort;
            else {
                fprintf(stderr, "ciscouc-scan: --claims %s: not confirmed, possible or port\n", mode);
                return 64;
            }
        } else if (a == "--allow") {
            // The plugin's site allow-list file (Wireshark's ciscouc_allowed_ports UAT).
            const char *path = value("a file");
            std::string err;
            if (!opt.allow.load(path, &err)) {
                fprintf(stderr, "ciscouc-scan: --allow: %s\n", err.c_str());
                return 64;
            }
        } else if (a == "--flag") {
            // NAME=off|on, as the ciscouc.flag_NAME preference.
            const std::string spec = value("NAME=off or NAME=on");
            const size_t eq = spec.find('=');
            const std::string name = spec.substr(0, eq), state = eq == std::string::npos ? "" : spec.substr(eq + 1);
            int which = -1;
            for (int f = 0; f < ciscouc::kFlagCount; ++f)
                if (name == ciscouc::flag_name(f)) which = f;
            if (which < 0 || (state != "off" && state != "on")) {
                fprintf(stderr, "ciscouc-scan: --flag %s: expected NAME=off or NAME=on with NAME one of", spec.c_str());
                for (int f = 0; f < ciscouc::kFlagCount; ++f) fprintf(stderr, " %s", ciscouc::flag_name(f));
                fprintf(stderr, "\n");
                return 64;
            }
            const uint32_t bit = ciscouc::flag_bit(ciscouc::flag_at(which));
            if (state == "off") opt.settings.flags_off |= bit;
            else opt.settings.flags_off &= ~bit;
        } else if (a == "--language") {
            const char *lang = value("english or original");
            if (std::strcmp(lang, "english") != 0 && std::strcmp(lang, "original") != 0) {
                fprintf(stderr, "ciscouc-scan: --language %s: not english or original\n", lang);
                return 64;
            }
            opt.original_language = std::strcmp(lang, "original") == 0;
        } else if (a == "--jsonl") {
            jsonl = true;
        } else if (a == "--live") {
            live_mode = true;
            live.interface = value("an interface");
        } else if (a == "--filter") {
            live.filter = value("a BPF filter");
        } else if (a == "--max-conversations" || a == "--idle" || a == "--idle-tcp" || a == "--idle-udp" ||
                   a == "--interval" || a == "--max-hosts" || a == "--buffer" || a == "--stats") {
            double v = 0;
            const char *text = value("a number");
            if (!parse_number(text, &v) || (a == "--buffer" && (v < 1 || v > 65536)) ||
                (a == "--max-hosts" && v < 1)) {
                fprintf(stderr, "ciscouc-scan: %s %s: not a %s number\n", a.c_str(), text,
                        a == "--buffer" ? "1-65536" : a == "--max-hosts" ? "positive" : "non-negative");
                return 64;
            }
            if (a == "--idle") opt.idle_seconds = v;
            else if (a == "--idle-tcp") opt.end_idle_tcp = v;
            else if (a == "--idle-udp") opt.end_idle_udp = v;
            else if (a == "--interval") opt.interval = v;
            else if (a == "--max-hosts") opt.max_hosts = static_cast<size_t>(v);
            else if (a == "--buffer") live.buffer_mib = static_cast<int>(v);
            else if (a == "--stats") live.stats_seconds = v;
            else opt.max_conversations = static_cast<size_t>(v);
        } else if (a == "--format") {
            std::string f = value("tsv or table");
            if (f != "tsv" && f != "table") {
                fprintf(stderr, "ciscouc-scan: --format %s: not tsv or table\n", f.c_str());
                return 64;
            }
            format_table = f == "table";
        } else if (a == "--width") {
            const char *w = value("a number of columns");
            char *end = nullptr;
            long v = std::strtol(w, &end, 10);
            if (end == w || *end || v < 20 || v > 10000) {
                fprintf(stderr, "ciscouc-scan: --width %s: not a number of columns from 20 to 10000\n", w);
                return 64;
            }
            width = static_cast<unsigned>(v);
        } else if (a == "--wireshark-model") {
            ciscouc::scan::print_model(stdout);
            return 0;
        } else if (a == "-h" || a == "--help") {
            usage(stdout);
            return 0;
        } else if (a.size() > 1 && a[0] == '-' && a != "-") {
            fprintf(stderr, "ciscouc-scan: unknown option %s\n", a.c_str());
            usage(stderr);
            return 64;
        } else {
            files.push_back(argv[i]);
        }
    }
    live.original_language = opt.original_language;
    if (opt.calls && (live_mode || jsonl)) {
        // Stream mode frees a conversation when it ends; the call table keeps its legs' conversations.
        fprintf(stderr, "ciscouc-scan: --calls writes the call tables of capture files, not stream records (--jsonl, --live)\n");
        return 64;
    }
    if (live_mode) {
        if (!files.empty() || hosts) {
            fprintf(stderr, "ciscouc-scan: --live reads an interface, not files%s\n", hosts ? " (and writes no --hosts table)" : "");
            return 64;
        }
        return ciscouc::scan::run_live(live, opt, stdout);
    }
    if (!live.filter.empty()) {
        fprintf(stderr, "ciscouc-scan: --filter applies to --live only\n");
        return 64;
    }
    if (files.empty()) {
        usage(stderr);
        return 64;
    }
    ciscouc::scan::JsonlWriter writer(stdout, opt.original_language);
    if (jsonl) {
        if (hosts) {
            fprintf(stderr, "ciscouc-scan: --jsonl writes host records, not the --hosts table\n");
            return 64;
        }
        opt.sink = &writer;
    }
    if (format_table) table_width = width ? width : ciscouc::terminal_width(STDOUT_FILENO);
    int worst = 0;
    for (const char *f : files) {
        int rc = scan_file(f, opt, hosts);
        if (rc == 1 || worst == 0) worst = rc > worst ? rc : worst;
    }
    return worst;
}
