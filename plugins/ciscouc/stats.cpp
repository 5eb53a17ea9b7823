// ciscouc: statistics from the "ciscouc" tap.
//   tshark -q -z ciscouc,conv   one row per conversation
//   tshark -q -z ciscouc,tree   packets and conversations by product, purpose and flag
// The tree is a stats_tree, so it also appears under Statistics in the GUI.
#include "ciscouc_epan.h"

#include <epan/stat_tap_ui.h>
#include <epan/stats_tree.h>
#include <epan/addr_resolv.h>

#include <cstdio>
#include <map>
#include <algorithm>
#include <string>
#include <vector>

namespace ciscouc {
namespace epan {
namespace {

struct ConvRow {
    guint64 order = 0;
    std::string client, server;
    bool tcp = false;
    guint16 listener = 0;
    guint64 packets = 0, bytes = 0;
    double first = 0, last = 0;
    const void *state = nullptr;
};

struct ConvTable {
    std::map<const void *, ConvRow> rows;
    guint64 next = 0;
};

std::string endpoint(const address *a, guint32 port) {
    gchar *s = address_to_str(nullptr, a);
    std::string out = a->type == AT_IPv6 ? "[" + std::string(s) + "]" : std::string(s);
    wmem_free(nullptr, s);
    return out + ":" + std::to_string(port);
}

void conv_reset(void *p) {
    auto *t = static_cast<ConvTable *>(p);
    t->rows.clear();
    t->next = 0;
}

tap_packet_status conv_packet(void *p, packet_info *pinfo, epan_dissect_t *, const void *data, tap_flags_t) {
    auto *t = static_cast<ConvTable *>(p);
    const auto *info = static_cast<const ciscouc_tap_info *>(data);
    if (!info || !info->state) return TAP_PACKET_DONT_REDRAW;
    double ts = nstime_to_sec(&pinfo->rel_ts);
    auto it = t->rows.find(info->state);
    if (it == t->rows.end()) {
        ConvRow r;
        r.order = t->next++;
        r.state = info->state;
        r.tcp = state_transport_tcp(info->state);
        r.client = endpoint(&pinfo->src, pinfo->srcport);
        r.server = endpoint(&pinfo->dst, pinfo->destport);
        r.first = ts;
        it = t->rows.emplace(info->state, r).first;
    }
    ConvRow &r = it->second;
    guint16 listener = state_listener(info->state);
    // Orient the row so that the listener is on the right.
    if (r.packets == 0 && listener && listener == pinfo->srcport && listener != pinfo->destport)
        std::swap(r.client, r.server);
    r.listener = listener;
    r.packets++;
    r.bytes += pinfo->fd->pkt_len;
    r.last = ts;
    return TAP_PACKET_REDRAW;
}

void conv_draw(void *p) {
    auto *t = static_cast<ConvTable *>(p);
    std::vector<const ConvRow *> rows;
    for (const auto &kv : t->rows) rows.push_back(&kv.second);
    std::sort(rows.begin(), rows.end(), [](const ConvRow *a, const ConvRow *b) { return a->order < b->order; });
    printf("================================================================================\n");
    printf("Cisco UC conversations (ciscouc): %zu\n", rows.size());
    printf("Client\tServer\tTransport\tListener\tPackets\tBytes\tFirst\tLast\tDetected\tFlags\tProduct\tEntry\tPurpose\tOther uses\n");
    for (const ConvRow *r : rows) {
        guint n = 0;
        const Candidate *c = state_candidates(r->state, &n);
        const char *product = "", *entry = "";
        std::string purpose;
        if (n) {
            const Entry &e = kEntries[kFlows[c[0].flow].entry];
            product = e.product;
            entry = e.id;
            purpose = std::string(c[0].catch_all ? "(catch-all range) " : "") + e.purpose;
        }
        printf("%s\t%s\t%s\t%u\t%" G_GUINT64_FORMAT "\t%" G_GUINT64_FORMAT "\t%.6f\t%.6f\t%s\t%s\t%s\t%s\t%s\t%u\n",
               r->client.c_str(), r->server.c_str(), r->tcp ? "tcp" : "udp", r->listener, r->packets, r->bytes,
               r->first, r->last, state_detected(r->state), flag_list(state_flags(r->state)).c_str(), product,
               entry, purpose.c_str(), n ? n - 1 : 0);
    }
    printf("================================================================================\n");
}

void conv_finish(void *p) { delete static_cast<ConvTable *>(p); }

ciscouc_stat_init_ret conv_init(const char *, void *) {
    auto *t = new ConvTable();
    GString *err = register_tap_listener("ciscouc", t, nullptr, TL_REQUIRES_NOTHING, conv_reset, conv_packet,
                                         conv_draw, conv_finish);
    if (err) {
        fprintf(stderr, "tshark: couldn't register ciscouc,conv tap: %s\n", err->str);
        g_string_free(err, TRUE);
        delete t;
        return ciscouc_stat_init_result(false);
    }
    return ciscouc_stat_init_result(true);
}

// ---- stats tree
int st_packets = -1, st_convs = -1, st_flags = -1, st_detected = -1;
struct Counted {
    guint32 flags = 0;
    bool detected = false;
};
std::map<const void *, Counted> tree_seen;

void tree_init(stats_tree *st) {
    st_packets = stats_tree_create_node(st, "Packets by product and purpose", 0, STAT_DT_INT, TRUE);
    st_convs = stats_tree_create_node(st, "Conversations by product and purpose", 0, STAT_DT_INT, TRUE);
    st_detected = stats_tree_create_node(st, "Conversations by detected protocol", 0, STAT_DT_INT, TRUE);
    st_flags = stats_tree_create_node(st, "Conversations by flag", 0, STAT_DT_INT, TRUE);
    tree_seen.clear();
}

tap_packet_status tree_packet(stats_tree *st, packet_info *, epan_dissect_t *, const void *data, tap_flags_t) {
    const auto *info = static_cast<const ciscouc_tap_info *>(data);
    if (!info || !info->state) return TAP_PACKET_DONT_REDRAW;
    guint n = 0;
    const Candidate *c = state_candidates(info->state, &n);
    std::string product = "(undocumented)", purpose = "(no documented purpose)";
    if (n) {
        const Entry &e = kEntries[kFlows[c[0].flow].entry];
        product = e.product;
        purpose = (c[0].catch_all ? "(catch-all range) " : "") + std::string(e.purpose).substr(0, 100);
    }
    tick_stat_node(st, "Packets by product and purpose", 0, TRUE);
    int pid = tick_stat_node(st, product.c_str(), st_packets, TRUE);
    tick_stat_node(st, purpose.c_str(), pid, FALSE);
    auto ins = tree_seen.emplace(info->state, Counted());
    Counted &counted = ins.first->second;
    if (ins.second) {
        tick_stat_node(st, "Conversations by product and purpose", 0, TRUE);
        int cid = tick_stat_node(st, product.c_str(), st_convs, TRUE);
        tick_stat_node(st, purpose.c_str(), cid, FALSE);
    }
    // Detected protocol and flags are counted once per conversation, at the
    // first packet where they are known.
    const char *det = state_detected(info->state);
    if (!counted.detected && det && *det) {
        counted.detected = true;
        tick_stat_node(st, "Conversations by detected protocol", 0, TRUE);
        tick_stat_node(st, det, st_detected, FALSE);
    }
    guint32 fresh = state_flags(info->state) & ~counted.flags;
    for (int b = 0; b < kFlagCount; ++b) {
        if (!(fresh & (1u << b))) continue;
        tick_stat_node(st, "Conversations by flag", 0, TRUE);
        tick_stat_node(st, flag_name(b), st_flags, FALSE);
    }
    counted.flags |= fresh;
    return TAP_PACKET_REDRAW;
}

void tree_cleanup(stats_tree *) { tree_seen.clear(); }

// ---- Conversations as a stats tree: the GUI's counterpart of -z ciscouc,conv
// (Statistics > Cisco UC port usage > Conversations; tshark -z ciscouc_conv,tree).
int st_conv_root = -1;
std::map<const void *, std::string> conv_names;

void conv_tree_init(stats_tree *st) {
    st_conv_root = stats_tree_create_node(st, "Conversations (client -> listener | documented purpose | flags)", 0,
                                          STAT_DT_INT, TRUE);
    conv_names.clear();
}

tap_packet_status conv_tree_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *, const void *data,
                                   tap_flags_t) {
    const auto *info = static_cast<const ciscouc_tap_info *>(data);
    if (!info || !info->state) return TAP_PACKET_DONT_REDRAW;
    auto it = conv_names.find(info->state);
    if (it == conv_names.end()) {
        guint n = 0;
        const Candidate *c = state_candidates(info->state, &n);
        std::string client = endpoint(&pinfo->src, pinfo->srcport), server = endpoint(&pinfo->dst, pinfo->destport);
        guint16 listener = state_listener(info->state);
        if (listener && listener == pinfo->srcport && listener != pinfo->destport) std::swap(client, server);
        std::string purpose = "(no documented purpose)";
        if (n) {
            const Entry &e = kEntries[kFlows[c[0].flow].entry];
            purpose = (c[0].catch_all ? "(catch-all range) " : "") + std::string(e.purpose).substr(0, 80) + " [" +
                      e.id + "]";
        }
        std::string flags = flag_list(state_flags(info->state));
        std::string name = std::string(state_transport_tcp(info->state) ? "tcp " : "udp ") + client + " -> " +
                           server + " | " + purpose + (flags.empty() ? "" : " | " + flags);
        it = conv_names.emplace(info->state, name).first;
    }
    tick_stat_node(st, "Conversations (client -> listener | documented purpose | flags)", 0, TRUE);
    tick_stat_node(st, it->second.c_str(), st_conv_root, FALSE);
    return TAP_PACKET_REDRAW;
}

void conv_tree_cleanup(stats_tree *) { conv_names.clear(); }

}  // namespace

void register_stats() {
    static stat_tap_ui conv_ui = {CISCOUC_STAT_GROUP_TELEPHONY, "Cisco UC conversations", "ciscouc,conv",
                                  conv_init, 0, nullptr};
    register_stat_tap_ui(&conv_ui, nullptr);
    stats_tree_register_plugin("ciscouc", "ciscouc", "Cisco UC port usage/Summary", 0, tree_packet, tree_init,
                               tree_cleanup);
    stats_tree_register_plugin("ciscouc", "ciscouc_conv", "Cisco UC port usage/Conversations", 0, conv_tree_packet,
                               conv_tree_init, conv_tree_cleanup);
}

}  // namespace epan
}  // namespace ciscouc
