// ciscouc core: the flag rules, one function per flag, run from a table in
// Flag order (a rule sees the flags raised before it).
#include "flags.h"

#include <algorithm>
#include <vector>

namespace ciscouc {

std::string flag_list(uint32_t flags) {
    std::string s;
    for (int b = 0; b < kFlagCount; ++b)
        if (flags & flag_bit(flag_at(b))) s += (s.empty() ? "" : ",") + std::string(kFlagInfo[b].name);
    return s;
}

namespace {

// What every rule reads: the input and facts derived from it once.
struct RuleContext {
    const FlagInput &in;
    const Label &label;
    std::vector<const Candidate *> specific;  // the label's candidates that are not catch-all
    std::string port;                         // "5060/tcp": the listener's port, or the server's
    bool detected_any;                        // a protocol was recognised (vocabulary or not)
};

std::string describe_flow(uint16_t flow) {
    const Flow &f = kFlows[flow];
    const Entry &e = kEntries[f.entry];
    return std::string(e.id) + " (" + kDocuments[e.doc].edition + ", table " + e.table + " row " +
           std::to_string(e.row) + ": " + f.from + " -> " + f.to + ")";
}

std::string describe(const Candidate &c) { return describe_flow(c.flow); }

std::string proto_name(const FlagInput &in) {
    if (in.detected >= 0) return kProtocols[in.detected].key;
    return in.detected_other ? in.detected_other : "";
}

// Wireshark cuts an expert info's text, and a tree item's label, at
// ITEM_LABEL_LENGTH - 1 bytes (240, epan/proto.h): a reason quoting a long
// purpose keeps its row citation by shortening the purpose to fit.
constexpr size_t kReasonMax = 239;

// s cut to at most n bytes at a UTF-8 character boundary, "…" added when cut.
std::string clip_utf8(const std::string &s, size_t n) {
    if (s.size() <= n) return s;
    const std::string ellipsis = "\xe2\x80\xa6";
    if (n < ellipsis.size()) return "";
    size_t end = n - ellipsis.size();
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    return s.substr(0, end) + ellipsis;
}

bool listener_is_unified_cm_role(const Flow &f) { return std::string(f.to).rfind("Unified CM", 0) == 0; }

// A rule returns true when its flag holds, with the reason in *why.
using Rule = bool (*)(const RuleContext &cx, FlagResult *r, std::string *why);

// unexpected_port: a UC signalling protocol (recognised by its payload)
// where no specific row explains it: none documents the protocol, and the
// rows that name no protocol name ends these hosts do not fit (a phone's
// SCCP on 8002, documented for SDL between Unified CM nodes). A row that
// names no protocol and whose ends fit the hosts (Unified CM -> IM and
// Presence on 5070) explains the port.
bool unexpected_port(const RuleContext &cx, FlagResult *, std::string *why) {
    const FlagInput &in = cx.in;
    if (in.detected < 0 || !kProtocols[in.detected].uc || in.site_allowed) return false;
    bool documented = cx.label.from_transfer || cx.label.from_ephemeral;
    std::string examined;  // the port's rows that do not explain it
    auto check_port = [&](uint16_t p, bool at_server) {
        const RoleSet at_port = at_server ? in.server_roles : in.client_roles;
        const RoleSet other = at_server ? in.client_roles : in.server_roles;
        for (uint16_t fi : lookup_port(in.transport, p)) {
            const Flow &f = kFlows[fi];
            const Entry &e = kEntries[f.entry];
            if (e.flags & kCatchAll) continue;
            const bool fits = entry_protocol_unknown(e) && (f.by_src ? flow_fits(f, at_port, other)
                                                                     : flow_fits(f, other, at_port));
            if (entry_has_protocol(e, in.detected) || fits) {
                documented = true;
            } else if (examined.find(e.id) == std::string::npos) {
                examined += (examined.empty() ? "" : "; ") + describe_flow(fi) +
                            (entry_protocol_unknown(e) ? ", whose ends the hosts' roles do not fit" : "");
            }
        }
    };
    check_port(in.server_port, true);
    if (cx.label.direction == Direction::kUnknown || cx.label.direction == Direction::kInferred ||
        cx.label.direction == Direction::kProtocol)
        check_port(in.client_port, false);
    if (documented) return false;
    // The port's rows that do not explain it; without any, the label's.
    std::string compared = examined;
    if (compared.empty())
        for (const Candidate *c : cx.specific) compared += (compared.empty() ? "" : "; ") + describe(*c);
    *why = std::string(kProtocols[in.detected].key) + " on " + cx.port + ": no guide documents " +
           kProtocols[in.detected].key + " on this port and transport" +
           (compared.empty() ? " (the port is not in the catalog)" : " (rows compared: " + compared + ")") +
           (cx.label.candidates.size() > cx.specific.size() ? "; catch-all ranges do not count" : "");
    return true;
}

// protocol_mismatch: a documented port carrying a recognisably different
// protocol (not raised on top of an earlier flag).
bool protocol_mismatch(const RuleContext &cx, FlagResult *r, std::string *why) {
    const FlagInput &in = cx.in;
    if (!cx.detected_any || cx.specific.empty()) return false;
    bool compatible = false, comparable = false;
    for (const Candidate *c : cx.specific) {
        const Entry &e = kEntries[kFlows[c->flow].entry];
        if (entry_protocol_unknown(e)) continue;
        comparable = true;
        if (in.detected >= 0 && entry_has_protocol(e, in.detected)) compatible = true;
        if (entry_mentions_wireshark_name(e, in.detected_other)) compatible = true;
        // A protocol carried inside the first one (SMB in NBSS on 445).
        for (size_t p = 0; p < kProtocolCount && !compatible; ++p)
            if (in.seen.has(static_cast<int>(p)) && entry_has_protocol(e, static_cast<int>(p))) compatible = true;
    }
    // Generic carriers (TLS, HTTP) are not evidence against a row that
    // names a protocol they may carry; entry_has_protocol covers those.
    if (!comparable || compatible || r->flags) return false;
    std::string expected;
    for (const Candidate *c : cx.specific) {
        const Entry &e = kEntries[kFlows[c->flow].entry];
        for (uint16_t i = 0; i < e.proto_count; ++i) {
            std::string k = kProtocols[kEntryProtocols[e.proto_first + i]].key;
            if (expected.find(k) == std::string::npos) expected += (expected.empty() ? "" : ", ") + k;
        }
    }
    *why = proto_name(in) + " on " + cx.port + ", where the guides document " + expected +
           " (first row: " + describe(*cx.specific.front()) + ")";
    return true;
}

// internal_only: between two hosts on a port every matching row keeps local.
bool internal_only(const RuleContext &cx, FlagResult *, std::string *why) {
    if (cx.in.same_host || cx.specific.empty()) return false;
    bool all_internal = std::all_of(cx.specific.begin(), cx.specific.end(), [](const Candidate *c) {
        return (kEntries[kFlows[c->flow].entry].flags & (kLocalhostOnly | kInternal)) != 0;
    });
    if (!all_internal) return false;
    const Entry &e = kEntries[kFlows[cx.specific.front()->flow].entry];
    *why = "traffic between two hosts on " + cx.port + ", which the guides call " +
           ((e.flags & kLocalhostOnly) ? "localhost-only" : "internal") + " (" + describe(*cx.specific.front()) +
           "); no row documents it across hosts";
    return true;
}

// insecure: a cleartext payload where a secure counterpart is documented,
// or on a port documented only for the secure variant. It needs a payload
// (a SYN scan is not cleartext), none that is encrypted, and no later TLS
// (STARTTLS upgrades a cleartext start).
// Protocols Wireshark cannot decode (CTI/QBE on 2748) count as cleartext
// when a payload was seen and it was not TLS.
bool insecure(const RuleContext &cx, FlagResult *, std::string *why) {
    const FlagInput &in = cx.in;
    bool cleartext = !in.tls_seen && ((in.detected >= 0 && !kProtocols[in.detected].secure) ||
                                      (in.detected < 0 && !in.detected_other && in.payload_seen));
    if (!cleartext || !cx.label.listener_port) return false;
    for (const Candidate *c : cx.specific) {
        if (in.detected >= 0 && !c->detected_match) continue;
        const Entry &e = kEntries[kFlows[c->flow].entry];
        for (uint16_t i = 0; i < e.secure_count; ++i) {
            const SecurePair &p = kSecurePairs[e.secure_first + i];
            if (in.transport == kTcp && p.secure == cx.label.listener_port && p.plain != p.secure) {
                // Over TCP (TLS needs it), the listener is the documented secure port of a pair (5061 for
                // 5060, 8443 for 8080), and the bytes are cleartext.
                *why = "cleartext " + proto_name(in) + " on " + cx.port + ", which " + kDocuments[e.doc].edition +
                       " documents as the secure counterpart of " + std::to_string(p.plain) + " (" + e.id + ")";
                return true;
            }
            if (p.plain != cx.label.listener_port) continue;
            *why = "cleartext " + proto_name(in) + " on " + cx.port + "; " + kDocuments[e.doc].edition +
                   " documents the secure counterpart " + std::to_string(p.secure) + " (" + kEntries[p.target].id +
                   ", compared with " + e.id + ")";
            return true;
        }
    }
    // Every row that documents the protocol here documents only its secure
    // form: the protocol itself, or a secure protocol carrying it (SIPS, whose
    // Wireshark layers "tls sip" name the cleartext SIP found on 5061).
    bool any = false, all_secure = true;
    const Candidate *first = nullptr;
    std::string plain_name = in.detected >= 0 ? kProtocols[in.detected].wireshark : "";
    plain_name = plain_name.substr(0, plain_name.find(' '));
    for (const Candidate *c : cx.specific) {
        if (in.detected < 0) continue;
        if (!c->detected_match && (plain_name.empty() || entry_protocol_unknown(kEntries[kFlows[c->flow].entry]) ||
                                   !entry_mentions_wireshark_name(kEntries[kFlows[c->flow].entry], plain_name.c_str())))
            continue;
        const Entry &e = kEntries[kFlows[c->flow].entry];
        any = true;
        first = first ? first : c;
        // A row names the cleartext protocol itself (HTTP and HTTPS on one
        // port): the cleartext form is documented. Otherwise it is secure-only
        // when all its protocols are secure, or a secure one carries what the
        // payload shows (IM and Presence 8443 "AXL, HTTPS": AXL over HTTPS).
        bool row_secure = true, all = true, carrier = false;
        for (uint16_t i = 0; i < e.proto_count; ++i) {
            if (kEntryProtocols[e.proto_first + i] == in.detected) row_secure = false;
            const Protocol &p = kProtocols[kEntryProtocols[e.proto_first + i]];
            all = all && p.secure;
            carrier = carrier || (p.secure && !plain_name.empty() && names_contain(p.wireshark, plain_name.c_str()));
        }
        if (!row_secure || !(all || carrier)) all_secure = false;
    }
    if (any && all_secure) {
        *why = "cleartext " + proto_name(in) + " on " + cx.port +
               ", which the guides document only for its secure form (" + describe(*first) + ")";
        return true;
    }
    // Over TCP, the listener is the secure counterpart a guide gives for this
    // protocol's plain port (8443 for HTTP's 8080, CallManager's table 4),
    // and no row here names the cleartext protocol itself: the rows on 8443
    // name HTTPS, AXL/SOAP (over HTTPS) or nothing.
    if (in.transport != kTcp || in.detected < 0 || cx.specific.empty()) return false;
    for (const Candidate *c : cx.specific) {
        const Entry &e = kEntries[kFlows[c->flow].entry];
        for (uint16_t i = 0; i < e.proto_count; ++i)
            if (kEntryProtocols[e.proto_first + i] == in.detected) return false;
    }
    for (size_t k = 0; k < kEntryCount; ++k) {
        const Entry &e = kEntries[k];
        if (!e.secure_count || !entry_has_protocol(e, in.detected)) continue;
        for (uint16_t i = 0; i < e.secure_count; ++i) {
            const SecurePair &p = kSecurePairs[e.secure_first + i];
            if (p.secure != cx.label.listener_port || p.plain == p.secure) continue;
            *why = "cleartext " + proto_name(in) + " on " + cx.port + ", which " + kDocuments[e.doc].edition +
                   " documents as the secure counterpart of " + proto_name(in) + " on " + std::to_string(p.plain) +
                   " (" + e.id + "); no row for this port names cleartext " + proto_name(in);
            return true;
        }
    }
    return false;
}

// not_recommended: a use the guide says Cisco does not recommend. It fires
// when every matching row advises against it, or when a matching row
// advises against Unified CM in that listener role (DNS or DHCP server)
// and the listener is evidenced to be a Unified CM (it listens for SCCP,
// MGCP or H.225 elsewhere in the capture). DNS queries to an ordinary DNS
// server stay quiet: TelePresence and IM and Presence document them plainly.
bool not_recommended(const RuleContext &cx, FlagResult *r, std::string *why) {
    const FlagInput &in = cx.in;
    const Candidate *bad = nullptr, *bad_cucm = nullptr;
    bool plain = false;
    for (const Candidate *c : cx.specific) {
        if (in.detected >= 0 && !c->detected_match) continue;
        const Entry &e = kEntries[kFlows[c->flow].entry];
        if (e.flags & kNotRecommended) {
            bad = bad ? bad : c;
            if (listener_is_unified_cm_role(kFlows[c->flow])) bad_cucm = bad_cucm ? bad_cucm : c;
        } else {
            plain = true;
        }
    }
    const Candidate *which = (bad && !plain) ? bad : (bad_cucm && in.listener_is_unified_cm) ? bad_cucm : nullptr;
    r->not_recommended_pending = bad_cucm && !which;
    if (!which) return false;
    const Entry &e = kEntries[kFlows[which->flow].entry];
    const std::string head = "Cisco does not recommend this use: ";
    const std::string tail = " (" + describe(*which) + ")" +
        (which == bad_cucm && plain ? "; the listener is a Unified CM (it listens for UC signalling in this capture)" : "");
    const size_t room = kReasonMax > head.size() + tail.size() ? kReasonMax - head.size() - tail.size() : 0;
    *why = head + clip_utf8(e.purpose, room) + tail;
    return true;
}

// release_mismatch: documented only for another edition of the preferred product.
bool release_mismatch(const RuleContext &cx, FlagResult *, std::string *why) {
    const FlagInput &in = cx.in;
    if (in.prefs.edition_group < 0 || cx.specific.empty()) return false;
    const char *product = kEditionGroups[in.prefs.edition_group].product;
    bool same_product = false, in_pref = false;
    const Candidate *other = nullptr;
    for (const Candidate *c : cx.specific) {
        const Entry &e = kEntries[kFlows[c->flow].entry];
        if (std::string(e.product) != product) continue;
        same_product = true;
        if (c->preferred) in_pref = true;
        else if (!other) other = c;
    }
    if (!same_product || in_pref || !other) return false;
    *why = cx.port + " is documented for " + kDocuments[kEntries[kFlows[other->flow].entry].doc].edition +
           " but not for the preferred " + kEditionGroups[in.prefs.edition_group].name + " (" + describe(*other) + ")";
    return true;
}

// The flag table: every Flag (vocabulary [flags.NAME]) has its rule here.
struct FlagRule {
    Flag flag;
    Rule rule;
};
constexpr FlagRule kRules[] = {
    {Flag::kUnexpectedPort, unexpected_port}, {Flag::kProtocolMismatch, protocol_mismatch},
    {Flag::kInternalOnly, internal_only},     {Flag::kInsecure, insecure},
    {Flag::kNotRecommended, not_recommended}, {Flag::kReleaseMismatch, release_mismatch},
};
static_assert(sizeof kRules / sizeof kRules[0] == kFlagCount, "every flag in vocabulary.toml needs a rule");
constexpr bool rules_in_flag_order() {
    for (int i = 0; i < kFlagCount; ++i)
        if (flag_index(kRules[i].flag) != i) return false;
    return true;
}
static_assert(rules_in_flag_order(), "kRules must follow the order of the [flags.NAME] sections");

}  // namespace

FlagResult evaluate_flags(const FlagInput &in) {
    FlagResult r;
    // Every flag cites a Cisco guide: none between hosts of which one names
    // another vendor in its own words.
    if (in.other_vendor) return r;
    RuleContext cx{in, *in.label, {}, {}, in.detected >= 0 || in.detected_other != nullptr};
    for (const Candidate &c : cx.label.candidates)
        if (!c.catch_all) cx.specific.push_back(&c);
    cx.port = std::to_string(cx.label.listener_port ? cx.label.listener_port : in.server_port) +
              (in.transport == kTcp ? "/tcp" : "/udp");
    for (const FlagRule &fr : kRules) {
        std::string why;
        if (!fr.rule(cx, &r, &why)) continue;
        r.flags |= flag_bit(fr.flag);
        r.reason[flag_index(fr.flag)] = std::move(why);
    }
    return r;
}

bool label_shows_unified_cm(const Label &label, int detected) {
    if (detected < 0 || !label.listener_port) return false;
    if (std::find(kUnifiedCmEvidence, kUnifiedCmEvidence + kUnifiedCmEvidenceCount, detected) ==
        kUnifiedCmEvidence + kUnifiedCmEvidenceCount)
        return false;
    for (const Candidate &c : label.candidates)
        if (c.detected_match && !c.catch_all && listener_is_unified_cm_role(kFlows[c.flow])) return true;
    return false;
}

}  // namespace ciscouc
