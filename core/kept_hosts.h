// ciscouc core: a bounded memory of host roles, for the engines that run for
// longer than one capture file: ciscouc-scan --live (a cap on the hosts it
// tracks) and the plugin under tshark -M (epan session resets clear every
// dissector's capture-scoped state, the host table included).
//
// KeptHosts remembers when each host of a HostTable was last seen, and
//   - trim(): keeps a table at most `cap` hosts, the least recently seen
//     evicted (the evicted addresses are returned, for the caller to report);
//   - save() / restore(): carries a table's hosts over a session reset, the
//     `cap` most recently seen, each role with the payload that showed it.
// Roles are only ever restored into an empty table, as they were: the proof's
// protocol and frame stay those of the session that saw them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "roles.h"

namespace ciscouc {

class KeptHosts {
public:
    explicit KeptHosts(size_t cap) : cap_(cap ? cap : 1) {}
    size_t cap() const { return cap_; }
    void set_cap(size_t cap) { cap_ = cap ? cap : 1; }

    // `address` took part in a packet at time t (seconds). Only hosts the
    // table holds are remembered.
    void seen(const HostTable &table, const std::string &address, double t);
    // Over the cap: rebuild `table` with the most recently seen hosts (an
    // eighth below the cap, so that trimming is rare), in their order.
    // Returns the evicted hosts (as they were).
    std::vector<HostTable::Host> trim(HostTable &table);

    // A session ends: keep the table's `cap` most recently seen hosts, and
    // the time of the session's last packet.
    void save(const HostTable &table, double last_packet);
    // Is a new session that starts at `first_packet` the continuation of the
    // saved one (its first packet no earlier than a second before the saved
    // one's last, and at most `gap` seconds after it)? A new file of other
    // traffic, or the same packets dissected again from the start, is not.
    bool continues(double first_packet, double gap) const;
    // Restore the saved hosts into `table` (emptied first); forgets them.
    // Returns how many hosts were restored.
    size_t restore(HostTable &table);
    void forget();
    bool saved() const { return have_saved_; }
    size_t saved_count() const { return saved_.size(); }

private:
    // Re-adds every role of h to table, in the order its proofs were found.
    static void put(HostTable &table, const HostTable::Host &h);

    size_t cap_;
    std::unordered_map<std::string, double> last_;
    std::vector<HostTable::Host> saved_;
    double saved_last_ = 0;
    bool have_saved_ = false;
};

}  // namespace ciscouc
