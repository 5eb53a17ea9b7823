// ciscouc: per-conversation state and evidence. A conversation is labelled
// when first seen and relabelled when its first packets show more (the
// protocol in the payload, TLS, a carried protocol, a Unified CM listener).
#include "conversation.h"

#include <algorithm>
#include <string>

#include "allowlist.h"
#include "detect.h"

namespace ciscouc {
namespace epan {
namespace {

// A conversation's first packets carry the evidence (payload signatures,
// STARTTLS, carried protocols); later packets only show the label.
constexpr guint16 kInspectPackets = 32;

// Hosts evidenced to be a Unified CM: listeners of SCCP, MGCP or H.225 rows
// whose listener is Unified CM (file-scoped; keys are address strings).
wmem_map_t *cucm_hosts = nullptr;

bool host_is_cucm(const address *a) {
    if (!a || a->type == AT_NONE) return false;
    gchar *key = address_to_str(nullptr, a);
    bool yes = wmem_map_contains(cucm_hosts, key);
    wmem_free(nullptr, key);
    return yes;
}

void mark_cucm_host(const address *a) {
    if (!a || a->type == AT_NONE) return;
    gchar *key = address_to_str(wmem_file_scope(), a);
    if (!wmem_map_contains(cucm_hosts, key)) wmem_map_insert(cucm_hosts, key, GINT_TO_POINTER(1));
}

const address *listener_address(const Conversation *c, guint16 listener_port) {
    return listener_port == 0 ? nullptr : listener_port == c->server_port ? &c->server_addr : &c->client_addr;
}

void relabel(Conversation *c, guint32 frame) {
    const Prefs prefs = settings.core();
    Label label = classify(c->transport, c->client_port, c->server_port, c->direction, c->detected, prefs);
    guint n = static_cast<guint>(label.candidates.size());
    if (n > c->cand_capacity) {  // file-scoped memory: grow only, never per packet
        c->cand = wmem_alloc_array(wmem_file_scope(), Candidate, n);
        c->cand_capacity = n;
    }
    c->cand_count = n;
    if (n) std::copy(label.candidates.begin(), label.candidates.end(), c->cand);
    c->label_frame = frame;
    c->listener_port = label.listener_port;
    c->label_direction = label.direction;
    c->summary = label.empty() ? nullptr : wmem_strdup(wmem_file_scope(), summarize(label, settings.language == 1).c_str());

    const address *listener = listener_address(c, label.listener_port);
    if (listener && label_shows_unified_cm(label, c->detected)) mark_cucm_host(listener);
    FlagInput in;
    in.seen = c->seen;
    in.tls_seen = c->tls_seen;
    in.payload_seen = c->payload_seen;
    in.listener_is_unified_cm = listener && host_is_cucm(listener);
    in.transport = c->transport;
    in.client_port = c->client_port;
    in.server_port = c->server_port;
    in.label = &label;
    in.detected = c->detected;
    in.detected_other = c->detected_other;
    in.same_host = c->same_host;
    in.prefs = prefs;
    in.site_allowed = site_allows(c->transport, label.listener_port ? label.listener_port : c->server_port, c->detected) ||
                      (label.direction != Direction::kHandshake && site_allows(c->transport, c->client_port, c->detected));
    FlagResult r = evaluate_flags(in);
    // Flags follow the evidence: re-evaluated when the payload shows its
    // protocol. A flag keeps the frame where it first held, so its expert
    // info is raised once per conversation.
    guint32 now = 0;
    for (int b = 0; b < kFlagCount; ++b) {
        Flag f = flag_at(b);
        if (!r.has(f) || !settings.flag_on(f)) continue;
        now |= flag_bit(f);
        if (!c->has_flag(f)) {
            c->flag_frame[b] = frame;
            c->reason[b] = wmem_strdup(wmem_file_scope(), r.reason_for(f).c_str());
        }
    }
    c->flags = now;
    c->flags_text = now ? wmem_strdup(wmem_file_scope(), flag_list(now).c_str()) : nullptr;
    c->nr_pending = r.not_recommended_pending && settings.flag_on(Flag::kNotRecommended);
}

}  // namespace

void register_conversations() {
    cucm_hosts = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_str_hash, g_str_equal);
}

Conversation *conversation_of(packet_info *pinfo, Transport t) {
    conversation_t *conv = find_conversation_pinfo(pinfo, 0);
    if (!conv) return nullptr;
    auto *c = static_cast<Conversation *>(conversation_get_proto_data(conv, proto_ciscouc));
    if (c) return c;
    if (PINFO_FD_VISITED(pinfo)) return nullptr;  // created on the first pass only
    c = wmem_new0(wmem_file_scope(), Conversation);
    c->transport = t;
    c->detected = -1;
    Direction dir = t == kUdp ? Direction::kFirstPacket : Direction::kUnknown;
    guint16 client = static_cast<guint16>(pinfo->srcport), server = static_cast<guint16>(pinfo->destport);
    copy_address_wmem(wmem_file_scope(), &c->client_addr, &pinfo->src);
    copy_address_wmem(wmem_file_scope(), &c->server_addr, &pinfo->dst);
    if (t == kTcp) {
        // Wireshark's TCP dissector remembers the server port from SYN or SYN-ACK
        // (struct tcp_analysis::server_port, epan/dissectors/packet-tcp.h).
        auto *tcpd = static_cast<tcp_analysis *>(conversation_get_proto_data(conv, proto_tcp));
        if (tcpd && tcpd->server_port != 0) {
            dir = Direction::kHandshake;
            if (tcpd->server_port == pinfo->srcport && tcpd->server_port != pinfo->destport) {
                std::swap(client, server);
                copy_address_wmem(wmem_file_scope(), &c->client_addr, &pinfo->dst);
                copy_address_wmem(wmem_file_scope(), &c->server_addr, &pinfo->src);
            }
        }
    }
    c->client_port = client;
    c->server_port = server;
    c->direction = dir;
    c->same_host = addresses_equal(&pinfo->src, &pinfo->dst);
    c->first_frame = pinfo->num;
    relabel(c, pinfo->num);
    conversation_add_proto_data(conv, proto_ciscouc, c);
    return c;
}

void conversation_inspect(Conversation *c, packet_info *pinfo, Transport t) {
    if (PINFO_FD_VISITED(pinfo) || (c->inspected >= kInspectPackets && !c->nr_pending)) return;
    ++c->inspected;
    Detection d = detect(pinfo, t);
    if (d.protocol >= 0) d.protocol = remap_protocol(t, d.protocol);
    bool changed = false;
    if (d.any() && c->detected < 0 && !c->detected_other) {
        c->detected = d.protocol;
        c->detected_other = d.other;
        changed = true;
    }
    if (c->seen.merge(d.seen)) changed = true;
    if (d.tls && !c->tls_seen) c->tls_seen = changed = true;
    if (d.payload && !c->payload_seen) c->payload_seen = changed = true;
    // not_recommended waits for the listener to show itself as a Unified CM.
    if (c->nr_pending && c->listener_port && host_is_cucm(listener_address(c, c->listener_port))) changed = true;
    if (changed) relabel(c, pinfo->num);
}

}  // namespace epan
}  // namespace ciscouc
