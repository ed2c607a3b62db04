#pragma once
/// \file RewardScaler: divides rewards by the standard deviation of the discounted return.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>
#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>
#include <theta/normalize/running_mean_std.hpp>

#include <Eigen/Core>

#include <cmath>

namespace theta {

/// Reward scaling as in SB3's `VecNormalize(norm_reward=True)` and the PPO implementation
/// details of Engstrom et al. (2020): per copy, the discounted return
/// `R <- gamma * R + r` is accumulated, its running variance is tracked, each reward is
/// divided by `sqrt(var(R) + epsilon)` and clipped, and R restarts at 0 when the copy's
/// episode ends (terminated or truncated). Rewards are not centred.
///
///     theta::RewardScaler scaler(n_envs, {.gamma = 0.99});
///     scaler.scale(rewards, dones);   // in place, one entry per copy
class RewardScaler {
 public:
  struct Config {
    double gamma = 0.99;    ///< discount of the tracked return, in [0, 1]
    double clip = 10.0;     ///< bound on the scaled reward (> 0)
    double epsilon = 1e-8;  ///< added to the variance (> 0)
  };

  RewardScaler(Index n_envs, Config config) : stats_(1), config_(config), returns_(Eigen::VectorXd::Zero(n_envs)) {
    require<ConfigError>(n_envs > 0, "RewardScaler: n_envs must be > 0, got {}", n_envs);
    require<ConfigError>(config.gamma >= 0 && config.gamma <= 1, "RewardScaler::Config::gamma must be in [0, 1], got {}",
                         config.gamma);
    require<ConfigError>(config.clip > 0, "RewardScaler::Config::clip must be > 0, got {}", config.clip);
    require<ConfigError>(config.epsilon > 0, "RewardScaler::Config::epsilon must be > 0, got {}", config.epsilon);
  }

  /// Scales `rewards` (one per copy) in place. `done(i)` says whether copy i's episode ended
  /// with this reward. Unless frozen, the statistics are updated first (as SB3 does).
  template <class Rewards, class Done>
  void scale(Eigen::MatrixBase<Rewards>& rewards, Done&& done) {
    require<ConfigError>(rewards.size() == returns_.size(), "RewardScaler: got {} rewards for {} envs",
                         rewards.size(), returns_.size());
    if (!frozen_) {
      for (Index i = 0; i < returns_.size(); ++i)
        returns_[i] = returns_[i] * config_.gamma + static_cast<double>(rewards[i]);
      stats_.update(returns_.transpose());
    }
    const double inv_std = 1.0 / std::sqrt(stats_.var()[0] + config_.epsilon);
    for (Index i = 0; i < returns_.size(); ++i) {
      const double scaled = static_cast<double>(rewards[i]) * inv_std;
      rewards[i] = static_cast<typename Rewards::Scalar>(std::min(std::max(scaled, -config_.clip), config_.clip));
      if (done(static_cast<std::size_t>(i))) returns_[i] = 0.0;
    }
  }

  void freeze(bool frozen = true) noexcept { frozen_ = frozen; }
  [[nodiscard]] bool frozen() const noexcept { return frozen_; }
  [[nodiscard]] const RunningMeanStd& statistics() const noexcept { return stats_; }
  [[nodiscard]] const Eigen::VectorXd& returns() const noexcept { return returns_; }

  /// Appends the configuration, running returns and statistics to a checkpoint section.
  void save(io::CheckpointSectionWriter& out) const {
    out.f64(config_.gamma).f64(config_.clip).f64(config_.epsilon).matrix(returns_);
    stats_.save(out);
  }
  /// Restores them; a checkpoint saved with another gamma, clip or epsilon (this scaler's
  /// configuration) or with non-finite returns raises `CheckpointError`, and nothing changes
  /// unless the whole read succeeds.
  void load(io::CheckpointSectionReader& in) {
    const double gamma = in.f64(), clip = in.f64(), epsilon = in.f64();
    require<CheckpointError>(gamma == config_.gamma && clip == config_.clip && epsilon == config_.epsilon,
                             "checkpoint section '{}': a reward scaler with gamma {}, clip {} and epsilon {}, this one "
                             "has {}, {} and {}", in.name(), gamma, clip, epsilon, config_.gamma, config_.clip,
                             config_.epsilon);
    Eigen::VectorXd returns = in.matrix<double>("RewardScaler::returns", returns_.size(), 1);
    require<CheckpointError>(returns.allFinite(), "checkpoint section '{}': the running returns are not finite",
                             in.name());
    RunningMeanStd stats(1);
    stats.load(in);
    returns_ = returns;
    stats_ = stats;
  }

  /// Forgets the running discounted returns (every episode restarts), as SB3's
  /// `VecNormalize.reset` does.
  void reset_returns() noexcept { returns_.setZero(); }

 private:
  RunningMeanStd stats_;
  Config config_;
  Eigen::VectorXd returns_;
  bool frozen_ = false;
};

}  // namespace theta
