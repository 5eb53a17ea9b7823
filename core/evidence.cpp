// ciscouc core: evidence levels (see evidence.h).
#include "evidence.h"

#include <algorithm>
#include <numeric>

namespace ciscouc {

const char *claim_text(Claim c) {
    switch (c) {
    case Claim::kConfirmed: return "confirmed";
    case Claim::kPossible: return "possible";
    case Claim::kNone: break;
    }
    return "";
}

namespace {

// Every protocol the row names is one every network runs.
bool generic_row(const Entry &e) {
    if (e.proto_count == 0) return false;
    for (uint16_t i = 0; i < e.proto_count; ++i)
        if (!kProtocols[kEntryProtocols[e.proto_first + i]].generic) return false;
    return true;
}

// The row names the encrypted form of a UC protocol (SIPS, SCCPS, CTIS: secure, not generic).
bool names_secure_uc(const Entry &e) {
    for (uint16_t i = 0; i < e.proto_count; ++i) {
        const Protocol &p = kProtocols[kEntryProtocols[e.proto_first + i]];
        if (p.secure && !p.generic) return true;
    }
    return false;
}

// Can the payload be this row's protocol?
bool compatible(const Entry &e, const EvidenceInput &in) {
    if (entry_protocol_unknown(e)) return true;
    if (in.detected >= 0 && entry_has_protocol(e, in.detected)) return true;
    if (in.detected_other && entry_mentions_wireshark_name(e, in.detected_other)) return true;
    for (size_t p = 0; p < kProtocolCount; ++p)
        if (in.seen.has(static_cast<int>(p)) && entry_has_protocol(e, static_cast<int>(p))) return true;
    return false;
}

using Side = RoleFit;
Side side(RoleSet documented, RoleSet host) { return role_fit(documented, host); }

bool cisco_host(RoleSet r) { return (r & kCiscoVendor) || ((r & kCiscoRoles) && !(r & kOtherVendor)); }

// Not a Cisco conversation: an end names another vendor than Cisco in its
// own words and the other end shows nothing of Cisco (an Asterisk and a
// Yealink phone; a Linphone and a registrar that named no vendor).
bool other_vendor_end(const EvidenceInput &in) {
    auto other = [](RoleSet r) { return (r & kOtherVendor) != 0; };
    return (other(in.client_roles) && !cisco_host(in.server_roles)) ||
           (other(in.server_roles) && !cisco_host(in.client_roles));
}

struct Ends {
    RoleSet sender, listener;
};

// The hosts at the row's sender and listener ends. The row matched the
// conversation at c.port: that host listens, unless the flow documents the
// port on its sender side (by_src).
Ends ends_of(const Candidate &c, const EvidenceInput &in) {
    bool at_server = c.port == in.server_port;
    RoleSet at_port = at_server ? in.server_roles : in.client_roles;
    RoleSet other = at_server ? in.client_roles : in.server_roles;
    if (kFlows[c.flow].by_src) return Ends{at_port, other};
    return Ends{other, at_port};
}

RowEvidence judge(const Candidate &c, const EvidenceInput &in, bool transfer_leg) {
    static const int rtp = protocol_by_key("RTP");
    RowEvidence r;
    const Flow &f = kFlows[c.flow];
    const Entry &e = kEntries[f.entry];
    // Both ends agree: each matches, or names a role any host may fill; at
    // least one matches. Or the listener is the documented device and the
    // sender has shown no role where the row's sender may be a host with no
    // role (a phone asking a Unified CM for DHCP; not a "Unified CM" sender:
    // a host with no role is not one). A sender's role alone says nothing
    // about a listener that showed none.
    auto agrees = [](Side x) { return x == Side::kMatch || x == Side::kNeutral; };
    auto match = [&](RoleSet sender, RoleSet listener, uint8_t *matched) {
        Side s = side(f.from_roles, sender), l = side(f.to_roles, listener);
        *matched = static_cast<uint8_t>((s == Side::kMatch) + (l == Side::kMatch));
        return ((s == Side::kMatch || l == Side::kMatch) && agrees(s) && agrees(l)) ||
               (l == Side::kMatch && s == Side::kUnknown && unknown_fits(f.from_roles));
    };
    Ends ends = ends_of(c, in);
    r.roles_match = match(ends.sender, ends.listener, &r.roles_matched);
    // A transfer leg ("69, then ephemeral") runs between two ephemeral
    // ports: either host may be the row's listener.
    if (transfer_leg && !r.roles_match) r.roles_match = match(ends.listener, ends.sender, &r.roles_matched);
    if (!r.roles_match) r.roles_matched = 0;
    bool recognised = in.detected >= 0 || in.detected_other;
    r.contradicted = recognised && !compatible(e, in);
    // An end names another vendor than Cisco in its own words (an Asterisk,
    // a Yealink phone): no Cisco purpose when the other end shows nothing of
    // Cisco, or the row names a Cisco product at that end.
    // With the other end Cisco's (a Yealink phone on a Unified CM), only a
    // row whose roles fit both hosts stands: not the payload alone.
    if (other_vendor_end(in) || side(f.from_roles, ends.sender) == Side::kForeign ||
        side(f.to_roles, ends.listener) == Side::kForeign)
        return r;
    if (((in.client_roles | in.server_roles) & kOtherVendor) && !r.roles_match) return r;

    // Media that signalling set up: rows documenting RTP, and the platform
    // ranges that name no protocol (a gateway's 8000-48200 is its media range).
    if (in.media_protocol >= 0 && (entry_has_protocol(e, rtp) || (c.catch_all && entry_protocol_unknown(e)))) {
        r.claim = Claim::kConfirmed;
        r.basis = Basis::kMedia;
        return r;
    }
    if (in.detected >= 0 && kProtocols[in.detected].confirms && c.detected_match) {
        r.claim = Claim::kConfirmed;
        r.basis = Basis::kPayload;
        return r;
    }
    if (!in.payload_seen) return r;
    if (r.contradicted) {
        // UC devices in the documented roles talking something else: the row
        // says what the port is for, the payload that it carries another
        // protocol (protocol_mismatch). Between other hosts: no label.
        if (r.roles_match && !c.catch_all) {
            r.claim = Claim::kConfirmed;
            r.basis = Basis::kHostRoles;
        }
        return r;
    }
    if (c.catch_all) {
        // A wide platform range documents no particular service: only the
        // payload's own protocol confirms it, together with the hosts' roles.
        if (r.roles_match && c.detected_match) {
            r.claim = Claim::kConfirmed;
            r.basis = Basis::kHostRoles;
        }
        return r;
    }
    if (r.roles_match) {
        r.claim = Claim::kConfirmed;
        r.basis = Basis::kHostRoles;
        return r;
    }
    if (generic_row(e) && !in.client_roles && !in.server_roles) return r;
    // A Cisco meaning that rides on a protocol every network runs (AXL/SOAP
    // on HTTP, COP file install or UDS on TLS, Control Center on HTTP/2, RIS):
    // the payload is just that carrier; without a UC role at either end the
    // row is not even possible.
    const RoleSet role_bits = (in.client_roles | in.server_roles) & ~(kOtherVendor | kCiscoVendor);
    // A row naming the TLS form of a UC protocol (SIPS, SCCPS, CTIS) is what
    // an encrypted payload there may be: it stays possible.
    const bool carrier = in.detected_other || (in.detected >= 0 && kProtocols[in.detected].generic);
    if (carrier && !role_bits && !names_secure_uc(e)) return r;
    r.claim = Claim::kPossible;
    return r;
}

std::string roles_text(const Flow &f) { return std::string(f.from) + " -> " + f.to; }

}  // namespace

Assessment assess(Label *label, const EvidenceInput &in, ClaimsMode mode) {
    Assessment a;
    std::vector<RowEvidence> rows;
    rows.reserve(label->candidates.size());
    for (const Candidate &c : label->candidates) rows.push_back(judge(c, in, label->from_transfer));
    std::vector<size_t> order(rows.size());
    std::iota(order.begin(), order.end(), size_t(0));
    // Port mode is the port table: the classifier's order, every row.
    if (mode != ClaimsMode::kPort) std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
        if (rows[x].claim != rows[y].claim) return rows[x].claim > rows[y].claim;
        // Catch-all ranges stay last, as the classifier ordered them.
        const bool cx = label->candidates[x].catch_all, cy = label->candidates[y].catch_all;
        if (cx != cy) return cy;
        // Rows whose roles match first; both ends shown before one end and
        // a role any host may fill (Browser, ANY).
        return rows[x].roles_matched > rows[y].roles_matched;
    });
    std::vector<Candidate> kept;
    kept.reserve(order.size());
    for (size_t i : order) {
        if (rows[i].claim == Claim::kNone && mode != ClaimsMode::kPort) continue;
        kept.push_back(label->candidates[i]);
        a.rows.push_back(rows[i]);
    }
    label->candidates = std::move(kept);
    if (!a.rows.empty()) {
        a.claim = a.rows.front().claim;
        a.basis = a.rows.front().basis;
        a.roles_contradicted = a.rows.front().claim == Claim::kConfirmed && a.rows.front().contradicted;
    }
    return a;
}

std::string media_text(const EvidenceInput &in) {
    if (in.media_protocol < 0) return std::string();
    return "RTP media set up by " + std::string(kProtocols[in.media_protocol].key) +
           (in.media_frame ? " in frame " + std::to_string(in.media_frame) : std::string());
}

std::string evidence_text(const Candidate &c, const RowEvidence &r, const EvidenceInput &in) {
    const Flow &f = kFlows[c.flow];
    auto frame = [](uint32_t n) { return n ? " in frame " + std::to_string(n) : std::string(); };
    switch (r.claim) {
    case Claim::kConfirmed:
        switch (r.basis) {
        case Basis::kPayload:
            return std::string(kProtocols[in.detected].key) + " payload" + frame(in.payload_frame);
        case Basis::kMedia:
            return media_text(in);
        case Basis::kHostRoles: {
            std::string s = "roles: " + roles_text(f);
            if (r.contradicted)
                s += "; the payload is " +
                     std::string(in.detected >= 0 ? kProtocols[in.detected].key : in.detected_other) + " instead";
            return s;
        }
        case Basis::kNone: break;
        }
        break;
    case Claim::kPossible:
        return "documented for " + roles_text(f) +
               ((in.client_roles || in.server_roles)
                    ? "; the hosts' roles (" + role_names(in.client_roles | in.server_roles) + ") do not show it"
                    : "; no evidence yet that either host is a Cisco UC device");
    case Claim::kNone: break;
    }
    return "port only: no evidence in the capture";
}

bool no_cisco_guide(RoleSet client_roles, RoleSet server_roles) {
    EvidenceInput in;
    in.client_roles = client_roles;
    in.server_roles = server_roles;
    return other_vendor_end(in) || (server_roles & kOtherVendor);
}

const char kOtherVendorText[] = "an end names another vendor than Cisco: no Cisco purpose";

Verdict weigh(Label label, Direction direction, const EvidenceInput &in, const Prefs &prefs, ClaimsMode mode) {
    Verdict v;
    v.label = std::move(label);
    v.as = assess(&v.label, in, mode);
    if (v.label.empty() && in.media_protocol >= 0 && direction != Direction::kUnknown) {
        v.label = classify(in.transport, in.client_port, in.server_port, Direction::kUnknown, in.detected, prefs);
        v.as = assess(&v.label, in, mode);
    }
    v.bare_media = v.label.empty() && in.media_protocol >= 0;
    if (v.bare_media) {
        v.as.claim = Claim::kConfirmed;
        v.as.basis = Basis::kMedia;
    }
    v.detail = v.bare_media         ? media_text(in)
               : v.as.rows.empty() ? (other_vendor_end(in) ? kOtherVendorText : std::string())
                                   : evidence_text(v.label.candidates.front(), v.as.rows.front(), in);
    if (v.as.basis == Basis::kMedia) v.media = media_text(in);
    v.confirmed = v.label;
    v.confirmed.candidates.clear();
    for (size_t i = 0; i < v.as.rows.size(); ++i)
        if (v.as.rows[i].claim == Claim::kConfirmed) v.confirmed.candidates.push_back(v.label.candidates[i]);
    return v;
}

}  // namespace ciscouc
