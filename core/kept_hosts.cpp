// ciscouc core: a bounded memory of host roles (see kept_hosts.h).
#include "kept_hosts.h"

#include <algorithm>
#include <numeric>

namespace ciscouc {

namespace {

// Indices of hosts ordered by last seen, most recent first (ties: the
// earlier host first); hosts never seen count as seen at time 0.
std::vector<size_t> by_recency(const std::vector<HostTable::Host> &hosts,
                               const std::unordered_map<std::string, double> &last) {
    std::vector<double> when(hosts.size(), 0.0);
    for (size_t i = 0; i < hosts.size(); ++i) {
        auto it = last.find(hosts[i].address);
        if (it != last.end()) when[i] = it->second;
    }
    std::vector<size_t> order(hosts.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return when[a] > when[b]; });
    return order;
}

}  // namespace

void KeptHosts::seen(const HostTable &table, const std::string &address, double t) {
    if (!table.find(address)) return;
    double &w = last_[address];
    if (t > w) w = t;
}

void KeptHosts::put(HostTable &table, const HostTable::Host &h) {
    std::vector<int> roles;
    for (int r = 0; r < 31; ++r)
        if (h.roles & role_bit(r)) roles.push_back(r);
    std::stable_sort(roles.begin(), roles.end(), [&](int a, int b) { return h.proof[a].frame < h.proof[b].frame; });
    for (int r : roles) table.add(h.address, r, h.proof[r].protocol, h.proof[r].frame);
}

std::vector<HostTable::Host> KeptHosts::trim(HostTable &table) {
    std::vector<HostTable::Host> evicted;
    if (table.hosts().size() <= cap_) return evicted;
    const std::vector<HostTable::Host> all = table.hosts();
    const size_t keep = cap_ - cap_ / 8;
    std::vector<size_t> order = by_recency(all, last_);
    std::vector<bool> kept(all.size(), false);
    for (size_t i = 0; i < keep && i < order.size(); ++i) kept[order[i]] = true;
    table.clear();
    for (size_t i = 0; i < all.size(); ++i) {
        if (kept[i]) {
            put(table, all[i]);
        } else {
            last_.erase(all[i].address);
            evicted.push_back(all[i]);
        }
    }
    return evicted;
}

void KeptHosts::save(const HostTable &table, double last_packet) {
    const std::vector<HostTable::Host> &all = table.hosts();
    std::vector<size_t> order = by_recency(all, last_);
    if (order.size() > cap_) order.resize(cap_);
    std::sort(order.begin(), order.end());  // the table's own order
    saved_.clear();
    for (size_t i : order) saved_.push_back(all[i]);
    std::unordered_map<std::string, double> last;
    for (const HostTable::Host &h : saved_) {
        auto it = last_.find(h.address);
        if (it != last_.end()) last.emplace(h.address, it->second);
    }
    last_.swap(last);
    saved_last_ = last_packet;
    have_saved_ = true;
}

bool KeptHosts::continues(double first_packet, double gap) const {
    return have_saved_ && first_packet >= saved_last_ - 1.0 && first_packet <= saved_last_ + gap;
}

size_t KeptHosts::restore(HostTable &table) {
    table.clear();
    for (const HostTable::Host &h : saved_) put(table, h);
    const size_t n = saved_.size();
    saved_.clear();
    have_saved_ = false;
    return n;
}

void KeptHosts::forget() {
    saved_.clear();
    last_.clear();
    have_saved_ = false;
}

}  // namespace ciscouc
