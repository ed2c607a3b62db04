#pragma once
/// \file EpisodeStats: the returns and lengths of the most recent training episodes.

#include <theta/core/error.hpp>
#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>
#include <theta/io/state.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace theta {

/// A ring of the last `capacity` finished training episodes (SB3's `ep_info_buffer`, 100).
class EpisodeStats {
 public:
  explicit EpisodeStats(std::size_t capacity = 100) : returns_(capacity), lengths_(capacity) {
    require<ConfigError>(capacity >= 1, "EpisodeStats: capacity must be >= 1, got {}", capacity);
  }

  void add(double episode_return, std::int64_t length) {
    returns_[next_] = episode_return;
    lengths_[next_] = length;
    next_ = (next_ + 1) % returns_.size();
    ++total_;
  }

  /// Episodes finished since the start (not only those kept).
  [[nodiscard]] std::int64_t total() const noexcept { return total_; }
  /// Episodes kept: min(total, capacity).
  [[nodiscard]] std::size_t size() const noexcept {
    return static_cast<std::size_t>(std::min<std::int64_t>(total_, static_cast<std::int64_t>(returns_.size())));
  }
  [[nodiscard]] std::size_t capacity() const noexcept { return returns_.size(); }

  /// Mean return of the last min(n, size()) episodes (0 when there are none).
  [[nodiscard]] double mean_return(std::size_t n) const { return mean_of(returns_, n); }
  [[nodiscard]] double mean_length(std::size_t n) const { return mean_of(lengths_, n); }

  /// Writes the ring (capacity, position, total, returns, lengths) into a checkpoint section.
  void save(io::CheckpointSectionWriter& out) const {
    out.u64(returns_.size()).u64(next_).i64(total_);
    for (const double r : returns_) out.f64(r);
    for (const std::int64_t l : lengths_) out.i64(l);
  }
  /// Reads what `save` wrote; refuses another capacity, a position outside the ring, a negative
  /// count or length and non-finite returns. Assigns nothing on an error.
  void load(io::CheckpointSectionReader& in) {
    const std::uint64_t capacity = in.u64();
    require<CheckpointError>(capacity == returns_.size(),
                             "checkpoint section '{}': episode statistics over {} episodes, this trainer keeps {} "
                             "(stats_window)", in.name(), capacity, returns_.size());
    const std::uint64_t next = in.u64();
    const std::int64_t total = in.i64();
    require<CheckpointError>(next < capacity && total >= 0 && total <= io::max_saved_count &&
                                 (total >= static_cast<std::int64_t>(capacity) ||
                                  next == static_cast<std::uint64_t>(total)),
                             "checkpoint section '{}': episode ring position {} and count {} are impossible for {} "
                             "episodes", in.name(), next, total, capacity);
    std::vector<double> returns(returns_.size());
    std::vector<std::int64_t> lengths(lengths_.size());
    for (double& r : returns) {
      r = in.f64();
      require<CheckpointError>(std::isfinite(r), "checkpoint section '{}': an episode return is {}", in.name(), r);
    }
    for (std::int64_t& l : lengths) {
      l = in.i64();
      require<CheckpointError>(l >= 0 && l <= io::max_saved_count, "checkpoint section '{}': an episode length is {}",
                               in.name(), l);
    }
    returns_ = std::move(returns);
    lengths_ = std::move(lengths);
    next_ = static_cast<std::size_t>(next);
    total_ = total;
  }

 private:
  template <class V>
  double mean_of(const std::vector<V>& values, std::size_t n) const {
    n = std::min(n, size());
    if (n == 0) return 0.0;
    double sum = 0;
    for (std::size_t k = 1; k <= n; ++k) sum += static_cast<double>(values[(next_ + values.size() - k) % values.size()]);
    return sum / static_cast<double>(n);
  }

  std::vector<double> returns_;
  std::vector<std::int64_t> lengths_;
  std::size_t next_ = 0;
  std::int64_t total_ = 0;
};

}  // namespace theta
