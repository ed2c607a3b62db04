#pragma once
/// \file Private: how an optimizer's loop reads and writes parameters and state. One loop
/// serves both the ordinary step (plain loads and stores, which the compiler vectorises) and
/// the Hogwild! step of asynchronous training (relaxed atomics, so threads updating the same
/// buffers at once is defined behaviour: docs/algorithms/a3c.md, "Memory model").

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
  static std::int64_t count_step(std::int64_t& steps) noexcept {
    return std::atomic_ref<std::int64_t>(steps).fetch_add(1, std::memory_order_relaxed) + 1;
  }
};

}  // namespace theta::detail
