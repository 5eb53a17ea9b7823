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

// plugin_describe() (4.2+): what `tshark -G plugins` prints as the plugin's type.
#if CISCOUC_WS_AT_LEAST(4, 2)
#include <wsutil/plugins.h>
#define CISCOUC_HAS_PLUGIN_DESCRIBE 1
#define CISCOUC_PLUGIN_DESCRIPTION WS_PLUGIN_DESC_DISSECTOR
#else
#define CISCOUC_HAS_PLUGIN_DESCRIBE 0
#endif
