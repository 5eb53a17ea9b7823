// ciscouc: per-conversation state and evidence. A conversation is labelled
// when first seen and relabelled when its first packets show more (the
// protocol in the payload, TLS, a carried protocol, a Unified CM listener).
#include "conversation.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "allowlist.h"
#include "detect.h"


namespace ciscouc {
namespace epan {
namespace {

// A conversation's first packets carry the evidence (payload signatures,
// STARTTLS, carried protocols); later packets only show the label.
constexpr guint16 kInspectPackets = 32;

const address *listener_address(const Conversation *c, guint16 listener_port) {
    return listener_port == 0 ? nullptr : listener_port == c->server_port ? &c->server_addr : &c->client_addr;
}

// Frames whose payload was SIP or MGCP (both carry SDP), so media that SDP
// set up can say which signalling set it up. File-scoped, created at
// registration; only signalling frames are recorded.
wmem_map_t *signalling_frames = nullptr;

// TFTP requesters: "client address/port>server address" of every RRQ/WRQ
// (file-scoped, like signalling_frames). The transfer leg that follows runs
// from the server's new port to the requester's port (RFC 1350 section 4).
wmem_map_t *tftp_requests = nullptr;
std::string endpoint_key(const address *a, guint16 port, const address *peer) {
    return host_key(a) + "/" + std::to_string(port) + ">" + host_key(peer);
}

void swap_ends(Conversation *c) {
    std::swap(c->client_addr, c->server_addr);
    std::swap(c->client_port, c->server_port);
    std::swap(c->client_roles, c->server_roles);
}

// No handshake: the payload may say which side serves. A SIP status line
// comes from the side that received the request, unless the receiver's port
// is the one the guides document for SIP (a phone's 200 OK to a Unified CM's
// 5060); a TFTP transfer leg is served by the host its requester asked.
// Decided on the conversation's first payload, before its flags.
bool orient_by_payload(Conversation *c, packet_info *pinfo, proto_tree *tree, int detected) {
    if (c->direction == Direction::kHandshake || c->direction == Direction::kPayload) return false;
    static const int sip = protocol_by_key("SIP"), tftp = protocol_by_key("TFTP");
    const bool from_client = pinfo->srcport == c->client_port && addresses_equal(&pinfo->src, &c->client_addr);
    PayloadSide side = payload_side(tree);
    if (detected == sip && side == PayloadSide::kSipStatus) {
        if (port_documents(c->transport, static_cast<guint16>(pinfo->destport), sip)) return false;
        if (from_client) swap_ends(c);
        c->direction = Direction::kPayload;
        return true;
    }
    if (detected == tftp && c->transport == kUdp && side == PayloadSide::kNone) {
        if (wmem_map_lookup(tftp_requests, endpoint_key(&c->client_addr, c->client_port, &c->server_addr).c_str())) {
            c->direction = Direction::kPayload;
            return true;
        }
        if (wmem_map_lookup(tftp_requests, endpoint_key(&c->server_addr, c->server_port, &c->client_addr).c_str())) {
            swap_ends(c);
            c->direction = Direction::kPayload;
            return true;
        }
    }
    return false;
}

void note_tftp_request(packet_info *pinfo, proto_tree *tree) {
    if (payload_side(tree) != PayloadSide::kTftpRequest) return;
    std::string k = endpoint_key(&pinfo->src, static_cast<guint16>(pinfo->srcport), &pinfo->dst);
    if (!wmem_map_lookup(tftp_requests, k.c_str()))
        wmem_map_insert(tftp_requests, wmem_strdup(wmem_file_scope(), k.c_str()), GUINT_TO_POINTER(pinfo->num));
}

// Media that signalling in the capture set up: Wireshark's SDP, Skinny,
// MGCP and H.245 dissectors announce the stream with rtp_add_address
// (epan/dissectors/packet-rtp.h), and the RTP dissector shows the setup as
// rtp.setup-method and rtp.setup-frame (the same fields on every version;
// the struct behind them left the public header in 4.4). ciscouc's own RTP
// recognition ("ciscouc") is not signalling.
bool media_setup(proto_tree *tree, Conversation *c) {
    const char *method = nullptr;
    guint32 frame = 0;
    if (!rtp_setup_of(tree, &method, &frame) || !method || strcmp(method, "ciscouc") == 0) return false;
    static const int sip = protocol_by_key("SIP"), sccp = protocol_by_key("SCCP"), h245 = protocol_by_key("H.245");
    int by = -1;
    if (g_ascii_strcasecmp(method, "SDP") == 0) {
        gpointer p = wmem_map_lookup(signalling_frames, GUINT_TO_POINTER(frame));
        by = p ? GPOINTER_TO_INT(p) - 1 : sip;
    } else if (g_ascii_strncasecmp(method, "skinny", 6) == 0) {
        by = sccp;
    } else if (g_ascii_strcasecmp(method, "H245") == 0) {
        by = h245;
    }
    if (by < 0) return false;
    c->media_protocol = by;
    c->media_frame = frame;
    return true;
}

void relabel(Conversation *c, guint32 frame) {
    const Prefs prefs = settings.core();
    Label first = classify(c->transport, c->client_port, c->server_port, c->direction, c->detected, prefs);
    // The listener of UC signalling documented to a Unified CM is one.
    static const int unified_cm = role_by_key("unified_cm");
    if (const address *l = listener_address(c, first.listener_port); l && label_shows_unified_cm(first, c->detected))
        add_host_role(l, unified_cm, c->detected, frame);
    c->client_roles = host_roles(&c->client_addr);
    c->server_roles = host_roles(&c->server_addr);
    c->roles_generation = host_roles_generation();
    EvidenceInput ev;
    ev.transport = c->transport;
    ev.client_port = c->client_port;
    ev.server_port = c->server_port;
    ev.client_roles = c->client_roles;
    ev.server_roles = c->server_roles;
    ev.detected = c->detected;
    ev.detected_other = c->detected_other;
    ev.seen = c->seen;
    ev.payload_seen = c->payload_seen;
    ev.payload_frame = c->payload_frame;
    ev.media_protocol = c->media_protocol;
    ev.media_frame = c->media_frame;
    const ClaimsMode mode = static_cast<ClaimsMode>(settings.claims);
    // Assess the rows (core/evidence.h weigh: reorder, filter, classify
    // signalled media again, bare media); flags are raised on confirmed rows
    // only (unexpected_port reads the payload, not the rows); claims=port is
    // the port table of old: every documented use, and flags from all of them.
    const Verdict v = weigh(std::move(first), c->direction, ev, prefs, mode);
    const Label &label = v.label;
    const Assessment &as = v.as;
    const bool bare_media = v.bare_media;
    c->claim = as.claim;
    c->evidence_detail = v.detail.empty() ? nullptr : wmem_strdup(wmem_file_scope(), v.detail.c_str());
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
    // Media is named by the signalling that set it up, not by the range row's text.
    const std::string &media = v.media;
    c->summary = bare_media ? wmem_strdup(wmem_file_scope(), (std::to_string(c->server_port) + ": " + media +
                                                              " [no guide documents this port]").c_str())
                 : label.empty()
                     ? nullptr
                     : wmem_strdup(wmem_file_scope(),
                                   summarize(label, settings.language == 1, media.empty() ? nullptr : media.c_str()).c_str());
    c->shown = (bare_media || !label.empty()) && shown(as.claim, mode);

    const address *listener = listener_address(c, label.listener_port);
    FlagInput in;
    in.seen = c->seen;
    in.tls_seen = c->tls_seen;
    in.payload_seen = c->payload_seen;
    in.listener_is_unified_cm = listener && (host_roles(listener) & role_bit(unified_cm));
    in.transport = c->transport;
    in.client_port = c->client_port;
    in.server_port = c->server_port;
    in.label = &v.flag_label(mode);
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
    signalling_frames = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash, g_direct_equal);
    tftp_requests = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_str_hash, g_str_equal);
}

void note_signalling_frame(guint32 frame, int protocol) {
    if (!wmem_map_contains(signalling_frames, GUINT_TO_POINTER(frame)))
        wmem_map_insert(signalling_frames, GUINT_TO_POINTER(frame), GINT_TO_POINTER(protocol + 1));
}

void conversation_refresh(Conversation *c) {
    if (c->roles_generation == host_roles_generation()) return;
    if (host_roles(&c->client_addr) != c->client_roles || host_roles(&c->server_addr) != c->server_roles)
        relabel(c, c->label_frame);
    else
        c->roles_generation = host_roles_generation();
}

Conversation *conversation_of(packet_info *pinfo, Transport t) {
    conversation_t *conv = find_conversation_pinfo(pinfo, 0);
    if (!conv) return nullptr;
    auto *c = static_cast<Conversation *>(ciscouc_conv_get_data(pinfo, conv, proto_ciscouc));
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
    c->media_protocol = -1;
    c->same_host = addresses_equal(&pinfo->src, &pinfo->dst);
    c->first_frame = pinfo->num;
    relabel(c, pinfo->num);
    ciscouc_conv_add_data(pinfo, conv, proto_ciscouc, c);
    return c;
}

void conversation_inspect(Conversation *c, packet_info *pinfo, proto_tree *tree, Transport t) {
    if (PINFO_FD_VISITED(pinfo) || (c->inspected >= kInspectPackets && !c->nr_pending)) return;
    ++c->inspected;
    Detection d = detect(pinfo, t);
    if (d.protocol >= 0) d.protocol = remap_protocol(t, d.protocol);
    bool changed = false;
    static const int sip = protocol_by_key("SIP"), mgcp = protocol_by_key("MGCP"), tftp = protocol_by_key("TFTP");
    if (d.any() && c->detected < 0 && !c->detected_other) {
        c->detected = d.protocol;
        c->detected_other = d.other;
        c->payload_frame = pinfo->num;
        orient_by_payload(c, pinfo, tree, d.protocol);
        changed = true;
    }
    if (d.protocol == tftp) note_tftp_request(pinfo, tree);
    if (d.protocol == sip || d.protocol == mgcp) note_signalling_frame(pinfo->num, d.protocol);
    if (t == kUdp && c->media_protocol < 0 && media_setup(tree, c)) changed = true;
    if (c->seen.merge(d.seen)) changed = true;
    if (d.tls && !c->tls_seen) c->tls_seen = changed = true;
    if (d.payload && !c->payload_seen) c->payload_seen = changed = true;
    if (changed) relabel(c, pinfo->num);
}

}  // namespace epan
}  // namespace ciscouc
