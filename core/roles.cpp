// ciscouc core: host-role rules and the per-capture host table.
#include "roles.h"

#include <algorithm>
#include <cctype>

namespace ciscouc {

namespace {

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
            return false;
    return true;
}

bool contains_nocase(std::string_view s, std::string_view needle) {
    if (needle.size() > s.size()) return false;
    for (size_t i = 0; i + needle.size() <= s.size(); ++i)
        if (starts_with_nocase(s.substr(i), needle)) return true;
    return false;
}

bool ends_with_nocase(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && starts_with_nocase(s.substr(s.size() - suffix.size()), suffix);
}

int role(const char *key) { return role_by_key(key); }
int proto(const char *key) { return protocol_by_key(key); }

// The software a SIP User-Agent or Server header names, as a role.
int sip_software_role(std::string_view sw) {
    // Leading white space is the header's, not the product's.
    while (!sw.empty() && (sw.front() == ' ' || sw.front() == '\t')) sw.remove_prefix(1);
    static const struct { const char *prefix; const char *role; } kSoftware[] = {
        {"Cisco-CUCM", "unified_cm"},       {"Cisco-SIPGateway", "gateway"}, {"Cisco-CUBE", "gateway"},
        {"Cisco-CP", "phone"},              {"Cisco-CSF", "phone"},          {"Cisco-TelePresence", "telepresence"},
        {"Cisco-Expressway", "expressway"}, {"TANDBERG/", "expressway"},
    };
    for (const auto &s : kSoftware)
        if (starts_with_nocase(sw, s.prefix)) return role(s.role);
    return -1;
}

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

}  // namespace

bool vendor_pattern_matches(std::string_view text, std::string_view pattern) {
    const bool prefix = !pattern.empty() && pattern.back() == '*';
    if (prefix) pattern.remove_suffix(1);
    if (pattern.empty()) return false;
    for (size_t i = 0; i + pattern.size() <= text.size(); ++i) {
        if (i > 0 && is_alnum(text[i - 1])) continue;
        if (!starts_with_nocase(text.substr(i), pattern)) continue;
        const size_t end = i + pattern.size();
        if (prefix || end == text.size() || !is_alpha(text[end])) return true;
    }
    return false;
}

VendorSet vendors_named(std::string_view text) {
    VendorSet v = 0;
    if (text.empty()) return v;
    for (size_t i = 0; i < kVendorPatternCount; ++i)
        if (vendor_pattern_matches(text, kVendorPatterns[i].pattern)) v |= vendor_bit(kVendorPatterns[i].vendor);
    return v;
}

VendorSet cisco_vendor() {
    static const VendorSet v = [] {
        for (size_t i = 0; i < kVendorCount; ++i)
            if (kVendors[i].cisco) return vendor_bit(static_cast<int>(i));
        return VendorSet(0);
    }();
    return v;
}

bool other_vendor(VendorSet v) {
    for (size_t i = 0; i < kVendorCount; ++i)
        if ((v & vendor_bit(static_cast<int>(i))) && !kVendors[i].cisco) return true;
    return false;
}

std::string vendor_names(VendorSet v) {
    std::string s;
    for (size_t i = 0; i < kVendorCount; ++i)
        if (v & vendor_bit(static_cast<int>(i))) s += (s.empty() ? "" : ", ") + std::string(kVendors[i].name);
    return s;
}

int role_by_key(std::string_view key) {
    for (size_t i = 0; i < kRoleCount; ++i)
        if (key == kRoles[i].key) return static_cast<int>(i);
    return -1;
}

std::string role_names(RoleSet roles) {
    std::string s;
    for (size_t i = 0; i < kRoleCount; ++i)
        if (roles & role_bit(static_cast<int>(i))) s += (s.empty() ? "" : ", ") + std::string(kRoles[i].name);
    return s;
}

int sccp_device_role(uint32_t t) {
    // Wireshark epan/dissectors/packet-skinny.c, static const value_string
    // DeviceType[] (generated from tools/SkinnyProtocolOptimized.xml).
    static const uint32_t kPhones[] = {
        0x00001, 0x00002, 0x00003, 0x00004, 0x00005, 0x00006, 0x00007, 0x00008, 0x00009, 0x0000a, 0x0000b,
        0x0000c, 0x0000d, 0x00014, 0x00015, 0x0003d, 0x00073, 0x00077, 0x00113, 0x0012e, 0x00133, 0x00134,
        0x00135, 0x0014f, 0x00150, 0x0015c, 0x00166, 0x0016d, 0x00171, 0x00176, 0x00178, 0x00194, 0x001af,
        0x001b2, 0x001b3, 0x001b4, 0x001b5, 0x001d4, 0x001e4, 0x001ed, 0x001ef, 0x001f0, 0x001f1, 0x001f7,
        0x00223, 0x00224, 0x00234, 0x00249, 0x0024a, 0x04e20, 0x07532, 0x07536, 0x07537, 0x07538, 0x07540,
        0x07542, 0x07543, 0x0754b, 0x0754c, 0x07550, 0x07553, 0x13880, 0x13883, 0x13884, 0x13885, 0x13887,
        0x13889, 0x1388b,
    };
    static const uint32_t kGateways[] = {0x0001e, 0x00028, 0x00029, 0x0002a, 0x0002b, 0x0002f, 0x00030,
                                         0x0003e, 0x00078, 0x00079, 0x00084, 0x000fe};
    static const uint32_t kMediaResources[] = {0x00032, 0x00033, 0x00034, 0x00035, 0x00046, 0x00052, 0x00053,
                                               0x00054, 0x00055, 0x00056, 0x00057, 0x00058, 0x0006e, 0x0006f,
                                               0x00070, 0x00071, 0x0007e, 0x0007f, 0x00081};
    auto in = [t](const uint32_t *b, const uint32_t *e) { return std::find(b, e, t) != e; };
    if (in(std::begin(kPhones), std::end(kPhones))) return role("phone");
    if (in(std::begin(kGateways), std::end(kGateways))) return role("gateway");
    if (in(std::begin(kMediaResources), std::end(kMediaResources))) return role("media_resource");
    return -1;
}

RoleFit role_fit(RoleSet documented, RoleSet host) {
    if (documented & kAnyHost) return RoleFit::kNeutral;
    // A host that names another vendor is no Cisco product (a Cisco phone's
    // Asterisk is not the Unified CM a row names).
    if ((host & kOtherVendor) && (documented & kCiscoRoles) && !(documented & ~kCiscoRoles)) return RoleFit::kForeign;
    host &= ~(kOtherVendor | kCiscoVendor);
    if (!host) return RoleFit::kUnknown;
    if (documented & host) return RoleFit::kMatch;
    // A role that may turn out to be the documented one (a SIP server may be
    // a Unified CM: vocabulary `possibly`) neither matches nor contradicts.
    RoleSet maybe = 0;
    for (size_t i = 0; i < kRoleCount; ++i)
        if (host & role_bit(static_cast<int>(i))) maybe |= kRoles[i].possibly;
    // A host with roles is not a device the capture cannot show (CTMS, MXE).
    return (documented & maybe) ? RoleFit::kUnknown : RoleFit::kContradict;
}

bool unknown_fits(RoleSet documented) {
    return !(documented & kCiscoRoles) || (documented & ~kCiscoRoles & ~kAnyHost);
}

bool flow_fits(const Flow &f, RoleSet sender, RoleSet listener) {
    auto fits = [](RoleSet documented, RoleSet host) {
        RoleFit x = role_fit(documented, host);
        return x != RoleFit::kContradict && x != RoleFit::kForeign;
    };
    return fits(f.from_roles, sender) && fits(f.to_roles, listener);
}

Observation observe_sccp(std::string_view device_name, bool to_server, uint32_t device_type) {
    Observation o;
    o.protocol = proto("SCCP");
    const int by_type = sccp_device_role(device_type);
    int device = device_name.empty()                      ? -1
                 : starts_with_nocase(device_name, "SEP") ? role("phone")
                 : by_type >= 0                           ? by_type
                                                          : role("media_resource");
    if (to_server) {
        o.sender_role = device;
        o.receiver_role = role("unified_cm");
    } else {
        o.sender_role = role("unified_cm");
        o.receiver_role = device;
    }
    o.sender_vendors = o.receiver_vendors = cisco_vendor();
    return o;
}

Observation observe_sip(bool request, std::string_view method, std::string_view software) {
    Observation o;
    o.protocol = proto("SIP");
    o.sender_role = sip_software_role(software);
    o.sender_vendors = vendors_named(software);
    if (request && method == "REGISTER") {
        if (o.sender_role < 0) o.sender_role = role("phone");
        const bool cisco_agent = (o.sender_vendors & cisco_vendor()) && !other_vendor(o.sender_vendors);
        o.receiver_role = role(cisco_agent ? "unified_cm" : "sip_server");
    }
    return o;
}

Observation observe_sccp_media(std::string_view address) {
    Observation o;
    o.protocol = proto("SCCP");
    // 0.0.0.0 (no address yet) names no host.
    if (address.empty() || address == "0.0.0.0" || address == "::") return o;
    o.named = address;
    o.named_role = role("media_endpoint");
    return o;
}

Observation observe_dhcp_tftp(std::string_view address) {
    Observation o;
    o.protocol = proto("DHCP");
    if (address.empty() || address == "0.0.0.0") return o;
    o.named = address;
    o.named_role = role("tftp_server");
    return o;
}

Observation observe_dhcp_vendor_class(std::string_view vendor_class, std::string_view sender) {
    Observation o;
    o.protocol = proto("DHCP");
    if (vendor_class.empty() || sender.empty() || sender == "0.0.0.0") return o;
    o.sender_vendors = vendors_named(vendor_class);
    if ((o.sender_vendors & cisco_vendor()) && contains_nocase(vendor_class, "IP Phone")) o.sender_role = role("phone");
    return o;
}

Observation observe_mgcp(bool request, std::string_view verb) {
    Observation o;
    o.protocol = proto("MGCP");
    if (!request) return o;
    static const char *const kFromCallAgent[] = {"CRCX", "MDCX", "DLCX", "RQNT", "AUEP", "AUCX", "EPCF"};
    static const char *const kFromGateway[] = {"RSIP", "NTFY"};
    bool ca = std::any_of(std::begin(kFromCallAgent), std::end(kFromCallAgent), [&](const char *v) { return verb == v; });
    bool gw = std::any_of(std::begin(kFromGateway), std::end(kFromGateway), [&](const char *v) { return verb == v; });
    // DLCX goes both ways (RFC 3435 section 2.3.9); only the call agent's
    // form carries a call id, which this rule does not see: call agent wins,
    // as the gateway's own DLCX is rare.
    if (ca) {
        o.sender_role = role("unified_cm");
        o.receiver_role = role("gateway");
    } else if (gw) {
        o.sender_role = role("gateway");
        o.receiver_role = role("unified_cm");
    }
    return o;
}

Observation observe_ras(uint32_t choice) {
    Observation o;
    o.protocol = proto("RAS");
    switch (choice) {
    case 0: case 3: case 9:  // GRQ, RRQ, ARQ
        o.sender_role = role("gateway");
        o.receiver_role = role("gatekeeper");
        break;
    case 1: case 2: case 4: case 5: case 10: case 11:  // GCF, GRJ, RCF, RRJ, ACF, ARJ
        o.sender_role = role("gatekeeper");
        o.receiver_role = role("gateway");
        break;
    default: break;
    }
    return o;
}

Observation observe_tftp_read(std::string_view name) {
    Observation o;
    o.protocol = proto("TFTP");
    // A path prefix ("/SEP...") is the server's business.
    size_t slash = name.find_last_of("/\\");
    if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
    bool phone_file = (starts_with_nocase(name, "SEP") && contains_nocase(name, ".cnf.xml")) ||
                      (starts_with_nocase(name, "ITL") && (ends_with_nocase(name, ".tlv"))) ||
                      (starts_with_nocase(name, "CTL") && (ends_with_nocase(name, ".tlv"))) ||
                      starts_with_nocase(name, "XMLDefault.cnf.xml");
    if (phone_file) {
        o.sender_role = role("phone");
        o.receiver_role = role("tftp_server");
        o.sender_vendors = cisco_vendor();
    }
    return o;
}

Observation observe_xmpp_stream(bool initiator, bool server_stream) {
    Observation o;
    o.protocol = proto("XMPP");
    if (server_stream) {
        o.sender_role = o.receiver_role = role("imp");
    } else if (initiator) {
        o.sender_role = role("xmpp_client");
        o.receiver_role = role("imp");
    } else {
        o.sender_role = role("imp");
        o.receiver_role = role("xmpp_client");
    }
    return o;
}

HostTable::Host &HostTable::host(const std::string &address, uint32_t frame) {
    auto it = index_.find(address);
    if (it == index_.end()) {
        it = index_.emplace(address, hosts_.size()).first;
        hosts_.push_back(Host());
        hosts_.back().address = address;
        hosts_.back().first_frame = frame;
    }
    return hosts_[it->second];
}

bool HostTable::add(const std::string &address, int r, int protocol, uint32_t frame) {
    if (r < 0 || r >= kMaxRoles || address.empty()) return false;
    if ((role_bit(r) & kCiscoRoles) && other_vendor(vendors(address))) return false;
    Host &h = host(address, frame);
    if (h.roles & role_bit(r)) return false;
    // A role that may turn out to be one the host has shown is no news (a
    // Unified CM is a SIP server); a role shown replaces the possibility.
    if (kRoles[r].possibly & h.roles) return false;
    for (size_t i = 0; i < kRoleCount; ++i)
        if (kRoles[i].possibly & role_bit(r)) h.roles &= ~role_bit(static_cast<int>(i));
    h.roles |= role_bit(r);
    h.proof[r].protocol = protocol;
    h.proof[r].frame = frame;
    ++generation_;
    return true;
}

int observe_payload(const PayloadFacts &f, const PacketSides &s, Observation out[kMaxObservations],
                    std::string_view sender) {
    int n = 0;
    for (const std::string &a : f.dhcp_tftp)
        if (!a.empty() && n < kMaxObservations) out[n++] = observe_dhcp_tftp(a);
    if (!f.dhcp_vendor_class.empty() && n < kMaxObservations)
        out[n++] = observe_dhcp_vendor_class(f.dhcp_vendor_class, sender);
    if (n < kMaxObservations && (!f.sccp_device.empty() || f.sccp)) out[n++] = observe_sccp(f.sccp_device, s.to_server, f.sccp_device_type);
    for (const std::string &a : f.sccp_media)
        if (!a.empty() && n < kMaxObservations) out[n++] = observe_sccp_media(a);
    if (n < kMaxObservations && f.sip_request) out[n++] = observe_sip(true, f.sip_method, f.sip_software);
    else if (n < kMaxObservations && f.sip_status) out[n++] = observe_sip(false, "", f.sip_software);
    if (n < kMaxObservations && !f.mgcp_verb.empty()) out[n++] = observe_mgcp(true, f.mgcp_verb);
    if (n < kMaxObservations && f.ras_choice >= 0) out[n++] = observe_ras(static_cast<uint32_t>(f.ras_choice));
    if (n < kMaxObservations && f.tftp_read && !f.tftp_file.empty()) out[n++] = observe_tftp_read(f.tftp_file);
    if (n < kMaxObservations && f.xmpp_stream) out[n++] = observe_xmpp_stream(s.initiator, f.xmpp_server);
    return n;
}

bool HostTable::observe(const PayloadFacts &f, const PacketSides &s, const std::string &sender,
                        const std::string &receiver, uint32_t frame) {
    Observation o[kMaxObservations];
    const int n = observe_payload(f, s, o, sender);
    bool news = false;
    for (int i = 0; i < n; ++i)
        if (o[i].any()) news |= apply(o[i], sender, receiver, frame);
    return news;
}

bool HostTable::add_vendors(const std::string &address, VendorSet v, int protocol, uint32_t frame) {
    if (!v || address.empty()) return false;
    Host &h = host(address, frame);
    if ((h.vendors & v) == v) return false;
    for (size_t i = 0; i < kVendorCount; ++i) {
        const VendorSet bit = vendor_bit(static_cast<int>(i));
        if ((v & bit) && !(h.vendors & bit)) h.vendor_proof.emplace_back(static_cast<int>(i), Proof{protocol, frame});
    }
    h.vendors |= v;
    // Its own words name another vendor: no Cisco role stays.
    if (other_vendor(h.vendors)) h.roles &= ~kCiscoRoles;
    ++generation_;
    return true;
}

bool HostTable::apply(const Observation &o, const std::string &sender, const std::string &receiver, uint32_t frame) {
    // Vendors first: a host's own words decide which roles it may take.
    bool v = add_vendors(sender, o.sender_vendors, o.protocol, frame);
    bool w = add_vendors(receiver, o.receiver_vendors, o.protocol, frame);
    bool a = add(sender, o.sender_role, o.protocol, frame);
    bool b = add(receiver, o.receiver_role, o.protocol, frame);
    bool c = !o.named.empty() && add(std::string(o.named), o.named_role, o.protocol, frame);
    return v || w || a || b || c;
}

RoleSet HostTable::roles(const std::string &address) const {
    const Host *h = find(address);
    if (!h) return 0;
    return h->roles | (other_vendor(h->vendors) ? kOtherVendor : (h->vendors & cisco_vendor()) ? kCiscoVendor : 0);
}

VendorSet HostTable::vendors(const std::string &address) const {
    const Host *h = find(address);
    return h ? h->vendors : 0;
}

const HostTable::Host *HostTable::find(const std::string &address) const {
    auto it = index_.find(address);
    return it == index_.end() ? nullptr : &hosts_[it->second];
}

void HostTable::clear() {
    hosts_.clear();
    index_.clear();
    ++generation_;
}

std::string HostTable::proofs_text(const Host &h) {
    std::string s;
    for (size_t i = 0; i < kRoleCount; ++i) {
        if (!(h.roles & role_bit(static_cast<int>(i)))) continue;
        const Proof &p = h.proof[i];
        s += (s.empty() ? "" : "; ") + std::string(kRoles[i].name) + ": " +
             (p.protocol >= 0 ? kProtocols[p.protocol].key : "?") + " frame " + std::to_string(p.frame);
    }
    for (const auto &vp : h.vendor_proof)
        s += (s.empty() ? "" : "; ") + std::string(kVendors[vp.first].name) + ": " +
             (vp.second.protocol >= 0 ? kProtocols[vp.second.protocol].key : "?") + " frame " +
             std::to_string(vp.second.frame);
    return s;
}

std::string HostTable::role_text(const Host *h) {
    if (!h) return std::string();
    std::string s = role_names(h->roles);
    // Cisco is what the roles already say; another vendor is news.
    const VendorSet others = h->vendors & ~cisco_vendor();
    if (others) s += (s.empty() ? "(" : " (") + vendor_names(others) + ")";
    return s;
}

}  // namespace ciscouc
