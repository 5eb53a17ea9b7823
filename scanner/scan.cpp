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
#include "tables.h"

namespace ciscouc {
namespace scan {

namespace {

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

// Is this packet from the first sender the conversation's RTP vote saw?
bool rtp_forward(Inspect &in, const Packet &p) {
    if (!in.have_rtp_dir) {
        in.have_rtp_dir = true;
        in.rtp_first = Endpoint{p.src, p.sport};
    }
    return p.sport == in.rtp_first.port && p.src == in.rtp_first.addr;
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

const char *end_name(End e) {
    static const char *const names[kEndKinds] = {"fin", "rst", "reused", "idle", "evicted", "interval", "flush"};
    return names[static_cast<int>(e)];
}

Scanner::Scanner(const Options &o) : opt_(o), pipe_(o.settings, hosts_) {
    kept_.set_cap(opt_.max_hosts);
    Settings s = opt_.settings;
    s.allow = opt_.allow.size() ? &opt_.allow : nullptr;
    pipe_.set_settings(s);
}

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
        if (opt_.sink) end(it->second, End::kReused);
        else index_.erase(it);
    }
    if (opt_.sink) {
        // Stream mode: at the cap, the least recently seen conversation ends
        // (its record says so) to make room.
        while (active_ >= opt_.max_conversations && active_) {
            const uint32_t t = lru_head_[0], u = lru_head_[1];
            end(t == UINT32_MAX || (u != UINT32_MAX && convs_[u].last < convs_[t].last) ? u : t, End::kEvicted);
        }
        if (!opt_.max_conversations) return UINT32_MAX;
    } else if (convs_.size() >= opt_.max_conversations) {
        return UINT32_MAX;
    }
    *created = true;
    uint32_t idx;
    if (!free_.empty()) {
        idx = free_.back();
        free_.pop_back();
    } else {
        idx = static_cast<uint32_t>(convs_.size());
        convs_.emplace_back();
    }
    index_.emplace(k, idx);
    Conv &c = convs_[idx];
    c.key = k;
    c.used = true;
    ++active_;
    const Transport t = p.transport == 6 ? kTcp : kUdp;
    c.first_src = c.client = s;
    c.first_dst = c.server = d;
    Direction direction = t == kUdp ? Direction::kFirstPacket : Direction::kUnknown;
    // Wireshark's TCP dissector remembers the server port from SYN (its
    // destination) or SYN-ACK (its source): tcp_analysis::server_port.
    if (t == kTcp && (p.tcp_flags & kSyn)) {
        direction = Direction::kHandshake;
        if (p.tcp_flags & kAck) std::swap(c.client, c.server);
    }
    c.signalled = k.directed;
    c.have_seq[0] = t == kTcp;
    c.base_seq[0] = p.tcp_seq;
    c.first = ts;
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
    MediaSetup media;
    for (const Endpoint &e : {source_first ? s : d, source_first ? d : s}) {
        auto su = setups_.find(e);
        if (su != setups_.end() && su->second.frame < frame && su->second.leg != Leg::kTransfer) {
            if (su->second.leg == Leg::kRtp) media = MediaSetup{su->second.protocol, su->second.frame};
            break;
        }
    }
    keep(c, pipe_.open(&c, keys(c), t, c.client.port, c.server.port, direction, p.src == p.dst, frame, media));
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
            if (opt_.sink) note_setup(e, frame);
            return;
        }
        if (opt_.sink) {
            // Stream mode: the oldest announcement makes room (counted).
            while (setups_.size() >= kMaxSetups && forget_oldest_setup()) {
            }
            if (setups_.size() >= kMaxSetups) {
                ++n_.media_dropped;
                return;
            }
            note_setup(e, frame);
        } else if (setups_.size() >= kMaxSetups) {
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

Scanner::StockDetection Scanner::detect(Conv &c, Packet &p, uint32_t frame) {
    StockDetection d;
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
    if (const int sp = steal_port(t, p.sport, p.dport, data, len); sp >= 0) {
        const int evidence = kSignatures[kStealPorts[sp].signature].protocol_index;
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
            RtpBeforeOwner o = RtpBeforeOwner::kOwner;
            if (c.inspect) {
                RtpHeader rh;
                const bool rtp = p.payload_len >= 12 && parse_rtp(p.payload, p.payload_len, &rh);
                o = c.inspect->rtp.before_owner(rtp ? &rh : nullptr, rtp && rtp_forward(*c.inspect, p), frame);
            }
            if (o == RtpBeforeOwner::kRtp) d.protocol = kProtocolRtp;
            if (o != RtpBeforeOwner::kOwner) return d;
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
        if (c.inspect->rtp.heuristic(rh, rtp_forward(*c.inspect, p), frame)) d.protocol = kProtocolRtp;
    }
    return d;
}

// What the packet's payload says: the facts the core's role rules read
// (core/roles.h PayloadFacts), from the scanner's own parsers, and the media
// and transfer legs signalling announces.
void Scanner::observe(Conv &c, const Packet &p, uint32_t frame, int protocol) {
    static const int sip = protocol_by_key("SIP"), sccp = protocol_by_key("SCCP"), mgcp = protocol_by_key("MGCP"),
                     ras = protocol_by_key("RAS"), tftp = protocol_by_key("TFTP"), xmpp = protocol_by_key("XMPP"),
                     dhcp = protocol_by_key("DHCP");
    if (!p.payload_len || protocol < 0) return;
    PayloadFacts f;
    PacketSides sides;
    if (protocol == sip) {
        const uint8_t *msg = p.payload;
        size_t msg_len = p.payload_len;
        if (c.transport == kTcp && !sip_stream(c, p, &msg, &msg_len)) return;
        SipMessage m;
        if (!parse_sip(msg, msg_len, &m)) return;
        feed_sip(c, p, frame, msg, msg_len);
        // A datagram the snap length cut: Wireshark's SIP dissector stops at
        // the cut (an exception past the captured bytes), and its header
        // fields do not reach the plugin, so the message shows no host role
        // (as observed on the shared captures' 512-byte snap lengths).
        if (!(p.cut && c.transport == kUdp)) {
            f.sip_request = m.request;
            f.sip_status = !m.request;
            f.sip_method = m.method;
            f.sip_software = m.software;
        }
        for (int i = 0; i < m.media.count; ++i) announce(m.media.item[i].addr, m.media.item[i].port, sip, frame, m.media.item[i].t38 ? Leg::kT38 : Leg::kRtp);
    } else if (protocol == sccp) {
        SccpMessages m;
        if (!parse_sccp(p.payload, p.payload_len, &m)) return;
        sides.to_server = c.listener_port && p.dport == c.listener_port;
        f.sccp = true;
        f.sccp_device = m.device_name;
        f.sccp_device_type = m.device_type;
        for (int i = 0; i < m.media.count && i < 2; ++i) f.sccp_media[i] = address_text(m.media.item[i].addr);
        for (int i = 0; i < m.media.count; ++i) announce(m.media.item[i].addr, m.media.item[i].port, sccp, frame, Leg::kRtp);
    } else if (protocol == mgcp) {
        MgcpMessage m;
        if (!parse_mgcp(p.payload, p.payload_len, &m)) return;
        if (m.request) f.mgcp_verb = m.verb;
        for (int i = 0; i < m.media.count; ++i) announce(m.media.item[i].addr, m.media.item[i].port, mgcp, frame, m.media.item[i].t38 ? Leg::kT38 : Leg::kRtp);
    } else if (protocol == ras) {
        f.ras_choice = ras_choice(p.payload, p.payload_len);
    } else if (protocol == tftp) {
        if (p.payload_len >= 2 && p.payload[0] == 0 && (p.payload[1] == 1 || p.payload[1] == 2))
            announce(p.src, p.sport, tftp, frame, Leg::kTransfer);  // the server answers from a new port (RFC 1350 section 4)
        f.tftp_read = parse_tftp_read(p.payload, p.payload_len, &f.tftp_file);
    } else if (protocol == dhcp) {
        DhcpOptions d;
        if (!parse_dhcp(p.payload, p.payload_len, &d)) return;
        for (int i = 0; i < d.tftp_count; ++i) f.dhcp_tftp[i] = address_text(d.tftp[i]);
        // Option 66 names a server; an IPv4 address there is one (a name is not resolved).
        Address a{};
        if (!d.tftp_count && !d.tftp_name.empty() && d.tftp_name.size() < 16 &&
            inet_pton(AF_INET, std::string(d.tftp_name).c_str(), a.bytes) == 1) {
            a.family = 4;
            f.dhcp_tftp[0] = address_text(a);
        }
        f.dhcp_vendor_class = d.vendor_class;
    } else if (protocol == xmpp) {
        f.xmpp_stream = parse_xmpp_stream(p.payload, p.payload_len, &f.xmpp_server);
        sides.initiator = p.src == c.client.addr && p.sport == c.client.port;
    } else {
        return;
    }
    const std::string src = address_text(p.src), dst = address_text(p.dst);
    hosts_.observe(f, sides, src, dst, frame);
    if (opt_.sink) {
        kept_.seen(hosts_, src, now_);
        kept_.seen(hosts_, dst, now_);
    }
}

HostKeys Scanner::keys(const Conv &c) const { return HostKeys{address_text(c.client.addr), address_text(c.server.addr)}; }

// What the core's relabel decided that the scanner shows: the rows and the
// evidence detail (the rest is in the conversation's ConvState).
void Scanner::keep(Conv &c, const Relabel &r) {
    if (r.swapped) std::swap(c.client, c.server);
    if (!r.done) return;
    c.cand = r.verdict.label.candidates;
    c.evidence_detail = r.verdict.detail;
}

void Scanner::refresh(Conv &c) {
    if (c.roles_generation != hosts_.generation()) keep(c, pipe_.refresh(&c, keys(c)));
}

void Scanner::finish() {
    for (Conv &c : convs_) refresh(c);
}

void Scanner::packet(uint32_t frame, double ts, int linktype, const uint8_t *data, size_t caplen, size_t wirelen) {
    uint8_t tcp_flags = 0;
    if (opt_.sink) tick(ts);  // conversations idle by this packet's time end before it counts
    now_ = ts;
    const uint32_t idx = label(frame, ts, linktype, data, caplen, wirelen, &tcp_flags);
    if (opt_.sink) after(idx, tcp_flags, ts);
}

// One packet through the pipeline: its conversation, or UINT32_MAX.
uint32_t Scanner::label(uint32_t frame, double ts, int linktype, const uint8_t *data, size_t caplen, size_t wirelen,
                        uint8_t *tcp_flags) {
    ++n_.frames;
    if (!started_) {
        started_ = true;
        capture_start_ = ts;
    }
    Packet p;
    Skip skip = decode(linktype, data, caplen, &p);
    if (skip != Skip::kNone) {
        ++n_.skipped[static_cast<int>(skip)];
        return UINT32_MAX;
    }
    *tcp_flags = p.transport == 6 ? p.tcp_flags : 0;
    if (p.first_fragment) ++n_.first_fragments;
    bool created = false;
    uint32_t idx = conversation(p, frame, ts, &created);
    if (idx == UINT32_MAX) {
        ++n_.dropped_packets;
        return UINT32_MAX;
    }
    ++n_.conversation_packets;
    from_first_ = p.sport == convs_[idx].first_src.port && p.src == convs_[idx].first_src.addr;
    touch(idx, ts);
    expire(ts);
    Conv &c = convs_[idx];
    c.packets++;
    c.bytes += wirelen;
    if (!c.inspect) touch(idx, ts);  // expired by the sweep just now: it is live again
    const bool inspect = Pipeline::begin_inspection(&c);
    if (!inspect && c.signalling < 0) {
        refresh(c);
        feed_calls(idx, p, frame, -1);
        return idx;
    }
    const StockDetection sd = detect(c, p, frame);
    if (sd.held) {
        refresh(c);
        feed_calls(idx, p, frame, -1);
        return idx;
    }
    // The stack as the plugin sees it: the protocol (after the vocabulary's
    // [transport_remap], as the UC fields show it: RAS, not H.225, over UDP)
    // and what it carries.
    Detection d;
    d.protocol = remap_protocol(c.transport, sd.protocol);
    d.other = sd.other;
    d.seen.add(d.protocol);
    d.seen.add(sd.carried);
    d.tls = sd.tls;
    d.payload = sd.payload;
    if (inspect) {
        PayloadSides s;
        const bool orient = Pipeline::needs_orientation(c, d);
        if (orient) s = sides(c, p, d.protocol, frame);
        HostKeys k = keys(c);
        keep(c, pipe_.inspect(&c, &k, d, orient ? &s : nullptr, MediaSetup(), frame));
        static const int sip = protocol_by_key("SIP"), sccp = protocol_by_key("SCCP"), mgcp = protocol_by_key("MGCP"),
                         h225 = protocol_by_key("H.225");
        if (c.signalling < 0 && (c.detected == sip || c.detected == sccp || c.detected == mgcp ||
                                 (opt_.calls && c.detected == h225)))
            c.signalling = c.detected;
    }
    observe_and_refresh(c, p, frame, d.protocol);
    feed_calls(idx, p, frame, d.protocol >= 0 ? d.protocol : c.signalling);
    return idx;
}

// No handshake: what the first payload says about which side serves (the
// core's Pipeline decides): a SIP status line, or a TFTP transfer leg whose
// request came from one of the conversation's ends.
PayloadSides Scanner::sides(const Conv &c, const Packet &p, int detected, uint32_t frame) const {
    static const int sip = protocol_by_key("SIP"), tftp = protocol_by_key("TFTP");
    PayloadSides s;
    s.from_client = p.src == c.client.addr && p.sport == c.client.port;
    s.dst_port = p.dport;
    if (detected == sip) {
        SipMessage m;
        s.sip_status = parse_sip(p.payload, p.payload_len, &m) && !m.request;
    } else if (detected == tftp && c.transport == kUdp) {
        auto asked = [&](const Endpoint &e) {
            auto su = setups_.find(e);
            return su != setups_.end() && su->second.leg == Leg::kTransfer && su->second.frame < frame;
        };
        s.tftp_asked_from_client = asked(c.client);
        s.tftp_asked_from_server = !s.tftp_asked_from_client && asked(c.server);
    }
    return s;
}

// The plugin's order after inspection (dissect_post): the UC fields show the
// hosts' roles, then a conversation whose hosts showed a new role since it
// was labelled is labelled again (conversation_refresh).
void Scanner::observe_and_refresh(Conv &c, const Packet &p, uint32_t frame, int detected) {
    // Signalling keeps announcing media and showing roles after the window.
    observe(c, p, frame, detected >= 0 ? detected : c.signalling);
    refresh(c);
}

// ---- Output: the core's tables (core/tables.h), as the plugin writes them.

void Scanner::print_conversations(FILE *out) const {
    write_conversations_header(out, convs_.size());
    for (const Conv &c : convs_) write_conversation(out, row_of(c), opt_.original_language);
    write_table_end(out);
}

ConvRow Scanner::row_of(const Conv &c) const {
    {
        // The listener on the right (the plugin's -z ciscouc,conv turns its row likewise).
        const bool turn = listener_first(c.listener_port, c.first_src.port, c.first_dst.port);
        const Endpoint &client = turn ? c.first_dst : c.first_src, &server = turn ? c.first_src : c.first_dst;
        const std::string ca = address_text(client.addr), sa = address_text(server.addr);
        ConvRow r;
        r.client = endpoint_text(ca, client.addr.family == 6, client.port);
        r.server = endpoint_text(sa, server.addr.family == 6, server.port);
        r.transport = c.transport;
        r.listener = c.listener_port;
        r.packets = c.packets;
        r.bytes = c.bytes;
        r.first = c.first - capture_start_;
        r.last = c.last - capture_start_;
        r.state = &c;
        r.cand = c.cand.data();
        r.cand_count = c.cand.size();
        r.evidence_detail = c.evidence_detail.c_str();
        r.claims = opt_.settings.claims;
        r.client_host = hosts_.find(ca);
        r.server_host = hosts_.find(sa);
        return r;
    }
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
    write_hosts(out, hosts_, [&](const std::string &a) { return conversations[a]; });
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
