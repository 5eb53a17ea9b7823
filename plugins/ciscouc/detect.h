// ciscouc: which protocols a frame's layers show (pinfo->layers after the
// innermost TCP/UDP layer), from Wireshark protocol ids classified once.
#pragma once

#include "packet-ciscouc.h"

namespace ciscouc {
namespace epan {

// What a frame shows after its innermost transport layer.
struct Detection {
    int protocol = -1;            // the first application protocol (vocabulary index)
    const char *other = nullptr;  // or its Wireshark filter name when not in the vocabulary
    ProtocolSet seen;             // every vocabulary protocol in the frame (SMB inside NBSS)
    bool tls = false;             // TLS anywhere after the transport
    bool payload = false;         // any application bytes at all (even undecoded "data")
    bool any() const { return protocol >= 0 || other; }
};

Detection detect(packet_info *pinfo, Transport t);
// Classifies every registered protocol id (at handoff, when all are known).
void build_proto_classes();
extern int proto_tcp;  // Wireshark's TCP protocol id (set by build_proto_classes)

}  // namespace epan
}  // namespace ciscouc
