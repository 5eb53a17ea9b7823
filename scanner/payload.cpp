// ciscouc-scan: bounded payload parsers (see payload.h).
#include "payload.h"
#include "text.h"

#include <arpa/inet.h>

#include <cstring>

namespace ciscouc {
namespace scan {

namespace {

constexpr size_t kMaxLines = 128;  // header and SDP lines looked at per message

std::string_view view(const uint8_t *data, size_t len) {
    return std::string_view(reinterpret_cast<const char *>(data), len);
}

bool iequals_prefix(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
        char a = s[i], b = prefix[i];
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
        if (a != b) return false;
    }
    return true;
}

// "Name: value" when the line's header name is `name` (case-insensitive).
bool header_value(std::string_view line, std::string_view name, std::string_view *value) {
    if (!iequals_prefix(line, name)) return false;
    std::string_view rest = trim(line.substr(name.size()));
    if (rest.empty() || rest.front() != ':') return false;
    *value = trim(rest.substr(1));
    return true;
}

bool parse_address(std::string_view family, std::string_view text, Address *out) {
    char buf[64];
    if (text.empty() || text.size() >= sizeof buf) return false;
    // "224.2.1.1/127": a multicast TTL suffix (RFC 8866 section 5.7).
    size_t slash = text.find('/');
    if (slash != std::string_view::npos) text = text.substr(0, slash);
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    if (family == "IP4" && inet_pton(AF_INET, buf, out->bytes) == 1) {
        out->family = 4;
        return true;
    }
    if (family == "IP6" && inet_pton(AF_INET6, buf, out->bytes) == 1) {
        out->family = 6;
        return true;
    }
    return false;
}

// Splits "a b c" at single spaces into at most n fields; returns the count.
int fields(std::string_view s, std::string_view *out, int n) {
    int k = 0;
    size_t pos = 0;
    while (k < n && pos < s.size()) {
        while (pos < s.size() && s[pos] == ' ') ++pos;
        if (pos >= s.size()) break;
        size_t end = s.find(' ', pos);
        if (end == std::string_view::npos) end = s.size();
        out[k++] = s.substr(pos, end - pos);
        pos = end;
    }
    return k;
}

bool parse_port(std::string_view s, uint16_t *port) {
    if (s.empty() || s.size() > 5) return false;
    uint32_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') break;  // "49170/2": a port count follows
        v = v * 10 + static_cast<uint32_t>(c - '0');
    }
    if (v == 0 || v > 65535) return false;
    *port = static_cast<uint16_t>(v);
    return true;
}

uint32_t le32(const uint8_t *p) {
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
           static_cast<uint32_t>(p[3]) << 24;
}

// The body after the first empty line, or empty.
std::string_view body_of(std::string_view text) {
    size_t pos = 0;
    std::string_view line;
    for (size_t n = 0; n < kMaxLines && next_line(text, &pos, &line); ++n)
        if (line.empty() && n > 0) return text.substr(pos);
    return std::string_view();
}

}  // namespace

void MediaList::add(const Address &a, uint16_t port, bool t38) {
    if (count >= kMaxMedia || a.family == 0 || port == 0) return;
    for (int i = 0; i < count; ++i)
        if (item[i].port == port && item[i].addr == a) return;
    item[count].addr = a;
    item[count].port = port;
    item[count].t38 = t38;
    ++count;
}

void parse_sdp(std::string_view body, MediaList *out) {
    Address session{};
    bool in_media = false;
    // The m= line waiting for its media-level c= (it may follow the m= line).
    uint16_t pending_port = 0;
    Address pending_addr{};
    bool pending = false, pending_t38 = false;
    auto flush = [&]() {
        if (pending) out->add(pending_addr.family ? pending_addr : session, pending_port, pending_t38);
        pending = false;
    };
    size_t pos = 0;
    std::string_view line;
    for (size_t n = 0; n < kMaxLines && next_line(body, &pos, &line); ++n) {
        if (line.size() < 2 || line[1] != '=') continue;
        std::string_view f[4];
        if (line[0] == 'c') {
            // c=<nettype> <addrtype> <connection-address>
            Address a{};
            if (fields(line.substr(2), f, 3) == 3 && f[0] == "IN" && parse_address(f[1], f[2], &a)) {
                if (in_media) pending_addr = a;
                else session = a;
            }
        } else if (line[0] == 'm') {
            // m=<media> <port>[/<number of ports>] <proto> <fmt> ...
            flush();
            in_media = true;
            pending_addr = Address{};
            uint16_t port = 0;
            if (fields(line.substr(2), f, 3) >= 2 && parse_port(f[1], &port)) {
                pending_port = port;
                pending = true;
                pending_t38 = f[2] == "udptl";
            }
        }
    }
    flush();
}

bool parse_sip(const uint8_t *data, size_t len, SipMessage *out) {
    *out = SipMessage();
    std::string_view text = view(data, len), line;
    size_t pos = 0;
    if (!next_line(text, &pos, &line)) return false;
    std::string_view f[3];
    if (line.substr(0, 8) == "SIP/2.0 ") {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        if (fields(line, f, 3) < 2 || f[1].size() != 3) return false;
        out->status = (f[1][0] - '0') * 100 + (f[1][1] - '0') * 10 + (f[1][2] - '0');
        if (out->status < 100 || out->status > 699) return false;
    } else {
        // Request-Line = Method SP Request-URI SP SIP-Version
        if (fields(line, f, 3) != 3 || f[2] != "SIP/2.0") return false;
        out->request = true;
        out->method = f[0];
    }
    std::string_view value;
    for (size_t n = 0; n < kMaxLines && next_line(text, &pos, &line); ++n) {
        if (line.empty()) {
            parse_sdp(text.substr(pos), &out->media);
            break;
        }
        if (out->software.empty() && header_value(line, out->request ? "User-Agent" : "Server", &value))
            out->software = value;
    }
    return true;
}

size_t sip_message_length(const uint8_t *data, size_t len) {
    std::string_view text = view(data, len), line;
    size_t pos = 0;
    if (!next_line(text, &pos, &line)) return 0;
    bool start = line.substr(0, 8) == "SIP/2.0 " ||
                 (line.size() > 8 && line.substr(line.size() - 8) == " SIP/2.0");
    if (!start) return 0;
    size_t body = 0;
    std::string_view value;
    for (size_t n = 0; n < kMaxLines; ++n) {
        if (pos >= text.size()) return kSipNeedMore;  // the headers go on
        if (!next_line(text, &pos, &line)) return kSipNeedMore;
        if (line.empty()) return pos + body;
        if (pos == text.size() && text.back() != '\n') return kSipNeedMore;  // a header cut by the segment
        // Content-Length, or its compact form "l" (RFC 3261 section 20.14).
        if (header_value(line, "Content-Length", &value) || header_value(line, "l", &value)) {
            body = 0;
            for (char ch : value) {
                if (ch < '0' || ch > '9' || body > (1u << 24)) break;
                body = body * 10 + static_cast<size_t>(ch - '0');
            }
        }
    }
    return pos + body;  // more header lines than are looked at: what is there
}

bool parse_mgcp(const uint8_t *data, size_t len, MgcpMessage *out) {
    *out = MgcpMessage();
    std::string_view text = view(data, len), line, f[4];
    size_t pos = 0;
    int n = next_line(text, &pos, &line) ? fields(line, f, 4) : 0;
    static const char *const verbs[] = {"EPCF", "CRCX", "MDCX", "DLCX", "RQNT", "NTFY", "AUEP", "AUCX", "RSIP", "MESG"};
    bool verb = false;
    for (const char *v : verbs)
        if (n >= 1 && f[0] == v) verb = true;
    if (verb) {
        // verb SP transaction-id SP endpoint SP "MGCP" SP version
        if (n < 4 || f[3] != "MGCP") return false;
        out->request = true;
        out->verb = f[0];
    } else if (n < 2 || f[0].size() != 3 || f[0][0] < '0' || f[0][0] > '9') {
        return false;  // response-code SP transaction-id
    }
    parse_sdp(body_of(text), &out->media);
    return true;
}

bool parse_sccp(const uint8_t *data, size_t len, SccpMessages *out) {
    *out = SccpMessages();
    // Message ids and body layouts (packet-skinny.c): RegisterMessage 0x0001
    // (handle_RegisterMessage) is DeviceName[16], reserved_for_future_use,
    // instance, stationIpAddr, then deviceType (32-bit little endian at
    // body offset 28); OpenReceiveChannelAck
    // 0x0022 is mediaReceptionStatus, ipAddr, portNumber; StartMediaTransmission
    // 0x008A is conferenceID, passThruPartyID, remoteIpAddr, remotePortNumber.
    // From header version 17 (0x11) on, an address is ipAddrType (0 IPv4,
    // 1 IPv6) and 16 address bytes; before, 4 IPv4 bytes.
    size_t off = 0;
    for (int msgs = 0; msgs < 16 && off + 12 <= len; ++msgs) {
        uint32_t dlen = le32(data + off), version = le32(data + off + 4), id = le32(data + off + 8);
        if (dlen < 4 || dlen > 4096 || version > 0x16) break;
        out->any = true;
        size_t body = off + 12, end = off + 8 + dlen;
        if (end > len) end = len;
        auto read_addr = [&](size_t at, Address *a, size_t *after) -> bool {
            if (version >= 0x11) {
                if (at + 20 > end) return false;
                uint32_t type = le32(data + at);
                a->family = type == 1 ? 6 : 4;
                std::memcpy(a->bytes, data + at + 4, a->family == 4 ? 4 : 16);
                *after = at + 20;
            } else {
                if (at + 4 > end) return false;
                a->family = 4;
                std::memcpy(a->bytes, data + at, 4);
                *after = at + 4;
            }
            return true;
        };
        Address a{};
        size_t after = 0;
        if (id == 0x0001 && body + 16 <= end) {
            const char *name = reinterpret_cast<const char *>(data + body);
            size_t n = 0;
            while (n < 16 && name[n] != '\0') ++n;
            out->device_name = std::string_view(name, n);
            if (body + 32 <= end) out->device_type = le32(data + body + 28);
        } else if (id == 0x0022 && read_addr(body + 4, &a, &after) && after + 4 <= end) {
            out->media.add(a, static_cast<uint16_t>(le32(data + after)));
        } else if (id == 0x008A && read_addr(body + 8, &a, &after) && after + 4 <= end) {
            out->media.add(a, static_cast<uint16_t>(le32(data + after)));
        }
        off += 8 + static_cast<size_t>(dlen);
    }
    return out->any;
}

bool parse_dhcp(const uint8_t *data, size_t len, DhcpOptions *out) {
    *out = DhcpOptions();
    static const uint8_t kCookie[] = {99, 130, 83, 99};
    if (len < 240 || std::memcmp(data + 236, kCookie, 4) != 0) return false;
    size_t off = 240;
    while (off < len) {
        const uint8_t code = data[off];
        if (code == 255) break;  // end
        if (code == 0) {         // pad
            ++off;
            continue;
        }
        if (off + 2 > len) break;
        const size_t olen = data[off + 1];
        const uint8_t *v = data + off + 2;
        if (off + 2 + olen > len) break;
        auto text = [&]() {
            size_t n = olen;
            while (n && v[n - 1] == 0) --n;  // a trailing NUL (Wireshark's FT_STRINGZ)
            return std::string_view(reinterpret_cast<const char *>(v), n);
        };
        if (code == 60) out->vendor_class = text();
        else if (code == 66) out->tftp_name = text();
        else if (code == 150)
            for (size_t i = 0; i + 4 <= olen && out->tftp_count < 2; i += 4) {
                Address &a = out->tftp[out->tftp_count++];
                a.family = 4;
                std::memcpy(a.bytes, v + i, 4);
            }
        off += 2 + olen;
    }
    return true;
}

int count_tpkt_q931(const uint8_t *data, size_t len) {
    int n = 0;
    size_t off = 0;
    while (n < 64 && off + 5 <= len) {
        size_t tlen = static_cast<size_t>(data[off + 2]) << 8 | data[off + 3];
        if (data[off] != 3 || data[off + 1] != 0 || tlen < 5 || data[off + 4] != 0x08) break;
        if (off + tlen > len) break;
        ++n;
        off += tlen;
    }
    return n;
}

int ras_choice(const uint8_t *data, size_t len) {
    if (len < 1 || (data[0] & 0x80)) return -1;
    int choice = (data[0] >> 2) & 0x1f;
    return choice < 25 ? choice : -1;
}

bool parse_tftp_read(const uint8_t *data, size_t len, std::string_view *filename) {
    if (len < 4 || data[0] != 0 || data[1] != 1) return false;
    size_t n = 0;
    while (2 + n < len && data[2 + n] != 0) {
        if (data[2 + n] < 0x20 || data[2 + n] > 0x7e) return false;
        ++n;
    }
    if (n == 0 || 2 + n >= len) return false;
    *filename = std::string_view(reinterpret_cast<const char *>(data + 2), n);
    return true;
}

bool parse_xmpp_stream(const uint8_t *data, size_t len, bool *server_stream) {
    std::string_view text = view(data, len < 512 ? len : 512);
    size_t at = text.find("<stream:stream");
    if (at == std::string_view::npos) return false;
    size_t end = text.find('>', at);
    std::string_view head = text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    *server_stream = head.find("jabber:server") != std::string_view::npos;
    return true;
}

bool parse_tls_sni(const uint8_t *data, size_t len, std::string_view *sni) {
    // Record header (5), handshake header (4), legacy_version (2), random (32).
    if (len < 5 + 4 + 34 || data[0] != 0x16 || data[5] != 0x01) return false;
    auto u16 = [&](size_t at) { return static_cast<size_t>(data[at]) << 8 | data[at + 1]; };
    size_t off = 5 + 4 + 34;
    if (off + 1 > len) return false;
    off += 1 + data[off];  // legacy_session_id
    if (off + 2 > len) return false;
    off += 2 + u16(off);  // cipher_suites
    if (off + 1 > len) return false;
    off += 1 + data[off];  // legacy_compression_methods
    if (off + 2 > len) return false;
    size_t ext_end = off + 2 + u16(off);
    off += 2;
    if (ext_end > len) ext_end = len;
    while (off + 4 <= ext_end) {
        size_t type = u16(off), elen = u16(off + 2);
        off += 4;
        if (off + elen > ext_end) return false;
        if (type == 0 && elen >= 5) {
            // ServerNameList: list length, then name_type 0 (host_name), length, name.
            size_t nlen = u16(off + 3);
            if (data[off + 2] != 0 || off + 5 + nlen > off + elen) return false;
            *sni = std::string_view(reinterpret_cast<const char *>(data + off + 5), nlen);
            return true;
        }
        off += elen;
    }
    return false;
}

}  // namespace scan
}  // namespace ciscouc
