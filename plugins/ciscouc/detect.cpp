// ciscouc: which protocols a frame's layers show. Every Wireshark protocol id
// is classified once at handoff (a carrier layer to skip, a vocabulary
// protocol, or another protocol); a frame is then one walk over its layers.
#include "detect.h"

#include <algorithm>
#include <vector>

#include "core/signatures.h"

namespace ciscouc {
namespace epan {

int proto_tcp = -1;

namespace {

// Wireshark protocol ids -> what they tell us. Built once at handoff.
enum : gint16 { kSkip = -2, kOther = -1 };
std::vector<gint16> proto_class;
// Layers that are no payload at all: ciscouc's own (this postdissector; a
// heuristic that handed the payload on) and the transport's option
// pseudo-protocols (Wireshark lists each TCP option, "tcp.options.mss", as a
// layer after tcp), so a SYN carries none.
std::vector<bool> not_payload;
int proto_udp = -1, proto_tls = -1, proto_ssl = -1;

void classify_id(int id, gint16 c) {
    if (id >= 0 && static_cast<size_t>(id) < proto_class.size()) proto_class[id] = c;
}

}  // namespace

void build_proto_classes() {
    int max_id = 0;
    void *cookie = nullptr;
    for (int id = proto_get_first_protocol(&cookie); id != -1; id = proto_get_next_protocol(&cookie))
        max_id = std::max(max_id, id);
    proto_class.assign(static_cast<size_t>(max_id) + 1, kOther);
    not_payload.assign(static_cast<size_t>(max_id) + 1, false);
    for (int id = proto_get_first_protocol(&cookie); id != -1; id = proto_get_next_protocol(&cookie)) {
        const char *name = proto_get_protocol_filter_name(id);
        if (name && (g_str_has_prefix(name, "tcp.") || g_str_has_prefix(name, "udp.")))
            not_payload[static_cast<size_t>(id)] = true;
    }
    if (proto_ciscouc >= 0 && static_cast<size_t>(proto_ciscouc) < not_payload.size()) not_payload[proto_ciscouc] = true;
    // Layers that carry or frame the application protocol, never are it (vocabulary [carriers]).
    for (size_t i = 0; i < kCarrierLayerCount; ++i) classify_id(proto_get_id_by_filter_name(kCarrierLayers[i]), kSkip);
    // Names in [detect] win over the carriers: H.245 inside an H.225 frame is
    // still seen (the first application layer, H.225, is what is detected).
    for (size_t i = 0; i < kDetectNameCount; ++i)
        classify_id(proto_get_id_by_filter_name(kDetectNames[i].wireshark), static_cast<gint16>(kDetectNames[i].protocol));
    proto_tcp = proto_get_id_by_filter_name("tcp");
    proto_udp = proto_get_id_by_filter_name("udp");
    proto_tls = proto_get_id_by_filter_name("tls");
    proto_ssl = proto_get_id_by_filter_name("ssl");
}

Detection detect(packet_info *pinfo, Transport t) {
    Detection d;
    // Payload evidence from a sniffed port outranks the protocol stack (the
    // SIP-over-TCP dissector calls anything on 5060 a SIP continuation).
    int evidence = packet_evidence(pinfo);
    // Still a possible RTP run on a port a stock dissector owns (ports.cpp):
    // payload, as undecoded data is, but the owner's decode is no evidence yet.
    if (evidence < 0 && packet_undecided(pinfo)) {
        d.payload = true;
        return d;
    }
    if (!pinfo->layers) return d;
    bool after_transport = false;
    for (wmem_list_frame_t *f = wmem_list_head(pinfo->layers); f; f = wmem_list_frame_next(f)) {
        int id = GPOINTER_TO_INT(wmem_list_frame_data(f));
        if (id == proto_tcp || id == proto_udp) {
            after_transport = true;
            d = Detection();
            continue;
        }
        if (!after_transport || id < 0 || static_cast<size_t>(id) >= proto_class.size()) continue;
        if (not_payload[static_cast<size_t>(id)]) continue;
        d.payload = true;
        if (id == proto_tls || id == proto_ssl) d.tls = true;
        gint16 c = proto_class[id];
        if (c == kSkip) continue;
        if (c >= 0) d.seen.add(c);
        if (d.any()) continue;
        if (c >= 0) d.protocol = c;
        else d.other = proto_get_protocol_filter_name(id);
    }
    if (evidence >= 0) {
        d.protocol = evidence;
        d.other = nullptr;
        d.seen = ProtocolSet();  // the stock owner's claim (SIP continuation) is not evidence
        d.seen.add(evidence);
        d.payload = true;
        // What the bytes are decides encryption too: stock TLS on 5061 shows
        // cleartext SIP as an unknown TLS record.
        static const int tls = protocol_by_key("TLS");
        d.tls = evidence == tls;
        return d;
    }
    // On a sniffed port, the stock owner's claim needs evidence: stock XMPP on
    // 5222 shows WhatsApp's segments as XMPP awaiting reassembly.
    if (d.protocol >= 0 && (sniffed_for(t, static_cast<uint16_t>(pinfo->srcport), d.protocol) ||
                            sniffed_for(t, static_cast<uint16_t>(pinfo->destport), d.protocol))) {
        d.seen.remove(d.protocol);
        d.protocol = -1;
    }
    return d;
}

}  // namespace epan
}  // namespace ciscouc
