// ciscouc: the site allow-list (a UAT): ports where this site runs a UC
// protocol on purpose, which silences unexpected_port there.
#pragma once

#include "packet-ciscouc.h"

namespace ciscouc {
namespace epan {

// Registers the UAT and its preference in module m.
void register_allowlist(module_t *m);
// Does the allow-list cover this transport, port and protocol (index)?
bool site_allows(Transport t, guint port, int protocol);

}  // namespace epan
}  // namespace ciscouc
