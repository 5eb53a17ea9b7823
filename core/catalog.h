// ciscouc core: the catalog as compiled tables, and their lookup.
//
// The tables themselves (kDocuments, kEntries, kFlows, kSegments...) are
// written by codegen/tables.py (python3 -m codegen) into the build tree from catalog/*.toml; this
// header only declares their shape. Like Wireshark's services-data.c, data and
// logic never mix: lookups are binary searches over sorted generated arrays.
//
// This file includes no epan header, so it is unit-tested and fuzzed alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ciscouc {

enum Transport : uint8_t { kTransportNone = 0, kTcp = 1, kUdp = 2 };

// Facts a guide states about a row (Entry::flags).
enum EntryFlag : uint32_t {
    kLocalhostOnly = 1u << 0,
    kInternal = 1u << 1,
    kConfigurable = 1u << 2,
    kNotRecommended = 1u << 3,
    kEitherSide = 1u << 4,
    kCatchAll = 1u << 5,
    kThenEphemeral = 1u << 6,
    kTransportUnstated = 1u << 7,
    kDuplicate = 1u << 8,
};

struct Document {
    const char *id;        // "cucm-ja"
    const char *title_en;  // English title
    const char *edition;   // "Unified CM (Japanese edition)"
    const char *product;   // vocabulary product key
    const char *language;  // "en", "ko", "ja"
    uint8_t rank;          // newer editions rank higher
    uint8_t group;         // index into kEditionGroups
};

// What the "preferred edition" preference chooses between: documents that
// describe the same product at the same generation ("Unified CM (current)"
// holds the Korean and Japanese editions).
struct EditionGroup {
    const char *key;      // preference value, "cucm-current"
    const char *name;     // "Unified CM (current)"
    const char *product;  // vocabulary product key
};

struct Protocol {
    const char *key;        // vocabulary key, "SIP"
    const char *name;       // "Session Initiation Protocol"
    const char *wireshark;  // space-separated Wireshark filter names
    bool secure;
    bool uc;                // a UC signalling protocol the unexpected_port flag watches
    bool confirms;          // its payload alone confirms a row documenting it (evidence.h)
    bool generic;           // a service every network runs (DNS, HTTP...): labelled only next to a UC role
    bool negotiated;        // runs on a port another protocol announces (H.245): "ephemeral" rows explain it
};

struct Entry {
    const char *id;             // "cucm-ja.t6.r3"
    uint16_t doc;               // index into kDocuments
    const char *table;          // table number as printed
    const char *table_title;    // English table title
    uint16_t row;
    const char *product;        // vocabulary product key
    const char *release;
    const char *purpose;        // English
    const char *purpose_original;  // as printed (== purpose for English guides)
    const char *purpose_short;     // first sentence, <= 60 columns (codegen/catalog.py short_text)
    const char *purpose_original_short;
    const char *port_text;
    uint32_t flags;             // EntryFlag bits
    uint16_t proto_first, proto_count;    // into kEntryProtocols
    uint16_t secure_first, secure_count;  // into kSecurePairs
};

struct SecurePair {
    uint16_t plain;
    uint16_t secure;
    uint16_t target;  // entry documenting the secure port
};

struct Flow {
    uint16_t entry;
    const char *from;   // documented sender role
    const char *to;     // documented listener role
    uint8_t transports; // Transport bits
    bool by_src;        // the port is documented on the sender side (dst "any")
    const char *ports;  // the flow's port spec, normalised ("16384-32767")
    uint32_t from_roles;  // host roles (bits of kRoles) the sender name stands for; kAnyHost: any host
                          // may be it (ANY, DNS server); 0: a device no capture evidence shows
    uint32_t to_roles;    // likewise for the listener
};

constexpr uint32_t kAnyHost = 1u << 31;
// In a host's RoleSet: the host names a vendor other than Cisco in its own
// words (core/roles.h HostTable). Never a row's role.
constexpr uint32_t kOtherVendor = 1u << 30;
// In a host's RoleSet: the host names Cisco, and no other vendor.
constexpr uint32_t kCiscoVendor = 1u << 29;

// A host role a capture can show ([roles.*] in catalog/vocabulary.toml).
struct Role {
    const char *key;    // "unified_cm"
    const char *name;   // "Unified CM"
    bool cisco;         // only a Cisco product fills it
    uint32_t possibly;  // roles (bits of kRoles) a host in this role may turn out to be
};

// A vendor a host may name in its own words ([vendors.*]), and the patterns
// that recognise it (core/roles.cpp vendors_named).
struct Vendor {
    const char *key;   // "asterisk"
    const char *name;  // "Asterisk"
    bool cisco;
};
struct VendorPattern {
    uint8_t vendor;         // index into kVendors
    const char *pattern;    // "Asterisk", "Polycom*"
    const char *example;    // a header value it matches
    const char *near_miss;  // one it does not
};

// A run of ports [lo, hi] that share the same candidate flows. Segments of one
// transport are sorted and do not overlap.
struct Segment {
    uint16_t lo, hi;
    uint16_t first, count;  // into kSegmentMembers
};

struct IpProtoRef {
    uint8_t proto;
    uint16_t entry;
};

struct DetectName {
    const char *wireshark;  // Wireshark filter name, "skinny"
    uint16_t protocol;      // index into kProtocols
};

// A detected protocol renamed on one transport (vocabulary [transport_remap]):
// Wireshark's "h225" on UDP is RAS.
struct ProtocolRemap {
    Transport transport;
    uint16_t from, to;  // indices into kProtocols
};

// Generated tables (codegen/tables.py).
extern const Document kDocuments[];
extern const size_t kDocumentCount;
extern const EditionGroup kEditionGroups[];
extern const size_t kEditionGroupCount;
extern const Protocol kProtocols[];
extern const size_t kProtocolCount;
extern const Entry kEntries[];
extern const size_t kEntryCount;
extern const uint8_t kEntryProtocols[];
extern const SecurePair kSecurePairs[];
extern const Flow kFlows[];
extern const size_t kFlowCount;
// Flows whose listener port the guides give only as "ephemeral" (H.245's
// control channel, opened where an H.225 message says): no port lookup
// finds them, the payload's protocol does (classify).
extern const uint16_t kEphemeralFlows[];
extern const size_t kEphemeralFlowCount;
extern const uint16_t kSegmentMembers[];
extern const Segment kTcpSegments[];
extern const size_t kTcpSegmentCount;
extern const Segment kUdpSegments[];
extern const size_t kUdpSegmentCount;
extern const IpProtoRef kIpProtos[];
extern const size_t kIpProtoCount;
extern const Role kRoles[];
extern const size_t kRoleCount;
extern const uint32_t kCiscoRoles;  // the roles marked `cisco`
extern const Vendor kVendors[];
extern const size_t kVendorCount;
extern const VendorPattern kVendorPatterns[];
extern const size_t kVendorPatternCount;
extern const DetectName kDetectNames[];
extern const size_t kDetectNameCount;
extern const char kCatalogDigest[];
// Wireshark filter names of layers that carry the application protocol and
// never are it (vocabulary [carriers]).
extern const char *const kCarrierLayers[];
extern const size_t kCarrierLayerCount;
extern const ProtocolRemap kProtocolRemaps[];
extern const size_t kProtocolRemapCount;
extern const int kProtocolRtp;  // index of RTP in kProtocols
// UC signalling that shows its listener to be a Unified CM (vocabulary [unified_cm]).
extern const uint16_t kUnifiedCmEvidence[];
extern const size_t kUnifiedCmEvidenceCount;

// The protocol `p` (index or -1) as detected on transport t, after
// [transport_remap].
int remap_protocol(Transport t, int p);

// A view of candidate flow indices.
struct FlowSpan {
    const uint16_t *data = nullptr;
    size_t size = 0;
    const uint16_t *begin() const { return data; }
    const uint16_t *end() const { return data + size; }
    bool empty() const { return size == 0; }
};

// Flows documented for this transport and port, most specific first.
FlowSpan lookup_port(Transport t, uint16_t port);

// Index of a protocol by vocabulary key, or -1.
int protocol_by_key(std::string_view key);

// Canonical protocol for a Wireshark filter name ("skinny" -> SCCP), or -1.
int protocol_by_wireshark_name(std::string_view name);

// Does entry `e` document protocol `p` (index), directly or through a
// Wireshark dissector the two share?
bool entry_has_protocol(const Entry &e, int p);
// Does a specific (not catch-all) row document protocol `p` on this port and transport?
bool port_documents(Transport t, uint16_t port, int p);

// Does any protocol the entry documents list this Wireshark filter name
// ("t38" for RTP rows)?
bool entry_mentions_wireshark_name(const Entry &e, const char *name);
// Does the space-separated Wireshark name list `list` (Protocol::wireshark) contain `name`?
bool names_contain(const char *list, const char *name);

// True when the entry documents no nameable protocol (empty or Proprietary),
// so no payload can contradict it.
bool entry_protocol_unknown(const Entry &e);

}  // namespace ciscouc
