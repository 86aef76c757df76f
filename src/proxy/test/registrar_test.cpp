// Registrar rules (RFC 3261 §10.3) on the in-memory location with the SQLite store behind it.
#include <gtest/gtest.h>

#include <filesystem>

#include "proxy/registrar.hpp"
#include "sip/msg/parser.hpp"
#include "store/sqlite_store.hpp"

namespace warden::proxy {
namespace {

namespace msg = sip::msg;

constexpr std::int64_t kNow = 1'800'000'000;

std::string reg(std::string_view contacts, std::string_view expires_header = "", std::uint32_t cseq = 1,
                std::string_view call_id = "reg-1", std::string_view extra = "") {
  std::string s =
      "REGISTER sip:example.test SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-r1\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:alice@example.test>;tag=a1\r\n"
      "To: <sip:alice@example.test>\r\n"
      "Call-ID: ";
  s += call_id;
  s += "\r\nCSeq: " + std::to_string(cseq) + " REGISTER\r\n";
  s += contacts;
  if (!expires_header.empty()) s += "Expires: " + std::string(expires_header) + "\r\n";
  s += extra;
  s += "Content-Length: 0\r\n\r\n";
  return s;
}

class RegistrarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("warden-registrar-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = store::SqliteStore::open((dir_ / "w.db").string());
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    location_ = std::make_unique<Location>(store_.get());
  }
  void TearDown() override {
    location_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  RegisterResult run(const std::string& text, std::int64_t now = kNow) {
    text_ = text;
    EXPECT_TRUE(msg::parse_message(text_, m_, base::Limits::Sip{}, msg::Framing::Datagram).accepted()) << text;
    RegisterResult r = process_register(m_, aor_, *location_, cfg_, now, "");
    EXPECT_TRUE(location_->flush());
    EXPECT_EQ(location_->pending(), 0u);
    return r;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<Location> location_;
  RegistrarConfig cfg_{};
  std::string aor_ = "sip:alice@example.test";
  std::string text_;
  msg::Message m_;
};

TEST_F(RegistrarTest, AddRefreshAndRemove) {
  auto r = run(reg("Contact: <sip:alice@192.0.2.10:5060>\r\n", "600"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.extra_headers.find("Contact: <sip:alice@192.0.2.10:5060>;expires=600\r\n"), std::string::npos);
  EXPECT_NE(r.extra_headers.find("Date: "), std::string::npos);
  ASSERT_EQ(location_->lookup(aor_, kNow).size(), 1u);
  EXPECT_EQ(location_->lookup(aor_, kNow)[0].expires_at, kNow + 600);

  // Refresh with a higher CSeq on the same Call-ID.
  r = run(reg("Contact: <sip:alice@192.0.2.10:5060>;expires=1200\r\n", "", 2), kNow + 100);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(location_->lookup(aor_, kNow + 100)[0].expires_at, kNow + 100 + 1200);

  // A query (no Contact) lists the bindings and changes nothing.
  r = run(reg(""), kNow + 200);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.changed);
  EXPECT_NE(r.extra_headers.find(";expires=1100"), std::string::npos);

  // Expires 0 removes it.
  r = run(reg("Contact: <sip:alice@192.0.2.10:5060>\r\n", "0", 3), kNow + 300);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(location_->lookup(aor_, kNow + 300).empty());
  auto persisted = store_->load_bindings(kNow);
  ASSERT_TRUE(persisted);
  EXPECT_TRUE(persisted->empty());
}

TEST_F(RegistrarTest, StarRemovesAllOnlyWithExpiresZeroAndAlone) {
  ASSERT_EQ(run(reg("Contact: <sip:a@192.0.2.1>, <sip:b@192.0.2.2>\r\n", "600")).status, 200);
  ASSERT_EQ(location_->lookup(aor_, kNow).size(), 2u);
  EXPECT_EQ(run(reg("Contact: *\r\n", "600", 2)).status, 400);
  EXPECT_EQ(run(reg("Contact: *\r\n", "", 2)).status, 400);
  EXPECT_EQ(run(reg("Contact: *\r\nContact: <sip:c@192.0.2.3>\r\n", "0", 2)).status, 400);
  EXPECT_EQ(location_->lookup(aor_, kNow).size(), 2u);
  EXPECT_EQ(location_->binding_count(), 2u);
  EXPECT_EQ(run(reg("Contact: *\r\n", "0", 2)).status, 200);
  EXPECT_TRUE(location_->lookup(aor_, kNow).empty());
  EXPECT_EQ(location_->binding_count(), 0u);
}

TEST_F(RegistrarTest, IntervalTooBriefAndClampedToMaximum) {
  auto r = run(reg("Contact: <sip:alice@192.0.2.10>\r\n", "30"));
  EXPECT_EQ(r.status, 423);
  EXPECT_EQ(r.extra_headers, "Min-Expires: 60\r\n");
  EXPECT_TRUE(location_->lookup(aor_, kNow).empty());
  r = run(reg("Contact: <sip:alice@192.0.2.10>;expires=999999\r\n"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(location_->lookup(aor_, kNow)[0].expires_at, kNow + cfg_.max_expires);
  // No expiry anywhere: the default.
  r = run(reg("Contact: <sip:alice@192.0.2.11>\r\n", "", 2));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(location_->lookup(aor_, kNow).size(), 2u);
}

TEST_F(RegistrarTest, OutOfOrderCSeqOnSameCallIdFailsAndChangesNothing) {
  ASSERT_EQ(run(reg("Contact: <sip:alice@192.0.2.10>\r\n", "600", 5)).status, 200);
  // Same CSeq (a replay) and a lower one both fail; the binding keeps its expiry.
  EXPECT_EQ(run(reg("Contact: <sip:alice@192.0.2.10>\r\n", "0", 5)).status, 500);
  EXPECT_EQ(run(reg("Contact: <sip:alice@192.0.2.10>\r\n", "0", 4)).status, 500);
  ASSERT_EQ(location_->lookup(aor_, kNow).size(), 1u);
  // A different Call-ID (another device or a reboot) may update it.
  EXPECT_EQ(run(reg("Contact: <sip:alice@192.0.2.10>\r\n", "0", 1, "reg-2")).status, 200);
  EXPECT_TRUE(location_->lookup(aor_, kNow).empty());
}

TEST_F(RegistrarTest, QValuesOrderLookupsAndBadOnesAreRefused) {
  ASSERT_EQ(run(reg("Contact: <sip:low@192.0.2.1>;q=0.1, <sip:high@192.0.2.2>;q=0.9, <sip:mid@192.0.2.3>;q=0.5\r\n",
                    "600"))
                .status,
            200);
  const auto& b = location_->lookup(aor_, kNow);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].contact, "sip:high@192.0.2.2");
  EXPECT_EQ(b[1].contact, "sip:mid@192.0.2.3");
  EXPECT_EQ(b[2].contact, "sip:low@192.0.2.1");
  EXPECT_EQ(run(reg("Contact: <sip:x@192.0.2.4>;q=1.5\r\n", "600", 2)).status, 400);
  EXPECT_EQ(run(reg("Contact: <sip:x@192.0.2.4>;q=abc\r\n", "600", 3)).status, 400);
  EXPECT_EQ(run(reg("Contact: <sip:x@192.0.2.4>;expires=soon\r\n", "", 4)).status, 400);
  EXPECT_EQ(location_->lookup(aor_, kNow).size(), 3u);
}

TEST_F(RegistrarTest, TooManyContactsIsRefusedWhole) {
  cfg_.max_contacts = 2;
  EXPECT_EQ(run(reg("Contact: <sip:a@192.0.2.1>, <sip:b@192.0.2.2>, <sip:c@192.0.2.3>\r\n", "600")).status, 403);
  EXPECT_TRUE(location_->lookup(aor_, kNow).empty());
}

TEST_F(RegistrarTest, PathIsStoredAndEchoedWhenSupported) {
  auto r = run(reg("Contact: <sip:alice@10.0.0.5>\r\n", "600", 1, "reg-1",
                   "Path: <sip:edge.example.test;lr>\r\nSupported: path\r\n"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.extra_headers.find("Path: <sip:edge.example.test;lr>\r\n"), std::string::npos);
  EXPECT_EQ(location_->lookup(aor_, kNow)[0].path, "<sip:edge.example.test;lr>");
}

TEST_F(RegistrarTest, BindingsSurviveInTheStoreAndExpire) {
  ASSERT_EQ(run(reg("Contact: <sip:a@192.0.2.1>;expires=100, <sip:b@192.0.2.2>;expires=900\r\n")).status, 200);
  Location fresh(store_.get());
  ASSERT_TRUE(fresh.load(kNow + 50));
  EXPECT_EQ(fresh.lookup(aor_, kNow + 50).size(), 2u);
  EXPECT_EQ(fresh.binding_count(), 2u);
  Location later(store_.get());
  ASSERT_TRUE(later.load(kNow + 500));
  ASSERT_EQ(later.lookup(aor_, kNow + 500).size(), 1u);
  EXPECT_EQ(later.lookup(aor_, kNow + 500)[0].contact, "sip:b@192.0.2.2");
  EXPECT_EQ(later.purge(kNow + 1000), 1u);
  EXPECT_EQ(later.aor_count(), 0u);
  EXPECT_EQ(later.binding_count(), 0u);
}

// The store keeps bindings as a log of changes, which Location rewrites as it grows: a pass
// starts once the log holds more than 3 x the live bindings + 4096 changes, puts the AoRs a few
// dozen per flush, and at its end drops what came before it. A pass during which AoRs are
// removed and so many are added that the table rehashes ends the same way. After each, a
// Location loaded afresh from the store holds exactly what memory holds.
TEST_F(RegistrarTest, TheStoresLogIsRewrittenAsItGrows) {
  auto aor_of = [](const std::string& user) { return std::string("sip:").append(user).append("@example.test"); };
  auto set = [&](const std::string& user, std::uint32_t cseq) {
    store::Binding b;
    b.aor = aor_of(user);
    b.contact = std::string("sip:").append(user).append("@192.0.2.1");
    b.call_id = std::string("c-").append(user);
    b.cseq = cseq;
    b.expires_at = kNow + 3600;
    location_->apply(b.aor, {b});
  };
  auto same_after_reload = [&](const std::vector<std::string>& users) {
    Location fresh(store_.get());
    ASSERT_TRUE(fresh.load(kNow));
    EXPECT_EQ(fresh.binding_count(), location_->binding_count());
    for (const auto& u : users) {
      const std::string aor = aor_of(u);
      const auto& want = location_->lookup(aor, kNow);
      const auto& got = fresh.lookup(aor, kNow);
      ASSERT_EQ(got.size(), want.size()) << aor;
      if (!want.empty()) {
        EXPECT_EQ(got[0].cseq, want[0].cseq) << aor;
      }
    }
  };
  auto name = [](char prefix, int i) {
    std::string s(1, prefix);
    s += std::to_string(i);
    return s;
  };
  std::vector<std::string> users;
  for (int i = 0; i < 300; ++i) users.push_back(name('u', i));
  std::uint32_t cseq = 1;
  // Refreshes, 30 AoRs to a flush, until the log is long enough for a pass.
  auto refresh_until_rewriting = [&] {
    for (int flushes = 0; !location_->rewriting() && flushes < 1000; ++flushes) {
      for (int k = 0; k < 30; ++k) set(users[static_cast<std::size_t>((flushes * 30 + k) % 300)], ++cseq);
      ASSERT_TRUE(location_->flush());
    }
    ASSERT_TRUE(location_->rewriting());
  };
  for (const auto& u : users) set(u, cseq);
  ASSERT_TRUE(location_->flush());
  EXPECT_FALSE(location_->rewriting());
  refresh_until_rewriting();
  EXPECT_GT(store_->binding_log_changes(), 3u * 300u + 4096u);
  int flushes = 0;
  for (; location_->rewriting() && flushes < 100; ++flushes) {
    for (int k = 0; k < 30; ++k) set(users[static_cast<std::size_t>(k)], ++cseq);
    ASSERT_TRUE(location_->flush());
  }
  EXPECT_FALSE(location_->rewriting());
  EXPECT_GT(flushes, 1);  // a few dozen AoRs a flush, not all at once
  EXPECT_LT(store_->binding_log_changes(), 1500u);
  same_after_reload(users);

  refresh_until_rewriting();
  for (int i = 0; i < 10; ++i) location_->apply(aor_of(name('u', i)), {});
  for (int i = 0; i < 500; ++i) {
    users.push_back(name('n', i));
    set(users.back(), ++cseq);
  }
  ASSERT_TRUE(location_->flush());
  for (flushes = 0; location_->rewriting() && flushes < 100; ++flushes) {
    set("n0", ++cseq);
    ASSERT_TRUE(location_->flush());
  }
  EXPECT_FALSE(location_->rewriting());
  EXPECT_EQ(location_->binding_count(), 790u);
  EXPECT_LT(store_->binding_log_changes(), 3000u);
  same_after_reload(users);
}

TEST(Registrar, CanonicalAorLowercasesTheHostOnly) {
  EXPECT_EQ(canonical_aor("Alice", "Example.TEST"), "sip:Alice@example.test");
  EXPECT_EQ(date_header(0), "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n");
}

}  // namespace
}  // namespace warden::proxy
