#pragma once
// Allocation detection for the [alloc] tests, after Eigen's test/nomalloc.cpp. Include it FIRST
// in a test file (it defines EIGEN_RUNTIME_NO_MALLOC and eigen_assert before Eigen is seen),
// and in one translation unit per test binary (it replaces the global operator new and delete):
// test_alloc, which holds every file that includes it, is one unity unit (tests/CMakeLists.txt),
// so `#pragma once` leaves one definition; with THETA_UNITY_TESTS=OFF each file is a binary.
//
// Two independent detectors:
//  1. EIGEN_RUNTIME_NO_MALLOC: every heap allocation Eigen makes (aligned_malloc, including the
//     GEMM packing blocks) checks a flag and reports through eigen_assert, redefined here to
//     count instead of aborting (so the tests also run under NDEBUG).
//  2. A replaced global operator new/delete (every variant) that counts calls: catches
//     std::vector, std::string, std::function, fmt and anything else that is not Eigen.
// Under AddressSanitizer the replacement still wins and forwards to malloc/free, which ASan
// intercepts, so both detectors and ASan's checks stay active.
//
//     const auto a = theta::test::count_allocations([&] { trainer.collect(); });
//     REQUIRE(a.eigen == 0);
//     REQUIRE(a.news == 0);

#define EIGEN_RUNTIME_NO_MALLOC

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace nomalloc {
inline std::atomic<long> eigen_failures{0};
inline std::atomic<long> news{0};
inline void eigen_assert_failed() noexcept { eigen_failures.fetch_add(1, std::memory_order_relaxed); }
}  // namespace nomalloc

#define eigen_assert(x) ((x) ? static_cast<void>(0) : ::nomalloc::eigen_assert_failed())

// GCC 12 warns -W(maybe-)uninitialized inside its own avx512fintrin.h when Eigen's GEMM packs
// doubles with AVX-512; the state where immintrin.h is first included decides.
#include <Eigen/Core>

namespace nomalloc {

inline void* counted_alloc(std::size_t size) {
  nomalloc::news.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}

inline void* counted_aligned_alloc(std::size_t size, std::align_val_t align) {
  nomalloc::news.fetch_add(1, std::memory_order_relaxed);
  const auto a = static_cast<std::size_t>(align);
  // aligned_alloc wants a size that is a multiple of the alignment.
  return std::aligned_alloc(a, (size + a - 1) / a * a + (size == 0 ? a : 0));
}

}  // namespace nomalloc

// The replacements pair operator new with malloc and operator delete with free; once GCC
// inlines them into std::allocator it sees free() on a new'd pointer, which is the point.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t size) {
  if (void* p = nomalloc::counted_alloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = nomalloc::counted_alloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return nomalloc::counted_alloc(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return nomalloc::counted_alloc(size); }
void* operator new(std::size_t size, std::align_val_t align) {
  if (void* p = nomalloc::counted_aligned_alloc(size, align)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t align) {
  if (void* p = nomalloc::counted_aligned_alloc(size, align)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return nomalloc::counted_aligned_alloc(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return nomalloc::counted_aligned_alloc(size, align);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace theta::test {

/// What a piece of code allocated: Eigen heap allocations (with Eigen's flag down) and global
/// operator new calls.
struct Allocations {
  long eigen = 0;
  long news = 0;
};

template <class F>
Allocations count_allocations(F&& hot) {
  const long eigen_before = nomalloc::eigen_failures.load();
  const long news_before = nomalloc::news.load();
  Eigen::internal::set_is_malloc_allowed(false);
  hot();
  Eigen::internal::set_is_malloc_allowed(true);
  return {nomalloc::eigen_failures.load() - eigen_before, nomalloc::news.load() - news_before};
}

}  // namespace theta::test
