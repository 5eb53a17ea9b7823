// ciscouc: label Cisco UC conversations with their documented purpose.
//
// The protocol's fields, expert infos (one per flag, from kFlagInfo),
// preferences and registration, and the postdissector that shows each
// TCP/UDP conversation's label (conversation.cpp decides it) and the
// documented IP-protocol rows. See packet-ciscouc.h for the other files.
//
// The postdissector only adds a ciscouc subtree; it never changes how stock
// dissectors decode a packet.

#include "packet-ciscouc.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "allowlist.h"
#include "conversation.h"
#include "detect.h"

namespace ciscouc {
namespace epan {

int proto_ciscouc = -1;
int ciscouc_tap = -1;
int hf_heuristic = -1;
Settings settings;

ciscouc::Settings Settings::labelling() const {
    ciscouc::Settings s;
    s.prefs.edition_group = edition;
    s.prefs.only_preferred = only_preferred;
    s.claims = static_cast<ClaimsMode>(claims);
    for (int b = 0; b < kFlagCount; ++b)
        if (!flag[b]) s.flags_off |= flag_bit(flag_at(b));
    s.allow = site_allow_list();
    return s;
}

namespace {

int hf_summary = -1, hf_listener_port = -1, hf_direction = -1, hf_detected = -1, hf_use = -1,
    hf_purpose = -1, hf_purpose_original = -1, hf_entry = -1, hf_product = -1, hf_from = -1,
    hf_to = -1, hf_doc = -1, hf_edition = -1, hf_release = -1, hf_ports = -1, hf_catch_all = -1,
    hf_facts = -1, hf_flags = -1, hf_ip_proto = -1, hf_uses_frame = -1, hf_evidence = -1, hf_evidence_detail = -1,
    hf_client_role = -1, hf_server_role = -1, hf_possible = -1;
int ett_ciscouc = -1, ett_use = -1, ett_flags = -1;

expert_field ei_flag[kFlagCount];
// ciscouc.flag.NAME: one boolean per flag on every packet of a conversation
// that holds it (the expert info ciscouc.NAME is on the raising frame only),
// for colouring rules, filter buttons and -Y.
int hf_flag[kFlagCount];

std::vector<enum_val_t> edition_enum;

dissector_handle_t postdissector_handle;

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
    bool translated;   // the guide is not in English: show the purpose as printed
    bool has_release;  // the guide states a release
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
        entry_texts[i].translated = strcmp(d.language, "en") != 0;
        entry_texts[i].has_release = strcmp(e.release, "unstated") != 0;
    }
}

void add_use(proto_tree *tree, tvbuff_t *tvb, Conversation *st, guint i) {
    const Candidate &c = st->cand[i];
    const Flow &f = kFlows[c.flow];
    const Entry &e = kEntries[f.entry];
    const Document &d = kDocuments[e.doc];
    const char *purpose = settings.language == 1 ? e.purpose_original : e.purpose;
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
    if (settings.details == kDetailsCompact) return;
    add(hf_product, e.product);
    add(hf_from, f.from);
    add(hf_to, f.to);
    const EntryTexts &texts = entry_texts[f.entry];
    add(hf_doc, texts.doc.c_str());
    if (c.catch_all) {
        proto_item_set_generated(proto_tree_add_boolean(sub, hf_catch_all, tvb, 0, 0, TRUE));
        return;
    }
    if (texts.translated) add(hf_purpose_original, e.purpose_original);
    add(hf_edition, d.edition);
    if (texts.has_release) add(hf_release, e.release);
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
bool uses_listed(proto_tree *ct, const Conversation *st, guint32 frame) {
    if (!ct || !PTREE_DATA(ct)) return false;
    if (any_primed(use_hfinfo)) return true;
    if (!PTREE_DATA(ct)->visible) return false;
    if (settings.details != kDetailsConversation) return true;
    if (frame == st->first_frame || frame == st->label_frame) return true;
    for (int b = 0; b < kFlagCount; ++b)
        if (st->flag_raised_in(flag_at(b), frame)) return true;
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

// Each flag's expert info, on the frame where the flag first held.
void add_flag_expert_infos(packet_info *pinfo, proto_item *item, const Conversation *st) {
    for (int b = 0; b < kFlagCount; ++b)
        if (st->flag_raised_in(flag_at(b), pinfo->num))
            expert_add_info_format(pinfo, item, &ei_flag[b], "%s", st->reason_of(flag_at(b)));
}

// An ICMP error quoting a datagram (port unreachable carrying a SIP INVITE's
// header) leaves the quoted ports in pinfo: it is no conversation of its own.
int proto_icmp = -1, proto_icmpv6 = -1;
bool quotes_a_datagram(packet_info *pinfo) {
    for (wmem_list_frame_t *f = pinfo->layers ? wmem_list_head(pinfo->layers) : nullptr; f; f = wmem_list_frame_next(f)) {
        int id = GPOINTER_TO_INT(wmem_list_frame_data(f));
        if (id == proto_icmp || id == proto_icmpv6) return wmem_list_frame_next(f) != nullptr;
    }
    return false;
}

int dissect_post(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *) {
    if (!settings.labels) return 0;
    hosts_session_packet(pinfo);
    Transport t = pinfo->ptype == PT_TCP ? kTcp : pinfo->ptype == PT_UDP ? kUdp : kTransportNone;
    if (t != kTransportNone && quotes_a_datagram(pinfo)) t = kTransportNone;
    if (t == kTransportNone) {
        label_ip_protocol(tvb, pinfo, tree);
        return 0;
    }
    Conversation *st = conversation_of(pinfo, t);
    if (!st) return 0;
    conversation_inspect(st, pinfo, tree, t);
    if (!PINFO_FD_VISITED(pinfo)) {
        // What the UC dissectors' fields show about the two hosts.
        static const int sccp = protocol_by_key("SCCP");
        bool to_server = pinfo->destport == st->server_port && addresses_equal(&pinfo->dst, &st->server_addr);
        observe_hosts(pinfo, tree, to_server, st->detected == sccp, t == kUdp);
    }
    observe_calls(pinfo, tree, t, st);
    // A host showed a new role since this conversation was labelled: its
    // rows may now be confirmed (or contradicted).
    conversation_refresh(st);
    if (have_tap_listener(ciscouc_tap)) {
        ciscouc_tap_info *ti_tap = wmem_new0(pinfo->pool, ciscouc_tap_info);
        ti_tap->conv = st;
        tap_queue_packet(ciscouc_tap, pinfo, ti_tap);
    }
    const char *heuristic = packet_heuristic(pinfo);
    if (!st->cand_count && !st->flags && st->detected < 0 && !st->client_roles && !st->server_roles && !heuristic)
        return 0;
    if (settings.info_column && st->shown) col_append_fstr(pinfo->cinfo, COL_INFO, " [UC: %s]", st->summary);
    if (!tree) {
        // Expert infos must still reach the expert tap without a tree.
        add_flag_expert_infos(pinfo, nullptr, st);
        return 0;
    }
    // One label formatting per packet (proto_item_append_text would format twice).
    // A use nothing confirms is shown as possible, never as the purpose.
    proto_item *ti = st->summary ? proto_tree_add_protocol_format(tree, proto_ciscouc, tvb, 0, 0, "%s: %s%s",
                                                                  proto_get_protocol_name(proto_ciscouc),
                                                                  st->shown ? "" : "possible: ", st->summary)
                                 : proto_tree_add_item(tree, proto_ciscouc, tvb, 0, 0, ENC_NA);
    proto_item_set_generated(ti);
    proto_tree *ct = proto_item_add_subtree(ti, ett_ciscouc);
    if (st->shown) proto_item_set_generated(proto_tree_add_string(ct, hf_summary, tvb, 0, 0, st->summary));
    if (heuristic) proto_item_set_generated(proto_tree_add_string(ct, hf_heuristic, tvb, 0, 0, heuristic));
    if (*claim_text(st->claim))
        proto_item_set_generated(proto_tree_add_string(ct, hf_evidence, tvb, 0, 0, claim_text(st->claim)));
    if (st->evidence_detail)
        proto_item_set_generated(
            proto_tree_add_string(ct, st->shown ? hf_evidence_detail : hf_possible, tvb, 0, 0, st->evidence_detail));
    if (st->client_roles)
        proto_item_set_generated(
            proto_tree_add_string(ct, hf_client_role, tvb, 0, 0, role_names(st->client_roles).c_str()));
    if (st->server_roles)
        proto_item_set_generated(
            proto_tree_add_string(ct, hf_server_role, tvb, 0, 0, role_names(st->server_roles).c_str()));
    bool listed = uses_listed(ct, st, pinfo->num);
    // Listener, direction and detected protocol are conversation facts: on
    // the frames that list the uses, and wherever a filter names them.
    if (listed || !PTREE_DATA(ct)->visible || settings.details != kDetailsConversation || any_primed(conv_hfinfo)) {
        if (st->listener_port)
            proto_item_set_generated(proto_tree_add_uint(ct, hf_listener_port, tvb, 0, 0, st->listener_port));
        proto_item_set_generated(
            proto_tree_add_string(ct, hf_direction, tvb, 0, 0, direction_text(st->label_direction)));
        proto_item_set_generated(proto_tree_add_string(ct, hf_detected, tvb, 0, 0, st->detected_name()));
    }
    if (listed) {
        for (guint i = 0; i < st->cand_count; ++i) add_use(ct, tvb, st, i);
    } else if (st->cand_count && PTREE_DATA(ct)->visible) {
        proto_item_set_generated(proto_tree_add_uint(ct, hf_uses_frame, tvb, 0, 0, st->label_frame));
    }
    if (st->flags) {
        proto_item *fi = proto_tree_add_string(ct, hf_flags, tvb, 0, 0, st->flags_text);
        proto_item_set_generated(fi);
        proto_tree *ft = proto_item_add_subtree(fi, ett_flags);
        for (int b = 0; b < kFlagCount; ++b)
            if (st->flags & flag_bit(flag_at(b)))
                proto_item_set_generated(proto_tree_add_boolean(ft, hf_flag[b], tvb, 0, 0, TRUE));
        add_flag_expert_infos(pinfo, fi, st);
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
        {&hf_evidence, {"Evidence", "ciscouc.evidence", FT_STRING, BASE_NONE, nullptr, 0x0,
                        "What the capture shows for the first documented use: confirmed or possible", HFILL}},
        {&hf_evidence_detail, {"Evidence detail", "ciscouc.evidence_detail", FT_STRING, BASE_NONE, nullptr, 0x0,
                               "The payload, signalling or host roles that confirm the purpose shown", HFILL}},
        {&hf_possible, {"Possible use", "ciscouc.possible", FT_STRING, BASE_NONE, nullptr, 0x0,
                        "Why the first documented use is only possible (not shown as the purpose)", HFILL}},
        {&hf_client_role, {"Client role", "ciscouc.client_role", FT_STRING, BASE_NONE, nullptr, 0x0,
                           "Roles the capture shows for the conversation's client (sender) host", HFILL}},
        {&hf_server_role, {"Server role", "ciscouc.server_role", FT_STRING, BASE_NONE, nullptr, 0x0,
                           "Roles the capture shows for the conversation's listener host", HFILL}},
        {&hf_uses_frame, {"Documented uses listed in frame", "ciscouc.uses_frame", FT_FRAMENUM, BASE_NONE, nullptr,
                          0x0, "The frame whose packet tree lists this conversation's documented uses", HFILL}},
    };
    static gint *ett[] = {&ett_ciscouc, &ett_use, &ett_flags};
    // One expert info and one per-packet field per flag (catalog/vocabulary.toml [flags.NAME]).
    static ei_register_info ei[kFlagCount];
    static hf_register_info hf_flags_info[kFlagCount];
    static char ei_names[kFlagCount][48], flag_fields[kFlagCount][48];
    for (int b = 0; b < kFlagCount; ++b) {
        const FlagInfo &f = kFlagInfo[b];
        g_snprintf(ei_names[b], sizeof ei_names[b], "ciscouc.%s", f.name);
        g_snprintf(flag_fields[b], sizeof flag_fields[b], "ciscouc.flag.%s", f.name);
        hf_flag[b] = -1;
        hf_flags_info[b] = hf_register_info{
            &hf_flag[b], {f.title, flag_fields[b], FT_BOOLEAN, BASE_NONE, nullptr, 0x0, f.summary, HFILL}};
        ei[b] = ei_register_info{&ei_flag[b], {ei_names[b], f.group == FlagGroup::kSecurity ? PI_SECURITY : PI_PROTOCOL,
                                               f.severity == FlagSeverity::kWarn ? PI_WARN : PI_NOTE, f.summary, EXPFILL}};
    }
    proto_ciscouc = proto_register_protocol("Cisco UC port usage", "CiscoUC", "ciscouc");
    proto_register_field_array(proto_ciscouc, hf, G_N_ELEMENTS(hf));
    proto_register_field_array(proto_ciscouc, hf_flags_info, kFlagCount);
    proto_register_subtree_array(ett, G_N_ELEMENTS(ett));
    expert_module_t *em = expert_register_protocol(proto_ciscouc);
    expert_register_field_array(em, ei, G_N_ELEMENTS(ei));

    module_t *m = prefs_register_protocol(proto_ciscouc, nullptr);
    prefs_register_bool_preference(m, "labels", "Label conversations",
                                   "Add the documented purpose of each TCP/UDP conversation", &settings.labels);
    edition_enum.push_back(enum_val_t{"all", "All guides", -1});
    for (size_t i = 0; i < kEditionGroupCount; ++i)
        edition_enum.push_back(enum_val_t{kEditionGroups[i].key, kEditionGroups[i].name, static_cast<gint>(i)});
    edition_enum.push_back(enum_val_t{nullptr, nullptr, 0});
    prefs_register_enum_preference(m, "edition", "Preferred edition",
                                   "Rows of this edition come first; release_mismatch compares against it",
                                   &settings.edition, edition_enum.data(), FALSE);
    prefs_register_bool_preference(m, "only_preferred", "Show only the preferred edition's rows",
                                   "When the preferred edition documents the port, hide other editions' rows",
                                   &settings.only_preferred);
    static const enum_val_t languages[] = {
        {"english", "English", 0}, {"original", "Language of the guide (Korean, Japanese)", 1}, {nullptr, nullptr, 0}};
    prefs_register_enum_preference(m, "language", "Purpose language",
                                   "Language of the summary and use lines", &settings.language, languages, FALSE);
    static const enum_val_t details[] = {
        {"full", "Full: roles, document, edition, ports and facts of every use, on every packet", kDetailsFull},
        {"compact", "Compact: purpose and catalog entry per use, on every packet", kDetailsCompact},
        {"conversation", "Conversation: every use in full on the frames that decided the label, a link elsewhere",
         kDetailsConversation},
        {nullptr, nullptr, 0}};
    prefs_register_enum_preference(m, "details", "Detail of documented uses",
                                   "How much of each documented use goes into the packet tree", &settings.details,
                                   details, FALSE);
    static const enum_val_t claims[] = {
        {"confirmed", "Confirmed: only purposes the capture confirms (payload, signalled media, host roles)",
         static_cast<gint>(ClaimsMode::kConfirmed)},
        {"possible", "Possible: also purposes only the port suggests, where nothing contradicts them",
         static_cast<gint>(ClaimsMode::kPossible)},
        {"port", "Port: every documented use of the port, as a port table would", static_cast<gint>(ClaimsMode::kPort)},
        {nullptr, nullptr, 0}};
    prefs_register_enum_preference(m, "claims", "Purposes shown",
                                   "Which documented uses are shown as a conversation's purpose (summary, column, "
                                   "Info); the details pane lists possible ones as possible",
                                   &settings.claims, claims, FALSE);
    prefs_register_bool_preference(m, "info_column", "Append the summary to the Info column",
                                   "Add [UC: purpose] to the Info column of labelled packets", &settings.info_column);
    static char flag_names[kFlagCount][32];
    for (int b = 0; b < kFlagCount; ++b) {
        settings.flag[b] = TRUE;
        g_snprintf(flag_names[b], sizeof flag_names[b], "flag_%s", kFlagInfo[b].name);
        prefs_register_bool_preference(m, flag_names[b], kFlagInfo[b].preference, kFlagInfo[b].preference,
                                       &settings.flag[b]);
    }
    prefs_register_bool_preference(m, "try_uc_first", "Try SIP and TLS first on ports of unrelated dissectors",
                                   steal_ports_description(), &settings.steal);
    prefs_register_bool_preference(
        m, "rtp_decode", "Decode recognised RTP with Wireshark's RTP dissector",
        "RTP streams that ciscouc_rtp_udp recognises (no SDP or Skinny setup in the capture) are set up for "
        "Wireshark's RTP dissector: RTP fields, RTP Streams and VoIP Calls then see them. Off: they are labelled "
        "as RTP by ciscouc but shown as UDP data, as stock Wireshark shows them. Wireshark 4.0's RTP dissector "
        "keeps about 100 bytes per decoded RTP packet until the file is closed.",
        &settings.rtp_decode);
    register_allowlist(m);
    ciscouc_tap = register_tap("ciscouc");
    register_stats();
    register_conversations();
    hosts_register();
    calls_register();
    register_heuristics();
}

void register_handoff() {
    postdissector_handle = create_dissector_handle(dissect_post, proto_ciscouc);
    register_postdissector(postdissector_handle);
    build_proto_classes();
    hosts_handoff(postdissector_handle);
    cache_hfinfo(kUseFields, use_hfinfo);
    cache_hfinfo(kConvFields, conv_hfinfo);
    build_entry_texts();
    for (size_t i = 0; i < G_N_ELEMENTS(kIpLayers); ++i) ip_layer_proto[i] = proto_get_id_by_filter_name(kIpLayers[i].name);
    proto_icmp = proto_get_id_by_filter_name("icmp");
    proto_icmpv6 = proto_get_id_by_filter_name("icmpv6");
    init_heuristics();
    register_ports();
}

}  // namespace epan
}  // namespace ciscouc
