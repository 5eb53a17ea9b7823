// ciscouc-scan's stream mode (--live, --jsonl): conversations end (FIN, RST,
// idle time per transport, a reused port, eviction at the cap) and are written
// as records through Options::sink, then freed; host roles are written as they
// change; long conversations get a record every Options::interval seconds.
// The labelling is the offline scan's (scan.cpp, the core's Pipeline): only
// when a conversation's row is written and freed differs.
#include <algorithm>

#include "scan.h"

namespace ciscouc {
namespace scan {

namespace {
int lane(const Conv &c) { return c.transport == kTcp ? 0 : 1; }
}  // namespace

void Scanner::lru_unlink(uint32_t idx) {
    Conv &c = convs_[idx];
    const int l = lane(c);
    if (c.lru_prev != UINT32_MAX) convs_[c.lru_prev].lru_next = c.lru_next;
    else if (lru_head_[l] == idx) lru_head_[l] = c.lru_next;
    if (c.lru_next != UINT32_MAX) convs_[c.lru_next].lru_prev = c.lru_prev;
    else if (lru_tail_[l] == idx) lru_tail_[l] = c.lru_prev;
    c.lru_prev = c.lru_next = UINT32_MAX;
}

void Scanner::lru_touch(uint32_t idx) {
    Conv &c = convs_[idx];
    const int l = lane(c);
    if (lru_tail_[l] == idx) return;
    lru_unlink(idx);
    c.lru_prev = lru_tail_[l];
    if (lru_tail_[l] != UINT32_MAX) convs_[lru_tail_[l]].lru_next = idx;
    else lru_head_[l] = idx;
    lru_tail_[l] = idx;
}

void Scanner::end(uint32_t idx, End why) {
    Conv &c = convs_[idx];
    refresh(c);  // the hosts' roles as they are now (finish() does the same offline)
    opt_.sink->conversation(row_of(c), why);
    ++n_.ended[static_cast<int>(why)];
    if (why == End::kInterval) {
        c.reported = now_;
        return;
    }
    if (c.inspect) {
        unlink(idx);
        --live_;
    }
    lru_unlink(idx);
    auto it = index_.find(c.key);
    if (it != index_.end() && it->second == idx) index_.erase(it);
    convs_[idx] = Conv();  // frees its rows, texts and inspection state
    free_.push_back(idx);
    --active_;
}

// After a packet of conversation idx (UINT32_MAX: none): its TCP end and
// the hosts' new roles (idle conversations and interval records: tick(),
// before the packet).
void Scanner::after(uint32_t idx, uint8_t tcp_flags, double ts) {
    if (idx != UINT32_MAX) {
        Conv &c = convs_[idx];
        lru_touch(idx);
        if (c.transport == kTcp) {
            // Both ends sent FIN (RFC 9293 section 3.6) and a packet came
            // after both (the last ACK): the conversation is over. A reset
            // ends it at once.
            const bool both = c.fins == 3;
            if (tcp_flags & kRst) {
                hosts_changed();
                end(idx, End::kRst);
            } else if (both && !(tcp_flags & kFin)) {
                hosts_changed();
                end(idx, End::kFin);
            } else if (tcp_flags & kFin) {
                c.fins |= from_first_ ? 1 : 2;
            }
        }
    }
    (void)ts;
    hosts_changed();
}

void Scanner::tick(double now) {
    if (!opt_.sink) return;
    now_ = std::max(now_, now);
    const double idle[2] = {opt_.end_idle_tcp, opt_.end_idle_udp};
    // The idle heads of both lists, the least recently seen first.
    for (;;) {
        int pick = -1;
        for (int l = 0; l < 2; ++l) {
            const uint32_t h = lru_head_[l];
            if (h == UINT32_MAX || now - convs_[h].last <= idle[l]) continue;
            if (pick < 0 || convs_[h].last < convs_[lru_head_[pick]].last) pick = l;
        }
        if (pick < 0) break;
        end(lru_head_[pick], End::kIdle);
    }
    if (opt_.interval <= 0) return;
    if (next_interval_ == 0) next_interval_ = now + opt_.interval;
    if (now < next_interval_) return;
    // Each conversation that had packets since its last record and is older
    // than the interval.
    for (uint32_t i = 0; i < convs_.size(); ++i) {
        const Conv &c = convs_[i];
        if (c.used && c.last > c.reported && now - c.first >= opt_.interval) end(i, End::kInterval);
    }
    next_interval_ = now + opt_.interval;
}

void Scanner::flush() {
    if (!opt_.sink) return;
    hosts_changed();
    // In the order the conversations began (their first frame).
    std::vector<uint32_t> order;
    for (uint32_t i = 0; i < convs_.size(); ++i)
        if (convs_[i].used) order.push_back(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return convs_[a].first_frame < convs_[b].first_frame; });
    for (uint32_t i : order) end(i, End::kFlush);
}

// Records of the hosts whose roles changed since their last record; over the
// cap on hosts, the least recently seen are evicted (core/kept_hosts.h), each
// with a record.
void Scanner::hosts_changed() {
    if (hosts_.generation() == host_generation_) return;
    const std::vector<HostTable::Host> &hs = hosts_.hosts();
    if (host_shown_.size() < hs.size()) host_shown_.resize(hs.size(), {0, 0});
    for (size_t i = 0; i < hs.size(); ++i) {
        if (hs[i].roles == host_shown_[i].first && hs[i].vendors == host_shown_[i].second) continue;
        kept_.seen(hosts_, hs[i].address, now_);
        opt_.sink->host(hs[i], hs[i].roles & ~host_shown_[i].first, false);
        host_shown_[i] = {hs[i].roles, hs[i].vendors};
    }
    if (hs.size() > opt_.max_hosts) {
        for (const HostTable::Host &h : kept_.trim(hosts_)) {
            opt_.sink->host(h, 0, true);
            ++n_.hosts_evicted;
        }
        host_shown_.clear();
        for (const HostTable::Host &h : hosts_.hosts()) host_shown_.emplace_back(h.roles, h.vendors);
    }
    host_generation_ = hosts_.generation();
}

// An announcement, in the order list; a list grown well past the table
// (announcements replaced over and over) is rebuilt from the table.
void Scanner::note_setup(const Endpoint &e, uint32_t frame) {
    setup_order_.emplace_back(e, frame);
    if (setup_order_.size() - setup_head_ <= 2 * setups_.size() + 1024) return;
    setup_order_.clear();
    setup_head_ = 0;
    for (const auto &kv : setups_) setup_order_.emplace_back(kv.first, kv.second.frame);
    setup_order_.emplace_back(e, frame);
    std::stable_sort(setup_order_.begin(), setup_order_.end(),
                     [](const std::pair<Endpoint, uint32_t> &a, const std::pair<Endpoint, uint32_t> &b) { return a.second < b.second; });
}

// The oldest media announcement still in the table goes (entries of the
// order list that a later announcement replaced are skipped).
bool Scanner::forget_oldest_setup() {
    bool forgot = false;
    while (!forgot && setup_head_ < setup_order_.size()) {
        const auto &o = setup_order_[setup_head_++];
        auto it = setups_.find(o.first);
        if (it != setups_.end() && it->second.frame == o.second) {
            setups_.erase(it);
            ++n_.media_evicted;
            forgot = true;
        }
    }
    if (setup_head_ > setup_order_.size() / 2) {
        setup_order_.erase(setup_order_.begin(), setup_order_.begin() + static_cast<std::ptrdiff_t>(setup_head_));
        setup_head_ = 0;
    }
    return forgot;
}

}  // namespace scan
}  // namespace ciscouc
