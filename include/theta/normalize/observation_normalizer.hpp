#pragma once
/// \file ObservationNormalizer: standardises observations with running statistics.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>
#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>
#include <theta/normalize/detail/standardize.hpp>
#include <theta/normalize/running_mean_std.hpp>

#include <Eigen/Core>

#include <cmath>

namespace theta {

/// Configuration of an `ObservationNormalizer`.
struct ObservationNormalizerConfig {
  double clip = 10.0;     ///< bound on the normalised value (> 0)
  double epsilon = 1e-8;  ///< added to the variance (> 0)
};

/// `clip((x - mean) / sqrt(var + epsilon), -clip, clip)` per component, with the statistics of
/// every observation seen while not frozen (SB3's `VecNormalize`, CleanRL's
/// `NormalizeObservation` wrapper: clip 10, epsilon 1e-8). The agent owns it: the trainer
/// updates it on collected observations and freezes it for evaluation, and an exported policy
/// folds it in.
///
///     theta::ObservationNormalizer norm(obs_dim);
///     norm.update(obs);              // obs_dim x n_envs
///     norm.normalize(obs, out);      // out: obs_dim x n_envs, preallocated
class ObservationNormalizer {
 public:
  using Config = ObservationNormalizerConfig;

  explicit ObservationNormalizer(Index dim, Config config = {}) : stats_(dim), config_(config), inv_std_(dim) {
    require<ConfigError>(config.clip > 0, "ObservationNormalizer::Config::clip must be > 0, got {}", config.clip);
    require<ConfigError>(config.epsilon > 0, "ObservationNormalizer::Config::epsilon must be > 0, got {}",
                         config.epsilon);
    refresh();
  }

  /// Adds a batch to the statistics, unless frozen.
  template <class Derived>
  void update(const Eigen::MatrixBase<Derived>& batch) {
    if (frozen_) return;
    stats_.update(batch);
    refresh();
  }

  /// Writes the normalised batch into `out` (same shape; may alias `batch`).
  template <class In, class Out>
  void normalize(const Eigen::MatrixBase<In>& batch, Eigen::MatrixBase<Out> const& out) const {
    auto& target = const_cast<Eigen::MatrixBase<Out>&>(out);
    require<ConfigError>(batch.rows() == stats_.dim(), "ObservationNormalizer: batch has {} rows, expected {}",
                         batch.rows(), stats_.dim());
    using T = typename Out::Scalar;
    const auto clip = static_cast<T>(config_.clip);
    for (Index j = 0; j < batch.cols(); ++j) {
      for (Index i = 0; i < batch.rows(); ++i) {
        target(i, j) = detail::standardize<T>(static_cast<double>(batch(i, j)), stats_.mean()[i], inv_std_[i], clip);
      }
    }
  }

  /// Stops (or resumes) updating the statistics, e.g. for evaluation.
  void freeze(bool frozen = true) noexcept { frozen_ = frozen; }
  [[nodiscard]] bool frozen() const noexcept { return frozen_; }
  [[nodiscard]] const RunningMeanStd& statistics() const noexcept { return stats_; }
  [[nodiscard]] const Config& config() const noexcept { return config_; }

  /// Appends the configuration and statistics to a checkpoint section.
  void save(io::CheckpointSectionWriter& out) const {
    out.f64(config_.clip).f64(config_.epsilon);
    stats_.save(out);
  }
  /// Restores the statistics; a checkpoint saved with another clip or epsilon raises
  /// `CheckpointError` (they are this normaliser's configuration), and nothing changes unless
  /// the whole read succeeds. The frozen flag is the owner's to set.
  void load(io::CheckpointSectionReader& in) {
    const double clip = in.f64();
    const double epsilon = in.f64();
    require<CheckpointError>(clip == config_.clip && epsilon == config_.epsilon,
                             "checkpoint section '{}': an observation normaliser with clip {} and epsilon {}, this one "
                             "has {} and {}", in.name(), clip, epsilon, config_.clip, config_.epsilon);
    RunningMeanStd stats(stats_.dim());
    stats.load(in);
    stats_ = stats;
    refresh();
  }

 private:
  void refresh() { detail::inverse_std(stats_.var(), config_.epsilon, inv_std_); }

  RunningMeanStd stats_;
  Config config_;
  Eigen::VectorXd inv_std_;
  bool frozen_ = false;
};

}  // namespace theta
