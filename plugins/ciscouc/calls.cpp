// ciscouc: calls (core/calls.h) in Wireshark. The postdissector hands the
// core the bytes of each message the SIP, Skinny, MGCP and Q.931 dissectors
// framed (their protocol items locate them, reassembled where the dissector
// reassembled them), the TCP flags and each UDP payload; the core reads the
// calls from them as it does for ciscouc-scan. -z ciscouc,calls prints the
// tables; in the GUI: Telephony > Cisco UC calls.
#include "conversation.h"

#include <epan/stat_tap_ui.h>

#include <algorithm>
#include <cstring>

#include "core/calls.h"

namespace ciscouc {
namespace epan {
namespace {

CallTable calls;
int listeners = 0;  // -z ciscouc,calls taps open: calls are tracked only then
int proto_sip = -1, proto_skinny = -1, proto_mgcp = -1, proto_q931 = -1, proto_udp = -1, hf_udp_length = -1,
    hf_tcp_flags = -1;

NetEndpoint endpoint(const address *a, guint32 port) {
    NetEndpoint e;
    if (a->type == AT_IPv4 && a->len == 4) e.addr.family = 4;
    else if (a->type == AT_IPv6 && a->len == 16) e.addr.family = 6;
    if (e.addr.family) std::memcpy(e.addr.bytes, a->data, static_cast<size_t>(a->len));
    e.port = static_cast<uint16_t>(port);
    return e;
}

GPtrArray *items(proto_tree *tree, int id) { return id < 0 ? nullptr : proto_get_finfo_ptr_array(tree, id); }

// Each item's bytes, in its data source (a reassembled PDU's own tvb).
template <typename F>
void each_pdu(proto_tree *tree, int id, F f) {
    GPtrArray *a = items(tree, id);
    for (guint i = 0; a && i < a->len; ++i) {
        auto *fi = static_cast<field_info *>(g_ptr_array_index(a, i));
        if (!fi->ds_tvb || fi->length <= 0) continue;
        const gint avail = tvb_captured_length_remaining(fi->ds_tvb, fi->start);
        const gint n = std::min(fi->length, avail);
        if (n > 0) f(tvb_get_ptr(fi->ds_tvb, fi->start, n), static_cast<size_t>(n));
    }
}

field_info *last(proto_tree *tree, int id) {
    GPtrArray *a = items(tree, id);
    return a && a->len ? static_cast<field_info *>(g_ptr_array_index(a, a->len - 1)) : nullptr;
}

struct CallsTap {
    CallsTap() { ++listeners; }
    ~CallsTap() { --listeners; }
};

void calls_reset(void *) { calls.clear(); }
tap_packet_status calls_packet(void *, packet_info *, epan_dissect_t *, const void *, tap_flags_t) {
    return TAP_PACKET_DONT_REDRAW;
}
void calls_draw(void *) {
    calls.finish(host_table(), settings.labelling().prefs, [](uint64_t conv) {
        auto *c = reinterpret_cast<Conversation *>(static_cast<uintptr_t>(conv));
        if (!c) return -1;
        conversation_refresh(c);
        return c->cand_count ? static_cast<int>(c->cand[0].flow) : -1;
    });
    write_calls(stdout, calls);
}

ciscouc_stat_init_ret calls_init(const char *, void *) {
    return register_table_tap<CallsTap>("ciscouc,calls", calls_reset, calls_packet, calls_draw);
}

}  // namespace

void calls_register() {
    register_cleanup_routine([]() { calls.clear(); });
    static stat_tap_ui ui = {CISCOUC_STAT_GROUP_TELEPHONY, "Cisco UC calls", "ciscouc,calls", calls_init, 0, nullptr};
    register_stat_tap_ui(&ui, nullptr);
}

void calls_wanted(GArray *wanted) {
    proto_sip = proto_get_id_by_filter_name("sip");
    proto_skinny = proto_get_id_by_filter_name("skinny");
    proto_mgcp = proto_get_id_by_filter_name("mgcp");
    proto_q931 = proto_get_id_by_filter_name("q931");
    proto_udp = proto_get_id_by_filter_name("udp");
    hf_udp_length = proto_registrar_get_id_byname("udp.length");
    hf_tcp_flags = proto_registrar_get_id_byname("tcp.flags");
    for (int id : {proto_sip, proto_skinny, proto_mgcp, proto_q931, proto_udp, hf_udp_length, hf_tcp_flags})
        if (id >= 0) g_array_append_val(wanted, id);
}

void observe_calls(packet_info *pinfo, proto_tree *tree, Transport t, const Conversation *conv) {
    if (!listeners || !tree) return;
    CallPacket p;
    p.frame = pinfo->num;
    p.ts = nstime_to_sec(&pinfo->rel_ts);
    p.transport = t;
    p.src = endpoint(&pinfo->src, pinfo->srcport);
    p.dst = endpoint(&pinfo->dst, pinfo->destport);
    p.conv = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(conv));
    if (t == kTcp) {
        if (field_info *fi = last(tree, hf_tcp_flags)) calls.tcp(p, static_cast<uint8_t>(fvalue_get_uinteger(CISCOUC_FVALUE(fi))));
        each_pdu(tree, proto_skinny, [&](const guint8 *d, size_t n) { calls.sccp(p, d, n); });
    }
    each_pdu(tree, proto_sip, [&](const guint8 *d, size_t n) { calls.sip(p, d, n); });
    // The UDP payload, when the frame is UDP.
    const guint8 *udp = nullptr;
    size_t udp_len = 0;
    if (t == kUdp) {
        field_info *u = last(tree, proto_udp), *l = last(tree, hf_udp_length);
        const guint32 len = u && l && u->ds_tvb ? fvalue_get_uinteger(CISCOUC_FVALUE(l)) : 0;
        const gint avail = len > 8 ? tvb_captured_length_remaining(u->ds_tvb, u->start + 8) : 0;
        const gint n = std::min(static_cast<gint>(len > 8 ? len - 8 : 0), avail);
        if (n > 0) {
            udp = tvb_get_ptr(u->ds_tvb, u->start + 8, n);
            udp_len = static_cast<size_t>(n);
        }
    }
    // MGCP over UDP: the whole datagram, as the scanner reads it (RFC 3435
    // section 3.5: one datagram carries a message, or several piggybacked);
    // the MGCP items' extent differs between Wireshark versions (4.6 leaves
    // the SDP out of them).
    GPtrArray *mgcp = items(tree, proto_mgcp);
    if (udp && mgcp && mgcp->len) calls.mgcp(p, udp, udp_len);
    else each_pdu(tree, proto_mgcp, [&](const guint8 *d, size_t n) { calls.mgcp(p, d, n); });
    each_pdu(tree, proto_q931, [&](const guint8 *d, size_t n) { calls.q931(p, d, n); });
    if (udp && calls.wants_udp()) calls.udp(p, udp, udp_len);
}

}  // namespace epan
}  // namespace ciscouc
