#pragma once
/// \file Private: how an optimizer's loops read and write parameters and state: plain memory
/// for the ordinary step (which the compiler vectorises), and for the Hogwild! step of
/// asynchronous training chunks copied in and out with relaxed atomics, so threads updating
/// the same buffers at once is defined behaviour (docs/algorithms/a3c.md, "Memory model").
/// The ordinary step's loop is left exactly as it compiles without the Hogwild! step (a
/// version that ran it through the chunk interface made A2C 4-5 % slower in wall time on one
/// machine with unchanged instruction counts, docs/benchmarks.md); each optimizer writes its
/// chunk loop beside it, and tests/async/hogwild_test.cpp checks the two bit for bit.

#include <theta/core/scalar.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace theta::detail {

/// Plain memory: the buffers belong to one thread.
struct PlainAccess {
  template <class T>
  static T load(const T* p) noexcept {
    return *p;
  }
  template <class T>
  static void store(T* p, T value) noexcept {
    *p = value;
  }
  /// Runs `loop(begin, end)` over the entries [0, n) in order.
  template <class Loop>
  static void for_range(Index n, std::int64_t /*step*/, Loop&& loop) {
    loop(Index{0}, n);
  }
  /// Counts one step; returns the 1-based number of this step.
  static std::int64_t count_step(std::int64_t& steps) noexcept { return ++steps; }
};

/// Shared memory: every access is a relaxed atomic (`std::atomic_ref`), so concurrent steps
/// neither race nor tear a value; an update can still overwrite another's (Hogwild!, Recht et
/// al. 2011). On x86-64 a relaxed load or store of a float is an ordinary move.
struct RelaxedAccess {
  template <class T>
  static T load(const T* p) noexcept {
    // atomic_ref needs a non-const object; the buffers are never const objects.
    return std::atomic_ref<T>(*const_cast<T*>(p)).load(std::memory_order_relaxed);
  }
  template <class T>
  static void store(T* p, T value) noexcept {
    std::atomic_ref<T>(*p).store(value, std::memory_order_relaxed);
  }
  /// Entries per chunk of `for_chunks`: 1 KiB of floats per buffer, on the stack.
  static constexpr Index chunk = 256;

  /// Runs `loop(begin, count, local)` over the entries [0, n) in chunks of `chunk`: each
  /// chunk of every shared buffer in `shared` is copied into a local array with relaxed loads,
  /// `loop` updates the local copies (`local[k]` holds entries begin .. begin + count - 1 of
  /// `shared[k]`) with plain code the compiler vectorises, and the chunk is written back with
  /// relaxed stores. A chunk's entries are thus read a little earlier and written a little
  /// later than an entry-by-entry loop would (an update can overwrite another's, as in any
  /// Hogwild! step), and the arithmetic is vectorised as in the ordinary step instead of one
  /// scalar entry at a time.
  ///
  /// The chunks start at an entry that depends on the step number (s, ..., n - 1, then
  /// 0, ..., s - 1). Steps that run at the same time (they drew consecutive numbers) start far
  /// apart (the golden-ratio sequence of the step numbers: any W consecutive steps start at
  /// least about n / (2.6 W) entries apart), so threads that fell into the same rhythm do not
  /// write the same cache lines together for the whole step. The order does not change what an
  /// elementwise update computes.
  template <class T, std::size_t K, class Loop>
  static void for_chunks(Index n, std::int64_t step, std::array<T*, K> shared, Loop&& loop) {
    // Fibonacci hashing: the fractional part of step * 0.618..., in 32 bits, scaled to n.
    const auto fraction = static_cast<std::uint32_t>(static_cast<std::uint64_t>(step) * 2654435769ULL);
    const auto start = static_cast<Index>((static_cast<std::uint64_t>(fraction) * static_cast<std::uint64_t>(n)) >> 32);
    alignas(64) T local[K][chunk];
    std::array<T*, K> views{};
    for (std::size_t k = 0; k < K; ++k) views[k] = local[k];
    const auto run = [&](Index begin, Index end) {
      for (Index b = begin; b < end; b += chunk) {
        const Index count = std::min(chunk, end - b);
        for (std::size_t k = 0; k < K; ++k) {
          for (Index i = 0; i < count; ++i) local[k][i] = load(shared[k] + b + i);
        }
        loop(b, count, views);
        for (std::size_t k = 0; k < K; ++k) {
          for (Index i = 0; i < count; ++i) store(shared[k] + b + i, local[k][i]);
        }
      }
    };
    run(start, n);
    run(Index{0}, start);
  }
  static std::int64_t count_step(std::int64_t& steps) noexcept {
    return std::atomic_ref<std::int64_t>(steps).fetch_add(1, std::memory_order_relaxed) + 1;
  }
};

}  // namespace theta::detail
