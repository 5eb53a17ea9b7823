// ciscouc-scan: conversations labelled through the pure core (see scan.h).
//
// What the plugin learns from Wireshark's protocol stack (which dissector
// took a payload) the scanner decides itself, in the order Wireshark 4.0's
// TCP and UDP dissectors try them (epan/dissectors/packet-tcp.c
// decode_tcp_ports, packet-udp.c decode_udp_ports): a conversation set up by
// signalling (RTP, RTCP and TFTP transfer legs), the ports ciscouc stands in
// front of (kStealPorts), the port table (TCP: the handshake's server port
// first; then the lower port, then the higher), then the heuristics.
#include "scan.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cinttypes>
#include <cstring>

#include "payload.h"
#include "stock.h"

namespace ciscouc {
namespace scan {

namespace {

// Wireshark's per-conversation inspection window (kInspectPackets in
// plugins/ciscouc/packet-ciscouc.cpp): a conversation's first packets carry
// the evidence.
constexpr uint16_t kInspectPackets = 32;
constexpr size_t kMaxSetups = 65536;


// The first bytes of a held PDU kept for the dissection that completes it
// (the signatures and the XMPP stream header look at no more).
constexpr size_t kHeldBytes = 512;
// A SIP message over TCP is kept up to this size for its SDP.
constexpr size_t kSipBytes = 16384;


int protocol_of_wireshark(const char *name, const char **other) {
    int p = protocol_by_wireshark_name(name);
    *other = p < 0 ? name : nullptr;
    return p;
}

bool documented_media_port(uint16_t port) {
    static const int rtp = protocol_by_key("RTP");
    for (uint16_t f : lookup_port(kUdp, port))
        if (entry_has_protocol(kEntries[kFlows[f].entry], rtp)) return true;
    return false;
}

// The plugin's rtp_before_owner (plugins/ciscouc/heur-ciscouc.cpp), on a UDP
// port the guides document for RTP that a stock dissector owns: a confirmed
// run is RTP; while every packet so far may still complete one the packet is
// payload without a protocol; from the first that is no RTP v2 or breaks its
// direction's run (or after two runs' worth undecided) the owner's.
enum Owned : uint8_t { kUndecided = 0, kOwnedRtp = 1, kOwner = 2 };
Owned rtp_before_owner(Inspect &in, const Packet &p) {
    RtpHeader rh;
    if (in.owned == kUndecided) {
        if (p.payload_len < 12 || !parse_rtp(p.payload, p.payload_len, &rh)) {
            in.owned = kOwner;
        } else {
            if (!in.have_rtp_dir) {
                in.have_rtp_dir = true;
                in.rtp_first = Endpoint{p.src, p.sport};
            }
            bool forward = p.sport == in.rtp_first.port && p.src == in.rtp_first.addr;
            if (!(forward ? in.fwd : in.rev).feed(rh) || ++in.owned_packets > 2 * RtpRun::kRtpRunNeeded)
                in.owned = kOwner;
            else if (in.fwd.confirmed() || in.rev.confirmed())
                in.owned = kOwnedRtp;
        }
    }
    if (in.owned == kOwnedRtp) in.rtp_confirmed = true;
    return static_cast<Owned>(in.owned);
}

bool endpoint_less(const Endpoint &x, const Endpoint &y) {
    if (x.addr.family != y.addr.family) return x.addr.family < y.addr.family;
    int c = std::memcmp(x.addr.bytes, y.addr.bytes, 16);
    if (c) return c < 0;
    return x.port < y.port;
}

}  // namespace

bool ConvKey::operator==(const ConvKey &o) const {
    return transport == o.transport && directed == o.directed && generation == o.generation && a.port == o.a.port && b.port == o.b.port && a.addr == o.a.addr &&
           b.addr == o.b.addr;
}

size_t ConvKeyHash::operator()(const ConvKey &k) const {
    // FNV-1a over the fields (addresses zero-padded to 16 bytes).
    uint64_t h = 1469598103934665603ull;
    auto mix = [&](const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
    };
    uint8_t kind[2] = {k.transport, k.directed};
    mix(kind, 2);
    mix(k.a.addr.bytes, 16);
    mix(k.b.addr.bytes, 16);
    uint8_t ports[8] = {uint8_t(k.a.port >> 8), uint8_t(k.a.port), uint8_t(k.b.port >> 8), uint8_t(k.b.port),
                        uint8_t(k.generation >> 24), uint8_t(k.generation >> 16), uint8_t(k.generation >> 8),
                        uint8_t(k.generation)};
    mix(ports, 8);
    return static_cast<size_t>(h);
}

size_t Scanner::EndpointHash::operator()(const Endpoint &e) const {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < 16; ++i) h = (h ^ e.addr.bytes[i]) * 1099511628211ull;
    h = (h ^ e.port) * 1099511628211ull;
    return static_cast<size_t>(h);
}

Scanner::Scanner(const Options &o) : opt_(o) {}

std::string Scanner::address_text(const Address &a) const {
    char buf[INET6_ADDRSTRLEN];
    if (!inet_ntop(a.family == 6 ? AF_INET6 : AF_INET, a.bytes, buf, sizeof buf)) return std::string();
    return buf;
}


// ---- The idle list: conversations with inspection state, least recently seen first.

void Scanner::unlink(uint32_t idx) {
    Inspect *in = convs_[idx].inspect.get();
    if (in->prev != UINT32_MAX) convs_[in->prev].inspect->next = in->next;
    else live_head_ = in->next;
    if (in->next != UINT32_MAX) convs_[in->next].inspect->prev = in->prev;
    else live_tail_ = in->prev;
    in->prev = in->next = UINT32_MAX;
}

void Scanner::touch(uint32_t idx, double ts) {
    Conv &c = convs_[idx];
    c.last = ts;
    if (!c.inspect) {
        c.inspect.reset(new Inspect());
        ++live_;
    } else {
        unlink(idx);
    }
    c.inspect->prev = live_tail_;
    if (live_tail_ != UINT32_MAX) convs_[live_tail_].inspect->next = idx;
    else live_head_ = idx;
    live_tail_ = idx;
}

void Scanner::expire(double now) {
    while (live_head_ != UINT32_MAX) {
        uint32_t idx = live_head_;
        bool idle = now - convs_[idx].last > opt_.idle_seconds;
        if (!idle && live_ <= opt_.max_live) break;
        (idle ? n_.expired : n_.evicted)++;
        unlink(idx);
        convs_[idx].inspect.reset();
        --live_;
    }
}

uint32_t Scanner::conversation(const Packet &p, uint32_t frame, double ts, bool *created) {
    Endpoint s{p.src, p.sport}, d{p.dst, p.dport};
    ConvKey k;
    k.transport = p.transport;
    k.a = endpoint_less(s, d) ? s : d;
    k.b = endpoint_less(s, d) ? d : s;
    // Media that signalling announced: Wireshark keeps one conversation per
    // announcement (rtp_add_address: the announced end and any far end, from
    // the announcing frame on; a new announcement starts a new one), and a
    // packet joins its sender's end's if announced, else its receiver's.
    // The plugin keeps RTP and RTCP rows per direction, by the packet's
    // addresses and ports, whichever announcement's conversation it is in
    // (ciscouc_conv_get_data in plugins/ciscouc/ws_compat.h); a T.38 leg is
    // one row per announcement, any far end (a NAT'd sender) included.
    // Wireshark looks for the exact conversation first (find_conversation in
    // epan/conversation.c): a 5-tuple that had packets before the
    // announcement keeps its conversation.
    if (p.transport == 17 && !setups_.empty() && !index_.count(k)) {
        auto valid = [&](const Endpoint &e) -> const Setup * {
            auto it = setups_.find(e);
            return it != setups_.end() && it->second.frame < frame && it->second.leg != Leg::kTransfer ? &it->second
                                                                                                       : nullptr;
        };
        const Setup *ss = valid(s), *sd = ss ? nullptr : valid(d);
        if (const Setup *su = ss ? ss : sd) {
            k.directed = true;
            if (su->leg == Leg::kT38) {
                k.a = ss ? s : d;
                k.b = Endpoint();
                k.generation = su->frame;
            } else {
                k.a = s;
                k.b = d;
            }
        }
    }
    auto it = index_.find(k);
    *created = false;
    if (it != index_.end()) {
        Conv &c = convs_[it->second];
        if (c.transport != kTcp) return it->second;
        // TCP port reuse: a SYN whose sequence number is not the one this
        // direction started with opens a new conversation, as Wireshark's
        // TCP dissector does (packet-tcp.c, "TCP port numbers reused").
        int dir = (s.port == c.first_src.port && s.addr == c.first_src.addr) ? 0 : 1;
        bool reused = (p.tcp_flags & kSyn) && !(p.tcp_flags & kAck) && c.have_seq[dir] && p.tcp_seq != c.base_seq[dir];
        if (!reused) {
            if (!c.have_seq[dir]) {
                c.have_seq[dir] = true;
                c.base_seq[dir] = p.tcp_seq;
            }
            return it->second;
        }
        index_.erase(it);
    }
    if (convs_.size() >= opt_.max_conversations) return UINT32_MAX;
    *created = true;
    uint32_t idx = static_cast<uint32_t>(convs_.size());
    index_.emplace(k, idx);
    convs_.emplace_back();
    Conv &c = convs_.back();
    c.transport = p.transport == 6 ? kTcp : kUdp;
    c.first_src = c.client = s;
    c.first_dst = c.server = d;
    c.direction = c.transport == kUdp ? Direction::kFirstPacket : Direction::kUnknown;
    // Wireshark's TCP dissector remembers the server port from SYN (its
    // destination) or SYN-ACK (its source): tcp_analysis::server_port.
    if (c.transport == kTcp && (p.tcp_flags & kSyn)) {
        c.direction = Direction::kHandshake;
        if (p.tcp_flags & kAck) std::swap(c.client, c.server);
    }
    c.same_host = p.src == p.dst;
    c.signalled = k.directed;
    c.have_seq[0] = c.transport == kTcp;
    c.base_seq[0] = p.tcp_seq;
    c.first = ts;
    c.first_frame = frame;
    // Media or a transfer leg that signalling announced earlier. The plugin
    // reads the setup the RTP dissector shows (rtp.setup-frame), which RTP
    // looks up by the packet's destination first (get_conv_info in
    // epan/dissectors/packet-rtp.c: find_conversation(net_dst, net_src, ...)).
    // Only an RTP leg is media set up by signalling: an RTCP or T.38 leg
    // keeps its own (rtcp_add_address, t38_add_address). With the same port at
    // both ends, both directions show the earlier announcement (as observed
    // on the teaching captures' 16384 <-> 16384 RTP).
    bool source_first = false;
    if (p.sport == p.dport) {
        auto a = setups_.find(s), b = setups_.find(d);
        source_first = a != setups_.end() && (b == setups_.end() || a->second.frame < b->second.frame);
    }
    for (const Endpoint &e : {source_first ? s : d, source_first ? d : s}) {
        auto su = setups_.find(e);
        if (su != setups_.end() && su->second.frame < frame && su->second.leg != Leg::kTransfer) {
            if (su->second.leg == Leg::kRtp) {
                c.media_protocol = su->second.protocol;
                c.media_frame = su->second.frame;
            }
            break;
        }
    }
    relabel(c, frame);
    return idx;
}

void Scanner::announce(const Address &a, uint16_t port, int protocol, uint32_t frame, Leg leg) {
    // A later announcement of the same address replaces the earlier one, as
    // a later rtp_add_address does in Wireshark.
    auto put = [&](uint16_t pt, Leg l) {
        Endpoint e{a, pt};
        auto it = setups_.find(e);
        if (it != setups_.end()) {
            it->second = Setup{protocol, frame, l};
            return;
        }
        if (setups_.size() >= kMaxSetups) {
            ++n_.media_dropped;
            return;
        }
        setups_.emplace(e, Setup{protocol, frame, l});
    };
    put(port, leg);
    // RTCP on the next port (RFC 3550 section 11), as Wireshark's SDP
    // dissector sets it up; Skinny sets up the RTP port only (its RTCP is
    // found by the RTCP heuristic, one conversation per 5-tuple).
    static const int sccp = protocol_by_key("SCCP");
    if (leg == Leg::kRtp && protocol != sccp && port < 65535) put(static_cast<uint16_t>(port + 1), Leg::kRtcp);
}

// Wireshark's TCP reassembly as the plugin sees it, until the conversation
// shows a payload: a segment the dissector holds shows none; the one that
// completes the PDU shows it, dissected from the PDU's start.
bool Scanner::held(Conv &c, const Packet &p, const Framing &f, const uint8_t **data, size_t *len) {
    if (c.payload_seen || !c.inspect) return false;
    Held &h = c.inspect->held[p.sport == c.first_src.port && p.src == c.first_src.addr ? 0 : 1];
    const uint8_t *d = *data;
    const size_t n = *len;
    // A retransmission of held bytes adds nothing (TCP analysis does not hand
    // retransmitted data to the dissector again).
    if (h.on && static_cast<int32_t>(p.tcp_seq - h.next_seq) < 0) return true;
    if (!h.on) h = Held();
    if (h.head.size() < kHeldBytes) h.head.append(reinterpret_cast<const char *>(d), std::min(n, kHeldBytes - h.head.size()));
    h.have += n;
    bool complete = false;
    if (f.header == 0) {
        // The last byte above the blanks, in the reassembled bytes (a blank
        // segment leaves the held ones' last, which was not '>').
        size_t i = n;
        while (i > 0 && d[i - 1] <= ' ') --i;
        complete = i > 0 && d[i - 1] == '>';
    } else {
        if (!h.need && h.head.size() >= f.header) {
            h.need = f.pdu_length(reinterpret_cast<const uint8_t *>(h.head.data()), h.head.size());
            if (!h.need) complete = true;  // not framed: taken as it is
        }
        if (h.need && h.have >= h.need) complete = true;
    }
    if (complete) {
        if (h.on) {
            pdu_ = h.head;
            *data = reinterpret_cast<const uint8_t *>(pdu_.data());
            *len = pdu_.size();
        }
        h = Held();
        return false;
    }
    h.on = true;
    h.next_seq = p.tcp_seq + static_cast<uint32_t>(n);
    return true;
}

// SIP over TCP: false while the message this segment starts or continues
// is incomplete (its SDP, host roles and media are read when it is); then
// *data and *len are the whole message (up to kSipBytes).
bool Scanner::sip_stream(Conv &c, const Packet &p, const uint8_t **data, size_t *len) {
    if (!c.inspect) return true;
    std::string &buf = c.inspect->sip[p.sport == c.first_src.port && p.src == c.first_src.addr ? 0 : 1];
    const char *d = reinterpret_cast<const char *>(*data);
    if (buf.empty()) {
        size_t need = sip_message_length(*data, *len);
        if (need == 0 || (need != kSipNeedMore && need <= *len)) return true;  // complete, or not a message start
        buf.assign(d, std::min(*len, kSipBytes));
        return false;
    }
    buf.append(d, std::min(*len, kSipBytes - std::min(buf.size(), kSipBytes)));
    size_t need = sip_message_length(reinterpret_cast<const uint8_t *>(buf.data()), buf.size());
    if (buf.size() < kSipBytes && (need == kSipNeedMore || need > buf.size())) return false;
    pdu_.swap(buf);
    buf.clear();
    *data = reinterpret_cast<const uint8_t *>(pdu_.data());
    *len = pdu_.size();
    return true;
}

Scanner::Detection Scanner::detect(Conv &c, Packet &p, uint32_t frame) {
    Detection d;
    if (p.payload_len == 0) return d;
    d.payload = true;
    const Transport t = c.transport;
    const uint8_t *data = p.payload;
    size_t len = p.payload_len;
    // The segment held for more bytes (d.held), or the PDU it completes,
    // which the rest of the dissection (observe) then reads.
    auto hold = [&](const Framing *f) {
        if (!f || t != kTcp) return false;
        if (held(c, p, *f, &data, &len)) {
            d.payload = false;
            d.held = true;
            return true;
        }
        p.payload = data;
        p.payload_len = len;
        return false;
    };
    // 1. A conversation signalling set up: RTP/RTCP (SDP, Skinny), TFTP data.
    for (const Endpoint &e : {Endpoint{p.dst, p.dport}, Endpoint{p.src, p.sport}}) {
        if (t != kUdp) break;
        auto su = setups_.find(e);
        if (su == setups_.end() || su->second.frame >= frame) continue;
        // Media legs only in the conversation the announcement made (a
        // 5-tuple that kept its earlier conversation is not set up).
        if (su->second.leg != Leg::kTransfer && !c.signalled) continue;
        static const char *const names[] = {"rtp", "rtcp", "t38", "tftp"};  // by Leg
        d.protocol = protocol_of_wireshark(names[static_cast<int>(su->second.leg)], &d.other);
        return d;
    }
    // 2. Ports ciscouc stands in front of: a sniffed port records evidence;
    //    a stolen port hands a matching payload to the signature's dissector.
    int evidence = -1;
    for (size_t i = 0; i < kStealPortCount; ++i) {
        const StealPort &sp = kStealPorts[i];
        if (sp.transport != t) continue;
        bool on = (p.dport >= sp.lo && p.dport <= sp.hi) || (p.sport >= sp.lo && p.sport <= sp.hi);
        if (!on) continue;
        if (!match_signature(kSignatures[sp.signature], data, len)) continue;
        evidence = protocol_by_key(kSignatures[sp.signature].protocol);
        break;
    }
    if (evidence >= 0) {
        d.protocol = evidence;
        d.tls = kProtocols[evidence].secure;
        return d;
    }
    // A TCP conversation a heuristic handed to a dissector that frames its
    // PDUs stays with it (Bitcoin: conversation_set_dissector), both ways.
    if (t == kTcp && c.inspect && c.inspect->framed_by) {
        if (hold(c.inspect->framing)) return d;
        d.protocol = protocol_of_wireshark(c.inspect->framed_by, &d.other);
        return d;
    }
    // 3. The port table: the handshake's server port, the lower, the higher.
    uint16_t low = std::min(p.sport, p.dport), high = std::max(p.sport, p.dport);
    uint16_t order[3] = {c.direction == Direction::kHandshake ? c.server.port : uint16_t(0), low, high};
    for (uint16_t port : order) {
        if (!port) continue;
        const PortDissector *pd = port_dissector(t, port);
        if (!pd) continue;
        if (t == kUdp && documented_media_port(port)) {
            // UC signalling first, as the plugin's stand-in on the port (ports.cpp).
            const int sig = match_any(t, data, len);
            if (sig >= 0) {
                d.protocol = protocol_by_key(kSignatures[sig].protocol);
                return d;
            }
            Owned o = c.inspect ? rtp_before_owner(*c.inspect, p) : kOwner;
            if (o == kOwnedRtp) d.protocol = protocol_by_key("RTP");
            if (o != kOwner) return d;
        }
        if (pd->accept == Accept::kSignature && !signature_matches(t, pd->signature_protocol, false, data, len)) continue;
        if (!accepts(pd->accept, data, len)) continue;
        if (hold(pd->framing)) return d;
        d.protocol = protocol_of_wireshark(pd->wireshark, &d.other);
        // STARTTLS (LDAP, XMPP, SMTP): the stock owner hands the TLS records
        // that follow to TLS, which the plugin sees in the stack.
        d.tls = std::strcmp(pd->wireshark, "tls") == 0 || signature_matches(t, "TLS", false, data, len);
        // NetBIOS session messages (RFC 1002 section 4.3.1) carrying SMB
        // (\xffSMB) or SMB2 (\xfeSMB): the plugin sees SMB in the stack too.
        if (std::strcmp(pd->wireshark, "nbss") == 0 && len >= 8 && data[0] == 0 &&
            (data[4] == 0xff || data[4] == 0xfe) && std::memcmp(data + 5, "SMB", 3) == 0)
            d.carried = protocol_of_wireshark("smb", &d.other_carried);
        // On a sniffed port, the stock owner's claim needs evidence (detect()
        // in packet-ciscouc.cpp): SIP over TCP calls anything on 5060 SIP.
        if (d.protocol >= 0 && (sniffed_for(t, p.sport, d.protocol) ||
                                sniffed_for(t, p.dport, d.protocol)))
            d.protocol = -1;
        return d;
    }
    // 4. Heuristics: the UC signatures, then RTP on evidence (heur_rtp).
    if (const Heuristic *h = heuristic(t, data, len)) {
        if (h->framing && t == kTcp && c.inspect) {
            c.inspect->framed_by = h->wireshark;
            c.inspect->framing = h->framing;
        }
        if (hold(h->framing)) return d;
        d.protocol = protocol_of_wireshark(h->wireshark, &d.other);
        d.tls = std::strcmp(h->wireshark, "tls") == 0;
        return d;
    }
    if (rtcp_packet(t, data, len, p.dport)) {
        d.protocol = protocol_of_wireshark("rtcp", &d.other);
        return d;
    }
    RtpHeader rh;
    if (t == kUdp && (documented_media_port(p.sport) || documented_media_port(p.dport)) && len >= 12 &&
        parse_rtp(data, len, &rh) && c.inspect) {
        Inspect &in = *c.inspect;
        if (!in.have_rtp_dir) {
            in.have_rtp_dir = true;
            in.rtp_first = Endpoint{p.src, p.sport};
        }
        bool forward = p.sport == in.rtp_first.port && p.src == in.rtp_first.addr;
        RtpRun &run = forward ? in.fwd : in.rev;
        run.feed(rh);
        if (run.confirmed() || in.rtp_confirmed) {
            in.rtp_confirmed = true;
            d.protocol = protocol_by_key("RTP");
        }
    }
    return d;
}

void Scanner::observe(Conv &c, const Packet &p, uint32_t frame, int protocol) {
    static const int sip = protocol_by_key("SIP"), sccp = protocol_by_key("SCCP"), mgcp = protocol_by_key("MGCP"),
                     ras = protocol_by_key("RAS"), tftp = protocol_by_key("TFTP"), xmpp = protocol_by_key("XMPP");
    if (!p.payload_len || protocol < 0) return;
    const std::string sender = address_text(p.src), receiver = address_text(p.dst);
    Observation o;
    if (protocol == sip) {
        const uint8_t *msg = p.payload;
        size_t msg_len = p.payload_len;
        if (c.transport == kTcp && !sip_stream(c, p, &msg, &msg_len)) return;
        SipMessage m;
        if (!parse_sip(msg, msg_len, &m)) return;
        // A datagram the snap length cut: Wireshark's SIP dissector stops at
        // the cut (an exception past the captured bytes), and its header
        // fields do not reach the plugin, so the message shows no host role
        // (as observed on the shared captures' 512-byte snap lengths).
        if (!(p.cut && c.transport == kUdp)) o = observe_sip(m.request, m.method, m.software);
        for (int i = 0; i < m.media.count; ++i) announce(m.media.item[i].addr, m.media.item[i].port, sip, frame, m.media.item[i].t38 ? Leg::kT38 : Leg::kRtp);
    } else if (protocol == sccp) {
        SccpMessages m;
        if (!parse_sccp(p.payload, p.payload_len, &m)) return;
        bool to_server = c.listener_port && p.dport == c.listener_port;
        o = observe_sccp(m.device_name, to_server);
        for (int i = 0; i < m.media.count; ++i) announce(m.media.item[i].addr, m.media.item[i].port, sccp, frame, Leg::kRtp);
    } else if (protocol == mgcp) {
        MgcpMessage m;
        if (!parse_mgcp(p.payload, p.payload_len, &m)) return;
        o = observe_mgcp(m.request, m.verb);
        for (int i = 0; i < m.media.count; ++i) announce(m.media.item[i].addr, m.media.item[i].port, mgcp, frame, m.media.item[i].t38 ? Leg::kT38 : Leg::kRtp);
    } else if (protocol == ras) {
        int choice = ras_choice(p.payload, p.payload_len);
        if (choice < 0) return;
        o = observe_ras(static_cast<uint32_t>(choice));
    } else if (protocol == tftp) {
        std::string_view file;
        if (p.payload_len >= 2 && p.payload[0] == 0 && (p.payload[1] == 1 || p.payload[1] == 2))
            announce(p.src, p.sport, tftp, frame, Leg::kTransfer);  // the server answers from a new port (RFC 1350 section 4)
        if (!parse_tftp_read(p.payload, p.payload_len, &file)) return;
        o = observe_tftp_read(file);
    } else if (protocol == xmpp) {
        bool server_stream = false;
        if (!parse_xmpp_stream(p.payload, p.payload_len, &server_stream)) return;
        bool initiator = p.src == c.client.addr && p.sport == c.client.port;
        o = observe_xmpp_stream(initiator, server_stream);
    } else {
        return;
    }
    if (o.any()) hosts_.apply(o, sender, receiver, frame);
}

// The plugin's relabel() (plugins/ciscouc/conversation.cpp), step for step.
void Scanner::relabel(Conv &c, uint32_t frame) {
    Label first = classify(c.transport, c.client.port, c.server.port, c.direction, c.detected, opt_.prefs);
    auto listener_of = [&](uint16_t port) -> const Endpoint * {
        return port == 0 ? nullptr : port == c.server.port ? &c.server : &c.client;
    };
    // The listener of UC signalling documented to a Unified CM is one.
    static const int unified_cm = role_by_key("unified_cm");
    if (const Endpoint *l = listener_of(first.listener_port); l && label_shows_unified_cm(first, c.detected))
        hosts_.add(address_text(l->addr), unified_cm, c.detected, frame);
    c.client_roles = hosts_.roles(address_text(c.client.addr));
    c.server_roles = hosts_.roles(address_text(c.server.addr));
    c.roles_generation = hosts_.generation();
    EvidenceInput ev;
    ev.transport = c.transport;
    ev.client_port = c.client.port;
    ev.server_port = c.server.port;
    ev.client_roles = c.client_roles;
    ev.server_roles = c.server_roles;
    ev.detected = c.detected;
    ev.detected_other = c.detected_other;
    ev.seen = c.seen;
    ev.payload_seen = c.payload_seen;
    ev.payload_frame = c.payload_frame;
    ev.media_protocol = c.media_protocol;
    ev.media_frame = c.media_frame;
    const Verdict v = weigh(std::move(first), c.direction, ev, opt_.prefs, opt_.claims);
    c.cand = v.label.candidates;
    c.claim = v.as.claim;
    c.evidence_detail = v.detail;
    c.label_frame = frame;
    c.listener_port = v.label.listener_port;
    const Endpoint *listener = listener_of(v.label.listener_port);
    FlagInput in;
    in.transport = c.transport;
    in.client_port = c.client.port;
    in.server_port = c.server.port;
    in.label = &v.flag_label(opt_.claims);
    in.detected = c.detected;
    in.detected_other = c.detected_other;
    in.seen = c.seen;
    in.tls_seen = c.tls_seen;
    in.payload_seen = c.payload_seen;
    in.listener_is_unified_cm = listener && (hosts_.roles(address_text(listener->addr)) & role_bit(unified_cm));
    in.same_host = c.same_host;
    in.prefs = opt_.prefs;
    FlagResult r = evaluate_flags(in);
    c.flags = r.flags;
    c.nr_pending = r.not_recommended_pending;
}

// conversation_refresh(): relabel when a host showed a new role since.
void Scanner::refresh(Conv &c) {
    if (c.roles_generation == hosts_.generation()) return;
    if (hosts_.roles(address_text(c.client.addr)) != c.client_roles ||
        hosts_.roles(address_text(c.server.addr)) != c.server_roles)
        relabel(c, c.label_frame);
    else
        c.roles_generation = hosts_.generation();
}

void Scanner::finish() {
    for (Conv &c : convs_) refresh(c);
}

void Scanner::packet(uint32_t frame, double ts, int linktype, const uint8_t *data, size_t caplen, size_t wirelen) {
    ++n_.frames;
    if (!started_) {
        started_ = true;
        capture_start_ = ts;
    }
    Packet p;
    Skip skip = decode(linktype, data, caplen, &p);
    if (skip != Skip::kNone) {
        ++n_.skipped[static_cast<int>(skip)];
        return;
    }
    if (p.first_fragment) ++n_.first_fragments;
    bool created = false;
    uint32_t idx = conversation(p, frame, ts, &created);
    if (idx == UINT32_MAX) {
        ++n_.dropped_packets;
        return;
    }
    ++n_.conversation_packets;
    touch(idx, ts);
    expire(ts);
    Conv &c = convs_[idx];
    c.packets++;
    c.bytes += wirelen;
    if (!c.inspect) touch(idx, ts);  // expired by the sweep just now: it is live again
    bool inspect = c.inspected < kInspectPackets || c.nr_pending;
    if (!inspect && c.signalling < 0) {
        refresh(c);
        return;
    }
    if (inspect) ++c.inspected;
    Detection d = detect(c, p, frame);
    static const int h225 = protocol_by_key("H.225"), ras = protocol_by_key("RAS"), sip = protocol_by_key("SIP"),
                     sccp = protocol_by_key("SCCP"), mgcp = protocol_by_key("MGCP");
    if (c.transport == kUdp && d.protocol == h225) d.protocol = ras;
    if (d.held) {
        refresh(c);
        return;
    }
    if (!inspect) {
        observe_and_refresh(c, p, frame, d.protocol);
        return;
    }
    bool changed = false;
    if (d.any() && c.detected < 0 && !c.detected_other) {
        c.detected = d.protocol;
        c.detected_other = d.other;
        c.payload_frame = frame;
        if (d.protocol == sip || d.protocol == sccp || d.protocol == mgcp) c.signalling = d.protocol;
        orient_by_payload(c, p, d.protocol, frame);
        changed = true;
    }
    for (int seen : {d.protocol, d.carried}) {
        if (seen >= 0 && !c.seen.has(seen)) {
            c.seen.add(seen);
            changed = true;
        }
    }
    if (d.tls && !c.tls_seen) c.tls_seen = changed = true;
    if (d.payload && !c.payload_seen) c.payload_seen = changed = true;
    if (changed) relabel(c, frame);
    observe_and_refresh(c, p, frame, d.protocol);
}

// No handshake: the payload says which side serves, as the plugin's
// orient_by_payload (plugins/ciscouc/conversation.cpp): a SIP status line
// comes from the side that received the request unless the receiver's port
// documents SIP; a TFTP transfer leg is served by the host its requester asked.
void Scanner::orient_by_payload(Conv &c, const Packet &p, int detected, uint32_t frame) {
    if (c.direction == Direction::kHandshake || c.direction == Direction::kPayload) return;
    static const int sip = protocol_by_key("SIP"), tftp = protocol_by_key("TFTP");
    const bool from_client = p.src == c.client.addr && p.sport == c.client.port;
    if (detected == sip) {
        SipMessage m;
        if (!parse_sip(p.payload, p.payload_len, &m) || m.request) return;
        if (port_documents(c.transport, p.dport, sip)) return;
        if (from_client) std::swap(c.client, c.server);
        c.direction = Direction::kPayload;
    } else if (detected == tftp && c.transport == kUdp) {
        for (bool client_asked : {true, false}) {
            auto su = setups_.find(client_asked ? c.client : c.server);
            if (su == setups_.end() || su->second.leg != Leg::kTransfer || su->second.frame >= frame) continue;
            if (!client_asked) std::swap(c.client, c.server);
            c.direction = Direction::kPayload;
            return;
        }
    }
}

// The plugin's order after inspection (dissect_post): the UC fields show the
// hosts' roles, then a conversation whose hosts showed a new role since it
// was labelled is labelled again (conversation_refresh).
void Scanner::observe_and_refresh(Conv &c, const Packet &p, uint32_t frame, int detected) {
    // Signalling keeps announcing media and showing roles after the window.
    observe(c, p, frame, detected >= 0 ? detected : c.signalling);
    refresh(c);
}

// ---- Output.

namespace {

std::string endpoint_text(const std::string &addr, const Endpoint &e) {
    return (e.addr.family == 6 ? "[" + addr + "]" : addr) + ":" + std::to_string(e.port);
}

}  // namespace

void Scanner::print_conversations(FILE *out) const {
    fprintf(out, "================================================================================\n");
    fprintf(out, "Cisco UC conversations (ciscouc): %zu\n", convs_.size());
    fprintf(out, "Client\tServer\tTransport\tListener\tPackets\tBytes\tFirst\tLast\tDetected\tFlags\tProduct\tEntry\t"
                 "Purpose\tOther uses\tEvidence\tEvidence detail\tClient role\tServer role\n");
    for (const Conv &c : convs_) {
        // Orient the row so that the listener is on the right (conv_packet in stats.cpp).
        Endpoint client = c.first_src, server = c.first_dst;
        if (c.listener_port && c.listener_port == c.first_src.port && c.listener_port != c.first_dst.port)
            std::swap(client, server);
        const std::string ca = address_text(client.addr), sa = address_text(server.addr);
        const char *product = "", *entry = "";
        std::string purpose;
        const size_t n = c.cand.size();
        if (n) {
            const Entry &e = kEntries[kFlows[c.cand.front().flow].entry];
            product = e.product;
            entry = e.id;
            purpose = std::string(c.cand.front().catch_all ? "(catch-all range) " : "") +
                      (opt_.original_language ? e.purpose_original : e.purpose);
        }
        fprintf(out, "%s\t%s\t%s\t%u\t%" PRIu64 "\t%" PRIu64 "\t%.6f\t%.6f\t%s\t%s\t%s\t%s\t%s\t%zu\t%s\t%s\t%s\t%s\n",
                endpoint_text(ca, client).c_str(), endpoint_text(sa, server).c_str(),
                c.transport == kTcp ? "tcp" : "udp", c.listener_port, c.packets, c.bytes, c.first - capture_start_,
                c.last - capture_start_,
                c.detected >= 0 ? kProtocols[c.detected].key : c.detected_other ? c.detected_other : "",
                flag_list(c.flags).c_str(), product, entry, purpose.c_str(), n ? n - 1 : 0, claim_text(c.claim),
                c.evidence_detail.c_str(), role_names(hosts_.roles(ca)).c_str(), role_names(hosts_.roles(sa)).c_str());
    }
    fprintf(out, "================================================================================\n");
}

void Scanner::print_hosts(FILE *out) const {
    // Conversations per host address: each conversation counts once for each
    // of its two hosts (hosts_packet in plugins/ciscouc/hosts.cpp).
    std::unordered_map<std::string, unsigned> conversations;
    for (const HostTable::Host &h : hosts_.hosts()) conversations.emplace(h.address, 0);
    for (const Conv &c : convs_) {
        const std::string a = address_text(c.first_src.addr), b = address_text(c.first_dst.addr);
        for (const std::string *k : {&a, &b}) {
            if (k == &b && b == a) break;
            auto it = conversations.find(*k);
            if (it != conversations.end()) ++it->second;
        }
    }
    fprintf(out, "================================================================================\n");
    fprintf(out, "Cisco UC hosts (ciscouc): %zu\n", hosts_.hosts().size());
    fprintf(out, "Address\tRoles\tEvidence\tConversations\n");
    for (const HostTable::Host &h : hosts_.hosts())
        fprintf(out, "%s\t%s\t%s\t%u\n", h.address.c_str(), role_names(h.roles).c_str(),
                HostTable::proofs_text(h).c_str(), conversations[h.address]);
    fprintf(out, "================================================================================\n");
}

void Scanner::print_footer(FILE *out, const char *name) const {
    static const char *const skip_names[kSkipKinds] = {
        "", "unsupported or truncated link layer", "not IP", "truncated IP or transport header",
        "IP fragments after the first (only first fragments are read)", "IPv6 extension headers not walked",
        "other IP protocols (ICMP, GRE, ESP...)"};
    fprintf(out, "ciscouc-scan: %s: %" PRIu64 " frames, %" PRIu64 " in %zu TCP/UDP conversations", name, n_.frames,
            n_.conversation_packets, convs_.size());
    if (n_.first_fragments)
        fprintf(out, "; %" PRIu64 " first fragments read alone (not reassembled)", n_.first_fragments);
    fprintf(out, "\n");
    for (int i = 1; i < kSkipKinds; ++i)
        if (n_.skipped[i]) fprintf(out, "ciscouc-scan: %s: skipped %" PRIu64 " frames: %s\n", name, n_.skipped[i], skip_names[i]);
    if (n_.dropped_packets)
        fprintf(out, "ciscouc-scan: %s: dropped %" PRIu64 " packets of conversations beyond the cap of %zu\n", name,
                n_.dropped_packets, opt_.max_conversations);
    if (n_.evicted)
        fprintf(out, "ciscouc-scan: %s: %" PRIu64 " conversations ended their inspection early (over %zu live)\n", name,
                n_.evicted, opt_.max_live);
    if (n_.media_dropped)
        fprintf(out, "ciscouc-scan: %s: %" PRIu64 " media announcements not kept (table full)\n", name, n_.media_dropped);
}

}  // namespace scan
}  // namespace ciscouc
