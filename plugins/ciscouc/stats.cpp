// ciscouc: statistics from the "ciscouc" tap.
//   tshark -q -z ciscouc,conv   one row per conversation
//   tshark -q -z ciscouc,tree   packets and conversations by product, purpose and flag
// The tree is a stats_tree, so it also appears under Statistics in the GUI.
#include "conversation.h"
#include "core/tables.h"

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

struct TapRow {
    guint64 order = 0;
    std::string client, server;
    std::string client_host, server_host;  // the host table's keys
    bool tcp = false;
    guint16 listener = 0;
    guint64 packets = 0, bytes = 0;
    double first = 0, last = 0;
    const Conversation *conv = nullptr;
};

struct ConvTable {
    std::map<const Conversation *, TapRow> rows;
    guint64 next = 0;
};

std::string endpoint(const address *a, guint32 port) { return endpoint_text(host_key(a), a->type == AT_IPv6, port); }

void conv_reset(void *p) {
    auto *t = static_cast<ConvTable *>(p);
    t->rows.clear();
    t->next = 0;
}

tap_packet_status conv_packet(void *p, packet_info *pinfo, epan_dissect_t *, const void *data, tap_flags_t) {
    auto *t = static_cast<ConvTable *>(p);
    const auto *info = static_cast<const ciscouc_tap_info *>(data);
    if (!info || !info->conv) return TAP_PACKET_DONT_REDRAW;
    double ts = nstime_to_sec(&pinfo->rel_ts);
    auto it = t->rows.find(info->conv);
    if (it == t->rows.end()) {
        TapRow r;
        r.order = t->next++;
        r.conv = info->conv;
        r.tcp = info->conv->tcp();
        r.client = endpoint(&pinfo->src, pinfo->srcport);
        r.server = endpoint(&pinfo->dst, pinfo->destport);
        r.client_host = host_key(&pinfo->src);
        r.server_host = host_key(&pinfo->dst);
        r.first = ts;
        it = t->rows.emplace(info->conv, r).first;
    }
    TapRow &r = it->second;
    guint16 listener = info->conv->listener_port;
    // Orient the row so that the listener is on the right.
    if (r.packets == 0 && listener_first(listener, pinfo->srcport, pinfo->destport)) {
        std::swap(r.client, r.server);
        std::swap(r.client_host, r.server_host);
    }
    r.listener = listener;
    r.packets++;
    r.bytes += pinfo->fd->pkt_len;
    r.last = ts;
    return TAP_PACKET_REDRAW;
}

void conv_draw(void *p) {
    auto *t = static_cast<ConvTable *>(p);
    std::vector<const TapRow *> rows;
    for (const auto &kv : t->rows) rows.push_back(&kv.second);
    std::sort(rows.begin(), rows.end(), [](const TapRow *a, const TapRow *b) { return a->order < b->order; });
    write_conversations_header(stdout, rows.size());
    for (const TapRow *r : rows) {
        // A host may have shown its role after the conversation's last packet.
        conversation_refresh(const_cast<Conversation *>(r->conv));
        const Conversation &c = *r->conv;
        ciscouc::ConvRow row;
        row.client = r->client;
        row.server = r->server;
        row.transport = c.transport;
        row.listener = r->listener;
        row.packets = r->packets;
        row.bytes = r->bytes;
        row.first = r->first;
        row.last = r->last;
        row.state = &c;
        row.cand = c.cand;
        row.cand_count = c.cand_count;
        row.evidence_detail = c.evidence_detail ? c.evidence_detail : "";
        row.client_host = host_table().find(r->client_host);
        row.server_host = host_table().find(r->server_host);
        row.claims = settings.labelling().claims;
        write_conversation(stdout, row, settings.language == 1);
    }
    write_table_end(stdout);
}

ciscouc_stat_init_ret conv_init(const char *, void *) {
    return register_table_tap<ConvTable>("ciscouc,conv", conv_reset, conv_packet, conv_draw);
}

// ---- Stats trees. Their state lives per tree instance (a slot claimed by the
// stats_tree in its init callback, released in its cleanup): a second window
// on the same tree has its own counts. Fixed slots: claiming one allocates
// nothing.
template <typename State, size_t N = 16>
class PerTree {
public:
    // The instance's fresh state (init also runs when the tree is reset).
    State *claim(const stats_tree *st) {
        Slot *s = find_slot(st);
        if (!s) s = find_slot(nullptr);
        if (!s) return nullptr;
        s->owner = st;
        s->state = State();
        return &s->state;
    }
    State *find(const stats_tree *st) {
        Slot *s = st ? find_slot(st) : nullptr;
        return s ? &s->state : nullptr;
    }
    void release(const stats_tree *st) {
        if (Slot *s = st ? find_slot(st) : nullptr) {
            s->owner = nullptr;
            s->state = State();
        }
    }

private:
    struct Slot {
        const stats_tree *owner = nullptr;
        State state;
    };
    Slot *find_slot(const stats_tree *st) {
        for (Slot &s : slots_)
            if (s.owner == st) return &s;
        return nullptr;
    }
    Slot slots_[N];
};
std::string purpose_text(const Conversation &c, size_t width) {
    const Entry *e = c.best_entry();
    if (!e) return "(no documented purpose)";
    std::string p = std::string(e->purpose).substr(0, width);
    p.erase(p.find_last_not_of(' ') + 1);  // a cut before a space leaves none at the end
    return (c.cand[0].catch_all ? "(catch-all range) " : "") + p;
}

struct SummaryTree {
    int packets = -1, convs = -1, flags = -1, detected = -1;  // node ids
    struct Counted {
        guint32 flags = 0;
        bool detected = false;
    };
    std::map<const Conversation *, Counted> seen;
};
PerTree<SummaryTree> summary_trees;

void tree_init(stats_tree *st) {
    SummaryTree *state = summary_trees.claim(st);
    if (!state) {
        ws_warning("ciscouc: too many open Cisco UC summary trees");
        return;
    }
    SummaryTree &t = *state;
    t.packets = stats_tree_create_node(st, "Packets by product and purpose", 0, STAT_DT_INT, TRUE);
    t.convs = stats_tree_create_node(st, "Conversations by product and purpose", 0, STAT_DT_INT, TRUE);
    t.detected = stats_tree_create_node(st, "Conversations by detected protocol", 0, STAT_DT_INT, TRUE);
    t.flags = stats_tree_create_node(st, "Conversations by flag", 0, STAT_DT_INT, TRUE);
}

tap_packet_status tree_packet(stats_tree *st, packet_info *, epan_dissect_t *, const void *data, tap_flags_t) {
    const auto *info = static_cast<const ciscouc_tap_info *>(data);
    SummaryTree *tree = summary_trees.find(st);
    if (!info || !info->conv || !tree) return TAP_PACKET_DONT_REDRAW;
    SummaryTree &t = *tree;
    const Conversation &c = *info->conv;
    const Entry *e = c.best_entry();
    std::string product = e ? e->product : "(undocumented)", purpose = purpose_text(c, 100);
    tick_stat_node(st, "Packets by product and purpose", 0, TRUE);
    int pid = tick_stat_node(st, product.c_str(), t.packets, TRUE);
    tick_stat_node(st, purpose.c_str(), pid, FALSE);
    auto ins = t.seen.emplace(&c, SummaryTree::Counted());
    SummaryTree::Counted &counted = ins.first->second;
    if (ins.second) {
        tick_stat_node(st, "Conversations by product and purpose", 0, TRUE);
        int cid = tick_stat_node(st, product.c_str(), t.convs, TRUE);
        tick_stat_node(st, purpose.c_str(), cid, FALSE);
    }
    // Detected protocol and flags are counted once per conversation, at the
    // first packet where they are known.
    const char *det = c.detected_name();
    if (!counted.detected && *det) {
        counted.detected = true;
        tick_stat_node(st, "Conversations by detected protocol", 0, TRUE);
        tick_stat_node(st, det, t.detected, FALSE);
    }
    guint32 fresh = c.flags & ~counted.flags;
    for (int b = 0; b < kFlagCount; ++b) {
        if (!(fresh & flag_bit(flag_at(b)))) continue;
        tick_stat_node(st, "Conversations by flag", 0, TRUE);
        tick_stat_node(st, kFlagInfo[b].name, t.flags, FALSE);
    }
    counted.flags |= fresh;
    return TAP_PACKET_REDRAW;
}

void tree_cleanup(stats_tree *st) { summary_trees.release(st); }

// ---- Conversations as a stats tree: the GUI's counterpart of -z ciscouc,conv
// (Statistics > Cisco UC port usage > Conversations; tshark -z ciscouc_conv,tree).
// A stats tree has one name column and the counts (epan/stats_tree.h: no
// columns of a plugin's own): the conversation's facts go in the node name.
const char kConvTreeRoot[] =
    "Conversations (client -> listener | documented purpose | evidence | client role -> listener role | flags)";
struct ConversationTree {
    int root = -1;
    std::map<const Conversation *, std::string> names;
};
PerTree<ConversationTree> conversation_trees;

void conv_tree_init(stats_tree *st) {
    ConversationTree *state = conversation_trees.claim(st);
    if (!state) {
        ws_warning("ciscouc: too many open Cisco UC conversation trees");
        return;
    }
    ConversationTree &t = *state;
    t.root = stats_tree_create_node(st, kConvTreeRoot, 0,
                                    STAT_DT_INT, TRUE);
}

tap_packet_status conv_tree_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *, const void *data,
                                   tap_flags_t) {
    const auto *info = static_cast<const ciscouc_tap_info *>(data);
    ConversationTree *tree = conversation_trees.find(st);
    if (!info || !info->conv || !tree) return TAP_PACKET_DONT_REDRAW;
    ConversationTree &t = *tree;
    const Conversation &c = *info->conv;
    auto it = t.names.find(&c);
    if (it == t.names.end()) {
        std::string client = endpoint(&pinfo->src, pinfo->srcport), server = endpoint(&pinfo->dst, pinfo->destport);
        std::string client_host = host_key(&pinfo->src), server_host = host_key(&pinfo->dst);
        guint16 listener = c.listener_port;
        if (listener_first(listener, pinfo->srcport, pinfo->destport)) {
            std::swap(client, server);
            std::swap(client_host, server_host);
        }
        std::string purpose = purpose_text(c, 80);
        if (const Entry *e = c.best_entry()) purpose += std::string(" [") + e->id + "]";
        std::string evidence = claim_text(c.claim);
        if (c.evidence_detail && *c.evidence_detail)
            evidence += (evidence.empty() ? "" : ": ") + std::string(c.evidence_detail);
        auto roles_of = [](const std::string &host) {
            std::string r = HostTable::role_text(host_table().find(host));
            return r.empty() ? std::string("-") : r;
        };
        std::string roles = roles_of(client_host) + " -> " + roles_of(server_host);
        std::string flags = flag_list(c.flags);
        std::string name = std::string(c.tcp() ? "tcp " : "udp ") + client + " -> " + server + " | " + purpose +
                           " | " + (evidence.empty() ? "-" : evidence) + " | " + roles +
                           (flags.empty() ? "" : " | " + flags);
        it = t.names.emplace(&c, name).first;
    }
    tick_stat_node(st, kConvTreeRoot, 0, TRUE);
    tick_stat_node(st, it->second.c_str(), t.root, FALSE);
    return TAP_PACKET_REDRAW;
}

void conv_tree_cleanup(stats_tree *st) { conversation_trees.release(st); }

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
