// ciscouc: label Cisco UC conversations with their documented purpose.
//
// The thin epan layer around the pure core in core/: it registers the
// protocol, its fields, preferences and expert infos, a postdissector that
// labels every TCP/UDP conversation from the catalog, heuristic dissectors
// that recognise UC protocols on any port and hand them to Wireshark's own
// dissectors, and the flags raised as expert info.
//
// The postdissector only adds a ciscouc subtree; it never changes how stock
// dissectors decode a packet.

#include "ciscouc_epan.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "core/classify.h"
#include "core/heuristics.h"

namespace ciscouc {
namespace epan {

int proto_ciscouc = -1;
int ciscouc_tap = -1;
int hf_heuristic = -1;
ciscouc_pref_bool pref_steal = TRUE;
ciscouc_pref_bool pref_rtp_decode = FALSE;

namespace {

int hf_summary = -1, hf_listener_port = -1, hf_direction = -1, hf_detected = -1, hf_use = -1,
    hf_purpose = -1, hf_purpose_original = -1, hf_entry = -1, hf_product = -1, hf_from = -1,
    hf_to = -1, hf_doc = -1, hf_edition = -1, hf_release = -1, hf_ports = -1, hf_catch_all = -1,
    hf_facts = -1, hf_flags = -1, hf_ip_proto = -1, hf_uses_frame = -1;
int ett_ciscouc = -1, ett_use = -1;

expert_field ei_flag[kFlagCount];

// Preferences.
ciscouc_pref_bool pref_labels = TRUE;
gint pref_edition = -1;
ciscouc_pref_bool pref_only_preferred = FALSE;
gint pref_language = 0;  // 0 English, 1 the guide's language
ciscouc_pref_bool pref_info = FALSE;
ciscouc_pref_bool pref_flag[kFlagCount] = {TRUE, TRUE, TRUE, TRUE, TRUE, TRUE};
// How much of each documented use goes into a visible packet tree (what
// `tshark -V`, `tshark -T fields` and the packet details pane build).
enum { kDetailsFull = 0, kDetailsCompact = 1, kDetailsConversation = 2 };
gint pref_details = kDetailsConversation;
std::vector<enum_val_t> edition_enum;

dissector_handle_t postdissector_handle;

// Site allow-list (UAT): ports where a protocol is expected at this site.
struct AllowRecord {
    char *transport;
    char *ports;
    char *protocol;
    char *comment;
};
AllowRecord *allow_records = nullptr;
guint allow_count = 0;
UAT_CSTRING_CB_DEF(allow, transport, AllowRecord)
UAT_CSTRING_CB_DEF(allow, ports, AllowRecord)
UAT_CSTRING_CB_DEF(allow, protocol, AllowRecord)
UAT_CSTRING_CB_DEF(allow, comment, AllowRecord)

void *allow_copy(void *dst, const void *src, size_t) {
    auto *d = static_cast<AllowRecord *>(dst);
    const auto *s = static_cast<const AllowRecord *>(src);
    d->transport = g_strdup(s->transport);
    d->ports = g_strdup(s->ports);
    d->protocol = g_strdup(s->protocol);
    d->comment = g_strdup(s->comment);
    return d;
}

void allow_free(void *r) {
    auto *a = static_cast<AllowRecord *>(r);
    g_free(a->transport);
    g_free(a->ports);
    g_free(a->protocol);
    g_free(a->comment);
}

bool parse_range(const char *text, guint *lo, guint *hi) {
    if (!text) return false;
    char *end = nullptr;
    unsigned long a = strtoul(text, &end, 10);
    if (end == text || a > 65535) return false;
    unsigned long b = a;
    if (*end == '-') {
        const char *p = end + 1;
        b = strtoul(p, &end, 10);
        if (end == p || b > 65535 || b < a) return false;
    }
    if (*end != '\0') return false;
    *lo = static_cast<guint>(a);
    *hi = static_cast<guint>(b);
    return true;
}

ciscouc_uat_bool allow_update(void *r, char **err) {
    auto *a = static_cast<AllowRecord *>(r);
    guint lo, hi;
    if (!a->transport || (strcmp(a->transport, "tcp") != 0 && strcmp(a->transport, "udp") != 0)) {
        *err = g_strdup("Transport must be tcp or udp");
        return FALSE;
    }
    if (!parse_range(a->ports, &lo, &hi)) {
        *err = g_strdup_printf("Ports '%s' must be N or N-M (0-65535)", a->ports ? a->ports : "");
        return FALSE;
    }
    if (!a->protocol || protocol_by_key(a->protocol) < 0) {
        *err = g_strdup_printf("Unknown protocol '%s' (use a catalog protocol such as SIP, SCCP, MGCP)",
                               a->protocol ? a->protocol : "");
        return FALSE;
    }
    return TRUE;
}

bool site_allows(Transport t, guint port, int protocol) {
    if (protocol < 0) return false;
    for (guint i = 0; i < allow_count; ++i) {
        const AllowRecord &a = allow_records[i];
        guint lo, hi;
        if (!parse_range(a.ports, &lo, &hi) || port < lo || port > hi) continue;
        if (strcmp(a.transport, t == kTcp ? "tcp" : "udp") != 0) continue;
        if (protocol_by_key(a.protocol) == protocol) return true;
    }
    return false;
}

// A conversation's first packets carry the evidence (payload signatures,
// STARTTLS, carried protocols); later packets only show the label.
constexpr guint16 kInspectPackets = 32;

// Wireshark protocol ids -> what they tell us. Built once at handoff.
enum : gint16 { kSkip = -2, kOther = -1 };
std::vector<gint16> proto_class;
int proto_tcp = -1, proto_udp = -1, proto_tls = -1, proto_ssl = -1;

void build_proto_classes() {
    int max_id = 0;
    void *cookie = nullptr;
    for (int id = proto_get_first_protocol(&cookie); id != -1; id = proto_get_next_protocol(&cookie))
        max_id = std::max(max_id, id);
    proto_class.assign(static_cast<size_t>(max_id) + 1, kOther);
    // Layers that carry or frame the application protocol, never are it.
    static const char *const skip[] = {
        "frame", "eth", "sll", "vlan", "ip", "ipv6", "tcp", "udp", "data", "media", "sdp", "xml", "json",
        "tpkt", "x224", "cotp", "ciscouc", "http2", "urlencoded-form", "mime_multipart", "image-gif",
        "image-jfif", "png", "text", "pkix1explicit", "x509af", "x509ce", "x509if", "x509sat", "ber",
        "per", "h450", "h450.ros", "h4501", "h235", "q932", "q932.ros", "isup",
    };
    for (const char *name : skip) {
        int id = proto_get_id_by_filter_name(name);
        if (id >= 0 && static_cast<size_t>(id) < proto_class.size()) proto_class[id] = kSkip;
    }
    for (size_t i = 0; i < kDetectNameCount; ++i) {
        int id = proto_get_id_by_filter_name(kDetectNames[i].wireshark);
        if (id >= 0 && static_cast<size_t>(id) < proto_class.size())
            proto_class[id] = static_cast<gint16>(kDetectNames[i].protocol);
    }
    // Names in [detect] win over the skip list: H.245 inside an H.225 frame is
    // still seen (the first application layer, H.225, is what is detected).
    proto_tcp = proto_get_id_by_filter_name("tcp");
    proto_udp = proto_get_id_by_filter_name("udp");
    proto_tls = proto_get_id_by_filter_name("tls");
    proto_ssl = proto_get_id_by_filter_name("ssl");
}

// What a frame shows after its innermost transport layer.
struct Detection {
    int protocol = -1;            // the first application protocol (vocabulary index)
    const char *other = nullptr;  // or its Wireshark filter name when not in the vocabulary
    ProtocolSet seen;             // every vocabulary protocol in the frame (SMB inside NBSS)
    bool tls = false;             // TLS anywhere after the transport
    bool payload = false;         // any application bytes at all (even undecoded "data")
    bool any() const { return protocol >= 0 || other; }
};

Detection detect(packet_info *pinfo, Transport t) {
    Detection d;
    // Payload evidence from a sniffed port outranks the protocol stack (the
    // SIP-over-TCP dissector calls anything on 5060 a SIP continuation).
    int evidence = -1;
    if (gpointer ev = p_get_proto_data(pinfo->pool, pinfo, proto_ciscouc, kEvidenceKey))
        evidence = GPOINTER_TO_INT(ev) - 1;
    if (!pinfo->layers) return d;
    bool after_transport = false;
    for (wmem_list_frame_t *f = wmem_list_head(pinfo->layers); f; f = wmem_list_frame_next(f)) {
        int id = GPOINTER_TO_INT(wmem_list_frame_data(f));
        if (id == proto_tcp || id == proto_udp) {
            after_transport = true;
            d = Detection();
            continue;
        }
        if (!after_transport || id < 0 || static_cast<size_t>(id) >= proto_class.size()) continue;
        d.payload = true;
        if (id == proto_tls || id == proto_ssl) d.tls = true;
        gint16 c = proto_class[id];
        if (c == kSkip) continue;
        if (c >= 0) d.seen.add(c);
        if (d.any()) continue;
        if (c >= 0) d.protocol = c;
        else d.other = proto_get_protocol_filter_name(id);
    }
    if (evidence >= 0) {
        d.protocol = evidence;
        d.other = nullptr;
        d.seen = ProtocolSet();  // the stock owner's claim (SIP continuation) is not evidence
        d.seen.add(evidence);
        d.payload = true;
        return d;
    }
    // On a sniffed port, the stock owner's claim needs evidence: stock XMPP on
    // 5222 shows WhatsApp's segments as XMPP awaiting reassembly.
    if (d.protocol >= 0) {
        const char *key = kProtocols[d.protocol].key;
        if (sniffed_for(t, static_cast<uint16_t>(pinfo->srcport), key) ||
            sniffed_for(t, static_cast<uint16_t>(pinfo->destport), key)) {
            d.seen.bits[d.protocol / 64] &= ~(uint64_t(1) << (d.protocol % 64));
            d.protocol = -1;
        }
    }
    return d;
}

// Hosts evidenced to be a Unified CM: listeners of SCCP, MGCP or H.225 rows
// whose listener is Unified CM (file-scoped; keys are address strings).
wmem_map_t *cucm_hosts = nullptr;

bool host_is_cucm(const address *a) {
    if (!cucm_hosts || !a || a->type == AT_NONE) return false;
    gchar *key = address_to_str(nullptr, a);
    bool yes = wmem_map_contains(cucm_hosts, key);
    wmem_free(nullptr, key);
    return yes;
}

void mark_cucm_host(const address *a) {
    if (!a || a->type == AT_NONE) return;
    if (!cucm_hosts) cucm_hosts = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_str_hash, g_str_equal);
    gchar *key = address_to_str(wmem_file_scope(), a);
    if (!wmem_map_contains(cucm_hosts, key)) wmem_map_insert(cucm_hosts, key, GINT_TO_POINTER(1));
}

// Per-conversation state, file-scoped (freed with the file, rebuilt on
// re-dissection). Plain data: wmem owns it.
struct ConvState {
    Transport transport;
    address client_addr, server_addr;
    guint16 client_port, server_port;
    Direction direction;
    bool same_host;
    int detected;
    const char *detected_other;
    Candidate *cand;
    guint cand_count, cand_capacity;
    guint16 listener_port;
    Direction label_direction;
    guint32 flags;
    guint32 flag_frame[kFlagCount];
    const char *reason[kFlagCount];
    const char *summary;
    const char *flags_text;  // ciscouc.flags, rebuilt only when the flags change
    ProtocolSet seen;
    bool tls_seen, payload_seen;
    bool nr_pending;  // not_recommended waits for evidence that the listener is a Unified CM
    guint16 inspected;  // packets whose layers were inspected (bounded: kInspectPackets)
    guint32 first_frame;  // the conversation's first frame
    guint32 label_frame;  // the frame whose evidence decided the current label
};

Prefs current_prefs() {
    Prefs p;
    p.edition_group = pref_edition;
    p.only_preferred = pref_only_preferred;
    return p;
}

void relabel(ConvState *st, guint32 frame) {
    Label label = classify(st->transport, st->client_port, st->server_port, st->direction, st->detected,
                           current_prefs());
    guint n = static_cast<guint>(label.candidates.size());
    if (n > st->cand_capacity) {  // file-scoped memory: grow only, never per packet
        st->cand = wmem_alloc_array(wmem_file_scope(), Candidate, n);
        st->cand_capacity = n;
    }
    st->cand_count = n;
    if (n) std::copy(label.candidates.begin(), label.candidates.end(), st->cand);
    st->label_frame = frame;
    st->listener_port = label.listener_port;
    st->label_direction = label.direction;
    st->summary = label.empty() ? nullptr : wmem_strdup(wmem_file_scope(), summarize(label, pref_language == 1).c_str());

    const address *listener = label.listener_port == 0                 ? nullptr
                              : label.listener_port == st->server_port ? &st->server_addr
                                                                       : &st->client_addr;
    if (listener && label_shows_unified_cm(label, st->detected)) mark_cucm_host(listener);
    FlagInput in;
    in.seen = st->seen;
    in.tls_seen = st->tls_seen;
    in.payload_seen = st->payload_seen;
    in.listener_is_unified_cm = listener && host_is_cucm(listener);
    in.transport = st->transport;
    in.client_port = st->client_port;
    in.server_port = st->server_port;
    in.label = &label;
    in.detected = st->detected;
    in.detected_other = st->detected_other;
    in.same_host = st->same_host;
    in.prefs = current_prefs();
    in.site_allowed = site_allows(st->transport, label.listener_port ? label.listener_port : st->server_port,
                                  st->detected) ||
                      (label.direction != Direction::kHandshake && site_allows(st->transport, st->client_port, st->detected));
    FlagResult r = evaluate_flags(in);
    // Flags follow the evidence: re-evaluated when the payload shows its
    // protocol. A flag keeps the frame where it first held, so its expert
    // info is raised once per conversation.
    guint32 now = 0;
    for (int b = 0; b < kFlagCount; ++b) {
        guint32 bit = 1u << b;
        if (!(r.flags & bit) || !pref_flag[b]) continue;
        now |= bit;
        if (!(st->flags & bit)) {
            st->flag_frame[b] = frame;
            st->reason[b] = wmem_strdup(wmem_file_scope(), r.reason[b].c_str());
        }
    }
    st->flags = now;
    st->flags_text = now ? wmem_strdup(wmem_file_scope(), flag_list(now).c_str()) : nullptr;
    st->nr_pending = r.not_recommended_pending && pref_flag[4];
}

ConvState *conv_state(packet_info *pinfo, Transport t) {
    conversation_t *conv = find_conversation_pinfo(pinfo, 0);
    if (!conv) return nullptr;
    auto *st = static_cast<ConvState *>(ciscouc_conv_get_data(pinfo, conv, proto_ciscouc));
    if (st) return st;
    if (PINFO_FD_VISITED(pinfo)) return nullptr;  // created on the first pass only
    st = wmem_new0(wmem_file_scope(), ConvState);
    st->transport = t;
    st->detected = -1;
    Direction dir = t == kUdp ? Direction::kFirstPacket : Direction::kUnknown;
    guint16 client = static_cast<guint16>(pinfo->srcport), server = static_cast<guint16>(pinfo->destport);
    copy_address_wmem(wmem_file_scope(), &st->client_addr, &pinfo->src);
    copy_address_wmem(wmem_file_scope(), &st->server_addr, &pinfo->dst);
    if (t == kTcp) {
        // Wireshark's TCP dissector remembers the server port from SYN or SYN-ACK
        // (struct tcp_analysis::server_port, epan/dissectors/packet-tcp.h).
        auto *tcpd = static_cast<tcp_analysis *>(conversation_get_proto_data(conv, proto_tcp));
        if (tcpd && tcpd->server_port != 0) {
            dir = Direction::kHandshake;
            if (tcpd->server_port == pinfo->srcport && tcpd->server_port != pinfo->destport) {
                std::swap(client, server);
                copy_address_wmem(wmem_file_scope(), &st->client_addr, &pinfo->dst);
                copy_address_wmem(wmem_file_scope(), &st->server_addr, &pinfo->src);
            }
        }
    }
    st->client_port = client;
    st->server_port = server;
    st->direction = dir;
    st->same_host = addresses_equal(&pinfo->src, &pinfo->dst);
    st->first_frame = pinfo->num;
    relabel(st, pinfo->num);
    ciscouc_conv_add_data(pinfo, conv, proto_ciscouc, st);
    return st;
}

std::string facts_text(const Entry &e) {
    static const struct { guint32 bit; const char *name; } facts[] = {
        {kLocalhostOnly, "localhost only"}, {kInternal, "internal"}, {kConfigurable, "configurable"},
        {kNotRecommended, "not recommended"}, {kEitherSide, "either side may initiate"},
        {kCatchAll, "catch-all range"}, {kThenEphemeral, "then ephemeral ports"},
        {kTransportUnstated, "transport not stated"},
    };
    std::string s;
    for (const auto &f : facts)
        if (e.flags & f.bit) s += (s.empty() ? "" : "; ") + std::string(f.name);
    for (guint16 i = 0; i < e.secure_count; ++i) {
        const SecurePair &p = kSecurePairs[e.secure_first + i];
        s += (s.empty() ? "" : "; ") + std::string("secure counterpart ") + std::to_string(p.plain) + "->" +
             std::to_string(p.secure);
    }
    return s;
}

// Per-entry display strings, built once at handoff (bounded by the catalog:
// one pair per row). Conversations hold no display strings; a use line is
// formatted only into a tree that lists it.
struct EntryTexts {
    std::string doc, facts;
};
std::vector<EntryTexts> entry_texts;

void build_entry_texts() {
    entry_texts.resize(kEntryCount);
    for (size_t i = 0; i < kEntryCount; ++i) {
        const Entry &e = kEntries[i];
        const Document &d = kDocuments[e.doc];
        entry_texts[i].doc = std::string(d.title_en) + ", table " + e.table + " \"" + e.table_title + "\", row " +
                             std::to_string(e.row);
        entry_texts[i].facts = facts_text(e);
    }
}

void add_use(proto_tree *tree, tvbuff_t *tvb, ConvState *st, guint i) {
    const Candidate &c = st->cand[i];
    const Flow &f = kFlows[c.flow];
    const Entry &e = kEntries[f.entry];
    const Document &d = kDocuments[e.doc];
    const char *purpose = pref_language == 1 ? e.purpose_original : e.purpose;
    const char *tr = (f.transports & kTcp) && (f.transports & kUdp) ? "tcp+udp" : (f.transports & kTcp) ? "tcp" : "udp";
    proto_item *ti = proto_tree_add_string_format_value(tree, hf_use, tvb, 0, 0, purpose, "%u: %u/%s %s -> %s: %s%s",
                                                        i + 1, c.port, tr, f.from, f.to, purpose,
                                                        c.catch_all ? " (catch-all range)" : "");
    proto_item_set_generated(ti);
    proto_tree *sub = proto_item_add_subtree(ti, ett_use);
    auto add = [&](int hf, const char *v) { proto_item_set_generated(proto_tree_add_string(sub, hf, tvb, 0, 0, v)); };
    add(hf_purpose, e.purpose);
    add(hf_entry, e.id);
    // Every item costs on every packet that lists the uses: the compact
    // preference keeps purpose and entry; catch-all rows keep the contract
    // fields only.
    if (pref_details == kDetailsCompact) return;
    add(hf_product, e.product);
    add(hf_from, f.from);
    add(hf_to, f.to);
    const EntryTexts &texts = entry_texts[f.entry];
    add(hf_doc, texts.doc.c_str());
    if (c.catch_all) {
        proto_item_set_generated(proto_tree_add_boolean(sub, hf_catch_all, tvb, 0, 0, TRUE));
        return;
    }
    if (strcmp(d.language, "en") != 0) add(hf_purpose_original, e.purpose_original);
    add(hf_edition, d.edition);
    if (strcmp(e.release, "unstated") != 0) add(hf_release, e.release);
    add(hf_ports, f.ports);
    if (!texts.facts.empty()) add(hf_facts, texts.facts.c_str());
}

// The per-use fields. A display filter, colouring rule, custom column or
// `-Y` that names one of them primes it: Wireshark sets the field's ref_type
// for the dissection (epan/proto.c, proto_tree_prime_with_hfid) and resets it
// when the packet's tree is freed. Primed, the uses go on every packet, so a
// filter matches every packet of the conversation whatever the detail setting.
const int *const kUseFields[] = {&hf_use, &hf_purpose, &hf_purpose_original, &hf_entry, &hf_product, &hf_from,
                                 &hf_to, &hf_doc, &hf_edition, &hf_release, &hf_ports, &hf_catch_all, &hf_facts};
// The conversation facts that, with conversation details, go on the frames that list the uses.
const int *const kConvFields[] = {&hf_listener_port, &hf_direction, &hf_detected};
header_field_info *use_hfinfo[G_N_ELEMENTS(kUseFields)];
header_field_info *conv_hfinfo[G_N_ELEMENTS(kConvFields)];

template <size_t N>
void cache_hfinfo(const int *const (&hfs)[N], header_field_info *(&out)[N]) {
    for (size_t i = 0; i < N; ++i) out[i] = proto_registrar_get_nth(*hfs[i]);
}

template <size_t N>
bool any_primed(header_field_info *const (&hs)[N]) {
    for (header_field_info *h : hs)
        if (h && h->ref_type != HF_REF_TYPE_NONE) return true;
    return false;
}

// Does this packet list the conversation's documented uses? Always when a
// use field is primed. In a visible tree (tshark -V, -T fields, the details
// pane): every packet with the full and compact details; with conversation
// details (the default), only the frames where the label was decided or a
// flag was raised: the conversation's first frame and its labelling frame.
// The other packets link to the labelling frame (ciscouc.uses_frame). A UDP
// port in the RTP range has 22 documented uses; listing them on every packet
// of a call is what made `tshark -T fields` three times slower than stock.
bool uses_listed(proto_tree *ct, const ConvState *st, guint32 frame) {
    if (!ct || !PTREE_DATA(ct)) return false;
    if (any_primed(use_hfinfo)) return true;
    if (!PTREE_DATA(ct)->visible) return false;
    if (pref_details != kDetailsConversation) return true;
    if (frame == st->first_frame || frame == st->label_frame) return true;
    for (int b = 0; b < kFlagCount; ++b)
        if ((st->flags & (1u << b)) && st->flag_frame[b] == frame) return true;
    return false;
}

// IANA protocol numbers of the IP-protocol rows (ICMP 1, GRE 47, ESP 50, AH 51).
struct IpLayer { const char *name; guint8 number; };
const IpLayer kIpLayers[] = {{"icmp", 1}, {"gre", 47}, {"esp", 50}, {"ah", 51}};
int ip_layer_proto[G_N_ELEMENTS(kIpLayers)];

void label_ip_protocol(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree) {
    if (!tree || !pinfo->layers) return;
    for (wmem_list_frame_t *f = wmem_list_head(pinfo->layers); f; f = wmem_list_frame_next(f)) {
        int id = GPOINTER_TO_INT(wmem_list_frame_data(f));
        for (size_t i = 0; i < G_N_ELEMENTS(kIpLayers); ++i) {
            if (id != ip_layer_proto[i]) continue;
            proto_item *ti = proto_tree_add_item(tree, proto_ciscouc, tvb, 0, 0, ENC_NA);
            proto_item_set_generated(ti);
            proto_tree *t = proto_item_add_subtree(ti, ett_ciscouc);
            proto_item_set_generated(proto_tree_add_uint(t, hf_ip_proto, tvb, 0, 0, kIpLayers[i].number));
            guint n = 0;
            for (size_t k = 0; k < kIpProtoCount; ++k) {
                if (kIpProtos[k].proto != kIpLayers[i].number) continue;
                const Entry &e = kEntries[kIpProtos[k].entry];
                proto_item *u = proto_tree_add_string_format_value(t, hf_use, tvb, 0, 0, e.purpose, "%u: IP protocol %u: %s",
                                                                   ++n, kIpLayers[i].number, e.purpose);
                proto_item_set_generated(u);
                proto_tree *st = proto_item_add_subtree(u, ett_use);
                proto_item_set_generated(proto_tree_add_string(st, hf_purpose, tvb, 0, 0, e.purpose));
                proto_item_set_generated(proto_tree_add_string(st, hf_entry, tvb, 0, 0, e.id));
                proto_item_set_generated(proto_tree_add_string(st, hf_edition, tvb, 0, 0, kDocuments[e.doc].edition));
            }
            proto_item_append_text(ti, ": IP protocol %u documented by %u row(s)", kIpLayers[i].number, n);
            return;
        }
    }
}

int dissect_post(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *) {
    if (!pref_labels) return 0;
    Transport t = pinfo->ptype == PT_TCP ? kTcp : pinfo->ptype == PT_UDP ? kUdp : kTransportNone;
    if (t == kTransportNone) {
        label_ip_protocol(tvb, pinfo, tree);
        return 0;
    }
    ConvState *st = conv_state(pinfo, t);
    if (!st) return 0;
    if (!PINFO_FD_VISITED(pinfo) && (st->inspected < kInspectPackets || st->nr_pending)) {
        ++st->inspected;
        Detection d = detect(pinfo, t);
        // Wireshark calls both H.225 call signalling and RAS "h225"; on UDP it is RAS.
        static const int h225 = protocol_by_key("H.225"), ras = protocol_by_key("RAS");
        if (t == kUdp && d.protocol == h225) d.protocol = ras;
        bool changed = false;
        if (d.any() && st->detected < 0 && !st->detected_other) {
            st->detected = d.protocol;
            st->detected_other = d.other;
            changed = true;
        }
        for (int i = 0; i < 4; ++i) {
            if (d.seen.bits[i] & ~st->seen.bits[i]) changed = true;
            st->seen.bits[i] |= d.seen.bits[i];
        }
        if (d.tls && !st->tls_seen) st->tls_seen = changed = true;
        if (d.payload && !st->payload_seen) st->payload_seen = changed = true;
        // not_recommended waits for the listener to show itself as a Unified CM.
        if (st->nr_pending && st->listener_port) {
            const address *l = st->listener_port == st->server_port ? &st->server_addr : &st->client_addr;
            if (host_is_cucm(l)) changed = true;
        }
        if (changed) relabel(st, pinfo->num);
    }
    if (have_tap_listener(ciscouc_tap)) {
        ciscouc_tap_info *ti_tap = wmem_new0(pinfo->pool, ciscouc_tap_info);
        ti_tap->state = st;
        tap_queue_packet(ciscouc_tap, pinfo, ti_tap);
    }
    if (!st->cand_count && !st->flags && st->detected < 0) return 0;
    if (pref_info && st->summary) col_append_fstr(pinfo->cinfo, COL_INFO, " [UC: %s]", st->summary);
    if (!tree) {
        // Expert infos must still reach the expert tap without a tree.
        for (int b = 0; b < kFlagCount; ++b)
            if ((st->flags & (1u << b)) && st->flag_frame[b] == pinfo->num)
                expert_add_info_format(pinfo, nullptr, &ei_flag[b], "%s", st->reason[b]);
        return 0;
    }
    // One label formatting per packet (proto_item_append_text would format twice).
    proto_item *ti = st->summary ? proto_tree_add_protocol_format(tree, proto_ciscouc, tvb, 0, 0, "%s: %s",
                                                                  proto_get_protocol_name(proto_ciscouc), st->summary)
                                 : proto_tree_add_item(tree, proto_ciscouc, tvb, 0, 0, ENC_NA);
    proto_item_set_generated(ti);
    proto_tree *ct = proto_item_add_subtree(ti, ett_ciscouc);
    if (st->summary) proto_item_set_generated(proto_tree_add_string(ct, hf_summary, tvb, 0, 0, st->summary));
    bool listed = uses_listed(ct, st, pinfo->num);
    // Listener, direction and detected protocol are conversation facts: on
    // the frames that list the uses, and wherever a filter names them.
    if (listed || !PTREE_DATA(ct)->visible || pref_details != kDetailsConversation || any_primed(conv_hfinfo)) {
        if (st->listener_port)
            proto_item_set_generated(proto_tree_add_uint(ct, hf_listener_port, tvb, 0, 0, st->listener_port));
        proto_item_set_generated(
            proto_tree_add_string(ct, hf_direction, tvb, 0, 0, direction_text(st->label_direction)));
        const char *det =
            st->detected >= 0 ? kProtocols[st->detected].key : st->detected_other ? st->detected_other : "";
        proto_item_set_generated(proto_tree_add_string(ct, hf_detected, tvb, 0, 0, det));
    }
    if (listed) {
        for (guint i = 0; i < st->cand_count; ++i) add_use(ct, tvb, st, i);
    } else if (st->cand_count && PTREE_DATA(ct)->visible) {
        proto_item_set_generated(proto_tree_add_uint(ct, hf_uses_frame, tvb, 0, 0, st->label_frame));
    }
    if (st->flags) {
        proto_item *fi = proto_tree_add_string(ct, hf_flags, tvb, 0, 0, st->flags_text);
        proto_item_set_generated(fi);
        for (int b = 0; b < kFlagCount; ++b)
            if ((st->flags & (1u << b)) && st->flag_frame[b] == pinfo->num)
                expert_add_info_format(pinfo, fi, &ei_flag[b], "%s", st->reason[b]);
    }
    return tvb_captured_length(tvb);
}

}  // namespace

void register_protocol() {
    static hf_register_info hf[] = {
        {&hf_summary, {"Summary", "ciscouc.summary", FT_STRING, BASE_NONE, nullptr, 0x0,
                       "Best documented purpose of this conversation, for a custom column", HFILL}},
        {&hf_listener_port, {"Listener port", "ciscouc.listener_port", FT_UINT16, BASE_DEC, nullptr, 0x0,
                             "The port decided to be the listener's", HFILL}},
        {&hf_direction, {"Direction", "ciscouc.direction", FT_STRING, BASE_NONE, nullptr, 0x0,
                         "How the listening side was decided", HFILL}},
        {&hf_detected, {"Detected protocol", "ciscouc.detected", FT_STRING, BASE_NONE, nullptr, 0x0,
                        "Application protocol recognised in the payload; empty when none", HFILL}},
        {&hf_use, {"Documented use", "ciscouc.use", FT_STRING, BASE_NONE, nullptr, 0x0,
                   "One catalog row matching this conversation", HFILL}},
        {&hf_purpose, {"Purpose", "ciscouc.purpose", FT_STRING, BASE_NONE, nullptr, 0x0,
                       "Documented purpose in English", HFILL}},
        {&hf_purpose_original, {"Purpose (original)", "ciscouc.purpose_original", FT_STRING, BASE_NONE, nullptr,
                                0x0, "Documented purpose as printed in the Korean or Japanese guide", HFILL}},
        {&hf_entry, {"Catalog entry", "ciscouc.entry", FT_STRING, BASE_NONE, nullptr, 0x0,
                     "Catalog id: document, table and row", HFILL}},
        {&hf_product, {"Product", "ciscouc.product", FT_STRING, BASE_NONE, nullptr, 0x0, nullptr, HFILL}},
        {&hf_from, {"From (sender)", "ciscouc.from", FT_STRING, BASE_NONE, nullptr, 0x0,
                    "Documented sender role", HFILL}},
        {&hf_to, {"To (listener)", "ciscouc.to", FT_STRING, BASE_NONE, nullptr, 0x0,
                  "Documented listener role", HFILL}},
        {&hf_doc, {"Document", "ciscouc.doc", FT_STRING, BASE_NONE, nullptr, 0x0,
                   "Guide title, table and row", HFILL}},
        {&hf_edition, {"Edition", "ciscouc.edition", FT_STRING, BASE_NONE, nullptr, 0x0, nullptr, HFILL}},
        {&hf_release, {"Release", "ciscouc.release", FT_STRING, BASE_NONE, nullptr, 0x0, nullptr, HFILL}},
        {&hf_ports, {"Documented ports", "ciscouc.ports", FT_STRING, BASE_NONE, nullptr, 0x0, nullptr, HFILL}},
        {&hf_catch_all, {"Catch-all range", "ciscouc.catch_all", FT_BOOLEAN, BASE_NONE, nullptr, 0x0,
                         "A wide platform or ephemeral range: weak evidence", HFILL}},
        {&hf_facts, {"Facts", "ciscouc.facts", FT_STRING, BASE_NONE, nullptr, 0x0,
                     "What the guide states about this row", HFILL}},
        {&hf_flags, {"Flags", "ciscouc.flags", FT_STRING, BASE_NONE, nullptr, 0x0,
                     "Flags raised for this conversation", HFILL}},
        {&hf_heuristic, {"Recognised by", "ciscouc.heuristic", FT_STRING, BASE_NONE, nullptr, 0x0,
                         "ciscouc payload signature that recognised this packet", HFILL}},
        {&hf_ip_proto, {"IP protocol", "ciscouc.ip_proto", FT_UINT8, BASE_DEC, nullptr, 0x0,
                        "IP protocol documented by the guides (ICMP, GRE, ESP, AH)", HFILL}},
        {&hf_uses_frame, {"Documented uses listed in frame", "ciscouc.uses_frame", FT_FRAMENUM, BASE_NONE, nullptr,
                          0x0, "The frame whose packet tree lists this conversation's documented uses", HFILL}},
    };
    static gint *ett[] = {&ett_ciscouc, &ett_use};
    static ei_register_info ei[] = {
        {&ei_flag[0], {"ciscouc.unexpected_port", PI_PROTOCOL, PI_WARN,
                       "UC protocol on a port and transport the guides do not document for it", EXPFILL}},
        {&ei_flag[1], {"ciscouc.protocol_mismatch", PI_PROTOCOL, PI_WARN,
                       "Documented UC port carrying a different protocol", EXPFILL}},
        {&ei_flag[2], {"ciscouc.internal_only", PI_SECURITY, PI_WARN,
                       "Localhost-only or internal port used between two hosts", EXPFILL}},
        {&ei_flag[3], {"ciscouc.insecure", PI_SECURITY, PI_NOTE,
                       "Cleartext variant in use where a secure counterpart is documented", EXPFILL}},
        {&ei_flag[4], {"ciscouc.not_recommended", PI_PROTOCOL, PI_NOTE,
                       "Use that Cisco's guide does not recommend", EXPFILL}},
        {&ei_flag[5], {"ciscouc.release_mismatch", PI_PROTOCOL, PI_NOTE,
                       "Port documented only for another edition than the preferred one", EXPFILL}},
    };
    proto_ciscouc = proto_register_protocol("Cisco UC port usage", "CiscoUC", "ciscouc");
    proto_register_field_array(proto_ciscouc, hf, G_N_ELEMENTS(hf));
    proto_register_subtree_array(ett, G_N_ELEMENTS(ett));
    expert_module_t *em = expert_register_protocol(proto_ciscouc);
    expert_register_field_array(em, ei, G_N_ELEMENTS(ei));

    module_t *m = prefs_register_protocol(proto_ciscouc, nullptr);
    prefs_register_bool_preference(m, "labels", "Label conversations",
                                   "Add the documented purpose of each TCP/UDP conversation", &pref_labels);
    edition_enum.push_back(enum_val_t{"all", "All guides", -1});
    for (size_t i = 0; i < kEditionGroupCount; ++i)
        edition_enum.push_back(enum_val_t{kEditionGroups[i].key, kEditionGroups[i].name, static_cast<gint>(i)});
    edition_enum.push_back(enum_val_t{nullptr, nullptr, 0});
    prefs_register_enum_preference(m, "edition", "Preferred edition",
                                   "Rows of this edition come first; release_mismatch compares against it",
                                   &pref_edition, edition_enum.data(), FALSE);
    prefs_register_bool_preference(m, "only_preferred", "Show only the preferred edition's rows",
                                   "When the preferred edition documents the port, hide other editions' rows",
                                   &pref_only_preferred);
    static const enum_val_t languages[] = {
        {"english", "English", 0}, {"original", "Language of the guide (Korean, Japanese)", 1}, {nullptr, nullptr, 0}};
    prefs_register_enum_preference(m, "language", "Purpose language",
                                   "Language of the summary and use lines", &pref_language, languages, FALSE);
    static const enum_val_t details[] = {
        {"full", "Full: roles, document, edition, ports and facts of every use, on every packet", kDetailsFull},
        {"compact", "Compact: purpose and catalog entry per use, on every packet", kDetailsCompact},
        {"conversation", "Conversation: every use in full on the frames that decided the label, a link elsewhere",
         kDetailsConversation},
        {nullptr, nullptr, 0}};
    prefs_register_enum_preference(m, "details", "Detail of documented uses",
                                   "How much of each documented use goes into the packet tree", &pref_details,
                                   details, FALSE);
    prefs_register_bool_preference(m, "info_column", "Append the summary to the Info column",
                                   "Add [UC: purpose] to the Info column of labelled packets", &pref_info);
    static const char *const flag_titles[kFlagCount] = {
        "Flag UC protocols on unexpected ports", "Flag protocol mismatches on documented ports",
        "Flag localhost-only ports between hosts", "Flag cleartext where a secure counterpart exists",
        "Flag uses Cisco does not recommend", "Flag ports of another edition than the preferred one"};
    static char flag_names[kFlagCount][32];
    for (int b = 0; b < kFlagCount; ++b) {
        g_snprintf(flag_names[b], sizeof flag_names[b], "flag_%s", flag_name(b));
        prefs_register_bool_preference(m, flag_names[b], flag_titles[b], flag_titles[b], &pref_flag[b]);
    }
    prefs_register_bool_preference(m, "try_uc_first", "Try SIP and TLS first on ports of unrelated dissectors",
                                   "On TCP 6000-6063 (X11), 1089-1091 (FF), 3804 (HiQnet) and UDP 2428 (actrace), "
                                   "hand SIP or TLS payloads to their dissectors before the port's stock owner",
                                   &pref_steal);
    prefs_register_bool_preference(
        m, "rtp_decode", "Decode recognised RTP with Wireshark's RTP dissector",
        "RTP streams that ciscouc_rtp_udp recognises (no SDP or Skinny setup in the capture) are set up for "
        "Wireshark's RTP dissector: RTP fields, RTP Streams and VoIP Calls then see them. Off: they are labelled "
        "as RTP by ciscouc but shown as UDP data, as stock Wireshark shows them. Wireshark 4.0's RTP dissector "
        "keeps about 100 bytes per decoded RTP packet until the file is closed.",
        &pref_rtp_decode);
    static uat_field_t allow_fields[] = {
        UAT_FLD_CSTRING(allow, transport, "Transport", "tcp or udp"),
        UAT_FLD_CSTRING(allow, ports, "Ports", "A port or range, e.g. 5070 or 5065-5070"),
        UAT_FLD_CSTRING(allow, protocol, "Protocol", "Catalog protocol expected there, e.g. SIP"),
        UAT_FLD_CSTRING(allow, comment, "Comment", "Why this site uses it"),
        UAT_END_FIELDS};
    uat_t *allow = uat_new("ciscouc site allow-list", sizeof(AllowRecord), "ciscouc_allowed_ports", TRUE,
                           &allow_records, &allow_count, UAT_AFFECTS_DISSECTION, nullptr, allow_copy, allow_update,
                           allow_free, nullptr, nullptr, allow_fields);
    prefs_register_uat_preference(m, "allowed_ports", "Site allow-list",
                                  "Ports where this site runs a UC protocol on purpose (silences unexpected_port)",
                                  allow);
    ciscouc_tap = register_tap("ciscouc");
    register_stats();
}

void register_handoff() {
    postdissector_handle = create_dissector_handle(dissect_post, proto_ciscouc);
    register_postdissector(postdissector_handle);
    build_proto_classes();
    cache_hfinfo(kUseFields, use_hfinfo);
    cache_hfinfo(kConvFields, conv_hfinfo);
    build_entry_texts();
    for (size_t i = 0; i < G_N_ELEMENTS(kIpLayers); ++i) ip_layer_proto[i] = proto_get_id_by_filter_name(kIpLayers[i].name);
    init_heuristics();
}

// Accessors for the stats module.
const Candidate *state_candidates(const void *state, guint *count) {
    const auto *st = static_cast<const ConvState *>(state);
    *count = st->cand_count;
    return st->cand;
}
guint32 state_flags(const void *state) { return static_cast<const ConvState *>(state)->flags; }
const char *state_detected(const void *state) {
    const auto *st = static_cast<const ConvState *>(state);
    return st->detected >= 0 ? kProtocols[st->detected].key : st->detected_other ? st->detected_other : "";
}
guint16 state_listener(const void *state) {
    const auto *st = static_cast<const ConvState *>(state);
    return st->listener_port;
}
bool state_transport_tcp(const void *state) { return static_cast<const ConvState *>(state)->transport == kTcp; }

}  // namespace epan
}  // namespace ciscouc
