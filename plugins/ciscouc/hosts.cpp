// ciscouc: host roles from the capture's own payloads, and the other fields
// the postdissector reads from the UC dissectors (the RTP stream setup).
//
// The postdissector asks Wireshark for a few fields of the UC dissectors
// (set_postdissector_wanted_hfids: SCCP device names, SIP methods and
// User-Agent/Server headers, MGCP verbs, RAS message types, TFTP file names,
// XMPP stream namespaces), hands what they say to the core's observe_* rules
// and keeps the per-capture host table they build. -z ciscouc,hosts prints
// it; in the GUI it is Statistics > Cisco UC port usage > Hosts.
#include "conversation.h"

#include <epan/stat_tap_ui.h>
#include <wsutil/inet_addr.h>
#include <epan/stats_tree.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string>

#include "core/kept_hosts.h"
#include "core/roles.h"
#include "core/tables.h"

namespace ciscouc {
namespace epan {
namespace {
HostTable hosts;
// Roles kept over epan session resets (tshark -M N clears every capture-
// scoped table, this one included, every N packets): the most recently seen
// kHostsKept hosts, restored when the next session continues the same
// traffic (core/kept_hosts.h KeptHosts::continues: its first packet at most
// kSessionGap seconds after the last one, not before it).
constexpr size_t kHostsKept = 16384;
constexpr double kSessionGap = 300.0;
KeptHosts kept(kHostsKept);
double last_packet = 0;
bool session_started = false;
}  // namespace

std::string host_key(const address *a) {
    gchar *s = address_to_str(nullptr, a);
    std::string k = s ? s : "";
    wmem_free(nullptr, s);
    return k;
}

namespace {
std::string key_of(const address *a) { return host_key(a); }

// The Wireshark fields the rules read, resolved at handoff.
struct WantedField {
    const char *name;
    int *id;
};
int hf_skinny_device = -1, hf_skinny_device_type = -1, hf_skinny_remote4 = -1, hf_skinny_remote6 = -1,
    hf_skinny_addr4 = -1, hf_skinny_addr6 = -1, hf_skinny_message = -1, hf_dhcp_vendor = -1, hf_dhcp_tftp_name = -1,
    hf_dhcp_tftp_addr = -1, hf_sip_method = -1, hf_sip_status = -1, hf_sip_ua = -1, hf_sip_server = -1,
    hf_mgcp_verb = -1, hf_ras = -1, hf_tftp_opcode = -1, hf_tftp_source = -1, hf_xmpp_xmlns = -1, hf_xmpp_stream = -1,
    hf_rtp_setup_method = -1, hf_rtp_setup_frame = -1;
const WantedField kWanted[] = {
    {"skinny.DeviceName", &hf_skinny_device}, {"skinny.deviceType", &hf_skinny_device_type},
    {"skinny.messageId", &hf_skinny_message}, {"skinny.remoteIpAddr.ipv4", &hf_skinny_remote4},
    {"skinny.remoteIpAddr.ipv6", &hf_skinny_remote6}, {"skinny.ipAddr.ipv4", &hf_skinny_addr4},
    {"skinny.ipAddr.ipv6", &hf_skinny_addr6}, {"dhcp.option.vendor_class_id", &hf_dhcp_vendor},
    {"dhcp.option.tftp_server_name", &hf_dhcp_tftp_name}, {"dhcp.option.tftp_server_address", &hf_dhcp_tftp_addr},
    {"sip.Method", &hf_sip_method},   {"sip.Status-Code", &hf_sip_status},
    {"sip.User-Agent", &hf_sip_ua},           {"sip.Server", &hf_sip_server},   {"mgcp.req.verb", &hf_mgcp_verb},
    {"h225.RasMessage", &hf_ras},             {"tftp.opcode", &hf_tftp_opcode}, {"tftp.source_file", &hf_tftp_source},
    {"xmpp.xmlns", &hf_xmpp_xmlns},           {"xmpp.stream", &hf_xmpp_stream},
    {"rtp.setup-method", &hf_rtp_setup_method}, {"rtp.setup-frame", &hf_rtp_setup_frame},
};

field_info *first(proto_tree *tree, int hf) {
    if (hf < 0) return nullptr;
    GPtrArray *a = proto_get_finfo_ptr_array(tree, hf);
    return a && a->len ? static_cast<field_info *>(g_ptr_array_index(a, 0)) : nullptr;
}

const char *string_of(proto_tree *tree, int hf) {
    field_info *fi = first(tree, hf);
    return fi ? fvalue_get_string(CISCOUC_FVALUE(fi)) : nullptr;
}

bool uint_of(proto_tree *tree, int hf, guint32 *out) {
    field_info *fi = first(tree, hf);
    if (!fi) return false;
    *out = fvalue_get_uinteger(CISCOUC_FVALUE(fi));
    return true;
}

bool any_value(proto_tree *tree, int hf, const char *value) {
    if (hf < 0) return false;
    GPtrArray *a = proto_get_finfo_ptr_array(tree, hf);
    for (guint i = 0; a && i < a->len; ++i) {
        const char *s = fvalue_get_string(CISCOUC_FVALUE(static_cast<field_info *>(g_ptr_array_index(a, i))));
        if (s && strcmp(s, value) == 0) return true;
    }
    return false;
}


bool any_uint(proto_tree *tree, int hf, guint32 value) {
    if (hf < 0) return false;
    GPtrArray *a = proto_get_finfo_ptr_array(tree, hf);
    for (guint i = 0; a && i < a->len; ++i)
        if (fvalue_get_uinteger(CISCOUC_FVALUE(static_cast<field_info *>(g_ptr_array_index(a, i)))) == value) return true;
    return false;
}

// An address field's value as address text ("10.10.1.22"), or "".
std::string address_of(proto_tree *tree, int hf4, int hf6) {
    field_info *fi = first(tree, hf4);
    if (!fi) fi = first(tree, hf6);
    if (!fi) return std::string();
    char *s = fvalue_to_string_repr(nullptr, CISCOUC_FVALUE(fi), FTREPR_DISPLAY, BASE_NONE);
    std::string out = s ? s : "";
    wmem_free(nullptr, s);
    return out;
}


void hosts_cleanup() {
    if (session_started) kept.save(hosts, last_packet);
    session_started = false;
    hosts.clear();
}

// ---- -z ciscouc,hosts: the table after the whole capture.
// Conversations per host address (the tap sees every labelled packet).
struct HostsTap {
    std::map<std::string, std::set<const void *>> conversations;
};

tap_packet_status hosts_packet(void *p, packet_info *pinfo, epan_dissect_t *, const void *data, tap_flags_t) {
    auto *t = static_cast<HostsTap *>(p);
    const auto *info = static_cast<const ciscouc_tap_info *>(data);
    if (!info || !info->conv) return TAP_PACKET_DONT_REDRAW;
    t->conversations[key_of(&pinfo->src)].insert(info->conv);
    t->conversations[key_of(&pinfo->dst)].insert(info->conv);
    return TAP_PACKET_DONT_REDRAW;
}

void hosts_reset(void *p) { static_cast<HostsTap *>(p)->conversations.clear(); }

void hosts_draw(void *p) {
    auto *t = static_cast<HostsTap *>(p);
    write_hosts(stdout, hosts, [&](const std::string &a) { return static_cast<unsigned>(t->conversations[a].size()); });
}

ciscouc_stat_init_ret hosts_init(const char *, void *) {
    return register_table_tap<HostsTap>("ciscouc,hosts", hosts_reset, hosts_packet, hosts_draw);
}

// ---- The same table as a stats tree for the GUI.
int st_hosts_root = -1;
const char kHostsNode[] = "Hosts (address | roles | evidence)";

void hosts_tree_init(stats_tree *st) {
    st_hosts_root = stats_tree_create_node(st, kHostsNode, 0, STAT_DT_INT, TRUE);
}

tap_packet_status hosts_tree_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *, const void *,
                                    tap_flags_t) {
    // Packets per host that shows a role, under "address | roles | evidence".
    // The root counts each packet once (a packet between two such hosts
    // counts under both of them, as in Statistics > Endpoints).
    bool counted = false;
    std::string src = key_of(&pinfo->src), dst = key_of(&pinfo->dst);
    for (const std::string *k : {&src, &dst}) {
        if (k == &dst && dst == src) break;
        const HostTable::Host *h = hosts.find(*k);
        if (!h) continue;
        if (!counted) tick_stat_node(st, kHostsNode, 0, TRUE);
        counted = true;
        std::string name = h->address + " | " + role_names(h->roles) + " | " + HostTable::proofs_text(*h);
        tick_stat_node(st, name.c_str(), st_hosts_root, FALSE);
    }
    return counted ? TAP_PACKET_REDRAW : TAP_PACKET_DONT_REDRAW;
}

}  // namespace

void hosts_register() {
    register_cleanup_routine(hosts_cleanup);
    static stat_tap_ui hosts_ui = {CISCOUC_STAT_GROUP_TELEPHONY, "Cisco UC hosts", "ciscouc,hosts", hosts_init, 0, nullptr};
    register_stat_tap_ui(&hosts_ui, nullptr);
    stats_tree_register_plugin("ciscouc", "ciscouc_hosts", "Cisco UC port usage/Hosts", 0, hosts_tree_packet,
                               hosts_tree_init, nullptr);
}

void hosts_handoff(dissector_handle_t postdissector) {
    GArray *wanted = g_array_new(FALSE, FALSE, sizeof(int));
    for (const WantedField &w : kWanted) {
        *w.id = proto_registrar_get_id_byname(w.name);
        if (*w.id >= 0) g_array_append_val(wanted, *w.id);
    }
    calls_wanted(wanted);
    set_postdissector_wanted_hfids(postdissector, wanted);
}

bool observe_hosts(packet_info *pinfo, proto_tree *tree, bool to_server, bool sccp, bool ras) {
    if (!tree) return false;
    // The facts the core's role rules read (core/roles.h PayloadFacts), from
    // the UC dissectors' fields.
    PayloadFacts f;
    f.sccp = sccp;
    if (const char *device = string_of(tree, hf_skinny_device)) {
        f.sccp_device = device;
        guint32 type = 0;
        if (uint_of(tree, hf_skinny_device_type, &type)) f.sccp_device_type = type;
    }
    // The hosts SCCP media messages name (packet-skinny.c: StartMediaTransmission
    // 0x008A remoteIpAddr, OpenReceiveChannelAck 0x0022 ipAddr).
    if (sccp && any_uint(tree, hf_skinny_message, 0x008A))
        f.sccp_media[0] = address_of(tree, hf_skinny_remote4, hf_skinny_remote6);
    if (sccp && any_uint(tree, hf_skinny_message, 0x0022))
        f.sccp_media[1] = address_of(tree, hf_skinny_addr4, hf_skinny_addr6);
    if (const char *method = string_of(tree, hf_sip_method)) {
        f.sip_request = true;
        f.sip_method = method;
        if (const char *ua = string_of(tree, hf_sip_ua)) f.sip_software = ua;
    } else if (first(tree, hf_sip_status)) {
        f.sip_status = true;
        if (const char *server = string_of(tree, hf_sip_server)) f.sip_software = server;
    }
    // DHCP (RFC 2132 options 60 and 66, RFC 5859 option 150).
    if (GPtrArray *a = hf_dhcp_tftp_addr >= 0 ? proto_get_finfo_ptr_array(tree, hf_dhcp_tftp_addr) : nullptr) {
        for (guint i = 0; i < a->len && i < 2; ++i) {
            char *s = fvalue_to_string_repr(nullptr, CISCOUC_FVALUE(static_cast<field_info *>(g_ptr_array_index(a, i))),
                                            FTREPR_DISPLAY, BASE_NONE);
            if (s) f.dhcp_tftp[i] = s;
            wmem_free(nullptr, s);
        }
    }
    if (const char *name = string_of(tree, hf_dhcp_tftp_name); name && f.dhcp_tftp[0].empty()) {
        // An IPv4 address there is one (a name is not resolved).
        guint32 a4 = 0;
        char text[WS_INET_ADDRSTRLEN];
        if (strlen(name) < 16 && ws_inet_pton4(name, &a4)) f.dhcp_tftp[0] = ws_inet_ntop4(&a4, text, sizeof text);
    }
    if (const char *vc = string_of(tree, hf_dhcp_vendor)) f.dhcp_vendor_class = vc;
    if (const char *verb = string_of(tree, hf_mgcp_verb)) f.mgcp_verb = verb;
    guint32 v = 0;
    if (ras && uint_of(tree, hf_ras, &v)) f.ras_choice = static_cast<int>(v);
    if (uint_of(tree, hf_tftp_opcode, &v) && v == 1) {  // RRQ (RFC 1350)
        if (const char *file = string_of(tree, hf_tftp_source)) {
            f.tftp_read = true;
            f.tftp_file = file;
        }
    }
    f.xmpp_stream = first(tree, hf_xmpp_stream) != nullptr;
    f.xmpp_server = f.xmpp_stream && any_value(tree, hf_xmpp_xmlns, "jabber:server");
    PacketSides sides;
    sides.to_server = to_server;
    sides.initiator = to_server;
    const std::string src = key_of(&pinfo->src), dst = key_of(&pinfo->dst);
    const bool news = hosts.observe(f, sides, src, dst, pinfo->num);
    const double t = nstime_to_sec(&pinfo->abs_ts);
    kept.seen(hosts, src, t);
    kept.seen(hosts, dst, t);
    return news;
}

void hosts_session_packet(packet_info *pinfo) {
    if (PINFO_FD_VISITED(pinfo)) return;
    const double t = nstime_to_sec(&pinfo->abs_ts);
    if (!session_started) {
        session_started = true;
        if (kept.continues(t, kSessionGap)) kept.restore(hosts);
        else kept.forget();
    }
    last_packet = t;
}

bool rtp_setup_of(proto_tree *tree, const char **method, guint32 *frame) {
    if (!tree) return false;
    *method = string_of(tree, hf_rtp_setup_method);
    return *method && uint_of(tree, hf_rtp_setup_frame, frame);
}

PayloadSide payload_side(proto_tree *tree) {
    if (!tree) return PayloadSide::kNone;
    if (first(tree, hf_sip_status) && !first(tree, hf_sip_method)) return PayloadSide::kSipStatus;
    guint32 op = 0;
    if (uint_of(tree, hf_tftp_opcode, &op) && (op == 1 || op == 2)) return PayloadSide::kTftpRequest;
    return PayloadSide::kNone;
}
HostTable &host_table() { return hosts; }

RoleSet host_roles(const address *a) { return hosts.hosts().empty() ? 0 : hosts.roles(key_of(a)); }

guint32 host_roles_generation() { return hosts.generation(); }

}  // namespace epan
}  // namespace ciscouc
