#pragma once
/// \file ThreadPool: a fixed set of workers that run the chunks of one parallel loop at a
/// time. Used to step expensive environments and to split a minibatch over threads
/// (`DataParallel`); each chunk touches its own data, so results are the same as the
/// sequential loop's.

#include <theta/core/error.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <type_traits>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace theta {

/// Runs `body(begin, end)` over [0, n) split into one contiguous chunk per thread; the
/// calling thread runs the first chunk, so `ThreadPool(1)` starts no thread at all.
///
/// Waiting: a worker that finished its chunk, and the caller waiting for the workers, first
/// spin for up to `spin` (20 µs by default) and then block on a condition variable, so an idle
/// pool costs no CPU after that and back-to-back loops (the several parallel regions of one
/// gradient step) do not pay a kernel wake-up each. On this project's 2-core VM an empty
/// 2-thread loop costs about 1 µs while the workers spin and 25-35 µs once they sleep
/// (docs/parallel.md).
///
///     theta::ThreadPool pool(2);
///     pool.parallel_for(n, [&](std::size_t begin, std::size_t end) { ... });
class ThreadPool {
 public:
  explicit ThreadPool(std::size_t threads = 1, std::chrono::microseconds spin = std::chrono::microseconds(20))
      : threads_(threads), spin_(spin), errors_(threads) {
    require<ConfigError>(threads >= 1, "ThreadPool: threads must be >= 1, got {}", threads);
    workers_.reserve(threads - 1);
    for (std::size_t w = 1; w < threads; ++w) workers_.emplace_back([this, w] { work(w); });
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    start_.notify_all();
    for (auto& t : workers_) t.join();
  }

  [[nodiscard]] std::size_t size() const noexcept { return threads_; }

  /// Runs the loop and returns when every chunk is done; rethrows the first exception a
  /// chunk threw (by chunk order, so the error does not depend on timing).
  /// Allocates nothing: the body is passed by pointer, not through std::function.
  template <class Body>
  void parallel_for(std::size_t n, Body&& body) {
    if (threads_ == 1 || n <= 1) {
      body(std::size_t{0}, n);
      return;
    }
    for (auto& e : errors_) e = nullptr;
    context_ = static_cast<void*>(&body);
    invoke_ = [](void* context, std::size_t begin, std::size_t end) {
      (*static_cast<std::remove_reference_t<Body>*>(context))(begin, end);
    };
    n_ = n;
    pending_.store(threads_ - 1, std::memory_order_relaxed);
    {
      // Under the lock, so that a worker about to block sees either the old generation and
      // gets the notification, or the new one.
      std::lock_guard lock(mutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    start_.notify_all();
    run_chunk(0);
    if (!spin_until([this] { return pending_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock lock(mutex_);
      done_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    context_ = nullptr;
    for (auto& e : errors_) {
      if (e) std::rethrow_exception(e);
    }
  }

 private:
  // Spins until `ready()` or `spin_` has passed; true if ready.
  template <class Ready>
  bool spin_until(Ready ready) const {
    if (ready()) return true;
    const auto deadline = std::chrono::steady_clock::now() + spin_;
    for (unsigned k = 1;; ++k) {
#if defined(__x86_64__) || defined(__i386__)
      _mm_pause();
#endif
      if (ready()) return true;
      if (k % 64 == 0 && std::chrono::steady_clock::now() >= deadline) return false;
    }
  }

  void run_chunk(std::size_t chunk) {
    const std::size_t begin = n_ * chunk / threads_;
    const std::size_t end = n_ * (chunk + 1) / threads_;
    try {
      if (begin < end) invoke_(context_, begin, end);
    } catch (...) {
      errors_[chunk] = std::current_exception();
    }
  }

  void work(std::size_t chunk) {
    std::size_t seen = 0;
    for (;;) {
      const auto started = [&] { return generation_.load(std::memory_order_acquire) != seen; };
      if (!spin_until(started)) {
        std::unique_lock lock(mutex_);
        start_.wait(lock, started);
      }
      seen = generation_.load(std::memory_order_acquire);
      if (stopping_.load(std::memory_order_acquire)) return;
      run_chunk(chunk);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        // The last one: the caller may be blocked (it checks under the lock before it sleeps).
        std::lock_guard lock(mutex_);
        done_.notify_one();
      }
    }
  }

  std::size_t threads_;
  std::chrono::microseconds spin_;
  std::vector<std::exception_ptr> errors_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_;
  std::condition_variable done_;
  // Written by the caller before the generation is published (release), read by the workers
  // after they see it (acquire).
  void* context_ = nullptr;
  void (*invoke_)(void*, std::size_t, std::size_t) = nullptr;
  std::size_t n_ = 0;
  std::atomic<std::size_t> pending_{0};
  std::atomic<std::size_t> generation_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace theta
