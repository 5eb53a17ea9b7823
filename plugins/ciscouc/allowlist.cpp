// ciscouc: the site allow-list UAT. Each record's text is checked and parsed
// once, in the UAT's update callback; lookups compare the parsed numbers.
#include "allowlist.h"

#include <cstring>

namespace ciscouc {
namespace epan {
namespace {

struct AllowRecord {
    char *transport;
    char *ports;
    char *protocol;
    char *comment;
    // Parsed by allow_update (copied with the record).
    Transport parsed_transport;
    guint lo, hi;
    int parsed_protocol;  // index into kProtocols
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
    d->parsed_transport = s->parsed_transport;
    d->lo = s->lo;
    d->hi = s->hi;
    d->parsed_protocol = s->parsed_protocol;
    return d;
}

void allow_free(void *r) {
    auto *a = static_cast<AllowRecord *>(r);
    g_free(a->transport);
    g_free(a->ports);
    g_free(a->protocol);
    g_free(a->comment);
}

// Checked and parsed by the core's rule (AllowList::parse), so the UAT and
// ciscouc-scan --allow read the same records the same way.
ciscouc_uat_bool allow_update(void *r, char **err) {
    auto *a = static_cast<AllowRecord *>(r);
    AllowRule rule;
    std::string why = AllowList::parse(a->transport, a->ports, a->protocol, &rule);
    if (!why.empty()) {
        *err = g_strdup(why.c_str());
        return FALSE;
    }
    a->parsed_transport = rule.transport;
    a->lo = rule.lo;
    a->hi = rule.hi;
    a->parsed_protocol = rule.protocol;
    return TRUE;
}

AllowList allow_list;

void allow_post_update() {
    allow_list.clear();
    for (guint i = 0; i < allow_count; ++i) {
        const AllowRecord &a = allow_records[i];
        allow_list.add(AllowRule{a.parsed_transport, static_cast<uint16_t>(a.lo), static_cast<uint16_t>(a.hi),
                                 a.parsed_protocol});
    }
}

}  // namespace

const AllowList *site_allow_list() { return allow_list.size() ? &allow_list : nullptr; }

void register_allowlist(module_t *m) {
    static uat_field_t allow_fields[] = {
        UAT_FLD_CSTRING(allow, transport, "Transport", "tcp or udp"),
        UAT_FLD_CSTRING(allow, ports, "Ports", "A port or range, e.g. 5070 or 5065-5070"),
        UAT_FLD_CSTRING(allow, protocol, "Protocol", "Catalog protocol expected there, e.g. SIP"),
        UAT_FLD_CSTRING(allow, comment, "Comment", "Why this site uses it"),
        UAT_END_FIELDS};
    uat_t *allow = uat_new("ciscouc site allow-list", sizeof(AllowRecord), "ciscouc_allowed_ports", TRUE,
                           &allow_records, &allow_count, UAT_AFFECTS_DISSECTION, nullptr, allow_copy, allow_update,
                           allow_free, allow_post_update, nullptr, allow_fields);
    prefs_register_uat_preference(m, "allowed_ports", "Site allow-list",
                                  "Ports where this site runs a UC protocol on purpose (silences unexpected_port)",
                                  allow);
}

}  // namespace epan
}  // namespace ciscouc
