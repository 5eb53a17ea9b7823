// ciscouc core: host roles a capture shows (a phone, a Unified CM, a gateway),
// each with the payload that shows it. Pure C++, no epan header: the plugin
// feeds it from Wireshark's fields, a scanner from its own parsers.
//
// The role vocabulary is data ([roles.*] in catalog/vocabulary.toml, compiled
// into kRoles); the rules that read a payload are the observe_* functions,
// one per kind of evidence, each a pure function of what the payload says.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "catalog.h"

namespace ciscouc {

using RoleSet = uint32_t;  // one bit per kRoles index (and kOtherVendor, kCiscoVendor: catalog.h)
constexpr int kMaxRoles = 29;
constexpr RoleSet role_bit(int role) { return role >= 0 && role < kMaxRoles ? RoleSet(1) << role : 0; }

using VendorSet = uint64_t;  // one bit per kVendors index
constexpr VendorSet vendor_bit(int v) { return v >= 0 && v < 64 ? VendorSet(1) << v : 0; }

// Does `pattern` ([vendors.*] in catalog/vocabulary.toml) occur in `text`?
// Without case, at the start of a word (the text's start or after a character
// that is not a letter or digit); a pattern ending in '*' is a prefix, any
// other ends where no letter follows.
bool vendor_pattern_matches(std::string_view text, std::string_view pattern);
// Every vendor a product text names ("Asterisk PBX 1.6.0.6": Asterisk).
VendorSet vendors_named(std::string_view text);
// The Cisco vendor's bit (SCCP, Cisco's TFTP files), 0 without one.
VendorSet cisco_vendor();
// Names a vendor that is not Cisco.
bool other_vendor(VendorSet v);
// "Asterisk, FreeSWITCH" (names in vocabulary order); empty for none.
std::string vendor_names(VendorSet v);

// Index of a role by key ("phone"), or -1.
int role_by_key(std::string_view key);

// "Phone, Unified CM" (names in vocabulary order); empty for none.
std::string role_names(RoleSet roles);

// A catalog row's role at one end (Flow::from_roles or to_roles) against the
// roles of the host there (HostTable::roles).
enum class RoleFit : uint8_t {
    kNeutral,     // the row names a role any host may fill (ANY, Browser, DNS server)
    kUnknown,     // the host showed no role, or one that may turn out to be it (a SIP server, a Unified CM)
    kMatch,       // the host showed the role
    kContradict,  // the host showed other roles
    kForeign,     // the row names only Cisco products; the host names another vendor
};
RoleFit role_fit(RoleSet documented, RoleSet host);
// May a host that showed no role be this row end? Not when the row names
// only Cisco products there (a host with no role is not a Unified CM); yes
// for a phone, an endpoint, or a device no capture shows.
bool unknown_fits(RoleSet documented);
// Does nothing the hosts showed contradict a row's ends (a role of another
// kind, another vendor where the row names a Cisco product)? A host with no
// role fits any end. Used where a row names no protocol to check the payload
// against (unexpected_port): only evidence against the row counts there.
bool flow_fits(const Flow &f, RoleSet sender, RoleSet listener);

// What one packet's payload shows about its sender and its receiver.
struct Observation {
    int sender_role = -1;    // role index, -1: nothing shown
    int receiver_role = -1;
    int protocol = -1;       // vocabulary protocol index of the evidence
    VendorSet sender_vendors = 0, receiver_vendors = 0;  // vendors the payload shows each end to be
    // A third host the payload names (address text, as the host table keys
    // it) and its role: the far end of SCCP media.
    std::string_view named;
    int named_role = -1;
    bool any() const {
        return sender_role >= 0 || receiver_role >= 0 || sender_vendors || receiver_vendors ||
               (named_role >= 0 && !named.empty());
    }
};

// SCCP StationRegister from a device (the sender): SEP<MAC> names a phone;
// otherwise its device type says what it is (sccp_device_role), and a type
// that table does not know leaves any other device name a gateway's media
// resource (MTP, transcoder, conference bridge); the receiver is a Unified
// CM. Without a register
// message (device_name empty), an SCCP client sent to its server: the
// server is a Unified CM. (Device naming: Cisco's phone configuration
// files are SEP<MAC>.cnf.xml, see the TFTP rule.) SCCP is Cisco's own
// protocol: both ends are Cisco's.
Observation observe_sccp(std::string_view device_name, bool to_server, uint32_t device_type = 0);

// The role an SCCP StationRegister's deviceType shows (Wireshark's
// epan/dissectors/packet-skinny.c, the DeviceType value_string): phones
// (Station*, 79xx/89xx/69xx, ATA, AnalogPhone, SCCPGwVirtualPhone, SPA...),
// gateways (AnalogAccess, DigitalAccess*, VGCGateway, H323Gateway, MGCP*,
// SipGateway) and media resources (ConferenceBridge*, MusicOnHold,
// Annunciator, MediaTerminationPoint*, MonitorBridge*); -1 for a type the
// table does not name or names nothing of these (0: no type).
int sccp_device_role(uint32_t device_type);

// SIP: the User-Agent (requests) or Server (responses) header names the
// sender's software: Cisco-CUCM... a Unified CM, Cisco-SIPGateway... and
// Cisco-CUBE... a gateway, Cisco-CP... and Cisco-CSF... a phone,
// Cisco-TelePresence... a TelePresence endpoint, Cisco-Expressway... and
// TANDBERG/... an Expressway. The same header names the sender's vendor
// (vendors_named). A REGISTER's sender is an endpoint, unless its header
// says otherwise; its receiver (the registrar) is a Unified CM when the
// sender is Cisco's (a Cisco user agent registers to it), else a SIP server
// (whose Unified CM role is only possible).
Observation observe_sip(bool request, std::string_view method, std::string_view software);

// SCCP media (packet-skinny.c): the remoteIpAddr of a StartMediaTransmission
// (0x008A, the far end the device is told to send to) and the ipAddr of an
// OpenReceiveChannelAck (0x0022, where the device receives) terminate media:
// a media endpoint (a phone, a gateway, a media resource...).
Observation observe_sccp_media(std::string_view address);

// DHCP (RFC 2132, RFC 5859): option 150 (TFTP server addresses) and option
// 66 (TFTP server name, when it is an address) name the TFTP servers a
// client is told to use: those hosts are TFTP servers.
Observation observe_dhcp_tftp(std::string_view address);
// DHCP option 60 (vendor class identifier) from a client that has its
// address (`sender`, not 0.0.0.0: a renewal) names its vendor; Cisco's
// phones send "Cisco Systems, Inc. IP Phone CP-7970G" (Cisco IP phone
// administration guides, DHCP option 60): a phone.
Observation observe_dhcp_vendor_class(std::string_view vendor_class, std::string_view sender);

// MGCP (RFC 3435 section 2.3): the call agent sends CRCX, MDCX, DLCX, RQNT,
// AUEP, AUCX and EPCF; the gateway sends RSIP and NTFY. The call agent of a
// Cisco gateway is a Unified CM. Responses carry no verb: nothing shown.
Observation observe_mgcp(bool request, std::string_view verb);

// H.225.0 RAS (ITU-T H.225.0 RasMessage CHOICE index): GRQ (0), RRQ (3) and
// ARQ (9) are sent by an endpoint or gateway to its gatekeeper; their
// confirms and rejects (1, 2, 4, 5, 10, 11) come back from the gatekeeper.
Observation observe_ras(uint32_t ras_choice);

// TFTP read request (RFC 1350) for a phone's files: SEP<MAC>.cnf.xml (and
// .sgn), ITL*.tlv, CTL*.tlv, XMLDefault.cnf.xml: the sender is a (Cisco)
// phone, the receiver a TFTP server. Other files (boot.img) show nothing.
Observation observe_tftp_read(std::string_view filename);

// XMPP stream header (RFC 6120 section 4.7): on a client stream
// (jabber:client) the initiator is a client and the receiver an IM and
// Presence server; on a server stream (jabber:server) both are servers.
Observation observe_xmpp_stream(bool initiator, bool server_stream);

// What one packet's UC payload says, as the role rules read it: filled by
// the plugin from Wireshark's dissector fields (hosts.cpp), by ciscouc-scan
// from its own payload parsers (scanner/payload.h). Views point into the
// adapter's packet memory for the call only. A new role rule reads these
// facts in observe_payload(); a new kind of fact is added here and filled by
// both adapters.
struct PayloadFacts {
    // SCCP: an SCCP message; the device name of a StationRegister.
    bool sccp = false;
    std::string_view sccp_device;
    uint32_t sccp_device_type = 0;  // the StationRegister's deviceType, 0: none
    // Hosts SCCP media messages name (StartMediaTransmission's remoteIpAddr,
    // OpenReceiveChannelAck's ipAddr), as address text; at most two.
    std::string sccp_media[2];
    // DHCP: TFTP server addresses (option 150, or option 66 when it is an
    // IPv4 address), as address text; the vendor class identifier (option 60).
    std::string dhcp_tftp[2];
    std::string_view dhcp_vendor_class;
    // SIP: a request (method) or a status line; the sender's User-Agent
    // (requests) or Server (responses) header.
    bool sip_request = false, sip_status = false;
    std::string_view sip_method, sip_software;
    // MGCP: a command's verb (responses carry none).
    std::string_view mgcp_verb;
    // H.225.0 RAS: the RasMessage CHOICE index, or -1.
    int ras_choice = -1;
    // TFTP: a read request's file name.
    bool tftp_read = false;
    std::string_view tftp_file;
    // XMPP: a stream header; a server stream (jabber:server).
    bool xmpp_stream = false, xmpp_server = false;
};

// Where the packet goes within its conversation.
struct PacketSides {
    bool to_server = false;  // to the conversation's listener
    bool initiator = false;  // from the end that opened the conversation (its client)
};

// Every observation the role rules make of one packet's facts (at most
// kMaxObservations), in the order the rules run.
constexpr int kMaxObservations = 6;
// `sender` is the packet's sender address (as the host table keys it).
int observe_payload(const PayloadFacts &f, const PacketSides &s, Observation out[kMaxObservations],
                    std::string_view sender = std::string_view());

// Roles per host, for one capture. Addresses are strings (the epan layer's
// address_to_str, a scanner's inet_ntop): the table never parses them.
class HostTable {
public:
    struct Proof {
        int protocol = -1;   // what showed the role
        uint32_t frame = 0;  // first frame that showed it
    };
    struct Host {
        std::string address;
        RoleSet roles = 0;  // without kOtherVendor (see HostTable::roles)
        Proof proof[kMaxRoles];
        VendorSet vendors = 0;  // every vendor the host named in its own words
        std::vector<std::pair<int, Proof>> vendor_proof;  // vendor index, what named it first
        uint32_t first_frame = 0;
    };

    // Record that `address` shows `role` through `protocol` in `frame`.
    // Returns true when that is news (a role the host did not have). A host
    // that named another vendor than Cisco gets no role marked `cisco`.
    bool add(const std::string &address, int role, int protocol, uint32_t frame);
    // Record that `address` names `vendors` in its own words. A host that
    // names another vendor than Cisco loses its `cisco` roles. True on news.
    bool add_vendors(const std::string &address, VendorSet vendors, int protocol, uint32_t frame);
    // Both sides of an observation. Returns true on news.
    bool apply(const Observation &o, const std::string &sender, const std::string &receiver, uint32_t frame);
    // Everything one packet's facts show about its sender and receiver
    // (observe_payload). Returns true on news.
    bool observe(const PayloadFacts &f, const PacketSides &s, const std::string &sender, const std::string &receiver,
                 uint32_t frame);

    // The host's roles, with kOtherVendor when it named another vendor than
    // Cisco, kCiscoVendor when it named Cisco only.
    RoleSet roles(const std::string &address) const;
    VendorSet vendors(const std::string &address) const;
    const Host *find(const std::string &address) const;
    // Hosts in the order they first showed a role or a vendor.
    const std::vector<Host> &hosts() const { return hosts_; }
    // Bumped on every new role: conversations labelled before can tell that
    // their hosts' roles may have changed.
    uint32_t generation() const { return generation_; }
    void clear();

    // "Phone: SCCP frame 4; TFTP server: TFTP frame 1; Asterisk: SIP frame 7"
    static std::string proofs_text(const Host &h);
    // "SIP server (Asterisk)", "Phone", "(Yealink)": a host's roles and the
    // vendors other than Cisco it named, as the conversation tables show an
    // end (the hosts table has every vendor in its own column); "" for none.
    static std::string role_text(const Host *h);

private:
    Host &host(const std::string &address, uint32_t frame);  // found or added

    std::vector<Host> hosts_;
    std::unordered_map<std::string, size_t> index_;
    uint32_t generation_ = 0;
};

}  // namespace ciscouc
