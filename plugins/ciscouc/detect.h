// ciscouc: which protocols a frame's layers show (pinfo->layers after the
// innermost TCP/UDP layer), from Wireshark protocol ids classified once.
#pragma once

#include "packet-ciscouc.h"
#include "core/pipeline.h"

namespace ciscouc {
namespace epan {

// What a frame shows after its innermost transport layer: the core's
// Detection (core/pipeline.h), from the frame's layers.
Detection detect(packet_info *pinfo, Transport t);
// Classifies every registered protocol id (at handoff, when all are known).
void build_proto_classes();
extern int proto_tcp;  // Wireshark's TCP protocol id (set by build_proto_classes)

}  // namespace epan
}  // namespace ciscouc
