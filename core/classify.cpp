// ciscouc core: conversation classification and its one-line summary.
#include "classify.h"

#include <algorithm>

namespace ciscouc {

const char *direction_text(Direction d) {
    switch (d) {
    case Direction::kHandshake: return "listener from TCP handshake";
    case Direction::kFirstPacket: return "listener from first packet";
    case Direction::kInferred: return "listener inferred: only this port is documented";
    case Direction::kUnknown: return "direction unknown: both ports labelled";
    case Direction::kPayload: return "listener from payload";
    case Direction::kProtocol: return "listener inferred: only this port documents the payload's protocol";
    }
    return "";
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
    if (d == Direction::kHandshake || d == Direction::kPayload) {
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
            label.direction = Direction::kProtocol;
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
    // Catch-all ranges (a platform's ephemeral range) explain it less than
    // such a row does.
    if (!has_specific(label.candidates) && detected >= 0) {
        std::vector<Candidate> ranges = std::move(label.candidates);
        label.candidates.clear();
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
        const bool leg = !label.candidates.empty();
        label.candidates.insert(label.candidates.end(), ranges.begin(), ranges.end());
        if (leg) {
            label.from_transfer = true;
            // The leg's server is known from the handshake or the request it
            // follows (Direction::kPayload); otherwise neither port listens.
            label.listener_port = (d == Direction::kHandshake || d == Direction::kPayload) ? server_port : 0;
        }
    }
    // A protocol the guides document only on ephemeral ports (H.245 between
    // a gateway and Unified CM, on the port an H.225 message announced): the
    // payload's protocol finds the rows no port lookup can.
    if (!has_specific(label.candidates) && detected >= 0 && kProtocols[detected].negotiated) {
        const size_t before = label.candidates.size();
        const uint16_t port = label.listener_port ? label.listener_port : server_port;
        for (size_t i = 0; i < kEphemeralFlowCount; ++i) {
            const Flow &f = kFlows[kEphemeralFlows[i]];
            const Entry &e = kEntries[f.entry];
            if (!(f.transports & t) || !entry_has_protocol(e, detected)) continue;
            Candidate c;
            c.flow = kEphemeralFlows[i];
            c.port = port;
            c.catch_all = false;
            c.preferred = in_group(e, prefs.edition_group);
            c.detected_match = true;
            label.candidates.push_back(c);  // ahead of catch-all ranges after the sort below
        }
        if (label.candidates.size() > before) {
            label.from_ephemeral = true;
            label.listener_port = port;
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
