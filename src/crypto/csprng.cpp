#include "crypto/csprng.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <array>
#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace warden::crypto {

namespace {

[[noreturn]] void rand_failed() {
  std::fputs("warden: fatal: the CSPRNG failed (RAND_bytes)\n", stderr);
  std::abort();
}

void rand_bytes(unsigned char* p, std::size_t n) {
  while (n > 0) {
    const int chunk = n > INT_MAX ? INT_MAX : static_cast<int>(n);
    if (RAND_bytes(p, chunk) != 1) rand_failed();
    p += chunk;
    n -= static_cast<std::size_t>(chunk);
  }
}

// Bumped in a child process after fork(): a buffer filled before the fork must not hand the
// same bytes to parent and child.
std::atomic<unsigned> fork_generation{0};

// The small requests of the hot path (8-byte nonce salts, 16-byte tags and branches) each cost
// a whole RAND_bytes call (DRBG look-up, locking, reseed check) that dwarfs the bytes. Each
// thread therefore draws a block at a time and hands it out in order; a handed-out byte is
// wiped from the block at once, so memory holds only bytes nobody has seen.
struct Pool {
  static constexpr std::size_t kSize = 4096;
  std::array<unsigned char, kSize> bytes{};
  std::size_t used = kSize;  // empty
  unsigned generation = 0;

  ~Pool() { OPENSSL_cleanse(bytes.data(), bytes.size()); }

  void take(unsigned char* out, std::size_t n) {
    const unsigned gen = fork_generation.load(std::memory_order_relaxed);
    if (gen != generation) {
      generation = gen;
      used = kSize;
    }
    while (n > 0) {
      if (used == kSize) {
        rand_bytes(bytes.data(), kSize);
        used = 0;
      }
      const std::size_t k = std::min(n, kSize - used);
      std::memcpy(out, bytes.data() + used, k);
      OPENSSL_cleanse(bytes.data() + used, k);
      used += k;
      out += k;
      n -= k;
    }
  }
};

void watch_forks() {
  static std::once_flag once;
  std::call_once(once, [] {
    pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1, std::memory_order_relaxed); });
  });
}

}  // namespace

Csprng::Csprng() { watch_forks(); }

void Csprng::fill(std::span<std::byte> out) noexcept {
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  if (out.size() > Pool::kSize / 4) {  // large requests: straight from the DRBG
    rand_bytes(p, out.size());
    return;
  }
  thread_local Pool pool;
  pool.take(p, out.size());
}

}  // namespace warden::crypto
