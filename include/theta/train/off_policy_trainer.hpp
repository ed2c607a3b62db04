#pragma once
/// \file OffPolicyTrainer: steps a VectorEnv, feeds a replay buffer and runs an off-policy
/// update rule (SAC) on any continuous-action environment type.

#include <theta/algo/sac.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/env/concepts.hpp>
#include <theta/env/spaces.hpp>
#include <theta/env/vector_env.hpp>
#include <theta/log/logger.hpp>
#include <theta/train/callbacks.hpp>
#include <theta/train/detail/callbacks.hpp>
#include <theta/train/episode_stats.hpp>
#include <theta/train/evaluate.hpp>
#include <theta/train/training_result.hpp>

#include <chrono>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace theta {

/// Settings of the off-policy trainer itself (the algorithm's are in its Config).
struct OffPolicyOptions {
  VectorEnvOptions env;              ///< threads stepping the environment copies
  std::size_t stats_window = 100;    ///< episodes averaged in rollout/ep_rew_mean
  std::int64_t log_interval = 1000;  ///< environment steps between two logger writes, >= 1
};

/// Trains an off-policy algorithm on a continuous-action `Env`:
///
///     using Env = theta::TimeLimit<theta::Pendulum>;
///     theta::OffPolicyTrainer<Env> trainer({.learning_starts = 100, .actor_learning_rate = 1e-3,
///                                          .critic_learning_rate = 1e-3, .alpha_learning_rate = 1e-3});
///     trainer.learn(20'000, theta::ProgressBar(20'000));
///     auto eval = trainer.evaluate(10);
///
/// `Algorithm<T>` is the update rule (`sac::Sac` by default). Each iteration steps the
/// `n_envs` copies `train_freq` times, storing every transition in the algorithm's replay
/// buffer, then runs `gradient_steps` updates once more than `learning_starts` steps were
/// taken (SB3's schedule: the first `learning_starts` steps act uniformly at random).
///
/// Actions: the policy acts in (-1, 1)^D, which is what the buffer stores and the critics
/// see; they are rescaled to the environment's bounds [low, high] only to step it. A
/// transition cut by a time limit is stored with its true final observation and
/// `terminated = false`, so it bootstraps; `terminated` ends the bootstrap, and wins when both
/// are set.
///
/// Callbacks (theta/train/callbacks.hpp): `on_step` after every vector step,
/// `on_rollout_end` after each collection of `train_freq` steps, `on_update_end` after each
/// training phase (not before learning starts). The logger gets one record every
/// `log_interval` steps, with the means of the training diagnostics since the last one and
/// whatever the callbacks added to it.
template <class Env, template <class...> class Algorithm = sac::Sac, Real T = Scalar>
  requires(diagnose_environment<Env>() && ContinuousEnvironment<Env>)
class OffPolicyTrainer {
 public:
  using Algo = Algorithm<T>;
  using Config = typename Algo::Config;
  using Action = typename Env::Action;

  /// Copies `prototype` into `config.n_envs` environments (and one for evaluation).
  explicit OffPolicyTrainer(const Config& config, const Env& prototype = Env{}, OffPolicyOptions options = {})
    requires std::copy_constructible<Env>
      : OffPolicyTrainer(config, [prototype](std::size_t) { return prototype; }, options) {}

  /// Builds environment i with `make(i)` (i = n_envs is the evaluation copy).
  template <std::invocable<std::size_t> Make>
    requires std::same_as<std::invoke_result_t<Make, std::size_t>, Env>
  OffPolicyTrainer(const Config& config, Make make, OffPolicyOptions options = {})
      : config_((validate(config), config)),  // found by ADL in the algorithm's namespace
        options_(checked(options)),
        make_eval_env_([make, n = static_cast<std::size_t>(config.n_envs)]() mutable { return make(n); }),
        envs_(static_cast<std::size_t>(config.n_envs), derive_seed(config.seed, 3), make, options.env),
        init_rng_(derive_seed(config.seed, 1)),
        algo_(config, envs_.observation_size(), envs_.action_space().size(), init_rng_),
        act_rng_(derive_seed(config.seed, 2)),
        obs_(envs_.observation_size(), config.n_envs),
        actions_(envs_.action_space().size(), config.n_envs),
        env_actions_(envs_.action_space().size(), config.n_envs),
        noise_(Matrix<T>::Zero(envs_.action_space().size(), config.n_envs)),
        stats_(options.stats_window) {
    const Box& box = envs_.action_space();
    scale_ = ((box.high - box.low) / 2.0).template cast<T>();
    offset_ = ((box.high + box.low) / 2.0).template cast<T>();
    low_ = box.low.template cast<T>();
    high_ = box.high.template cast<T>();
    // The correlated exploration noise starts from its stationary law N(0, 1).
    if (config.exploration_correlation > 0) {
      for (Index k = 0; k < noise_.size(); ++k) noise_.data()[k] = act_rng_.normal<T>();
    }
  }

  /// Trains for `total_steps` more environment steps (rounded up to whole vector steps) or
  /// until a callback returns false. Can be called again to continue.
  template <class L = NullLogger, class... Callbacks>
    requires Logger<std::remove_cvref_t<L>>
  TrainingResult learn(std::int64_t total_steps, L&& logger = L{}, Callbacks&... callbacks) {
    require<ConfigError>(total_steps > 0, "OffPolicyTrainer::learn: total_steps must be > 0, got {}", total_steps);
    const auto start = std::chrono::steady_clock::now();
    const std::int64_t start_steps = steps_;
    const std::int64_t target = steps_ + total_steps;
    if (!started_) reset_envs();
    std::int64_t next_log = steps_ + options_.log_interval;
    TrainingResult result;
    record_.clear();
    auto write_log = [&] {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      record_.set("rollout/ep_rew_mean", stats_.mean_return(stats_.capacity()));
      record_.set("rollout/ep_len_mean", stats_.mean_length(stats_.capacity()));
      record_.set("rollout/episodes", static_cast<double>(stats_.total()));
      record_.set("time/fps", elapsed > 0 ? static_cast<double>(steps_ - start_steps) / elapsed : 0.0);
      record_.set("time/time_elapsed", elapsed);
      record_.set("time/total_timesteps", static_cast<double>(steps_));
      if (updates_ > 0) algo_.write_stats(record_);
      logger.write(record_, steps_);
      record_.clear();
    };

    bool go_on = true;
    while (go_on && steps_ < target) {
      // ---- collect train_freq vector steps
      for (Index k = 0; k < config_.train_freq && steps_ < target; ++k) {
        collect_step();
        ((go_on = go_on && detail::call_step(callbacks, *this)), ...);
        if (!go_on) break;
      }
      if (!go_on) break;
      ((go_on = go_on && detail::call_rollout_end(callbacks, *this)), ...);

      // ---- train (SB3: once num_timesteps > learning_starts)
      if (steps_ > config_.learning_starts) {
        // SB3's progress: 1 - steps / total, over this call.
        const double progress_remaining =
            1.0 - static_cast<double>(steps_ - start_steps) / static_cast<double>(total_steps);
        for (Index g = 0; g < config_.gradient_steps; ++g) {
          algo_.update(progress_remaining);
          ++updates_;
        }
        ((go_on = go_on && detail::call_update_end(callbacks, *this, record_)), ...);
      }
      if (steps_ >= next_log || !go_on || steps_ >= target) {
        write_log();
        next_log = steps_ + options_.log_interval;
      }
    }
    logger.close();
    result.stopped_by_callback = !go_on;
    result.steps = steps_;
    result.updates = updates_;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

  /// Deterministic evaluation (tanh of the mean, rescaled) over `episodes` episodes of a
  /// separate environment copy. Each call uses fresh episode seeds derived from the config's
  /// seed, unless `seed` is given.
  EvaluationResult evaluate(int episodes = 20, std::optional<std::uint64_t> seed = std::nullopt) {
    const std::uint64_t eval_seed = seed.value_or(derive_seed(config_.seed, 4 + 1000 * evaluations_++));
    const Index obs_dim = envs_.observation_size();
    Matrix<T> obs(obs_dim, 1), action(actions_.rows(), 1);
    return evaluate_policy(make_eval_env_(), episodes, eval_seed, [&](const typename Env::Observation& o) {
      obs.col(0) = o.template cast<T>();
      algo_.policy().act(obs, act_rng_, /*deterministic=*/true, action);
      return to_env_action(action.col(0));
    });
  }

  [[nodiscard]] std::int64_t steps() const noexcept { return steps_; }
  /// Gradient steps so far.
  [[nodiscard]] std::int64_t updates() const noexcept { return updates_; }
  [[nodiscard]] std::int64_t episodes_finished() const noexcept { return stats_.total(); }
  [[nodiscard]] double recent_mean_return(std::size_t n) const { return stats_.mean_return(n); }
  [[nodiscard]] Algo& algorithm() noexcept { return algo_; }
  [[nodiscard]] VectorEnv<Env>& envs() noexcept { return envs_; }
  [[nodiscard]] const Config& config() const noexcept { return config_; }
  [[nodiscard]] const OffPolicyOptions& options() const noexcept { return options_; }

 private:
  static OffPolicyOptions checked(const OffPolicyOptions& options) {
    require<ConfigError>(options.log_interval >= 1, "OffPolicyOptions::log_interval must be >= 1, got {}",
                         options.log_interval);
    return options;
  }

  void reset_envs() {
    obs_ = envs_.reset().template cast<T>();
    started_ = true;
  }

  // offset + scale ⊙ a, clipped to the bounds against rounding.
  template <class Derived>
  Action to_env_action(const Eigen::MatrixBase<Derived>& a) const {
    Action out = (offset_.array() + scale_.array() * a.array()).matrix().cwiseMax(low_).cwiseMin(high_).template cast<
        typename Action::Scalar>();
    return out;
  }

  // One vector step: act, step, store every transition, book finished episodes.
  void collect_step() {
    const Index n_envs = config_.n_envs;
    const double rho = config_.exploration_correlation;
    if (rho > 0) {
      // AR(1) noise with a N(0, 1) marginal: ε ← ρ ε + sqrt(1 - ρ²) ξ.
      const auto keep = static_cast<T>(rho), fresh = static_cast<T>(std::sqrt(1.0 - rho * rho));
      for (Index k = 0; k < noise_.size(); ++k) noise_.data()[k] = keep * noise_.data()[k] + fresh * act_rng_.normal<T>();
    }
    if (steps_ < config_.learning_starts) {
      if (rho > 0) {
        // 2Φ(ε) - 1 = erf(ε/√2): uniform on (-1, 1), and as correlated in time as ε.
        for (Index k = 0; k < noise_.size(); ++k) actions_.data()[k] = std::erf(noise_.data()[k] / std::sqrt(T(2)));
      } else {
        // SB3 samples the action space uniformly; in the (-1, 1) box that is U(-1, 1).
        for (Index e = 0; e < n_envs; ++e)
          for (Index d = 0; d < actions_.rows(); ++d) actions_(d, e) = act_rng_.uniform<T>(T(-1), T(1));
      }
    } else if (rho > 0) {
      algo_.policy().act_with_noise(obs_, noise_, actions_);
    } else {
      algo_.policy().act(obs_, act_rng_, /*deterministic=*/false, actions_);
    }
    for (Index e = 0; e < n_envs; ++e) {
      env_actions_.col(e) =
          (offset_.array() + scale_.array() * actions_.col(e).array()).matrix().cwiseMax(low_).cwiseMin(high_);
    }
    envs_.step(env_actions_);
    steps_ += n_envs;

    auto& buffer = algo_.buffer();
    const auto& next = envs_.observations();
    const auto& final = envs_.final_observations();
    for (Index e = 0; e < n_envs; ++e) {
      const auto i = static_cast<std::size_t>(e);
      // A finished copy was reset: its true s' is the final observation (the bootstrap of a
      // truncation needs it; a terminated one is masked by the flag anyway).
      const bool done = envs_.done(i);
      buffer.add(obs_.col(e), actions_.col(e), envs_.rewards()[e],
                 (done ? final.col(e) : next.col(e)).template cast<T>(), envs_.terminated(i));
    }
    for (const EpisodeRecord& episode : envs_.finished_episodes()) stats_.add(episode.episode_return, episode.length);
    obs_ = next.template cast<T>();
  }

  Config config_;
  OffPolicyOptions options_;
  std::function<Env()> make_eval_env_;
  VectorEnv<Env> envs_;
  Rng init_rng_;
  Algo algo_;
  Rng act_rng_;
  Matrix<T> obs_;
  Matrix<T> actions_;      // (-1, 1) actions of the last step, as stored
  Matrix<T> env_actions_;  // rescaled to the bounds
  Matrix<T> noise_;        // correlated exploration noise (exploration_correlation > 0)
  Vector<T> scale_, offset_, low_, high_;
  EpisodeStats stats_;
  LogRecord record_;
  std::int64_t steps_ = 0;
  std::int64_t updates_ = 0;
  std::uint64_t evaluations_ = 0;
  bool started_ = false;
};

}  // namespace theta
