// ciscouc: Wireshark plugin entry points.
//
// plugin_version, plugin_want_major/minor and plugin_register must have C
// linkage and default visibility, or Wireshark's loader does not find them.
#include "packet-ciscouc.h"

#include <epan/proto.h>

#ifndef CISCOUC_VERSION
#define CISCOUC_VERSION "0.0.0"
#endif

// The single-declaration form `extern "C" T x` gives the constants external
// linkage; inside an `extern "C" { }` block a const would stay internal.
extern "C" WS_DLL_PUBLIC_DEF const gchar plugin_version[] = CISCOUC_VERSION;
extern "C" WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
extern "C" WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;
extern "C" WS_DLL_PUBLIC_DEF void plugin_register(void);
#if CISCOUC_HAS_PLUGIN_DESCRIBE
extern "C" WS_DLL_PUBLIC_DEF uint32_t plugin_describe(void) { return CISCOUC_PLUGIN_DESCRIPTION; }
#endif

static void register_protoinfo() { ciscouc::epan::register_protocol(); }
static void register_handoff() { ciscouc::epan::register_handoff(); }

void plugin_register(void) {
    static proto_plugin plug;
    plug.register_protoinfo = register_protoinfo;
    plug.register_handoff = register_handoff;
    proto_register_plugin(&plug);
}
