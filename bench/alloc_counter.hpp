#pragma once
// Counts heap allocations made by this process, so a benchmark can report allocations per
// parsed message for every parser, C++ or C.
//
// alloc_counter.cpp replaces the global operator new/new[] (our C++ code) and interposes
// malloc/calloc/realloc (libosip2 and sofia-sip allocate through them). Both forward to glibc's
// own allocator (__libc_malloc and friends), so nothing is counted twice and memory from either
// path may be released by the other. posix_memalign/aligned_alloc are not counted (none of the
// measured parsers uses them).
// Thread-safety: the counter is a plain integer: exact for single-threaded benchmarks only.

#include <cstdint>

namespace warden::bench {

// Allocations (operator new + malloc + calloc + realloc of a null pointer or to a new block)
// since the process started.
std::uint64_t allocations() noexcept;

}  // namespace warden::bench
