// The PDU lengths stock TCP dissectors frame by (see framing.h).
#include "framing.h"

namespace ciscouc {
namespace scan {

namespace {

uint32_t be32(const uint8_t *d) {
    return static_cast<uint32_t>(d[0]) << 24 | static_cast<uint32_t>(d[1]) << 16 | static_cast<uint32_t>(d[2]) << 8 | d[3];
}

// Kerberos over TCP (packet-kerberos.c get_krb_pdu_len; RFC 4120 section
// 7.2.2): a 4-byte record mark, its low 31 bits the record's length.
uint64_t kerberos_pdu(const uint8_t *d, size_t) { return (be32(d) & 0x7fffffffu) + 4ull; }

// LDAP (packet-ldap.c dissect_ldap_tcp, get_normal_ldap_pdu_len): a BER
// SEQUENCE (0x30) whose definite length is 2 or more, read from a 7-byte
// header (the smallest LDAP message); anything else is not framed so.
uint64_t ldap_pdu(const uint8_t *d, size_t) {
    if (d[0] != 0x30) return 0;
    uint64_t len = 0;
    size_t hdr = 2;
    if (d[1] < 0x80) {
        len = d[1];
    } else {
        size_t n = d[1] & 0x7f;
        if (n == 0 || n > 4) return 0;  // indefinite, or longer than BER lengths LDAP uses
        for (size_t i = 0; i < n; ++i) len = len << 8 | d[2 + i];
        hdr += n;
    }
    return len < 2 ? 0 : hdr + len;
}

// PostgreSQL (packet-pgsql.c pgsql_length, 5-byte header): a type byte and
// a 4-byte length counting itself; the startup message has no type byte
// (its first byte is 0).
uint64_t pgsql_pdu(const uint8_t *d, size_t) { return d[0] ? be32(d + 1) + 1ull : be32(d); }

// Bitcoin (packet-bitcoin.c get_bitcoin_pdu_length): a 24-byte header of
// magic, command and checksum around the payload's little-endian length at 16.
uint64_t bitcoin_pdu(const uint8_t *d, size_t) {
    return 24ull + (static_cast<uint32_t>(d[16]) | static_cast<uint32_t>(d[17]) << 8 |
                    static_cast<uint32_t>(d[18]) << 16 | static_cast<uint32_t>(d[19]) << 24);
}

// NDPS over TCP (packet-ndps.c get_ndps_pdu_len): the length at 2, not
// counting the 4-byte header.
uint64_t ndps_pdu(const uint8_t *d, size_t) { return (static_cast<uint64_t>(d[2]) << 8 | d[3]) + 4ull; }

}  // namespace

const Framing kXmlFraming = {0, nullptr};
const Framing kKerberosFraming = {4, kerberos_pdu};
const Framing kLdapFraming = {7, ldap_pdu};
const Framing kPgsqlFraming = {5, pgsql_pdu};
const Framing kBitcoinFraming = {24, bitcoin_pdu};
const Framing kNdpsFraming = {4, ndps_pdu};

}  // namespace scan
}  // namespace ciscouc
