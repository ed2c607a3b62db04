#pragma once
/// \file Private: how an optimizer's loop reads and writes parameters and state. One loop
/// serves both the ordinary step (plain loads and stores, which the compiler vectorises) and
/// the Hogwild! step of asynchronous training (relaxed atomics, so threads updating the same
/// buffers at once is defined behaviour: docs/algorithms/a3c.md, "Memory model").

#include <theta/core/scalar.hpp>

#include <atomic>
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
  /// Runs `loop(begin, end)` over the entries [0, n) starting at an entry that depends on the
  /// step number (s, ..., n - 1, then 0, ..., s - 1). Steps that run at the same time (they
  /// drew consecutive numbers) start far apart (the golden-ratio sequence of the step numbers:
  /// any W consecutive steps start at least about n / (2.6 W) entries apart), so threads that
  /// fell into the same rhythm do not write the same cache lines together for the whole step.
  /// The order does not change what an elementwise update computes.
  template <class Loop>
  static void for_range(Index n, std::int64_t step, Loop&& loop) {
    // Fibonacci hashing: the fractional part of step * 0.618..., in 32 bits, scaled to n.
    const auto fraction = static_cast<std::uint32_t>(static_cast<std::uint64_t>(step) * 2654435769ULL);
    const auto start = static_cast<Index>((static_cast<std::uint64_t>(fraction) * static_cast<std::uint64_t>(n)) >> 32);
    loop(start, n);
    loop(Index{0}, start);
  }
  static std::int64_t count_step(std::int64_t& steps) noexcept {
    return std::atomic_ref<std::int64_t>(steps).fetch_add(1, std::memory_order_relaxed) + 1;
  }
};

}  // namespace theta::detail
