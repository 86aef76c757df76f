#include "alloc_counter.hpp"

#include <cstddef>
#include <new>

// glibc's allocator under its internal names: calling these from our malloc never recurses.
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* ptr, std::size_t size);
void __libc_free(void* ptr);
}

namespace {
// Not atomic on purpose: a locked add on every allocation would slow the C libraries, which
// allocate hundreds of times per message, and the benchmarks run on one thread.
std::uint64_t g_allocations = 0;

void* counted_new(std::size_t size) {
  ++g_allocations;
  void* p = __libc_malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

std::uint64_t warden::bench::allocations() noexcept { return g_allocations; }

// --- C allocator (libosip2, sofia-sip, libstdc++ internals) ---------------------------------

extern "C" void* malloc(std::size_t size) noexcept {
  ++g_allocations;
  return __libc_malloc(size);
}

extern "C" void* calloc(std::size_t count, std::size_t size) noexcept {
  ++g_allocations;
  return __libc_calloc(count, size);
}

extern "C" void* realloc(void* ptr, std::size_t size) noexcept {
  void* p = __libc_realloc(ptr, size);
  if (ptr == nullptr || (p != nullptr && p != ptr)) ++g_allocations;  // a new block
  return p;
}

extern "C" void free(void* ptr) noexcept { __libc_free(ptr); }

// --- C++ allocator ---------------------------------------------------------------------------

void* operator new(std::size_t size) { return counted_new(size); }
void* operator new[](std::size_t size) { return counted_new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  ++g_allocations;
  return __libc_malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  ++g_allocations;
  return __libc_malloc(size == 0 ? 1 : size);
}
void operator delete(void* p) noexcept { __libc_free(p); }
void operator delete[](void* p) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { __libc_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { __libc_free(p); }
