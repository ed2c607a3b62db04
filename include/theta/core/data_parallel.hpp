#pragma once
/// \file DataParallel: one minibatch split over T threads inside one process. Each thread
/// computes the gradient of a contiguous slice of the batch in its own workspaces (its own
/// copy of the components), and the slices' gradients are summed in slice order, 0 + 1 + ...,
/// whichever thread finished first, so a run is bit-identical for a given T; with T = 1 there
/// is one slice, the whole batch, on the calling thread, which is the serial computation.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>
#include <theta/core/thread_pool.hpp>

#include <Eigen/Core>

#include <cstddef>
#include <memory>

namespace theta {

/// Rows [begin, begin + size) of a batch: one slice of a data-parallel step.
struct BatchSlice {
  Index begin = 0;
  Index size = 0;
};

/// Slice `t` of `slices` of a batch of `n` rows: [n t / slices, n (t + 1) / slices), as
/// `ThreadPool` cuts its chunks (contiguous, in order, sizes differing by at most 1).
[[nodiscard]] inline BatchSlice batch_slice(Index n, std::size_t slices, std::size_t t) noexcept {
  const auto s = static_cast<Index>(slices), i = static_cast<Index>(t);
  const Index begin = n * i / s;
  return {begin, n * (i + 1) / s - begin};
}

/// The thread count of a data-parallel update and the threads that run it. The calling thread
/// runs slice 0; slice t > 0 always runs on the pool's worker t, so what a worker keeps between
/// two regions (its copy's recorded forward pass) stays with its slice. The pool starts on first
/// use; a copy has the same thread count and a pool of its own (a rule is copied to back up its
/// state while a checkpoint loads; two copies never share threads).
///
///     theta::DataParallel parallel(2);
///     parallel.for_each_slice([&](std::size_t t) { ... slice t of the batch ... });
class DataParallel {
 public:
  explicit DataParallel(std::size_t threads = 1) : threads_(threads) {
    require<ConfigError>(threads >= 1, "DataParallel: threads must be >= 1, got {}", threads);
  }
  DataParallel(const DataParallel& other) : threads_(other.threads_) {}
  DataParallel& operator=(const DataParallel& other) {
    if (this != &other && other.threads_ != threads_) {
      threads_ = other.threads_;
      pool_.reset();
    }
    return *this;
  }
  DataParallel(DataParallel&&) noexcept = default;
  DataParallel& operator=(DataParallel&&) noexcept = default;

  [[nodiscard]] std::size_t threads() const noexcept { return threads_; }

  /// Runs `body(t)` for t = 0 .. threads - 1, t on thread t (t = 0: the caller), and returns
  /// when all are done; rethrows the exception of the lowest t that threw.
  template <class Body>
  void for_each_slice(Body&& body) {
    if (threads_ == 1) {
      body(std::size_t{0});
      return;
    }
    pool().parallel_for(threads_, [&](std::size_t begin, std::size_t end) {
      for (std::size_t t = begin; t < end; ++t) body(t);
    });
  }

  /// Runs `body(k)` for k = 0 .. tasks - 1 spread over the threads, each task on a fixed thread
  /// (independent pieces of work: one optimizer step per network).
  template <class Body>
  void for_each_task(std::size_t tasks, Body&& body) {
    if (threads_ == 1 || tasks <= 1) {
      for (std::size_t k = 0; k < tasks; ++k) body(k);
      return;
    }
    pool().parallel_for(tasks, [&](std::size_t begin, std::size_t end) {
      for (std::size_t k = begin; k < end; ++k) body(k);
    });
  }

  /// The pool (started on first use).
  ThreadPool& pool() {
    if (!pool_) pool_ = std::make_unique<ThreadPool>(threads_);
    return *pool_;
  }

 private:
  std::size_t threads_;
  std::unique_ptr<ThreadPool> pool_;
};

}  // namespace theta
