#pragma once
/// \file OnPolicyTrainer: collects rollouts with a VectorEnv and runs an on-policy update rule
/// (REINFORCE, A2C, PPO, TRPO) on any environment type.

#include <theta/algo/detail/on_policy.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/env/concepts.hpp>
#include <theta/env/vector_env.hpp>
#include <theta/log/logger.hpp>
#include <theta/normalize/observation_normalizer.hpp>
#include <theta/normalize/reward_scaler.hpp>
#include <theta/policy/categorical_policy.hpp>
#include <theta/policy/gaussian_policy.hpp>
#include <theta/train/callbacks.hpp>
#include <theta/train/detail/callbacks.hpp>
#include <theta/train/episode_stats.hpp>
#include <theta/train/evaluate.hpp>
#include <theta/train/training_result.hpp>

#include <chrono>
#include <functional>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace theta {

/// The actor type for an environment: categorical for discrete actions, Gaussian otherwise.
template <class Env, Real T>
using policy_for = std::conditional_t<DiscreteEnvironment<Env>, CategoricalPolicy<T>, GaussianPolicy<T>>;

/// Settings of the trainer itself (the algorithm's are in its Config).
struct TrainerOptions {
  VectorEnvOptions env;            ///< threads stepping the environment copies
  std::size_t stats_window = 100;  ///< episodes averaged in rollout/ep_rew_mean
};

/// Trains an on-policy algorithm on `Env`:
///
///     using Env = theta::TimeLimit<theta::CartPole>;
///     theta::OnPolicyTrainer<Env, theta::ppo::Ppo> trainer({.n_envs = 8, .n_steps = 32});
///     trainer.learn(100'000, theta::ProgressBar(100'000));
///     auto eval = trainer.evaluate(20);
///
/// `Algorithm<Policy>` is the update rule; the trainer picks the policy for the action space
/// (`policy_for<Env, T>`), owns the vector environment, the observation normaliser and reward
/// scaler (when the config asks for them), collects `n_steps x n_envs` transitions per rollout,
/// computes GAE with the truncation bootstrap (the value of the true final observation), calls
/// `update`, logs, and calls the callbacks. Continuous actions are stored raw and clipped to
/// the action bounds only when the environment is stepped.
// `Algorithm` is a pack so that update rules with defaulted extra parameters (`ppo::Ppo<Policy, Opt = Adam>`)
// bind without relying on P0522 (clang 14 does not apply it by default).
template <Environment Env, template <class...> class Algorithm, Real T = Scalar>
  requires(diagnose_environment<Env>())
class OnPolicyTrainer {
 public:
  using Policy = policy_for<Env, T>;
  using Algo = Algorithm<Policy>;
  using Config = typename Algo::Config;
  using Action = typename Env::Action;

  /// Copies `prototype` into `config.n_envs` environments (and one for evaluation).
  explicit OnPolicyTrainer(const Config& config, const Env& prototype = Env{}, TrainerOptions options = {})
    requires std::copy_constructible<Env>
      : OnPolicyTrainer(config, [prototype](std::size_t) { return prototype; }, options) {}

  /// Builds environment i with `make(i)` (i = n_envs is the evaluation copy).
  template <std::invocable<std::size_t> Make>
    requires std::same_as<std::invoke_result_t<Make, std::size_t>, Env>
  OnPolicyTrainer(const Config& config, Make make, TrainerOptions options = {})
      : config_(config),
        make_eval_env_([make, n = static_cast<std::size_t>(config.n_envs)]() mutable { return make(n); }),
        envs_(static_cast<std::size_t>(config.n_envs), derive_seed(config.seed, 3), make, options.env),
        space_(space_info(envs_)),
        init_rng_(derive_seed(config.seed, 1)),
        algo_(config, space_, init_rng_),
        act_rng_(derive_seed(config.seed, 2)),
        obs_(space_.obs_dim, config.n_envs),
        final_obs_(space_.obs_dim, 1),
        final_value_(1),
        last_values_(config.n_envs),
        rewards_(config.n_envs),
        stats_(options.stats_window) {
    if (config.normalize_observations) normalizer_.emplace(space_.obs_dim, config.observation_normalizer);
    if (config.normalize_rewards)
      scaler_.emplace(config.n_envs, RewardScaler::Config{.gamma = config.gamma, .clip = config.reward_clip});
    if constexpr (DiscreteEnvironment<Env>) {
      env_actions_.resize(static_cast<std::size_t>(config.n_envs));
    } else {
      const Box box = envs_.action_space();
      low_ = box.low.cast<T>();
      high_ = box.high.cast<T>();
      clipped_.resize(box.size(), config.n_envs);
    }
  }

  /// Trains until `total_steps` environment steps (rounded up to whole rollouts) or until a
  /// callback returns false. Can be called again to continue.
  template <class L = NullLogger, class... Callbacks>
    requires Logger<std::remove_cvref_t<L>>
  TrainingResult learn(std::int64_t total_steps, L&& logger = L{}, Callbacks&... callbacks) {
    require<ConfigError>(total_steps > 0, "OnPolicyTrainer::learn: total_steps must be > 0, got {}", total_steps);
    const auto start = std::chrono::steady_clock::now();
    const std::int64_t start_steps = steps_;
    const std::int64_t target = steps_ + total_steps;
    if (!started_) reset_envs();
    TrainingResult result;
    LogRecord record;
    while (steps_ < target) {
      if (!collect_rollout(callbacks...)) {
        result.stopped_by_callback = true;
        break;
      }
      bool go_on = true;
      ((go_on = go_on && detail::call_rollout_end(callbacks, *this)), ...);
      // SB3's progress: after collection, 1 - steps / total.
      const double progress_remaining =
          1.0 - static_cast<double>(steps_ - start_steps) / static_cast<double>(total_steps);
      record.clear();
      algo_.update(progress_remaining, record);
      ++updates_;
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      record.set("rollout/ep_rew_mean", stats_.mean_return(stats_.capacity()));
      record.set("rollout/ep_len_mean", stats_.mean_length(stats_.capacity()));
      record.set("time/fps", elapsed > 0 ? static_cast<double>(steps_ - start_steps) / elapsed : 0.0);
      record.set("time/iterations", static_cast<double>(updates_));
      record.set("time/time_elapsed", elapsed);
      ((go_on = go_on && detail::call_update_end(callbacks, *this, record)), ...);
      logger.write(record, steps_);
      if (!go_on) {
        result.stopped_by_callback = true;
        break;
      }
    }
    logger.close();
    result.steps = steps_;
    result.updates = updates_;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

  /// Deterministic evaluation (the policy's mode, frozen normalisation) over `episodes`
  /// episodes of a separate environment copy. Each call uses fresh episode seeds derived from
  /// the config's seed, unless `seed` is given.
  EvaluationResult evaluate(int episodes = 20, std::optional<std::uint64_t> seed = std::nullopt) {
    const std::uint64_t eval_seed = seed.value_or(derive_seed(config_.seed, 4 + 1000 * evaluations_++));
    Matrix<T> obs(space_.obs_dim, 1), actions(algo_.policy().action_rows(), 1);
    Vector<T> log_prob(1);
    return evaluate_policy(make_eval_env_(), episodes, eval_seed, [&](const typename Env::Observation& o) {
      obs.col(0) = o.template cast<T>();
      if (normalizer_) normalizer_->normalize(obs, obs);
      algo_.policy().act(obs, act_rng_, /*deterministic=*/true, actions, log_prob);
      return to_env_action(actions);
    });
  }

  /// Collects one rollout into the algorithm's buffer and computes advantages and returns
  /// (what `learn` does before each update). Exposed for tests and custom loops.
  void collect() {
    if (!started_) reset_envs();
    collect_rollout();
  }

  [[nodiscard]] std::int64_t steps() const noexcept { return steps_; }
  [[nodiscard]] std::int64_t updates() const noexcept { return updates_; }
  [[nodiscard]] std::int64_t episodes_finished() const noexcept { return stats_.total(); }
  [[nodiscard]] double recent_mean_return(std::size_t n) const { return stats_.mean_return(n); }
  [[nodiscard]] Algo& algorithm() noexcept { return algo_; }
  [[nodiscard]] VectorEnv<Env>& envs() noexcept { return envs_; }
  [[nodiscard]] const Config& config() const noexcept { return config_; }
  [[nodiscard]] const std::optional<ObservationNormalizer>& observation_normalizer() const noexcept {
    return normalizer_;
  }

 private:
  static SpaceInfo space_info(const VectorEnv<Env>& envs) {
    SpaceInfo info{.obs_dim = envs.observation_size()};
    if constexpr (DiscreteEnvironment<Env>) {
      info.n_actions = static_cast<Index>(envs.action_space().n);
    } else {
      info.action_dim = envs.action_space().size();
    }
    return info;
  }

  void reset_envs() {
    envs_.reset();
    observe(envs_.observations());
    started_ = true;
  }

  // Current observations into obs_, through the normaliser (whose statistics see every
  // observation the agent acts on, as SB3's VecNormalize).
  template <class Derived>
  void observe(const Eigen::MatrixBase<Derived>& raw) {
    obs_ = raw.template cast<T>();
    if (normalizer_) {
      normalizer_->update(obs_);
      normalizer_->normalize(obs_, obs_);
    }
  }

  Action to_env_action(const Matrix<T>& actions) const {
    if constexpr (DiscreteEnvironment<Env>) {
      return static_cast<Action>(actions(0, 0));
    } else {
      Action a = actions.col(0).cwiseMax(low_).cwiseMin(high_).template cast<typename Action::Scalar>();
      return a;
    }
  }

  template <class... Callbacks>
  bool collect_rollout(Callbacks&... callbacks) {
    auto& buffer = algo_.buffer();
    auto& policy = algo_.policy();
    const Index n_envs = config_.n_envs;
    Index t = 0;
    for (; t < buffer.n_steps(); ++t) {
      auto obs_t = buffer.observations(t);
      obs_t = obs_;
      policy.act(obs_t, act_rng_, buffer.actions(t), buffer.log_probs(t), buffer.masks(t));
      if constexpr (Algo::has_critic) algo_.values(obs_t, buffer.values(t));
      else buffer.values(t).setZero();

      // ---- step: discrete indices, or continuous actions clipped to the bounds
      if constexpr (DiscreteEnvironment<Env>) {
        const auto actions = buffer.actions(t);
        for (Index e = 0; e < n_envs; ++e) env_actions_[static_cast<std::size_t>(e)] = static_cast<Action>(actions(0, e));
        envs_.step(std::span<const Action>(env_actions_));
      } else {
        clipped_ = buffer.actions(t);
        for (Index e = 0; e < n_envs; ++e) clipped_.col(e) = clipped_.col(e).cwiseMax(low_).cwiseMin(high_);
        envs_.step(clipped_);
      }
      steps_ += n_envs;

      // ---- rewards (scaled if asked), flags and the truncation bootstrap
      rewards_ = envs_.rewards().template cast<T>();
      if (scaler_) scaler_->scale(rewards_, [&](std::size_t e) { return envs_.done(e); });
      buffer.rewards(t) = rewards_;
      bool any_done = false;
      for (Index e = 0; e < n_envs; ++e) {
        const auto i = static_cast<std::size_t>(e);
        buffer.set_done(t, e, envs_.terminated(i), envs_.truncated(i));
        any_done |= envs_.done(i);
        if constexpr (Algo::has_critic) {
          if (envs_.truncated(i) && !envs_.terminated(i)) {
            final_obs_ = envs_.final_observations().col(e).template cast<T>();
            if (normalizer_) normalizer_->normalize(final_obs_, final_obs_);
            algo_.values(final_obs_, final_value_);
            buffer.set_final_value(t, e, final_value_[0]);
          }
        }
      }
      for (const EpisodeRecord& episode : envs_.finished_episodes()) stats_.add(episode.episode_return, episode.length);
      observe(envs_.observations());

      bool go_on = true;
      ((go_on = go_on && detail::call_step(callbacks, *this)), ...);
      if (!go_on) return false;
      if constexpr (Algo::collects_whole_episodes) {
        if (any_done) {
          ++t;
          break;
        }
      }
    }
    buffer.set_used_steps(std::min(t, buffer.n_steps()));
    if constexpr (Algo::has_critic) algo_.values(obs_, last_values_);
    else last_values_.setZero();
    buffer.compute_returns_and_advantages(last_values_, static_cast<T>(config_.gamma), static_cast<T>(config_.gae_lambda));
    return true;
  }

  Config config_;
  std::function<Env()> make_eval_env_;
  VectorEnv<Env> envs_;
  SpaceInfo space_;
  Rng init_rng_;
  Algo algo_;
  Rng act_rng_;
  std::optional<ObservationNormalizer> normalizer_;
  std::optional<RewardScaler> scaler_;
  Matrix<T> obs_;
  Matrix<T> final_obs_;
  Vector<T> final_value_;
  Vector<T> last_values_;
  Vector<T> rewards_;
  std::vector<Action> env_actions_;
  Vector<T> low_, high_;
  Matrix<T> clipped_;
  EpisodeStats stats_;
  std::int64_t steps_ = 0;
  std::int64_t updates_ = 0;
  std::uint64_t evaluations_ = 0;
  bool started_ = false;
};

}  // namespace theta
