// ciscouc core: conversation classification and flag rules.
#include "classify.h"

#include <algorithm>

namespace ciscouc {

const char *direction_text(Direction d) {
    switch (d) {
    case Direction::kHandshake: return "listener from TCP handshake";
    case Direction::kFirstPacket: return "listener from first packet";
    case Direction::kInferred: return "listener inferred: only this port is documented";
    case Direction::kUnknown: return "direction unknown: both ports labelled";
    }
    return "";
}

const char *flag_name(int bit) {
    static const char *const names[kFlagCount] = {
        "unexpected_port", "protocol_mismatch", "internal_only", "insecure", "not_recommended", "release_mismatch",
    };
    return bit >= 0 && bit < kFlagCount ? names[bit] : "";
}

std::string flag_list(uint32_t flags) {
    std::string s;
    for (int b = 0; b < kFlagCount; ++b)
        if (flags & (1u << b)) s += (s.empty() ? "" : ",") + std::string(flag_name(b));
    return s;
}

namespace {

const Entry &entry_of(uint16_t flow) { return kEntries[kFlows[flow].entry]; }

bool in_group(const Entry &e, int group) {
    return group >= 0 && kDocuments[e.doc].group == group;
}

void collect(Transport t, uint16_t port, int detected, const Prefs &prefs, std::vector<Candidate> *out) {
    for (uint16_t f : lookup_port(t, port)) {
        const Entry &e = entry_of(f);
        Candidate c;
        c.flow = f;
        c.port = port;
        c.catch_all = (e.flags & kCatchAll) != 0;
        c.preferred = in_group(e, prefs.edition_group);
        c.detected_match = detected >= 0 && entry_has_protocol(e, detected);
        out->push_back(c);
    }
}

bool has_specific(const std::vector<Candidate> &v) {
    return std::any_of(v.begin(), v.end(), [](const Candidate &c) { return !c.catch_all; });
}

}  // namespace

Label classify(Transport t, uint16_t client_port, uint16_t server_port, Direction d, int detected,
               const Prefs &prefs) {
    Label label;
    label.direction = d;
    std::vector<Candidate> srv, cli;
    collect(t, server_port, detected, prefs, &srv);
    if (d == Direction::kHandshake) {
        label.listener_port = server_port;
        label.candidates = std::move(srv);
    } else {
        if (client_port != server_port) collect(t, client_port, detected, prefs, &cli);
        bool s = has_specific(srv), c = has_specific(cli);
        // The payload decides when only one side documents the protocol it
        // shows and the other side is ephemeral (>= 32768, the guides' range)
        // or documents something else: a SIP 403 from 5060 opening the
        // capture; a DNS reply from 53 to a port inside the RTP range. SIP
        // from 5060 to 6000 keeps 6000 as the listener.
        auto matches = [](const std::vector<Candidate> &v) {
            return std::any_of(v.begin(), v.end(), [](const Candidate &x) { return x.detected_match && !x.catch_all; });
        };
        bool evidence_client = detected >= 0 && matches(cli) && !matches(srv) && (s || server_port >= 32768);
        // UDP: trust the first packet, unless it plainly answers from a
        // well-known port (SNMP 161 -> 50123 seen before the request).
        bool reply = evidence_client ||
                     (d == Direction::kFirstPacket && client_port < 1024 && server_port >= 1024 && c && !s);
        if (evidence_client) {
            label.direction = Direction::kInferred;
            label.listener_port = client_port;
            label.candidates = std::move(cli);
        } else if (d == Direction::kFirstPacket && !reply) {
            label.listener_port = server_port;
            label.candidates = std::move(srv);
        } else if (s && c) {
            label.direction = Direction::kUnknown;
            label.candidates = std::move(srv);
            label.candidates.insert(label.candidates.end(), cli.begin(), cli.end());
        } else if (c || (!s && srv.empty() && !cli.empty())) {
            label.direction = Direction::kInferred;
            label.listener_port = client_port;
            label.candidates = std::move(cli);
        } else {
            label.direction = Direction::kInferred;
            label.listener_port = server_port;
            label.candidates = std::move(srv);
        }
    }
    // A transfer leg between two ephemeral ports ("69, then ephemeral"):
    // rows documenting the detected protocol with then_ephemeral explain it.
    if (label.candidates.empty() && detected >= 0) {
        for (size_t f = 0; f < kFlowCount; ++f) {
            const Entry &e = kEntries[kFlows[f].entry];
            if (!(e.flags & kThenEphemeral) || !(kFlows[f].transports & t) || !entry_has_protocol(e, detected))
                continue;
            Candidate c;
            c.flow = static_cast<uint16_t>(f);
            c.port = server_port;
            c.catch_all = false;
            c.preferred = in_group(e, prefs.edition_group);
            c.detected_match = true;
            label.candidates.push_back(c);
        }
        if (!label.candidates.empty()) {
            label.from_transfer = true;
            label.listener_port = 0;
        }
    }
    // Evidence order: specific before catch-all, then the protocol seen in the
    // payload, then the preferred edition, then the generator's order (exact
    // ports before ranges, newer editions first).
    std::stable_sort(label.candidates.begin(), label.candidates.end(),
                     [](const Candidate &a, const Candidate &b) {
                         if (a.catch_all != b.catch_all) return !a.catch_all;
                         if (a.detected_match != b.detected_match) return a.detected_match;
                         return a.preferred && !b.preferred;
                     });
    if (prefs.only_preferred && prefs.edition_group >= 0) {
        bool any = std::any_of(label.candidates.begin(), label.candidates.end(),
                               [](const Candidate &c) { return c.preferred && !c.catch_all; });
        if (any)
            label.candidates.erase(std::remove_if(label.candidates.begin(), label.candidates.end(),
                                                  [](const Candidate &c) { return !c.preferred; }),
                                   label.candidates.end());
    }
    return label;
}

namespace {

std::string describe(const Candidate &c) {
    const Flow &f = kFlows[c.flow];
    const Entry &e = kEntries[f.entry];
    return std::string(e.id) + " (" + kDocuments[e.doc].edition + ", table " + e.table + " row " +
           std::to_string(e.row) + ": " + f.from + " -> " + f.to + ")";
}

std::string proto_name(const FlagInput &in) {
    if (in.detected >= 0) return kProtocols[in.detected].key;
    return in.detected_other ? in.detected_other : "";
}

}  // namespace

FlagResult evaluate_flags(const FlagInput &in) {
    FlagResult r;
    const Label &label = *in.label;
    std::vector<const Candidate *> specific;
    for (const Candidate &c : label.candidates)
        if (!c.catch_all) specific.push_back(&c);
    const std::string port = std::to_string(label.listener_port ? label.listener_port : in.server_port) +
                             (in.transport == kTcp ? "/tcp" : "/udp");
    bool detected_any = in.detected >= 0 || in.detected_other != nullptr;

    // unexpected_port: a UC signalling protocol where no specific row documents it.
    if (in.detected >= 0 && kProtocols[in.detected].uc && !in.site_allowed) {
        bool documented = false;
        // A specific row documents the protocol, or names none the payload
        // could contradict (IM and Presence 5070 "used on a call
        // configuration"): either way the port is explained.
        auto check_port = [&](uint16_t p) {
            for (uint16_t f : lookup_port(in.transport, p)) {
                const Entry &e = kEntries[kFlows[f].entry];
                if (!(e.flags & kCatchAll) && (entry_has_protocol(e, in.detected) || entry_protocol_unknown(e)))
                    documented = true;
            }
        };
        if (label.from_transfer) documented = true;
        check_port(in.server_port);
        if (label.direction == Direction::kUnknown || label.direction == Direction::kInferred)
            check_port(in.client_port);
        if (!documented) {
            r.flags |= kFlagUnexpectedPort;
            std::string compared;
            for (const Candidate *c : specific) compared += (compared.empty() ? "" : "; ") + describe(*c);
            r.reason[0] = std::string(kProtocols[in.detected].key) + " on " + port +
                          ": no guide documents " + kProtocols[in.detected].key + " on this port and transport" +
                          (compared.empty() ? " (the port is not in the catalog)"
                                            : " (rows compared: " + compared + ")") +
                          (label.candidates.size() > specific.size() ? "; catch-all ranges do not count" : "");
        }
    }

    // protocol_mismatch: a documented port carrying a recognisably different protocol.
    if (detected_any && !specific.empty()) {
        bool compatible = false, comparable = false;
        for (const Candidate *c : specific) {
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
        if (comparable && !compatible && !r.flags) {
            r.flags |= kFlagProtocolMismatch;
            std::string expected;
            for (const Candidate *c : specific) {
                const Entry &e = kEntries[kFlows[c->flow].entry];
                for (uint16_t i = 0; i < e.proto_count; ++i) {
                    std::string k = kProtocols[kEntryProtocols[e.proto_first + i]].key;
                    if (expected.find(k) == std::string::npos) expected += (expected.empty() ? "" : ", ") + k;
                }
            }
            r.reason[1] = proto_name(in) + " on " + port + ", where the guides document " + expected +
                          " (first row: " + describe(*specific.front()) + ")";
        }
    }

    // internal_only: between two hosts on a port every matching row keeps local.
    if (!in.same_host && !specific.empty()) {
        bool all_internal = std::all_of(specific.begin(), specific.end(), [](const Candidate *c) {
            return (kEntries[kFlows[c->flow].entry].flags & (kLocalhostOnly | kInternal)) != 0;
        });
        if (all_internal) {
            r.flags |= kFlagInternalOnly;
            const Entry &e = kEntries[kFlows[specific.front()->flow].entry];
            r.reason[2] = "traffic between two hosts on " + port + ", which the guides call " +
                          ((e.flags & kLocalhostOnly) ? "localhost-only" : "internal") + " (" +
                          describe(*specific.front()) + "); no row documents it across hosts";
        }
    }

    // insecure: a cleartext payload where a secure counterpart is documented,
    // or on a port documented only for the secure variant. It needs a payload
    // (a SYN scan is not cleartext), none that is encrypted, and no later TLS
    // (STARTTLS upgrades a cleartext start).
    // Protocols Wireshark cannot decode (CTI/QBE on 2748) count as cleartext
    // when a payload was seen and it was not TLS.
    bool cleartext = !in.tls_seen && ((in.detected >= 0 && !kProtocols[in.detected].secure) ||
                                      (in.detected < 0 && !in.detected_other && in.payload_seen));
    if (cleartext && label.listener_port) {
        for (const Candidate *c : specific) {
            if (in.detected >= 0 && !c->detected_match) continue;
            const Entry &e = kEntries[kFlows[c->flow].entry];
            for (uint16_t i = 0; i < e.secure_count; ++i) {
                const SecurePair &p = kSecurePairs[e.secure_first + i];
                if (p.plain != label.listener_port) continue;
                r.flags |= kFlagInsecure;
                r.reason[3] = "cleartext " + proto_name(in) + " on " + port + "; " + kDocuments[e.doc].edition +
                              " documents the secure counterpart " + std::to_string(p.secure) + " (" +
                              kEntries[p.target].id + ", compared with " + e.id + ")";
                break;
            }
            if (r.flags & kFlagInsecure) break;
        }
        if (!(r.flags & kFlagInsecure)) {
            // Every row that documents the protocol here documents only its secure form.
            bool any = false, all_secure = true;
            const Candidate *first = nullptr;
            for (const Candidate *c : specific) {
                if (in.detected < 0 || !c->detected_match) continue;
                const Entry &e = kEntries[kFlows[c->flow].entry];
                any = true;
                first = first ? first : c;
                for (uint16_t i = 0; i < e.proto_count; ++i)
                    if (!kProtocols[kEntryProtocols[e.proto_first + i]].secure) all_secure = false;
            }
            if (any && all_secure) {
                r.flags |= kFlagInsecure;
                r.reason[3] = "cleartext " + proto_name(in) + " on " + port +
                              ", which the guides document only for its secure form (" + describe(*first) + ")";
            }
        }
    }

    // not_recommended: a use the guide says Cisco does not recommend. It fires
    // when every matching row advises against it, or when a matching row
    // advises against Unified CM in that listener role (DNS or DHCP server)
    // and the listener is evidenced to be a Unified CM (it listens for SCCP,
    // MGCP or H.225 elsewhere in the capture). DNS queries to an ordinary DNS
    // server stay quiet: TelePresence and IM and Presence document them plainly.
    {
        const Candidate *bad = nullptr, *bad_cucm = nullptr;
        bool plain = false;
        for (const Candidate *c : specific) {
            if (in.detected >= 0 && !c->detected_match) continue;
            const Entry &e = kEntries[kFlows[c->flow].entry];
            if (e.flags & kNotRecommended) {
                bad = bad ? bad : c;
                if (std::string(kFlows[c->flow].to).rfind("Unified CM", 0) == 0) bad_cucm = bad_cucm ? bad_cucm : c;
            } else {
                plain = true;
            }
        }
        const Candidate *why = (bad && !plain) ? bad : (bad_cucm && in.listener_is_unified_cm) ? bad_cucm : nullptr;
        if (why) {
            const Entry &e = kEntries[kFlows[why->flow].entry];
            r.flags |= kFlagNotRecommended;
            r.reason[4] = "Cisco does not recommend this use: " + std::string(e.purpose) + " (" + describe(*why) + ")" +
                          (why == bad_cucm && plain ? "; the listener is a Unified CM (it listens for UC signalling in this capture)" : "");
        }
        r.not_recommended_pending = bad_cucm && !why;
    }

    // release_mismatch: documented only for another edition of the preferred product.
    if (in.prefs.edition_group >= 0 && !specific.empty()) {
        const char *product = kEditionGroups[in.prefs.edition_group].product;
        bool same_product = false, in_pref = false;
        const Candidate *other = nullptr;
        for (const Candidate *c : specific) {
            const Entry &e = kEntries[kFlows[c->flow].entry];
            if (std::string(e.product) != product) continue;
            same_product = true;
            if (c->preferred) in_pref = true;
            else if (!other) other = c;
        }
        if (same_product && !in_pref && other) {
            r.flags |= kFlagReleaseMismatch;
            r.reason[5] = port + " is documented for " + kDocuments[kEntries[kFlows[other->flow].entry].doc].edition +
                          " but not for the preferred " + kEditionGroups[in.prefs.edition_group].name + " (" +
                          describe(*other) + ")";
        }
    }
    return r;
}

bool label_shows_unified_cm(const Label &label, int detected) {
    if (detected < 0 || !label.listener_port) return false;
    const std::string key = kProtocols[detected].key;
    if (key != "SCCP" && key != "MGCP" && key != "H.225" && key != "RAS") return false;
    for (const Candidate &c : label.candidates)
        if (c.detected_match && !c.catch_all && std::string(kFlows[c.flow].to).rfind("Unified CM", 0) == 0)
            return true;
    return false;
}

std::string summarize(const Label &label, bool original_language, const char *purpose) {
    if (label.candidates.empty()) return std::string();
    const Candidate &c = label.candidates.front();
    const Entry &e = kEntries[kFlows[c.flow].entry];
    // "2000: Skinny Client Control Protocol (SCCP) [cucm-ja.t6.r5 +7]": the
    // port, the first use's short purpose, its catalog entry and how many
    // other uses the port has. Short, because tshark writes it on every packet.
    std::string out = (label.from_transfer ? std::string("transfer leg after ") + kFlows[c.flow].ports
                                           : std::to_string(c.port)) +
                      ": " + (purpose ? purpose : original_language ? e.purpose_original_short : e.purpose_short) +
                      " [" + e.id;
    if (label.candidates.size() > 1) out += " +" + std::to_string(label.candidates.size() - 1);
    if (c.catch_all) out += ", catch-all range";
    return out + "]";
}

}  // namespace ciscouc
