// ciscouc core: the conversation pipeline (see pipeline.h).
#include "pipeline.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <utility>

#include "signatures.h"

namespace ciscouc {

// ---- The site allow-list.

namespace {

bool parse_range(const char *text, uint16_t *lo, uint16_t *hi) {
    if (!text) return false;
    char *end = nullptr;
    errno = 0;
    unsigned long a = std::strtoul(text, &end, 10);
    if (end == text || a > 65535 || errno) return false;
    unsigned long b = a;
    if (*end == '-') {
        const char *p = end + 1;
        b = std::strtoul(p, &end, 10);
        if (end == p || b > 65535 || b < a) return false;
    }
    if (*end != '\0') return false;
    *lo = static_cast<uint16_t>(a);
    *hi = static_cast<uint16_t>(b);
    return true;
}

// One record of a UAT file: fields separated by commas, each a quoted string
// (\xNN escapes, as Wireshark's uat_save writes non-printable bytes: epan/uat.c
// putfld) or a bare token. False on an unterminated quote or a bad escape.
bool uat_fields(const std::string &line, std::vector<std::string> *out) {
    out->clear();
    size_t i = 0;
    for (;;) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        std::string f;
        if (i < line.size() && line[i] == '"') {
            ++i;
            bool closed = false;
            while (i < line.size()) {
                char ch = line[i++];
                if (ch == '"') {
                    closed = true;
                    break;
                }
                if (ch == '\\' && i < line.size()) {
                    char e = line[i++];
                    if (e == 'x' && i + 1 < line.size() + 1 && i + 2 <= line.size()) {
                        char hex[3] = {line[i], line[i + 1], 0};
                        char *end = nullptr;
                        long v = std::strtol(hex, &end, 16);
                        if (end != hex + 2) return false;
                        f += static_cast<char>(v);
                        i += 2;
                    } else {
                        f += e;
                    }
                    continue;
                }
                f += ch;
            }
            if (!closed) return false;
        } else {
            while (i < line.size() && line[i] != ',') f += line[i++];
            while (!f.empty() && (f.back() == ' ' || f.back() == '\t' || f.back() == '\r')) f.pop_back();
        }
        out->push_back(f);
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
        if (i >= line.size()) return true;
        if (line[i] != ',') return false;
        ++i;
    }
}

}  // namespace

std::string AllowList::parse(const char *transport, const char *ports, const char *protocol, AllowRule *out) {
    AllowRule r;
    if (!transport || (std::strcmp(transport, "tcp") != 0 && std::strcmp(transport, "udp") != 0))
        return "Transport must be tcp or udp";
    r.transport = std::strcmp(transport, "tcp") == 0 ? kTcp : kUdp;
    if (!parse_range(ports, &r.lo, &r.hi))
        return std::string("Ports '") + (ports ? ports : "") + "' must be N or N-M (0-65535)";
    r.protocol = protocol ? protocol_by_key(protocol) : -1;
    if (r.protocol < 0)
        return std::string("Unknown protocol '") + (protocol ? protocol : "") +
               "' (use a catalog protocol such as SIP, SCCP, MGCP)";
    *out = r;
    return std::string();
}

bool AllowList::load(const std::string &path, std::string *err) {
    std::ifstream in(path);
    if (!in) {
        *err = path + ": cannot be read: " + std::strerror(errno);
        return false;
    }
    std::vector<AllowRule> rules;
    std::vector<std::string> f;
    std::string line;
    for (unsigned n = 1; std::getline(in, line); ++n) {
        size_t start = line.find_first_not_of(" \t\r");
        if (start == std::string::npos || line[start] == '#') continue;
        const std::string where = path + ":" + std::to_string(n) + ": ";
        if (!uat_fields(line, &f)) {
            *err = where + "not a record of quoted, comma-separated fields";
            return false;
        }
        if (f.size() < 3 || f.size() > 4) {
            *err = where + "expected 3 or 4 fields (transport, ports, protocol, comment), found " +
                   std::to_string(f.size());
            return false;
        }
        AllowRule r;
        std::string why = parse(f[0].c_str(), f[1].c_str(), f[2].c_str(), &r);
        if (!why.empty()) {
            *err = where + why;
            return false;
        }
        rules.push_back(r);
    }
    rules_.insert(rules_.end(), rules.begin(), rules.end());
    return true;
}

bool AllowList::allows(Transport t, unsigned port, int protocol) const {
    if (protocol < 0) return false;
    for (const AllowRule &a : rules_)
        if (a.transport == t && port >= a.lo && port <= a.hi && a.protocol == protocol) return true;
    return false;
}

// ---- The pipeline.

namespace {

void swap_ends(ConvState *c, HostKeys *k) {
    std::swap(c->client_port, c->server_port);
    std::swap(c->client_roles, c->server_roles);
    std::swap(k->client, k->server);
}

const std::string *listener_key(const ConvState &c, const HostKeys &k, uint16_t listener_port) {
    return listener_port == 0 ? nullptr : listener_port == c.server_port ? &k.server : &k.client;
}

}  // namespace

Relabel Pipeline::open(ConvState *c, const HostKeys &k, Transport t, uint16_t client_port, uint16_t server_port,
                       Direction direction, bool same_host, uint32_t frame, MediaSetup media) const {
    // Member by member (an adapter's own fields may live in this struct's tail padding).
    *c = ConvState();
    c->transport = t;
    c->client_port = client_port;
    c->server_port = server_port;
    c->direction = direction;
    c->same_host = same_host;
    c->detected = -1;
    c->media_protocol = media.protocol;
    c->media_frame = media.frame;
    c->first_frame = frame;
    return relabel(c, k, frame);
}

bool Pipeline::begin_inspection(ConvState *c) {
    if (c->inspected >= kInspectPackets && !c->nr_pending) return false;
    if (c->inspected < UINT16_MAX) ++c->inspected;
    return true;
}

bool Pipeline::needs_orientation(const ConvState &c, const Detection &d) {
    return d.any() && c.detected < 0 && !c.detected_other && c.direction != Direction::kHandshake &&
           c.direction != Direction::kPayload;
}

// No handshake: the payload may say which side serves. A SIP status line
// comes from the side that received the request, unless the receiver's port
// is the one the guides document for SIP (a phone's 200 OK to a Unified CM's
// 5060); a TFTP transfer leg is served by the host its requester asked.
// Decided on the conversation's first payload, before its flags.
bool Pipeline::orient(ConvState *c, HostKeys *k, const PayloadSides &s) const {
    static const int sip = protocol_by_key("SIP"), tftp = protocol_by_key("TFTP");
    if (c->detected == sip && s.sip_status) {
        if (port_documents(c->transport, s.dst_port, sip)) return false;
        c->direction = Direction::kPayload;
        if (!s.from_client) return false;
        swap_ends(c, k);
        return true;
    }
    if (c->detected == tftp && c->transport == kUdp && (s.tftp_asked_from_client || s.tftp_asked_from_server)) {
        c->direction = Direction::kPayload;
        if (s.tftp_asked_from_client) return false;
        swap_ends(c, k);
        return true;
    }
    return false;
}

Relabel Pipeline::inspect(ConvState *c, HostKeys *k, Detection d, const PayloadSides *sides, MediaSetup media,
                          uint32_t frame) const {
    if (d.protocol >= 0) d.protocol = remap_protocol(c->transport, d.protocol);
    bool changed = false, swapped = false;
    if (d.any() && c->detected < 0 && !c->detected_other) {
        c->detected = d.protocol;
        c->detected_other = d.other;
        c->payload_frame = frame;
        if (sides && c->direction != Direction::kHandshake && c->direction != Direction::kPayload)
            swapped = orient(c, k, *sides);
        changed = true;
    }
    if (media.protocol >= 0 && c->media_protocol < 0) {
        c->media_protocol = media.protocol;
        c->media_frame = media.frame;
        changed = true;
    }
    if (c->seen.merge(d.seen)) changed = true;
    if (d.tls && !c->tls_seen) c->tls_seen = changed = true;
    if (d.payload && !c->payload_seen) c->payload_seen = changed = true;
    Relabel r;
    if (changed) r = relabel(c, *k, frame);
    r.swapped = swapped;
    return r;
}

Relabel Pipeline::refresh(ConvState *c, const HostKeys &k) const {
    if (c->roles_generation == hosts_.generation()) return Relabel();
    if (hosts_.roles(k.client) != c->client_roles || hosts_.roles(k.server) != c->server_roles)
        return relabel(c, k, c->label_frame);
    c->roles_generation = hosts_.generation();
    return Relabel();
}

Relabel Pipeline::relabel(ConvState *c, const HostKeys &k, uint32_t frame) const {
    Label first = classify(c->transport, c->client_port, c->server_port, c->direction, c->detected, settings_.prefs);
    // The listener of UC signalling documented to a Unified CM is one.
    static const int unified_cm = role_by_key("unified_cm");
    if (const std::string *l = listener_key(*c, k, first.listener_port); l && label_shows_unified_cm(first, c->detected))
        hosts_.add(*l, unified_cm, c->detected, frame);
    c->client_roles = hosts_.roles(k.client);
    c->server_roles = hosts_.roles(k.server);
    c->roles_generation = hosts_.generation();

    EvidenceInput ev;
    ev.transport = c->transport;
    ev.client_port = c->client_port;
    ev.server_port = c->server_port;
    ev.client_roles = c->client_roles;
    ev.server_roles = c->server_roles;
    ev.detected = c->detected;
    ev.detected_other = c->detected_other;
    ev.seen = c->seen;
    ev.payload_seen = c->payload_seen;
    ev.payload_frame = c->payload_frame;
    ev.media_protocol = c->media_protocol;
    ev.media_frame = c->media_frame;
    const ClaimsMode mode = settings_.claims;
    // Assess the rows (evidence.h weigh: reorder, filter, classify signalled
    // media again, bare media); flags are raised on confirmed rows only
    // (unexpected_port reads the payload, not the rows); claims=port is the
    // port table of old: every documented use, and flags from all of them.
    Relabel out;
    out.done = true;
    out.verdict = weigh(std::move(first), c->direction, ev, settings_.prefs, mode);
    const Verdict &v = out.verdict;
    const Label &label = v.label;
    c->claim = v.as.claim;
    c->confirmed_rows = static_cast<uint16_t>(v.confirmed.candidates.size());
    c->label_frame = frame;
    c->listener_port = label.listener_port;
    c->label_direction = label.direction;
    c->shown = (v.bare_media || !label.empty()) && shown(v.as.claim, mode);

    const std::string *listener = listener_key(*c, k, label.listener_port);
    FlagInput in;
    in.transport = c->transport;
    in.client_port = c->client_port;
    in.server_port = c->server_port;
    in.label = &v.flag_label(mode);
    in.detected = c->detected;
    in.detected_other = c->detected_other;
    in.seen = c->seen;
    in.tls_seen = c->tls_seen;
    in.payload_seen = c->payload_seen;
    in.listener_is_unified_cm = listener && (hosts_.roles(*listener) & role_bit(unified_cm));
    in.same_host = c->same_host;
    in.client_roles = c->client_roles;
    in.server_roles = c->server_roles;
    in.other_vendor = no_cisco_guide(c->client_roles, c->server_roles);
    in.prefs = settings_.prefs;
    const AllowList *allow = settings_.allow;
    in.site_allowed = allow && (allow->allows(c->transport, label.listener_port ? label.listener_port : c->server_port,
                                              c->detected) ||
                                (label.direction != Direction::kHandshake &&
                                 allow->allows(c->transport, c->client_port, c->detected)));
    out.result = evaluate_flags(in);
    // Flags follow the evidence: re-evaluated when the payload shows its
    // protocol. A flag keeps the frame where it first held, so its expert
    // info is raised once per conversation.
    uint32_t now = 0;
    for (int b = 0; b < kFlagCount; ++b) {
        Flag f = flag_at(b);
        if (!out.result.has(f) || !settings_.flag_on(f)) continue;
        now |= flag_bit(f);
        if (!c->has_flag(f)) {
            c->flag_frame[b] = frame;
            out.raised |= flag_bit(f);
        }
    }
    c->flags = now;
    c->nr_pending = out.result.not_recommended_pending && settings_.flag_on(Flag::kNotRecommended);
    return out;
}

// ---- RTP before a port's owner.

bool RtpVote::feed(const RtpHeader *h, bool forward, uint32_t frame) {
    if (fed_frame == frame) return true;
    fed_frame = frame;
    return h && (forward ? fwd : rev).feed(*h);
}

RtpBeforeOwner RtpVote::before_owner(const RtpHeader *h, bool forward, uint32_t frame) {
    if (owned == RtpBeforeOwner::kUndecided && fed_frame != frame) {
        if (!feed(h, forward, frame) || ++owned_packets > 2 * RtpRun::kRtpRunNeeded) owned = RtpBeforeOwner::kOwner;
    }
    return settle();
}

RtpBeforeOwner RtpVote::settle() {
    // The RTP heuristic may have confirmed the run on a packet the owner refused.
    if (owned == RtpBeforeOwner::kUndecided && (fwd.confirmed() || rev.confirmed())) owned = RtpBeforeOwner::kRtp;
    if (owned == RtpBeforeOwner::kRtp) confirmed_ = true;
    return owned;
}

bool RtpVote::heuristic(const RtpHeader &h, bool forward, uint32_t frame) {
    feed(&h, forward, frame);
    if (run_confirmed(forward)) confirmed_ = true;
    return confirmed_;
}

bool documented_media_port(uint16_t port) {
    for (uint16_t f : lookup_port(kUdp, port))
        if (entry_has_protocol(kEntries[kFlows[f].entry], kProtocolRtp)) return true;
    return false;
}

int steal_port(Transport t, uint16_t src_port, uint16_t dst_port, const uint8_t *data, size_t len, int after) {
    for (size_t i = static_cast<size_t>(after + 1); i < kStealPortCount; ++i) {
        const StealPort &sp = kStealPorts[i];
        if (sp.transport != t) continue;
        bool on = (dst_port >= sp.lo && dst_port <= sp.hi) || (src_port >= sp.lo && src_port <= sp.hi);
        if (on && match_signature(kSignatures[sp.signature], data, len)) return static_cast<int>(i);
    }
    return -1;
}

}  // namespace ciscouc
