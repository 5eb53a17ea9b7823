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
    if (!a->transport || (strcmp(a->transport, "tcp") != 0 && strcmp(a->transport, "udp") != 0)) {
        *err = g_strdup("Transport must be tcp or udp");
        return FALSE;
    }
    a->parsed_transport = strcmp(a->transport, "tcp") == 0 ? kTcp : kUdp;
    if (!parse_range(a->ports, &a->lo, &a->hi)) {
        *err = g_strdup_printf("Ports '%s' must be N or N-M (0-65535)", a->ports ? a->ports : "");
        return FALSE;
    }
    a->parsed_protocol = a->protocol ? protocol_by_key(a->protocol) : -1;
    if (a->parsed_protocol < 0) {
        *err = g_strdup_printf("Unknown protocol '%s' (use a catalog protocol such as SIP, SCCP, MGCP)",
                               a->protocol ? a->protocol : "");
        return FALSE;
    }
    return TRUE;
}

}  // namespace

bool site_allows(Transport t, guint port, int protocol) {
    if (protocol < 0) return false;
    for (guint i = 0; i < allow_count; ++i) {
        const AllowRecord &a = allow_records[i];
        if (a.parsed_transport == t && port >= a.lo && port <= a.hi && a.parsed_protocol == protocol) return true;
    }
    return false;
}

void register_allowlist(module_t *m) {
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
}

}  // namespace epan
}  // namespace ciscouc
