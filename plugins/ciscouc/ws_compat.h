// ciscouc: every bridge between the Wireshark versions the plugin supports
// (4.0, 4.2, 4.4, 4.6), in one place. The rest of the plugin uses these names
// and never tests a version itself.
//
// Types are taken from Wireshark's own declarations (decltype of the API), so
// they are exact on every version without a version table: 4.0 uses gboolean
// in boolean preferences, heuristic and UAT callbacks; 4.2 moved them to C99
// bool (Wireshark 4.2 release notes, "API changes"). Names that a version
// renamed are keyed on WIRESHARK_VERSION_MAJOR/MINOR from <ws_version.h>
// (Debian's 4.0 development package ships no config.h).
//
// Tested on Debian's 4.0 (bookworm), 4.4 (trixie) and 4.6 (sid):
// qa/wireshark-chroot.sh. The 4.2 boundaries follow the release notes.
#pragma once

#include <ws_version.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/uat.h>
#include <epan/stat_tap_ui.h>
#include <epan/conversation.h>
#include <epan/proto_data.h>
#include <epan/address.h>

#include <tuple>
#include <type_traits>
#include <utility>

#define CISCOUC_WS_AT_LEAST(major, minor) \
    (WIRESHARK_VERSION_MAJOR > (major) || (WIRESHARK_VERSION_MAJOR == (major) && WIRESHARK_VERSION_MINOR >= (minor)))

namespace ciscouc {
namespace epan {
namespace compat {
template <typename F> struct last_param;
template <typename R, typename... A> struct last_param<R(A...)> {
    using type = std::tuple_element_t<sizeof...(A) - 1, std::tuple<A...>>;
};
}  // namespace compat
}  // namespace epan
}  // namespace ciscouc

// What prefs_register_bool_preference stores into: gboolean (4.0), bool (4.2+).
using ciscouc_pref_bool =
    std::remove_pointer_t<ciscouc::epan::compat::last_param<decltype(prefs_register_bool_preference)>::type>;
// What a heuristic dissector returns (heur_dissector_t).
using ciscouc_heur_bool = decltype(std::declval<heur_dissector_t>()(nullptr, nullptr, nullptr, nullptr));
// What a UAT record update callback returns (uat_update_cb_t).
using ciscouc_uat_bool = decltype(std::declval<uat_update_cb_t>()(nullptr, nullptr));
// What a stat_tap_ui init callback returns: void (4.0-4.4), bool (4.6: false
// when the tap could not be registered).
using ciscouc_stat_init_ret = decltype(std::declval<stat_tap_init_cb>()(nullptr, nullptr));
template <typename R = ciscouc_stat_init_ret>
inline R ciscouc_stat_init_result(bool ok) {
    if constexpr (std::is_void_v<R>) {
        (void)ok;
    } else {
        return ok;
    }
}

// The Telephony menu group of a stat_tap_ui (renamed in 4.2).
#if CISCOUC_WS_AT_LEAST(4, 2)
#define CISCOUC_STAT_GROUP_TELEPHONY REGISTER_TELEPHONY_GROUP_UNSORTED
#else
#define CISCOUC_STAT_GROUP_TELEPHONY REGISTER_STAT_GROUP_TELEPHONY
#endif

// A field's value: the fvalue_t inside field_info (4.0), a pointer to it (4.2+).
#if CISCOUC_WS_AT_LEAST(4, 2)
#define CISCOUC_FVALUE(fi) ((fi)->value)
#else
#define CISCOUC_FVALUE(fi) (&(fi)->value)
#endif

// plugin_describe() (4.2+): what `tshark -G plugins` prints as the plugin's type.
#if CISCOUC_WS_AT_LEAST(4, 2)
#include <wsutil/plugins.h>
#define CISCOUC_HAS_PLUGIN_DESCRIBE 1
#define CISCOUC_PLUGIN_DESCRIPTION WS_PLUGIN_DESC_DISSECTOR
#else
#define CISCOUC_HAS_PLUGIN_DESCRIBE 0
#endif

// The plugin's per-conversation data, stored the same way on every version.
// Media that signalling set up (SDP, Skinny and MGCP call rtp_add_address and
// rtcp_add_address) is one Wireshark conversation per direction up to 4.4 and
// one for both directions from 4.6 on; its data is kept per direction here
// (keyed by the ordered address and port pair, file-scoped), so the plugin's
// rows stay the same on every version. Everything else is conversation data.
// RTP marks such a packet with its per-packet setup data (proto_rtp, key
// RTP_CONVERSATION_PROTO_DATA = 0: epan/dissectors/packet-rtp.h, packet-rtp.c);
// RTCP attaches its setup data to the conversation.
namespace ciscouc {
namespace epan {
namespace compat {
struct MediaKey {
    address src, dst;
    guint32 sport, dport;
};
inline guint media_hash(gconstpointer k) {
    const auto *m = static_cast<const MediaKey *>(k);
    return add_address_to_hash(add_address_to_hash((m->sport << 16) ^ m->dport, &m->src), &m->dst);
}
inline gboolean media_equal(gconstpointer a, gconstpointer b) {
    const auto *x = static_cast<const MediaKey *>(a), *y = static_cast<const MediaKey *>(b);
    return x->sport == y->sport && x->dport == y->dport && addresses_equal(&x->src, &y->src) &&
           addresses_equal(&x->dst, &y->dst);
}
// The per-direction map of protocol `proto`'s data, or nullptr when this
// packet is not signalled media.
inline wmem_map_t *media_map(packet_info *pinfo, conversation_t *conv, int proto) {
    static const int rtp = proto_get_id_by_filter_name("rtp"), rtcp = proto_get_id_by_filter_name("rtcp");
    constexpr guint32 kRtpSetupKey = 0;
    if (pinfo->ptype != PT_UDP) return nullptr;
    bool media = (rtp >= 0 && (p_get_proto_data(wmem_file_scope(), pinfo, rtp, kRtpSetupKey) ||
                               conversation_get_proto_data(conv, rtp))) ||
                 (rtcp >= 0 && conversation_get_proto_data(conv, rtcp));
    if (!media) return nullptr;
    static wmem_map_t *maps = wmem_map_new(wmem_epan_scope(), g_direct_hash, g_direct_equal);
    auto *m = static_cast<wmem_map_t *>(wmem_map_lookup(maps, GINT_TO_POINTER(proto)));
    if (!m) {
        m = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), media_hash, media_equal);
        wmem_map_insert(maps, GINT_TO_POINTER(proto), m);
    }
    return m;
}
}  // namespace compat
}  // namespace epan
}  // namespace ciscouc

// conversation_get_proto_data / conversation_add_proto_data for the plugin's own data.
inline void *ciscouc_conv_get_data(packet_info *pinfo, conversation_t *conv, int proto) {
    using namespace ciscouc::epan::compat;
    if (wmem_map_t *m = media_map(pinfo, conv, proto)) {
        MediaKey key{pinfo->src, pinfo->dst, pinfo->srcport, pinfo->destport};  // shallow: lookup only
        return wmem_map_lookup(m, &key);
    }
    return conversation_get_proto_data(conv, proto);
}
inline void ciscouc_conv_add_data(packet_info *pinfo, conversation_t *conv, int proto, void *data) {
    using namespace ciscouc::epan::compat;
    if (wmem_map_t *m = media_map(pinfo, conv, proto)) {
        auto *k = wmem_new(wmem_file_scope(), MediaKey);
        copy_address_wmem(wmem_file_scope(), &k->src, &pinfo->src);
        copy_address_wmem(wmem_file_scope(), &k->dst, &pinfo->dst);
        k->sport = pinfo->srcport;
        k->dport = pinfo->destport;
        wmem_map_insert(m, k, data);
        return;
    }
    conversation_add_proto_data(conv, proto, data);
}
