#include "crypto/csprng.hpp"

#include <openssl/rand.h>

#include <climits>
#include <cstdio>
#include <cstdlib>

namespace warden::crypto {

void Csprng::fill(std::span<std::byte> out) noexcept {
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  std::size_t left = out.size();
  while (left > 0) {
    const int chunk = left > INT_MAX ? INT_MAX : static_cast<int>(left);
    if (RAND_bytes(p, chunk) != 1) {
      std::fputs("warden: fatal: the CSPRNG failed (RAND_bytes)\n", stderr);
      std::abort();
    }
    p += chunk;
    left -= static_cast<std::size_t>(chunk);
  }
}

}  // namespace warden::crypto
