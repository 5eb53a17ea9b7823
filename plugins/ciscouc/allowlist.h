// ciscouc: the site allow-list (a UAT): ports where this site runs a UC
// protocol on purpose, which silences unexpected_port there.
#pragma once

#include "packet-ciscouc.h"

namespace ciscouc {
namespace epan {

// Registers the UAT and its preference in module m.
void register_allowlist(module_t *m);
// The allow-list as the core reads it (core/pipeline.h AllowList), rebuilt
// whenever the UAT changes.
const AllowList *site_allow_list();

}  // namespace epan
}  // namespace ciscouc
