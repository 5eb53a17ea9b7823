// ciscouc: per-conversation state and evidence. A conversation is labelled
// when first seen and relabelled when its first packets show more (the
// protocol in the payload, TLS, a carried protocol, a Unified CM listener).
#include "conversation.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "detect.h"


namespace ciscouc {
namespace epan {
namespace {

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

HostKeys keys_of(const Conversation *c) { return HostKeys{host_key(&c->client_addr), host_key(&c->server_addr)}; }

// The core's pipeline with the user's preferences, over the capture's hosts.
Pipeline pipeline() { return Pipeline(settings.labelling(), host_table()); }

// No handshake: what the conversation's first payload says about which side
// serves (the core decides): a SIP status line, or a TFTP transfer leg whose
// request came from one of the conversation's ends.
PayloadSides sides_of(const Conversation *c, packet_info *pinfo, proto_tree *tree) {
    PayloadSides s;
    s.from_client = pinfo->srcport == c->client_port && addresses_equal(&pinfo->src, &c->client_addr);
    s.dst_port = static_cast<uint16_t>(pinfo->destport);
    PayloadSide side = payload_side(tree);
    s.sip_status = side == PayloadSide::kSipStatus;
    if (side == PayloadSide::kNone) {
        s.tftp_asked_from_client =
            wmem_map_lookup(tftp_requests, endpoint_key(&c->client_addr, c->client_port, &c->server_addr).c_str());
        s.tftp_asked_from_server =
            !s.tftp_asked_from_client &&
            wmem_map_lookup(tftp_requests, endpoint_key(&c->server_addr, c->server_port, &c->client_addr).c_str());
    }
    return s;
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
MediaSetup media_setup(proto_tree *tree) {
    const char *method = nullptr;
    guint32 frame = 0;
    if (!rtp_setup_of(tree, &method, &frame) || !method || strcmp(method, "ciscouc") == 0) return MediaSetup();
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
    return by < 0 ? MediaSetup() : MediaSetup{by, frame};
}

// What the core's relabel decided that the epan layer shows: the rows, the
// summary, the evidence detail, each newly raised flag's reason and the
// flags' text (file-scoped memory, rewritten only when the label changes).
void keep(Conversation *c, const Relabel &r) {
    if (r.swapped) std::swap(c->client_addr, c->server_addr);
    if (!r.done) return;
    const Verdict &v = r.verdict;
    const Label &label = v.label;
    c->evidence_detail = v.detail.empty() ? nullptr : wmem_strdup(wmem_file_scope(), v.detail.c_str());
    guint n = static_cast<guint>(label.candidates.size());
    if (n > c->cand_capacity) {  // file-scoped memory: grow only, never per packet
        c->cand = wmem_alloc_array(wmem_file_scope(), Candidate, n);
        c->cand_capacity = n;
    }
    c->cand_count = n;
    if (n) std::copy(label.candidates.begin(), label.candidates.end(), c->cand);
    // Media is named by the signalling that set it up, not by the range row's text.
    const std::string &media = v.media;
    c->summary = v.bare_media ? wmem_strdup(wmem_file_scope(), (std::to_string(c->server_port) + ": " + media +
                                                                " [no guide documents this port]").c_str())
                 : label.empty()
                     ? nullptr
                     : wmem_strdup(wmem_file_scope(),
                                   summarize(label, settings.language == 1, media.empty() ? nullptr : media.c_str()).c_str());
    for (int b = 0; b < kFlagCount; ++b)
        if (r.raised & flag_bit(flag_at(b))) c->reason[b] = wmem_strdup(wmem_file_scope(), r.result.reason_for(flag_at(b)).c_str());
    c->flags_text = c->flags ? wmem_strdup(wmem_file_scope(), flag_list(c->flags).c_str()) : nullptr;
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
    keep(c, pipeline().refresh(c, keys_of(c)));
}

Conversation *conversation_of(packet_info *pinfo, Transport t) {
    conversation_t *conv = find_conversation_pinfo(pinfo, 0);
    if (!conv) return nullptr;
    auto *c = static_cast<Conversation *>(ciscouc_conv_get_data(pinfo, conv, proto_ciscouc));
    if (c) return c;
    if (PINFO_FD_VISITED(pinfo)) return nullptr;  // created on the first pass only
    c = wmem_new0(wmem_file_scope(), Conversation);
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
                std::swap(c->client_addr, c->server_addr);
            }
        }
    }
    keep(c, pipeline().open(c, keys_of(c), t, client, server, dir, addresses_equal(&pinfo->src, &pinfo->dst),
                            pinfo->num));
    ciscouc_conv_add_data(pinfo, conv, proto_ciscouc, c);
    return c;
}

void conversation_inspect(Conversation *c, packet_info *pinfo, proto_tree *tree, Transport t) {
    if (PINFO_FD_VISITED(pinfo) || !Pipeline::begin_inspection(c)) return;
    const Detection d = detect(pinfo, t);
    PayloadSides sides;
    const bool orient = Pipeline::needs_orientation(*c, d);
    if (orient) sides = sides_of(c, pinfo, tree);
    static const int sip = protocol_by_key("SIP"), mgcp = protocol_by_key("MGCP"), tftp = protocol_by_key("TFTP");
    const int protocol = remap_protocol(t, d.protocol);
    if (protocol == tftp) note_tftp_request(pinfo, tree);
    if (protocol == sip || protocol == mgcp) note_signalling_frame(pinfo->num, protocol);
    const MediaSetup media = t == kUdp && c->media_protocol < 0 ? media_setup(tree) : MediaSetup();
    HostKeys k = keys_of(c);
    keep(c, pipeline().inspect(c, &k, d, orient ? &sides : nullptr, media, pinfo->num));
}

}  // namespace epan
}  // namespace ciscouc
