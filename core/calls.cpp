// ciscouc core: calls (see calls.h).
#include "calls.h"
#include "text.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstring>

#include "evidence.h"
#include "rtp.h"
#include "tables.h"  // the titles; generated plugin_tables.h: CallColumn, MediaColumn, DiagColumn

namespace ciscouc {

bool NetAddr::operator==(const NetAddr &o) const {
    return family == o.family && std::memcmp(bytes, o.bytes, family == 6 ? 16 : 4) == 0;
}

std::string NetAddr::text() const {
    char buf[INET6_ADDRSTRLEN] = "";
    if (family == 4) inet_ntop(AF_INET, bytes, buf, sizeof buf);
    else if (family == 6) inet_ntop(AF_INET6, bytes, buf, sizeof buf);
    return buf;
}

std::string NetEndpoint::text() const {
    return (addr.family == 6 ? "[" + addr.text() + "]" : addr.text()) + ":" + std::to_string(port);
}

namespace {

constexpr size_t kMaxLines = 256;

std::string key_of(const NetAddr &a, uint16_t port) {
    std::string k(reinterpret_cast<const char *>(a.bytes), a.family == 6 ? 16 : 4);
    k += static_cast<char>(port >> 8);
    k += static_cast<char>(port & 0xff);
    return k;
}

// "Name: value" (case-insensitive name, RFC 3261 section 7.3.1), also the compact form.
bool header(std::string_view line, const char *name, const char *compact, std::string_view *value) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view n = trim(line.substr(0, colon));
    auto same = [&](const char *want) {
        if (!want || n.size() != std::strlen(want)) return false;
        for (size_t i = 0; i < n.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(n[i])) != std::tolower(static_cast<unsigned char>(want[i])))
                return false;
        return true;
    };
    if (!same(name) && !same(compact)) return false;
    *value = trim(line.substr(colon + 1));
    return true;
}

// From/To (RFC 3261 section 20.20): display name and the URI's user part.
void party(std::string_view v, std::string *user, std::string *name) {
    size_t lt = v.find('<');
    if (lt != std::string_view::npos) {
        std::string_view d = trim(v.substr(0, lt));
        if (d.size() >= 2 && d.front() == '"' && d.back() == '"') d = d.substr(1, d.size() - 2);
        *name = std::string(d);
        v = v.substr(lt + 1);
    }
    size_t colon = v.find(':');
    if (colon == std::string_view::npos) return;
    v = v.substr(colon + 1);
    size_t at = v.find('@');
    size_t stop = v.find_first_of(">;");
    if (at != std::string_view::npos && (stop == std::string_view::npos || at < stop)) *user = std::string(v.substr(0, at));
}

bool parse_addr(std::string_view family, std::string_view text, NetAddr *out) {
    char buf[64];
    size_t slash = text.find('/');
    if (slash != std::string_view::npos) text = text.substr(0, slash);
    if (text.empty() || text.size() >= sizeof buf) return false;
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    if (family == "IP4" && inet_pton(AF_INET, buf, out->bytes) == 1) return out->family = 4, true;
    if (family == "IP6" && inet_pton(AF_INET6, buf, out->bytes) == 1) return out->family = 6, true;
    return false;
}

unsigned to_uint(std::string_view s) {
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '9' || v > 100000000) break;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v;
}

uint32_t le32(const uint8_t *p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }

// RFC 3551 section 6 table 4: static payload types' encodings and clock rates.
struct StaticPt {
    uint8_t pt;
    const char *name;
    unsigned rate;
};
const StaticPt kStaticPts[] = {{0, "PCMU", 8000},   {3, "GSM", 8000},    {4, "G723", 8000},  {5, "DVI4", 8000},
                               {6, "DVI4", 16000},  {7, "LPC", 8000},    {8, "PCMA", 8000},  {9, "G722", 8000},
                               {10, "L16", 44100},  {11, "L16", 44100},  {12, "QCELP", 8000}, {13, "CN", 8000},
                               {14, "MPA", 90000},  {15, "G728", 8000},  {16, "DVI4", 11025}, {17, "DVI4", 22050},
                               {18, "G729", 8000},  {25, "CelB", 90000}, {26, "JPEG", 90000}, {28, "nv", 90000},
                               {31, "H261", 90000}, {32, "MPV", 90000},  {33, "MP2T", 90000}, {34, "H263", 90000}};
const StaticPt *static_pt(unsigned pt) {
    for (const StaticPt &s : kStaticPts)
        if (s.pt == pt) return &s;
    return nullptr;
}

std::string codec_name(const std::map<int, std::string> &rtpmap, int pt) {
    auto it = rtpmap.find(pt);
    if (it != rtpmap.end()) return it->second.substr(0, it->second.find('/'));
    const StaticPt *s = static_pt(static_cast<unsigned>(pt));
    return s ? s->name : "PT " + std::to_string(pt);
}

// The clock of a packet's payload type, as Wireshark's RTP analysis takes it
// (ui/tap-rtp-analysis.c: static types from the RFC 3551 table, dynamic
// types from the SDP's rtpmap; telephone-event (RFC 4733 section 2.2.1,
// timestamps do not advance) and unknown types: 0, no jitter).
unsigned clock_rate(const std::map<int, std::string> &rtpmap, unsigned pt) {
    if (pt < 96) {
        const StaticPt *s = static_pt(pt);
        return s ? s->rate : 0;
    }
    auto it = rtpmap.find(static_cast<int>(pt));
    if (it == rtpmap.end()) return 0;
    if (it->second.compare(0, 15, "telephone-event") == 0) return 0;
    size_t slash = it->second.find('/');
    return slash == std::string::npos ? 0 : to_uint(std::string_view(it->second).substr(slash + 1));
}

// SCCP call states (packet-skinny.c DCallState).
const char *sccp_state(uint32_t s) {
    static const char *const names[] = {"",     "OffHook",    "OnHook",       "RingOut",  "RingIn",
                                        "Connected", "Busy",  "Congestion",   "Hold",     "CallWaiting",
                                        "CallTransfer", "CallPark", "Proceed", "CallRemoteMultiline", "InvalidNumber"};
    return s < sizeof names / sizeof names[0] ? names[s] : "";
}

std::string frames_text(const std::vector<uint32_t> &f) {
    std::string s;
    for (size_t i = 0; i < f.size() && i < 8; ++i) s += (i ? "," : "") + std::to_string(f[i]);
    if (f.size() > 8) s += ",...";
    return s;
}

int protocol(const char *key) { return protocol_by_key(key); }

}  // namespace

int expected_flow(Transport t, uint16_t from_port, uint16_t to_port, int proto, RoleSet from_roles, RoleSet to_roles,
                  const Prefs &prefs) {
    Label l = classify(t, from_port, to_port, Direction::kFirstPacket, proto, prefs);
    EvidenceInput in;
    in.transport = t;
    in.client_port = from_port;
    in.server_port = to_port;
    in.client_roles = from_roles;
    in.server_roles = to_roles;
    in.detected = proto == kProtocolRtp ? -1 : proto;
    if (proto == kProtocolRtp) in.media_protocol = protocol("SIP");
    in.payload_seen = proto != kProtocolRtp;
    Verdict v = weigh(std::move(l), Direction::kFirstPacket, in, prefs, ClaimsMode::kPossible);
    // The row documenting the protocol whose sender and listener are the
    // hosts' roles; then one role matching; then the first such row.
    int best = -1, best_score = -1;
    for (const Candidate &c : v.label.candidates) {
        const Flow &f = kFlows[c.flow];
        if (!entry_has_protocol(kEntries[f.entry], proto)) continue;
        auto fits = [](uint32_t documented, RoleSet shown) {
            return shown && (documented & kAnyHost ? false : (documented & shown) != 0);
        };
        // A sender that showed no role (a phone that only sent RTP) is taken
        // to be of the listener's kind: call media runs between endpoints.
        const int score = (fits(f.from_roles, from_roles) ? 4 : 0) + (fits(f.to_roles, to_roles) ? 4 : 0) +
                          (!from_roles && fits(f.from_roles, to_roles) ? 2 : 0) + (c.catch_all ? 0 : 1);
        if (score > best_score) best = c.flow, best_score = score;
    }
    if (best >= 0) return best;
    return v.label.candidates.empty() ? -1 : v.label.candidates[0].flow;
}

std::string flow_text(int flow) {
    if (flow < 0) return "";
    const Flow &f = kFlows[flow];
    const char *tr = (f.transports & kTcp) && (f.transports & kUdp) ? "tcp+udp" : (f.transports & kTcp) ? "tcp" : "udp";
    return std::string(f.from) + " -> " + f.to + " " + f.ports + "/" + tr + " (" + kEntries[f.entry].id + ")";
}

void CallTable::clear() { *this = CallTable(); }

bool CallTable::EndpointKey::operator==(const EndpointKey &o) const { return std::memcmp(b, o.b, sizeof b) == 0; }
bool CallTable::StreamKey::operator==(const StreamKey &o) const { return std::memcmp(b, o.b, sizeof b) == 0; }

namespace {
// Eight bytes at a time (a multiply-xorshift mix): a per-packet lookup.
size_t fnv(const uint8_t *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        std::memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    for (; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
    return static_cast<size_t>(h ^ (h >> 32));
}
}  // namespace

size_t CallTable::KeyHash::operator()(const EndpointKey &k) const { return fnv(k.b, sizeof k.b); }
size_t CallTable::KeyHash::operator()(const StreamKey &k) const { return fnv(k.b, sizeof k.b); }

CallTable::EndpointKey CallTable::endpoint_key(const NetAddr &a, uint16_t port) {
    EndpointKey k{};
    std::memcpy(k.b, a.bytes, a.family == 6 ? 16 : 4);
    k.b[16] = static_cast<uint8_t>(port >> 8);
    k.b[17] = static_cast<uint8_t>(port);
    k.b[18] = a.family;
    return k;
}

Call &CallTable::call_at(std::map<std::string, size_t> &index, const std::string &key, int proto, const CallPacket &p) {
    auto it = index.find(key);
    if (it != index.end()) return calls_[it->second];
    index.emplace(key, calls_.size());
    calls_.emplace_back();
    Call &c = calls_.back();
    c.protocol = proto;
    c.first_frame = p.frame;
    c.start = p.ts;
    c.conv = p.conv;
    return c;
}

void CallTable::touch(Call &c, const CallPacket &p) {
    c.last_frame = p.frame;
    c.end = p.ts;
    leg(c, p);
}

void CallTable::leg(Call &c, const CallPacket &p) {
    for (const CallLeg &l : c.legs)
        if (l.transport == p.transport && ((l.from == p.src && l.to == p.dst) || (l.from == p.dst && l.to == p.src)))
            return;
    CallLeg l;
    l.from = p.src;
    l.to = p.dst;
    l.transport = p.transport;
    l.conv = p.conv;
    l.first_frame = p.frame;
    c.legs.push_back(l);
}

void CallTable::announce(size_t call, const CallPacket &p, const NetEndpoint &at, const std::string &codec,
                         bool receiver) {
    if (at.port == 0 || at.addr.family == 0) return;
    Call &c = calls_[call];
    for (const CallMedia &m : c.media)
        if (m.at == at) return;
    CallMedia m;
    m.at = at;
    m.by = p.src.addr;
    m.frame = p.frame;
    m.protocol = c.protocol;
    m.codec = codec;
    m.receiver_announced = receiver;
    c.media.push_back(m);
    // An endpoint a finished call announced is free again (a phone reuses its
    // ports): its media belongs to the calls announcing it now.
    auto &v = media_index_[endpoint_key(at.addr, at.port)];
    v.erase(std::remove_if(v.begin(), v.end(),
                           [&](const std::pair<size_t, uint32_t> &e) {
                               const Call &o = calls_[e.first];
                               return e.first != call && (o.bye_seen || (o.final_seen && o.outcome != "answered"));
                           }),
            v.end());
    v.emplace_back(call, p.frame);
}

// SDP (RFC 8866 sections 5.7, 5.14, 6.6): every m= line with a non-zero port
// at its c= address (media level, else session level); rtpmap names.
void CallTable::sdp(size_t call, const CallPacket &p, const char *body, size_t len) {
    std::string_view text(body, len), line;
    NetAddr session, media;
    struct M {
        uint16_t port;
        int pt;
        NetAddr addr;
        bool rtp;
    };
    std::vector<M> ms;
    size_t pos = 0;
    for (size_t n = 0; n < kMaxLines && next_line(text, &pos, &line); ++n) {
        if (line.size() < 2 || line[1] != '=') continue;
        std::string_view v = line.substr(2);
        if (line[0] == 'c') {
            // c=IN IP4 10.0.0.1
            size_t a = v.find(' '), b = a == std::string_view::npos ? a : v.find(' ', a + 1);
            NetAddr x;
            if (b != std::string_view::npos && parse_addr(v.substr(a + 1, b - a - 1), trim(v.substr(b + 1)), &x)) {
                if (ms.empty()) session = x;
                else ms.back().addr = x;
            }
        } else if (line[0] == 'm') {
            // m=audio 20480 RTP/AVP 0 101
            std::string_view f[4];
            const size_t k = split_words(v, f, 4);
            M m{static_cast<uint16_t>(to_uint(f[1])), k >= 4 ? static_cast<int>(to_uint(f[3])) : -1, NetAddr(),
                f[2].find("RTP") != std::string_view::npos};
            ms.push_back(m);
        } else if (line[0] == 'a' && v.compare(0, 7, "rtpmap:") == 0) {
            // a=rtpmap:101 telephone-event/8000
            std::string_view r = v.substr(7);
            size_t sp = r.find(' ');
            if (sp != std::string_view::npos)
                calls_[call].rtpmap[static_cast<int>(to_uint(r.substr(0, sp)))] = std::string(trim(r.substr(sp + 1)));
        }
    }
    (void)media;
    for (const M &m : ms) {
        if (!m.rtp || m.port == 0) continue;  // T.38 over UDPTL, or a stream declined
        NetEndpoint at{m.addr.family ? m.addr : session, m.port};
        announce(call, p, at, m.pt >= 0 ? codec_name(calls_[call].rtpmap, m.pt) : "", true);
    }
}

void CallTable::sip(const CallPacket &p, const uint8_t *msg, size_t len) {
    std::string_view text(reinterpret_cast<const char *>(msg), len), line;
    size_t pos = 0;
    if (!next_line(text, &pos, &line)) return;
    bool request = false;
    std::string_view method, reason;
    int status = 0;
    if (line.compare(0, 8, "SIP/2.0 ") == 0) {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 section 7.2)
        status = static_cast<int>(to_uint(line.substr(8, 3)));
        if (status < 100 || status > 699) return;
        reason = line.size() > 12 ? line.substr(12) : std::string_view();
    } else {
        // Request-Line = Method SP Request-URI SP SIP-Version (section 7.1)
        size_t sp = line.find(' ');
        if (sp == std::string_view::npos || line.size() < 8 || line.substr(line.size() - 8) != " SIP/2.0") return;
        request = true;
        method = line.substr(0, sp);
    }
    std::string_view call_id, from, to, cseq, v;
    size_t body = std::string_view::npos;
    for (size_t n = 0; n < kMaxLines && next_line(text, &pos, &line); ++n) {
        if (line.empty()) {
            body = pos;
            break;
        }
        if (header(line, "Call-ID", "i", &v)) call_id = v;
        else if (header(line, "From", "f", &v)) from = v;
        else if (header(line, "To", "t", &v)) to = v;
        else if (header(line, "CSeq", nullptr, &v)) cseq = v;
    }
    if (call_id.empty()) return;
    std::string_view cseq_method = cseq.substr(std::min(cseq.size(), cseq.find(' ') + 1));
    static const int sip_proto = protocol("SIP");
    const std::string id(call_id);
    if (method == "REGISTER" || cseq_method == "REGISTER") {
        Registration &r = registrations_[std::string("SIP ") + id];
        if (r.key.empty()) {
            r.key = id;
            r.protocol = sip_proto;
            r.from = request ? p.src : p.dst;
            r.to = request ? p.dst : p.src;
            r.conv = p.conv;
        }
        r.frames.push_back(p.frame);
        if (!request && status >= 200) {
            r.final_status = status;
            r.reason = std::string(reason);
        }
        return;
    }
    auto it = sip_.find(id);
    if (it == sip_.end() && !(request && method == "INVITE")) return;  // a call starts with an INVITE
    Call &c = call_at(sip_, id, sip_proto, p);
    const size_t ci = sip_[id];
    c.key = id;
    touch(c, p);
    if (request) {
        if (method == "INVITE" && !c.setup_seen) {
            c.setup_seen = true;
            party(from, &c.caller, &c.caller_name);
            party(to, &c.callee, &c.callee_name);
        }
        if (method == "INVITE" && !c.final_seen) c.request_frames.push_back(p.frame);
        if (method == "CANCEL") c.cancel_seen = true;
        if (method == "BYE") c.bye_seen = true;
        c.request_seen = true;
    } else if (cseq_method == "INVITE") {
        c.any_response = true;
        if (status >= 200 && !c.final_seen) {
            c.final_seen = true;
            c.cause = "SIP " + std::to_string(status) + " " + std::string(reason);
            if (status < 300) {
                c.outcome = "answered";
                c.answer = p.ts;
                c.cause.clear();
            } else if (status == 486 || status == 600) {
                c.outcome = "busy";
            } else if (status == 487) {
                c.outcome = "cancelled";
            } else {
                c.outcome = "failed";
            }
        }
    }
    if (body != std::string_view::npos && body < text.size()) sdp(ci, p, text.data() + body, text.size() - body);
}

void CallTable::sccp(const CallPacket &p, const uint8_t *data, size_t len) {
    static const int sccp_proto = protocol("SCCP");
    size_t off = 0;
    for (int msgs = 0; msgs < 32 && off + 12 <= len; ++msgs) {
        const uint32_t dlen = le32(data + off), version = le32(data + off + 4), id = le32(data + off + 8);
        if (dlen < 4 || dlen > 4096 || version > 0x16) return;
        const uint8_t *b = data + off + 12;
        size_t blen = std::min<size_t>(dlen - 4, len - off - 12);
        off += 8 + dlen;
        auto u32 = [&](size_t at, uint32_t *out) {
            if (at + 4 > blen) return false;
            *out = le32(b + at);
            return true;
        };
        // An address: before header version 17 four IPv4 bytes; from 17 on,
        // ipAddrType (0 IPv4, 1 IPv6) and 16 bytes (packet-skinny.c ipv4or6).
        auto addr = [&](size_t at, NetAddr *a, size_t *after) {
            if (version >= 0x11) {
                if (at + 20 > blen) return false;
                a->family = le32(b + at) == 1 ? 6 : 4;
                std::memcpy(a->bytes, b + at + 4, a->family == 4 ? 4 : 16);
                *after = at + 20;
            } else {
                if (at + 4 > blen) return false;
                a->family = 4;
                std::memcpy(a->bytes, b + at, 4);
                *after = at + 4;
            }
            return true;
        };
        // Registration: RegisterReject 0x009D (text), RegisterAck 0x0081.
        if (id == 0x009D || id == 0x0081) {
            Registration &r = registrations_[std::string("SCCP ") + p.dst.text()];
            if (r.key.empty()) {
                r.key = p.dst.addr.text();
                r.protocol = sccp_proto;
                r.from = p.dst;
                r.to = p.src;
                r.conv = p.conv;
            }
            r.frames.push_back(p.frame);
            r.final_status = id == 0x0081 ? 200 : 400;
            if (id == 0x009D) {
                size_t n = 0;
                while (n < 33 && n < blen && b[n]) ++n;
                r.reason = std::string(reinterpret_cast<const char *>(b), n);
            }
            continue;
        }
        // Where each message carries its callReference (packet-skinny.c handlers).
        size_t ref_at = SIZE_MAX, after = 0;
        NetAddr a;
        NetEndpoint media;
        bool receiver = true;
        uint32_t state = 0, port = 0;
        switch (id) {
        case 0x0006: case 0x0007: ref_at = 4; break;    // OffHook, OnHook: lineInstance, callReference
        case 0x008B: case 0x0106: ref_at = 8; break;    // Stop/CloseReceiveChannel: conferenceId, passThroughPartyId
        case 0x0105: ref_at = 24; break;                // OpenReceiveChannel
        case 0x0111: ref_at = 8; u32(0, &state); break; // CallState: callState, lineInstance
        case 0x008F: ref_at = 132; break;               // CallInfo: names and numbers, lineInstance
        case 0x014A: ref_at = 4; break;                 // CallInfoV2: lineInstance
        case 0x0022:  // OpenReceiveChannelAck: status, address, port, passThroughPartyId
            if (addr(4, &a, &after) && u32(after, &port)) {
                media = NetEndpoint{a, static_cast<uint16_t>(port)};
                ref_at = after + 8;
            }
            break;
        case 0x008A:  // StartMediaTransmission: conferenceId, passThroughPartyId, remote address, port,
                      // packet size, compression, qualifierOut (16 bytes)
            if (addr(8, &a, &after) && u32(after, &port)) {
                media = NetEndpoint{a, static_cast<uint16_t>(port)};
                receiver = false;
                ref_at = after + 4 + 4 + 4 + 16;
            }
            break;
        default: break;
        }
        uint32_t ref = 0;
        if (ref_at == SIZE_MAX || !u32(ref_at, &ref) || ref == 0) continue;
        const std::string key = std::to_string(p.conv) + "|" + std::to_string(ref);
        Call &c = call_at(sccp_, key, sccp_proto, p);
        const size_t ci = sccp_[key];
        c.key = "callReference " + std::to_string(ref);
        c.setup_seen = c.request_seen = true;
        touch(c, p);
        if (c.request_frames.empty()) c.request_frames.push_back(p.frame);
        if (id == 0x008F && blen >= 128) {
            auto str = [&](size_t at, size_t n) {
                size_t k = 0;
                while (k < n && b[at + k]) ++k;
                return std::string(reinterpret_cast<const char *>(b + at), k);
            };
            c.caller_name = str(0, 40);
            c.caller = str(40, 24);
            c.callee_name = str(64, 40);
            c.callee = str(104, 24);
        } else if (id == 0x014A && blen > 32) {
            // CallInfoV2: after 8 words, NUL-terminated callingParty, AlternateCallingParty, calledParty...
            std::string s[3];
            size_t at = 32;
            for (int i = 0; i < 3 && at < blen; ++i) {
                size_t k = 0;
                while (at + k < blen && b[at + k]) ++k;
                s[i] = std::string(reinterpret_cast<const char *>(b + at), k);
                at += k + 1;
            }
            if (c.caller.empty()) c.caller = s[0];
            if (c.callee.empty()) c.callee = s[2];
        } else if (id == 0x0111) {
            if (state == 3 || state == 4 || state == 12) c.any_response = true;
            if (state == 5 && c.outcome.empty()) {
                c.outcome = "answered";
                c.answer = p.ts;
                c.any_response = c.final_seen = true;
            } else if ((state == 6 || state == 7 || state == 14) && c.outcome.empty()) {
                c.outcome = state == 6 ? "busy" : "failed";
                c.cause = std::string("SCCP ") + sccp_state(state);
                c.any_response = c.final_seen = true;
            } else if (state == 2) {
                c.bye_seen = true;
            }
        }
        if (media.port) {
            // OpenReceiveChannelAck: the phone receives there; StartMediaTransmission: the phone sends there.
            announce(ci, p, media, "", receiver);
            if (!receiver) calls_[ci].media.back().by = p.dst.addr;
        }
    }
}

void CallTable::mgcp(const CallPacket &p, const uint8_t *msg, size_t len) {
    static const int mgcp_proto = protocol("MGCP");
    std::string_view text(reinterpret_cast<const char *>(msg), len), line;
    size_t pos = 0;
    if (!next_line(text, &pos, &line)) return;
    // verb SP transaction-id SP endpoint SP "MGCP" SP version, or code SP transaction-id (RFC 3435 section 3.2, 3.3)
    std::string_view f[3];
    const size_t k = split_words(line, f, 3);
    if (k < 2) return;
    const bool response = f[0].size() == 3 && f[0][0] >= '0' && f[0][0] <= '9';
    std::string_view call_id, v;
    size_t body = std::string_view::npos;
    for (size_t n = 0; n < kMaxLines && next_line(text, &pos, &line); ++n) {
        if (line.empty()) {
            body = pos;
            break;
        }
        if (header(line, "C", nullptr, &v)) call_id = v;
    }
    const std::string tid = std::string(f[1]) + "|" + std::to_string(response ? p.dst.port : p.src.port);
    size_t ci;
    if (response) {
        auto t = mgcp_tid_.find(tid);
        if (t == mgcp_tid_.end()) return;
        ci = t->second;
        Call &c = calls_[ci];
        touch(c, p);
        const unsigned code = to_uint(f[0]);
        c.any_response = true;
        if (code >= 400 && !c.final_seen) {
            c.final_seen = true;
            c.outcome = "failed";
            c.cause = "MGCP " + std::string(f[0]);
        }
    } else {
        if (call_id.empty()) return;
        const bool crcx = f[0] == "CRCX";
        const std::string id(call_id);
        if (!mgcp_.count(id) && !crcx) return;  // a call's first connection is created by CRCX (section 2.3.5)
        Call &c = call_at(mgcp_, id, mgcp_proto, p);
        ci = mgcp_[id];
        c.key = id;
        c.setup_seen = c.request_seen = true;
        touch(c, p);
        if (crcx) c.request_frames.push_back(p.frame);
        if (f[0] == "DLCX") c.bye_seen = true;
        mgcp_tid_[std::string(f[1]) + "|" + std::to_string(p.src.port)] = ci;
    }
    if (body != std::string_view::npos && body < text.size()) sdp(ci, p, text.data() + body, text.size() - body);
    Call &c = calls_[ci];
    if (c.outcome.empty() && !c.media.empty() && c.final_seen == false && response) {
        c.outcome = "answered";
        c.answer = p.ts;
    }
}

void CallTable::q931(const CallPacket &p, const uint8_t *msg, size_t len) {
    static const int h225 = protocol("H.225");
    // Protocol discriminator 0x08, call reference length and value (its
    // first bit the flag: set by the side that did not allocate it), message type (Q.931 4.2-4.4).
    if (len < 3 || msg[0] != 0x08) return;
    const size_t rl = msg[1] & 0x0f;
    if (rl > 4 || 2 + rl >= len) return;
    uint32_t ref = 0;
    for (size_t i = 0; i < rl; ++i) ref = ref << 8 | msg[2 + i];
    if (rl) ref &= ~(0x80u << (8 * (rl - 1)));
    const uint8_t type = msg[2 + rl];
    const std::string key = std::to_string(p.conv) + "|" + std::to_string(ref);
    auto it = q931_.find(key);
    if (it == q931_.end() && type != 0x05) return;  // a call starts with Setup
    Call &c = call_at(q931_, key, h225 >= 0 ? h225 : protocol("H.323"), p);
    c.key = "call reference " + std::to_string(ref);
    touch(c, p);
    // Information elements (Q.931 4.5): cause 0x08, calling 0x6C and called 0x70 party numbers.
    size_t i = 3 + rl;
    uint32_t cause = 0;
    while (i + 1 < len) {
        const uint8_t ie = msg[i];
        if (ie & 0x80) {  // single-octet IE
            ++i;
            continue;
        }
        if (i + 2 > len) break;
        size_t il = msg[i + 1];
        if (ie == 0x7e && i + 3 < len) il = size_t(msg[i + 1]) << 8 | msg[i + 2];  // user-user (H.225) has 2 length octets in practice
        const uint8_t *v = msg + i + 2;
        if (ie == 0x7e) break;
        if (i + 2 + il > len) break;
        if (ie == 0x08 && il >= 2) {
            size_t o = (v[0] & 0x80) ? 1 : 2;
            if (o < il) cause = v[o] & 0x7f;
        } else if ((ie == 0x6C || ie == 0x70) && il >= 1) {
            size_t o = ie == 0x70 ? 1 : ((v[0] & 0x80) ? 1 : 2);
            if (o <= il) (ie == 0x6C ? c.caller : c.callee) = std::string(reinterpret_cast<const char *>(v + o), il - o);
        }
        i += 2 + il;
    }
    switch (type) {
    case 0x05: c.setup_seen = c.request_seen = true; if (!c.final_seen) c.request_frames.push_back(p.frame); break;
    case 0x01: case 0x02: case 0x03: c.any_response = true; break;  // Alerting, Call Proceeding, Progress
    case 0x07:                                                       // Connect
        c.any_response = c.final_seen = true;
        if (c.outcome.empty()) c.outcome = "answered", c.answer = p.ts;
        break;
    case 0x5A: case 0x4D: case 0x45:  // Release Complete, Release, Disconnect
        c.bye_seen = true;
        if (c.outcome.empty()) {
            c.final_seen = true;
            c.any_response = c.any_response || p.src == c.legs[0].to;
            c.outcome = cause == 17 ? "busy" : "failed";
            c.cause = "Q.931 cause " + std::to_string(cause);
        }
        break;
    default: break;
    }
}

void CallTable::tcp(const CallPacket &p, uint8_t flags) {
    // SYN 0x02, ACK 0x10 (RFC 9293 section 3.1).
    const bool syn = flags & 0x02, ack = flags & 0x10;
    if (!syn) return;
    if (!ack) {
        Syn &s = syns_[p.src.text() + ">" + p.dst.text()];
        if (s.frames.empty()) s.from = p.src, s.to = p.dst, s.conv = p.conv;
        s.frames.push_back(p.frame);
    } else {
        auto it = syns_.find(p.dst.text() + ">" + p.src.text());
        if (it != syns_.end()) it->second.answered = true;
    }
}

void CallTable::udp(const CallPacket &p, const uint8_t *data, size_t len) {
    if (media_index_.empty() || len < 8) return;
    auto it = media_index_.find(endpoint_key(p.dst.addr, p.dst.port));
    if (it != media_index_.end() && !it->second.empty() && it->second.front().second < p.frame) {
        rtp(p, data, len, it->second);
        return;
    }
    // RTCP on the port above an announced RTP port (RFC 3550 section 11).
    if (p.dst.port & 1) {
        auto r = media_index_.find(endpoint_key(p.dst.addr, static_cast<uint16_t>(p.dst.port - 1)));
        if (r == media_index_.end()) return;
        // RTCP: version 2, packet type 200-204 (RFC 3550 section 6.4).
        if ((data[0] >> 6) != 2 || data[1] < 200 || data[1] > 204) return;
        auto at = streams_at_.find(endpoint_key(p.dst.addr, static_cast<uint16_t>(p.dst.port - 1)));
        for (size_t si : at == streams_at_.end() ? std::vector<size_t>() : at->second) {
            CallStream &s = streams_[si];
            if (!s.rtcp) {
                s.rtcp = true;
                s.rtcp_frame = p.frame;
            }
        }
        for (const auto &e : r->second) calls_[e.first].last_frame = std::max(calls_[e.first].last_frame, p.frame);
    }
}

void CallTable::rtp(const CallPacket &p, const uint8_t *data, size_t len,
                    const std::vector<std::pair<size_t, uint32_t>> &announced) {
    RtpHeader h;
    if (!parse_rtp(data, len, &h)) return;
    StreamKey key{};
    const EndpointKey from = endpoint_key(p.src.addr, p.src.port), to = endpoint_key(p.dst.addr, p.dst.port);
    std::memcpy(key.b, from.b, 19);
    std::memcpy(key.b + 19, to.b, 19);
    std::memcpy(key.b + 38, &h.ssrc, 4);
    auto it = stream_index_.find(key);
    // The stream belongs to every call that announced its destination before
    // it (the legs of one call through a Unified CM announce the same media);
    // its codec names come from the latest of them.
    size_t call = announced.front().first;
    uint32_t setup_frame = announced.front().second;
    for (const auto &e : announced) {
        if (e.second >= p.frame) break;
        call = e.first;
        setup_frame = e.second;
    }
    const Call &c = calls_[call];
    // Arrival in ms, from the time rounded to the nanosecond (both engines' clocks agree there).
    const double now_ms = std::round(p.ts * 1e9) / 1e6;
    if (it == stream_index_.end()) {
        stream_index_.emplace(key, streams_.size());
        streams_at_[from].push_back(streams_.size());
        streams_at_[to].push_back(streams_.size());
        for (const auto &e : announced) {
            if (e.second >= p.frame) break;
            std::vector<size_t> &v = calls_[e.first].streams;
            if (v.empty() || v.back() != streams_.size()) v.push_back(streams_.size());
        }
        streams_.emplace_back();
        CallStream &s = streams_.back();
        s.src = p.src;
        s.dst = p.dst;
        s.ssrc = h.ssrc;
        s.pt = h.payload_type;
        s.codec = codec_name(c.rtpmap, h.payload_type);
        s.first = p.ts;
        s.first_frame = p.frame;
        s.setup_frame = setup_frame;
        s.conv = p.conv;
        s.start_seq = s.stop_seq = s.seq = h.seq;
        s.prev_time = now_ms;
        s.prev_ts = h.timestamp;
        s.packets = 1;
        s.last = p.ts;
        s.last_frame = p.frame;
        return;
    }
    CallStream &s = streams_[it->second];
    // Sequence cycles and loss as Wireshark's RTP analysis counts them
    // (ui/tap-rtp-analysis.c rtppacket_analyse): expected packets from the
    // first to the last sequence number, wraps counted once per cycle.
    if (h.seq < s.start_seq && !s.under) {
        ++s.cycles;
        s.under = true;
    } else if (h.seq == 0 && s.stop_seq == 65535 && !s.under) {
        ++s.cycles;
        s.under = true;
    } else if (h.seq > s.start_seq && s.under) {
        s.under = false;
    }
    // Interarrival jitter, RFC 3550 appendix A.8: J += (|D| - J) / 16, with
    // D the difference of arrival spacing and RTP timestamp spacing (here in
    // ms, the clock of the packet's payload type). Maximum and mean over the
    // packets Wireshark calls regular: not the first, no marker bit, not
    // comfort noise (13, 19).
    const unsigned rate = clock_rate(c.rtpmap, h.payload_type);
    const bool marker = data[1] & 0x80;
    if (rate) {
        const double nominal = static_cast<double>(static_cast<int32_t>(h.timestamp - s.prev_ts)) / (rate / 1000.0);
        const double d = std::fabs(now_ms - (s.prev_time + nominal));
        s.jitter = (15 * s.jitter + d) / 16;
        const bool cn = h.payload_type == 13 || h.payload_type == 19 || s.pt == 13 || s.pt == 19;
        if (!marker && !cn) {
            if (s.jitter > s.max_jitter) s.max_jitter = s.jitter;
            s.mean_jitter = (s.mean_jitter * static_cast<double>(s.packets - 1) + s.jitter) / static_cast<double>(s.packets);
        }
    }
    s.pt = h.payload_type;
    s.prev_time = now_ms;
    s.prev_ts = h.timestamp;
    s.stop_seq = h.seq;
    ++s.packets;
    s.last = p.ts;
    s.last_frame = p.frame;
    const int64_t expected = int64_t(s.stop_seq) + int64_t(s.cycles) * 65536 - int64_t(s.start_seq) + 1;
    s.lost = expected - static_cast<int64_t>(s.packets);
}

size_t CallTable::add_diagnosis(CallDiagnosis d) {
    diagnoses_.push_back(std::move(d));
    const size_t i = diagnoses_.size() - 1;
    if (diagnoses_[i].call >= 0) calls_[static_cast<size_t>(diagnoses_[i].call)].diagnoses.push_back(i);
    return i;
}

void CallTable::finish(const HostTable &hosts, const Prefs &prefs, const std::function<int(uint64_t)> &flow_of) {
    diagnoses_.clear();
    for (Call &c : calls_) {
        c.diagnoses.clear();
        c.joined.clear();
        for (CallLeg &l : c.legs) {
            // A TCP leg points at its listener, the lower port (SCCP 2000, H.225 1720).
            if (l.transport == kTcp && l.from.port < l.to.port) std::swap(l.from, l.to);
            l.from_roles = hosts.roles(l.from.addr.text());
            l.to_roles = hosts.roles(l.to.addr.text());
            l.flow = flow_of(l.conv);
        }
        static const int sccp = protocol("SCCP");
        if (c.outcome.empty() && c.protocol == sccp) {
            // No CallState: Unified CM opens media both ways (OpenReceiveChannel,
            // StartMediaTransmission) once the call connects.
            bool rx = false, tx = false;
            for (const CallMedia &m : c.media) (m.receiver_announced ? rx : tx) = true;
            c.outcome = rx && tx ? "answered" : "unknown";
        }
        if (c.outcome.empty()) c.outcome = c.cancel_seen ? "cancelled" : c.any_response ? "no answer" : "unanswered";
    }
    // Legs of one call through a Unified CM or a gateway: calls that announce
    // the same media endpoint carry the same media.
    std::unordered_map<std::string, std::vector<int>> by_media;
    for (size_t i = 0; i < calls_.size(); ++i)
        for (const CallMedia &m : calls_[i].media) {
            auto &v = by_media[key_of(m.at.addr, m.at.port)];
            if (v.empty() || v.back() != static_cast<int>(i)) v.push_back(static_cast<int>(i));
        }
    for (auto &e : by_media)
        for (int a : e.second)
            for (int b : e.second)
                if (a != b && std::find(calls_[a].joined.begin(), calls_[a].joined.end(), b) == calls_[a].joined.end())
                    calls_[a].joined.push_back(b);
    for (Call &c : calls_) std::sort(c.joined.begin(), c.joined.end());
    diagnose(hosts, prefs, flow_of);
}

void CallTable::diagnose(const HostTable &hosts, const Prefs &prefs, const std::function<int(uint64_t)> &flow_of) {
    auto roles = [&](const NetAddr &a) { return hosts.roles(a.text()); };
    auto media_flow = [&](const NetEndpoint &from, const NetEndpoint &to) {
        return expected_flow(kUdp, from.port, to.port, kProtocolRtp, roles(from.addr), roles(to.addr), prefs);
    };
    for (size_t ci = 0; ci < calls_.size(); ++ci) {
        const Call &c = calls_[ci];
        // Signalling never answered: the INVITE (Setup, CRCX) got no response at all.
        if (c.outcome == "unanswered" && !c.legs.empty()) {
            const CallLeg &l = c.legs[0];
            int flow = flow_of(l.conv);
            if (flow < 0) flow = expected_flow(l.transport, l.from.port, l.to.port, c.protocol, roles(l.from.addr), roles(l.to.addr), prefs);
            CallDiagnosis d;
            d.kind = "no_answer";
            d.call = static_cast<int>(ci);
            d.frames = c.request_frames;
            d.flow = flow;
            d.text = std::string("no response to ") + kProtocols[c.protocol].key + " call setup from " + l.from.text() +
                     " to " + l.to.text() + " (" + std::to_string(c.request_frames.size()) + " sent)" +
                     (flow >= 0 ? ": the guides document " + flow_text(flow) + "; check ACLs or NAT between them" : "");
            add_diagnosis(d);
        }
        // Media, per announced endpoint: the packets that reached it.
        auto streams_to = [&](const NetEndpoint &at) {
            std::vector<const CallStream *> v;
            for (size_t si : c.streams)
                if (streams_[si].dst == at) v.push_back(&streams_[si]);
            return v;
        };
        bool any_media = !c.streams.empty();
        for (const CallMedia &m : c.media) {
            // NAT: a host announced an address that is not its own (its
            // signalling comes from m.by) and its RTP leaves from m.by on the
            // announced port: what is sent to the announced address cannot reach it.
            const CallStream *reverse = nullptr, *nat = nullptr;
            for (size_t si : c.streams) {
                const CallStream &s = streams_[si];
                if (m.receiver_announced && m.by != m.at.addr && s.src.addr == m.by && s.src.port == m.at.port) nat = &s;
                else if (s.src == m.at) reverse = &s;
            }
            if (!nat && !streams_to(m.at).empty()) continue;
            CallDiagnosis d;
            d.call = static_cast<int>(ci);
            d.frames.push_back(m.frame);
            if (nat) {
                // The announcing host's media leaves from another address: NAT.
                d.kind = "nat";
                d.frames.push_back(nat->first_frame);
                d.flow = media_flow(nat->dst, m.at);
                const auto to_private = streams_to(m.at);
                if (!to_private.empty()) d.frames.push_back(to_private[0]->first_frame);
                d.text = m.by.text() + " announced media at " + m.at.text() + " (frame " + std::to_string(m.frame) +
                         ") but its RTP comes from " + nat->src.text() + " (frame " + std::to_string(nat->first_frame) +
                         "): NAT between them; RTP sent to " + m.at.text() +
                         (to_private.empty() ? "" : " (frame " + std::to_string(to_private[0]->first_frame) + ")") +
                         " cannot reach it" + (d.flow >= 0 ? ": the guides document " + flow_text(d.flow) : "") +
                         "; announce the translated address (or keep NAT off the media path)";
            } else if (reverse) {
                d.kind = "one_way_media";
                d.frames.push_back(reverse->first_frame);
                d.flow = media_flow(reverse->dst, m.at);
                d.text = "no RTP from " + reverse->dst.addr.text() + " to " + m.at.text() + " while RTP flows from " +
                         m.at.text() + " to " + reverse->dst.text() + " (frames " + std::to_string(reverse->first_frame) +
                         "-" + std::to_string(reverse->last_frame) + ")" +
                         (d.flow >= 0 ? ": the guides document " + flow_text(d.flow) : "") +
                         "; check ACLs or NAT between them";
            } else if (c.outcome == "answered") {
                d.kind = "media_not_seen";
                d.text = "media announced at " + m.at.text() + " (frame " + std::to_string(m.frame) + ") but no RTP to it" +
                         (any_media ? "" : " and no RTP in the call at all");
            } else {
                continue;
            }
            add_diagnosis(d);
        }
        // RTCP missing where media flows: RTCP's minimum interval is 5 s (RFC
        // 3550 section 6.2); after 15 s of RTP both ways none was seen.
        for (size_t si : c.streams) {
            const CallStream &s = streams_[si];
            if (s.rtcp || s.last - s.first < 15.0) continue;
            CallDiagnosis d;
            d.kind = "rtcp_missing";
            d.call = static_cast<int>(ci);
            d.frames = {s.first_frame, s.last_frame};
            d.flow = expected_flow(kUdp, static_cast<uint16_t>(s.src.port + 1), static_cast<uint16_t>(s.dst.port + 1),
                                   protocol("RTCP") >= 0 ? protocol("RTCP") : kProtocolRtp, roles(s.src.addr), roles(s.dst.addr), prefs);
            d.text = "RTP from " + s.src.text() + " to " + s.dst.text() + " for " + std::to_string(int(s.last - s.first)) +
                     " s without RTCP on port " + std::to_string(s.dst.port + 1) +
                     (d.flow >= 0 ? ": the guides document " + flow_text(d.flow) : "");
            add_diagnosis(d);
        }
    }
    for (const auto &e : registrations_) {
        const Registration &r = e.second;
        // A digest challenge (401/407, RFC 3261 section 22) is part of a registration.
        if (r.final_status == 0 || r.final_status < 300 || r.final_status == 401 || r.final_status == 407) {
            if (r.final_status != 0) continue;
            if (r.protocol == protocol("SCCP")) continue;
        }
        CallDiagnosis d;
        d.kind = "registration_failed";
        d.frames = r.frames;
        d.flow = flow_of(r.conv);
        if (d.flow < 0) d.flow = expected_flow(r.from.port ? kUdp : kTcp, r.from.port, r.to.port, r.protocol, roles(r.from.addr), roles(r.to.addr), prefs);
        d.text = std::string(kProtocols[r.protocol].key) + " registration of " + r.from.addr.text() + " with " +
                 r.to.text() + (r.final_status ? " refused (" + (r.protocol == protocol("SIP") ? std::to_string(r.final_status) + " " : std::string()) + r.reason + ")" : " got no final response") +
                 (d.flow >= 0 ? ": the guides document " + flow_text(d.flow) : "");
        add_diagnosis(d);
    }
    // A SYN nothing answered on a port the guides document for UC signalling.
    for (const auto &e : syns_) {
        const Syn &s = e.second;
        if (s.answered) continue;
        Label l = classify(kTcp, s.from.port, s.to.port, Direction::kHandshake, -1, prefs);
        int flow = -1;
        for (const Candidate &cand : l.candidates) {
            const Entry &en = kEntries[kFlows[cand.flow].entry];
            for (uint16_t i = 0; i < en.proto_count && flow < 0; ++i)
                if (kProtocols[kEntryProtocols[en.proto_first + i]].uc) flow = cand.flow;
            if (flow >= 0) break;
        }
        if (flow < 0) continue;
        CallDiagnosis d;
        d.kind = "syn_unanswered";
        d.frames = s.frames;
        d.flow = flow;
        d.text = "TCP SYN from " + s.from.text() + " to " + s.to.text() + " never answered (" +
                 std::to_string(s.frames.size()) + " sent): the guides document " + flow_text(flow) +
                 "; check ACLs between them";
        add_diagnosis(d);
    }
}

// ---- The tables.

namespace {

template <size_t N>
void write_cells(FILE *out, const std::string (&cells)[N]) {
    write_row(out, cells, N);
}

template <typename Column, size_t N>
std::string &cell(std::string (&cells)[N], Column c) {
    return cells[static_cast<size_t>(c)];
}

std::string fixed(double v, int digits) {
    char buf[48];
    snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string party_text(const std::string &number, const std::string &name) {
    if (name.empty() || name == number) return number;
    return number.empty() ? name : number + " (" + name + ")";
}

std::string leg_text(const CallLeg &l) {
    auto side = [](const NetEndpoint &e, RoleSet r) {
        std::string s = e.text();
        if (r) s += " " + role_names(r);
        return s;
    };
    std::string s = side(l.from, l.from_roles) + " -> " + side(l.to, l.to_roles);
    if (l.flow >= 0) s += " [" + std::string(kEntries[kFlows[l.flow].entry].id) + "]";
    return s;
}

template <size_t N>
void header(FILE *out, const char *title, size_t count, const char *const *titles) {
    write_table_header(out, title, count, titles, N);
}

}  // namespace

void write_calls(FILE *out, const CallTable &t) {
    const auto &calls = t.calls();
    header<kDiagColumnCount>(out, kDiagTableTitle, t.diagnoses().size(), kDiagColumnTitles);
    for (const CallDiagnosis &d : t.diagnoses()) {
        std::string v[kDiagColumnCount];
        cell(v, DiagColumn::kColCall) = d.call >= 0 ? std::to_string(d.call + 1) : "";
        cell(v, DiagColumn::kColDiagnosis) = d.kind;
        cell(v, DiagColumn::kColFrames) = frames_text(d.frames);
        cell(v, DiagColumn::kColEntry) = d.flow >= 0 ? kEntries[kFlows[d.flow].entry].id : "";
        cell(v, DiagColumn::kColDetail) = d.text;
        write_cells(out, v);
    }
    header<kCallColumnCount>(out, kCallTableTitle, calls.size(), kCallColumnTitles);
    for (size_t i = 0; i < calls.size(); ++i) {
        const Call &c = calls[i];
        std::string v[kCallColumnCount];
        cell(v, CallColumn::kColCall) = std::to_string(i + 1);
        cell(v, CallColumn::kColProtocol) = c.protocol >= 0 ? kProtocols[c.protocol].key : "";
        cell(v, CallColumn::kColCallId) = c.key;
        cell(v, CallColumn::kColStart) = fixed(c.start, 6);
        cell(v, CallColumn::kColEnd) = fixed(c.end, 6);
        cell(v, CallColumn::kColDuration) = fixed(static_cast<double>(std::llround(c.end * 1e6) - std::llround(c.start * 1e6)) / 1e6, 3);
        cell(v, CallColumn::kColCaller) = party_text(c.caller, c.caller_name);
        cell(v, CallColumn::kColCallee) = party_text(c.callee, c.callee_name);
        cell(v, CallColumn::kColOutcome) = c.outcome;
        cell(v, CallColumn::kColCause) = c.cause;
        cell(v, CallColumn::kColFrames) = std::to_string(c.first_frame) + "-" + std::to_string(c.last_frame);
        std::string legs;
        for (const CallLeg &l : c.legs) legs += (legs.empty() ? "" : "; ") + leg_text(l);
        cell(v, CallColumn::kColSignalling) = legs;
        cell(v, CallColumn::kColStreams) = std::to_string(c.streams.size());
        std::string joined;
        for (int j : c.joined) joined += (joined.empty() ? "" : ",") + std::to_string(j + 1);
        cell(v, CallColumn::kColJoined) = joined;
        std::string diag;
        for (size_t d : c.diagnoses) diag += (diag.empty() ? "" : ",") + std::string(t.diagnoses()[d].kind);
        cell(v, CallColumn::kColDiagnoses) = diag;
        write_cells(out, v);
    }
    size_t n = 0;
    for (const Call &c : calls) n += c.streams.size();
    header<kMediaColumnCount>(out, kMediaTableTitle, n, kMediaColumnTitles);
    for (size_t i = 0; i < calls.size(); ++i)
        for (size_t si : calls[i].streams) {
            const CallStream &s = t.streams()[si];
            std::string v[kMediaColumnCount];
            char ssrc[16];
            snprintf(ssrc, sizeof ssrc, "0x%08X", s.ssrc);
            cell(v, MediaColumn::kColCall) = std::to_string(i + 1);
            cell(v, MediaColumn::kColSource) = s.src.text();
            cell(v, MediaColumn::kColDestination) = s.dst.text();
            cell(v, MediaColumn::kColSsrc) = ssrc;
            cell(v, MediaColumn::kColCodec) = s.codec;
            cell(v, MediaColumn::kColPackets) = std::to_string(s.packets);
            cell(v, MediaColumn::kColLost) = std::to_string(s.lost);
            cell(v, MediaColumn::kColMaxJitter) = fixed(s.max_jitter, 3);
            cell(v, MediaColumn::kColMeanJitter) = fixed(s.mean_jitter, 3);
            cell(v, MediaColumn::kColFirst) = fixed(s.first, 6);
            cell(v, MediaColumn::kColLast) = fixed(s.last, 6);
            cell(v, MediaColumn::kColRtcp) = s.rtcp ? "frame " + std::to_string(s.rtcp_frame) : "";
            cell(v, MediaColumn::kColSetUp) = "frame " + std::to_string(s.setup_frame);
            write_cells(out, v);
        }
    write_table_end(out);
}

}  // namespace ciscouc
