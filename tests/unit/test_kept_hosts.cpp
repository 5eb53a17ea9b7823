// core/kept_hosts.h: the bounded memory of host roles (ciscouc-scan --live's
// cap on hosts, the plugin's roles over tshark -M session resets).
#include <gtest/gtest.h>

#include "kept_hosts.h"

namespace ciscouc {
namespace {

const int kPhone = role_by_key("phone");
const int kCucm = role_by_key("unified_cm");

TEST(KeptHosts, TrimEvictsTheLeastRecentlySeen) {
    ASSERT_GE(kPhone, 0);
    ASSERT_GE(kCucm, 0);
    HostTable t;
    KeptHosts k(8);
    for (int i = 0; i < 9; ++i) {
        const std::string a = "10.0.0." + std::to_string(i);
        t.add(a, kPhone, 0, static_cast<uint32_t>(i + 1));
        k.seen(t, a, 100.0 + i);
    }
    k.seen(t, "10.0.0.0", 500.0);  // the first host seen again, last of all
    const uint32_t before = t.generation();
    std::vector<HostTable::Host> evicted = k.trim(t);
    // Down to 7 (an eighth below the cap): the two least recently seen go.
    ASSERT_EQ(evicted.size(), 2u);
    EXPECT_EQ(evicted[0].address, "10.0.0.1");
    EXPECT_EQ(evicted[1].address, "10.0.0.2");
    EXPECT_EQ(t.hosts().size(), 7u);
    EXPECT_EQ(t.hosts()[0].address, "10.0.0.0");  // the table's order is kept
    EXPECT_EQ(t.roles("10.0.0.0"), role_bit(kPhone));
    EXPECT_EQ(t.find("10.0.0.0")->proof[kPhone].frame, 1u);
    EXPECT_GT(t.generation(), before);  // conversations relabel
    EXPECT_TRUE(k.trim(t).empty());     // near miss: under the cap, nothing goes
}

TEST(KeptHosts, SaveAndRestoreOverAReset) {
    HostTable t;
    KeptHosts k(2);
    t.add("10.0.0.1", kPhone, 0, 4);
    t.add("10.0.0.2", kCucm, 0, 4);
    t.add("10.0.0.2", kPhone, 0, 9);
    t.add("10.0.0.3", kPhone, 0, 12);
    k.seen(t, "10.0.0.1", 10.0);
    k.seen(t, "10.0.0.2", 30.0);
    k.seen(t, "10.0.0.3", 20.0);
    k.save(t, 31.0);
    t.clear();
    EXPECT_FALSE(k.continues(29.9, 300.0));  // the same packets again, from the start
    EXPECT_FALSE(k.continues(331.1, 300.0)); // other traffic, later
    EXPECT_TRUE(k.continues(31.5, 300.0));
    EXPECT_EQ(k.restore(t), 2u);  // the cap: the two most recently seen
    EXPECT_EQ(t.roles("10.0.0.1"), 0u);
    EXPECT_EQ(t.roles("10.0.0.2"), role_bit(kCucm) | role_bit(kPhone));
    EXPECT_EQ(t.find("10.0.0.2")->proof[kPhone].frame, 9u);
    EXPECT_EQ(t.roles("10.0.0.3"), role_bit(kPhone));
    EXPECT_FALSE(k.saved());  // restored once
}

}  // namespace
}  // namespace ciscouc
