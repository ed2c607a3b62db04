#pragma once
/// \file ThreadPool: a fixed set of workers that run the chunks of one parallel loop at a
/// time. Used to step expensive environments; each chunk touches its own data, so results
/// are the same as the sequential loop's.

#include <theta/core/error.hpp>

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <type_traits>
#include <mutex>
#include <thread>
#include <vector>

namespace theta {

/// Runs `body(begin, end)` over [0, n) split into one contiguous chunk per thread; the
/// calling thread runs the first chunk, so `ThreadPool(1)` starts no thread at all.
///
///     theta::ThreadPool pool(2);
///     pool.parallel_for(n, [&](std::size_t begin, std::size_t end) { ... });
class ThreadPool {
 public:
  explicit ThreadPool(std::size_t threads = 1) : threads_(threads), errors_(threads) {
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
      ++generation_;
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
    {
      std::lock_guard lock(mutex_);
      context_ = static_cast<void*>(&body);
      invoke_ = [](void* context, std::size_t begin, std::size_t end) {
        (*static_cast<std::remove_reference_t<Body>*>(context))(begin, end);
      };
      n_ = n;
      pending_ = threads_ - 1;
      ++generation_;
    }
    start_.notify_all();
    run_chunk(0);
    {
      std::unique_lock lock(mutex_);
      done_.wait(lock, [this] { return pending_ == 0; });
      context_ = nullptr;
    }
    for (auto& e : errors_) {
      if (e) std::rethrow_exception(e);
    }
  }

 private:
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
      {
        std::unique_lock lock(mutex_);
        start_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stopping_) return;
      }
      run_chunk(chunk);
      {
        std::lock_guard lock(mutex_);
        --pending_;
      }
      done_.notify_one();
    }
  }

  std::size_t threads_;
  std::vector<std::exception_ptr> errors_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_;
  std::condition_variable done_;
  void* context_ = nullptr;
  void (*invoke_)(void*, std::size_t, std::size_t) = nullptr;
  std::size_t n_ = 0;
  std::size_t pending_ = 0;
  std::size_t generation_ = 0;
  bool stopping_ = false;
};

}  // namespace theta
