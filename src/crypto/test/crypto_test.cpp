#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <set>

#include "crypto/csprng.hpp"

using warden::crypto::Csprng;

TEST(Csprng, FillsWholeBuffer) {
  Csprng rng;
  std::array<std::byte, 4096> buf{};
  rng.fill(buf);
  // 4096 zero bytes from a working CSPRNG has probability 2^-32768.
  std::size_t zeros = 0;
  for (auto b : buf) zeros += b == std::byte{0};
  EXPECT_LT(zeros, 100u);
}

TEST(Csprng, TokensDoNotRepeat) {
  Csprng rng;
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    auto t = warden::base::random_token(rng, 128);
    EXPECT_EQ(t.size(), 25u);
    EXPECT_TRUE(seen.insert(t).second) << "repeated token " << t;
  }
}

// Small requests come from a per-thread block; sizes that straddle the block's end and large
// requests (straight from RAND_bytes) must still give distinct, non-zero output.
TEST(Csprng, SmallAndLargeRequestsAcrossBlockEnds) {
  Csprng rng;
  std::set<std::string> seen;
  for (std::size_t n : {1u, 7u, 8u, 16u, 100u, 128u, 129u, 511u, 512u, 513u, 1000u, 1024u, 1025u, 3000u, 5000u}) {
    for (int i = 0; i < 20; ++i) {
      std::string buf(n, '\0');
      rng.fill(std::as_writable_bytes(std::span(buf.data(), buf.size())));
      if (n >= 8) EXPECT_TRUE(seen.insert(buf).second) << "repeated " << n << "-byte draw";
      if (n >= 100) EXPECT_NE(buf, std::string(n, '\0'));
    }
  }
}

// A child process must not hand out the bytes its parent has left in its block.
TEST(Csprng, ForkedChildDoesNotRepeatParentBytes) {
  Csprng rng;
  std::array<std::byte, 8> warm{};
  rng.fill(warm);  // the parent's block now holds unused bytes
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::array<std::byte, 32> mine{};
    rng.fill(mine);
    const bool ok = write(fds[1], mine.data(), mine.size()) == static_cast<ssize_t>(mine.size());
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  std::array<std::byte, 32> parent{}, childs{};
  rng.fill(parent);
  ASSERT_EQ(read(fds[0], childs.data(), childs.size()), static_cast<ssize_t>(childs.size()));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(std::memcmp(parent.data(), childs.data(), parent.size()), 0);
}

#include "crypto/hash.hpp"

using namespace warden::crypto;

TEST(Hash, KnownAnswers) {
  EXPECT_EQ(hex_digest(HashAlgorithm::Md5, "abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex_digest(HashAlgorithm::Sha256, "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // FIPS 180-4 example for SHA-512/256.
  EXPECT_EQ(hex_digest(HashAlgorithm::Sha512_256, "abc"),
            "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23");
  EXPECT_EQ(Hasher(HashAlgorithm::Sha256).update("a").update("bc").hex_final(),
            hex_digest(HashAlgorithm::Sha256, "abc"));
}

// Short inputs are gathered and hashed at once, long ones stream: an input that grows past the
// buffer part way, and one fed in pieces of every size, give the published digests.
TEST(Hash, HasherGivesTheSameDigestBufferedOrStreamed) {
  // One million 'a' (FIPS 180-2 and RFC 1321 test suites).
  const std::string thousand(1000, 'a');
  Hasher sha(HashAlgorithm::Sha256), md5(HashAlgorithm::Md5);
  for (int i = 0; i < 1000; ++i) {
    sha.update(thousand);
    md5.update(thousand);
  }
  EXPECT_EQ(sha.hex_final(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(md5.hex_final(), "7707d6ae4e027c70eea2a935c2296f21");
  // 600 bytes in pieces of 1 to 599: the switch from the buffer to streaming falls in a piece.
  const std::string six_hundred(600, 'x');
  const std::string whole = hex_digest(HashAlgorithm::Sha512_256, six_hundred);
  for (std::size_t cut = 1; cut < six_hundred.size(); cut += 37) {
    Hasher h(HashAlgorithm::Sha512_256);
    h.update(six_hundred.substr(0, cut)).update(six_hundred.substr(cut));
    EXPECT_EQ(h.hex_final(), whole) << cut;
  }
  EXPECT_EQ(Hasher(HashAlgorithm::Md5).hex_final(), "d41d8cd98f00b204e9800998ecf8427e");  // empty input
}

TEST(Hash, HmacSha256Rfc4231Case2) {
  auto mac = hmac_sha256("Jefe", "what do ya want for nothing?");
  std::string hex;
  for (auto b : mac) {
    static constexpr char k[] = "0123456789abcdef";
    hex.push_back(k[b >> 4]);
    hex.push_back(k[b & 15]);
  }
  EXPECT_EQ(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

namespace {
std::string hex_of(const std::array<std::uint8_t, 32>& mac) {
  static constexpr char k[] = "0123456789abcdef";
  std::string hex;
  for (auto b : mac) {
    hex.push_back(k[b >> 4]);
    hex.push_back(k[b & 15]);
  }
  return hex;
}
}  // namespace

// hmac_sha256 keeps a keyed context per thread: changing keys back and forth, a key that is a
// prefix of the last one, and the empty key must each give that key's MAC.
TEST(Hash, HmacSha256AlternatingKeys) {
  const std::string case1_key(20, '\x0b');  // RFC 4231 test case 1
  const std::string case1 = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
  const std::string case2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(hex_of(hmac_sha256(case1_key, "Hi There")), case1);
    EXPECT_EQ(hex_of(hmac_sha256(case1_key, "Hi There")), case1);
    EXPECT_EQ(hex_of(hmac_sha256("Jefe", "what do ya want for nothing?")), case2);
  }
  EXPECT_NE(hex_of(hmac_sha256("Jef", "what do ya want for nothing?")), case2);
  EXPECT_EQ(hex_of(hmac_sha256("Jefe", "what do ya want for nothing?")), case2);
  // HMAC with an empty key over an empty message (a widely published value).
  EXPECT_EQ(hex_of(hmac_sha256("", "")), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_EQ(hex_of(hmac_sha256(case1_key, "Hi There")), case1);
}

TEST(Hash, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
}
