#pragma once
/// \file REINFORCE: the Monte-Carlo policy gradient (Williams 1992), one episode per update,
/// with optional return normalisation and an optional learned baseline.

#include <theta/algo/detail/on_policy.hpp>
#include <theta/algo/losses.hpp>
#include <theta/buffer/monte_carlo_returns.hpp>
#include <theta/buffer/rollout_buffer.hpp>
#include <theta/core/detail/config_rules.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/io/state.hpp>
#include <theta/core/schedule.hpp>
#include <theta/optim/adam.hpp>
#include <theta/policy/network.hpp>
#include <theta/optim/concepts.hpp>
#include <theta/policy/state_value_function.hpp>
#include <theta/policy/stochastic_policy.hpp>

#include <cstdint>
#include <limits>
#include <optional>

namespace theta::reinforce {

/// REINFORCE's own configuration. Defaults are those of PyTorch's REINFORCE example
/// (examples/reinforcement_learning/reinforce.py), whose dropout is `actor.dropout`. The
/// trainer's fields are in `OnPolicyConfig`: REINFORCE needs n_envs = 1 (an update is one
/// complete episode), and its default n_steps, 10,000, is the longest episode (a longer one is
/// cut and treated as truncated); its default estimator is `MonteCarloReturns`.
struct Config {
  // ---- optimisation
  Schedule learning_rate = 1e-2;    ///< the actor optimizer's learning rate
  double adam_eps = 1e-8;           ///< the default optimizer's (Adam) epsilon, actor and baseline (PyTorch's default)
  bool normalize_returns = true;    ///< (w - mean) / (std + float eps) of the episode's weights, unbiased std
  bool use_baseline = false;        ///< learn V(s) and weight log pi by G - V(s)
  double baseline_learning_rate = 1e-2;  ///< the baseline optimizer's learning rate
  double max_grad_norm = 0.0;       ///< gradient-norm clip (<= 0: off, as in the example; not NaN)
  // ---- default components
  NetworkConfig actor{.hidden = {128}, .activation = nn::Activation::relu, .init = Init::torch_default, .dropout = 0.6};
  NetworkConfig critic{.hidden = {128}, .activation = nn::Activation::relu, .init = Init::torch_default};
  double log_std_init = 0.0;        ///< initial log-std of Gaussian policies
};

/// Checks every field (and that the trainer steps one environment copy).
inline void validate(const Config& c, Index n_envs = 1) {
  require<ConfigError>(n_envs == 1, "reinforce: OnPolicyConfig::n_envs must be 1 (one whole episode per update), got {}",
                       n_envs);
  c.learning_rate.require_positive_start("reinforce::Config::learning_rate");
  detail::require_positive("reinforce::Config::adam_eps", c.adam_eps);
  detail::require_positive("reinforce::Config::baseline_learning_rate", c.baseline_learning_rate);
  require<ConfigError>(!std::isnan(c.max_grad_norm),
                       "reinforce::Config::max_grad_norm must not be NaN (<= 0 turns clipping off)");
  theta::validate(c.actor, "reinforce::Config::actor");
  theta::validate(c.critic, "reinforce::Config::critic", /*allows_dropout=*/false);
  detail::require_finite("reinforce::Config::log_std_init", c.log_std_init);
}

/// The settings a checkpoint records and compares at load (`io::Settings`).
inline io::Settings settings(const Config& c) {
  io::Settings s("reinforce::Config");
  s.add("learning_rate", c.learning_rate).add("adam_eps", c.adam_eps).add("normalize_returns", c.normalize_returns);
  s.add("use_baseline", c.use_baseline).add("baseline_learning_rate", c.baseline_learning_rate);
  s.add("max_grad_norm", c.max_grad_norm).add("actor", c.actor).add("critic", c.critic);
  s.add("log_std_init", c.log_std_init);
  return s;
}

/// What one REINFORCE update logs.
struct Stats {
  double policy_loss = 0, entropy = 0, grad_norm = 0, learning_rate = 0;
  std::int64_t episode_steps = 0, n_updates = 0;
  std::optional<double> value_loss, explained_variance;  ///< with a baseline

  template <class F>
  void for_each(F&& f) const {
    f("train/policy_loss", policy_loss);
    f("train/entropy", entropy);
    f("train/grad_norm", grad_norm);
    f("train/episode_steps", static_cast<double>(episode_steps));
    if (value_loss) f("train/value_loss", *value_loss);
    if (explained_variance) f("train/explained_variance", *explained_variance);
    f("train/learning_rate", learning_rate);
    f("train/n_updates", static_cast<double>(n_updates));
  }
};

/// The REINFORCE update over one episode: loss = -sum_t w_t log pi(a_t|s_t) with w_t the
/// discounted return G_t (minus V(s_t) with a baseline), normalised over the episode when
/// asked; the baseline (the critic) regresses G_t by mean squared error with its own optimizer.
template <class Actor, class Critic, class Opt = Adam<typename Actor::Scalar>>
class Reinforce {
  static_assert(StochasticPolicy<Actor>, "reinforce::Reinforce: the actor must satisfy theta::StochasticPolicy");
  static_assert(StateValueFunction<Critic>, "reinforce::Reinforce: the critic must satisfy theta::StateValueFunction");
  static_assert(!SequenceValueFunction<Critic>,
                "reinforce::Reinforce: a recurrent critic (theta::SequenceValueFunction) trains on sequences, which this rule "
                "does not replay; use PPO or A2C, or a feed-forward critic");
  static_assert(Optimizer<Opt, typename Actor::Scalar>,
                "reinforce::Reinforce: the optimizer type must satisfy theta::Optimizer (Config, step, learning_rate, "
                "set_learning_rate)");

 public:
  using Scalar = typename Actor::Scalar;
  using T = Scalar;
  using Config = reinforce::Config;
  using Stats = reinforce::Stats;
  using default_estimator = MonteCarloReturns<T>;
  using optimizer_type = Opt;
  static constexpr const char* name = "reinforce";
  static constexpr Index default_n_steps = 10'000;
  static constexpr double default_gae_lambda = 1.0;
  static constexpr bool collects_whole_episodes = true;

  static void validate(const Config& config, Index n_envs, Index /*n_steps*/) { reinforce::validate(config, n_envs); }
  static BatchCapacities capacities(const Config& /*config*/, Index n_envs, Index rollout_size) {
    return {.act = n_envs, .actor_train = rollout_size, .critic_train = rollout_size};
  }
  /// Adam with `adam_eps`, else `Opt::Config{}`; the baseline's optimizer has the same settings
  /// with `baseline_learning_rate`.
  static typename Opt::Config optimizer_config(const Config& config) {
    if constexpr (std::same_as<typename Opt::Config, AdamConfig>) {
      return AdamConfig{.lr = config.learning_rate(1.0), .eps = config.adam_eps};
    } else {
      return typename Opt::Config{};
    }
  }

  Reinforce(const Config& config, Actor actor, Critic critic, const typename Opt::Config& optimizer, RolloutShape shape,
            Rng& /*rng*/)
      : config_((reinforce::validate(config), config)),
        actor_(std::move(actor)),
        baseline_(std::move(critic)),
        actor_optimizer_(make_optimizer<Opt>(actor_, optimizer)),
        baseline_optimizer_(make_optimizer<Opt>(baseline_, optimizer)),
        weights_(shape.size),
        log_probs_(shape.size),
        entropy_(shape.size),
        grad_entropy_(Vector<T>::Zero(shape.size)),
        grad_values_(shape.size) {
    baseline_optimizer_.set_learning_rate(config.baseline_learning_rate);
  }

  [[nodiscard]] const Config& config() const noexcept { return config_; }
  [[nodiscard]] Actor& actor() noexcept { return actor_; }
  [[nodiscard]] const Actor& actor() const noexcept { return actor_; }
  /// The baseline V(s) (trained only with `use_baseline`).
  [[nodiscard]] Critic& critic() noexcept { return baseline_; }
  [[nodiscard]] const Critic& critic() const noexcept { return baseline_; }
  [[nodiscard]] Opt& actor_optimizer() noexcept { return actor_optimizer_; }
  [[nodiscard]] Opt& critic_optimizer() noexcept { return baseline_optimizer_; }
  /// Without a baseline the trainer stores V = 0 (the advantages are the returns G_t).
  [[nodiscard]] bool uses_critic() const noexcept { return config_.use_baseline; }

  /// Writes the rule's state into checkpoint sections: its settings (compared at load), then
  /// actor, baseline, actor_optimizer, baseline_optimizer (each in its own section), the update count.
  void save(io::CheckpointWriter& out) const {
    reinforce::settings(config_).save(out.section("reinforce/config"));
    io::save_components(out, "actor", actor_, "baseline", baseline_, "actor_optimizer", actor_optimizer_,
                             "baseline_optimizer", baseline_optimizer_);
    auto& state = out.section("reinforce/state");
    state.i64(updates_);
  }
  /// Reads what `save` wrote, in the same order. A checkpoint of other settings or shapes
  /// raises CheckpointError (the trainer restores its own state when a load fails).
  void load(io::CheckpointReader& in) {
    {
      auto config = in.section("reinforce/config");
      reinforce::settings(config_).check(config);
      config.finish();
    }
    io::load_components(in, "actor", actor_, "baseline", baseline_, "actor_optimizer", actor_optimizer_,
                            "baseline_optimizer", baseline_optimizer_);
    auto state = in.section("reinforce/state");
    const std::int64_t updates = state.i64();
    require<CheckpointError>(updates >= 0, "checkpoint section '{}': {} updates", state.name(), updates);
    state.finish();
    updates_ = updates;
  }

  Stats update(const RolloutBatch<T>& batch, double progress_remaining) {
    const double lr = config_.learning_rate.checked(progress_remaining, "reinforce::Config::learning_rate");
    const Index n = batch.size();
    // advantages = G - V (V = 0 without a baseline); returns = G.
    auto w = weights_.head(n);
    w = batch.advantages;
    if (config_.normalize_returns && n > 1) {
      // The example's (G - mean) / (std + eps) with eps = float's machine epsilon.
      const T mean = w.mean();
      const T std = std::sqrt((w.array() - mean).square().sum() / static_cast<T>(n - 1));
      w = ((w.array() - mean) / (std + std::numeric_limits<float>::epsilon())).matrix();
    }
    // The training pass with the action masks (a MaskedEnvironment) and the context (dropout
    // masks) of acting: the same pi that chose a_t.
    evaluate_with_context(actor_, batch.observations, batch.actions, batch.action_masks, batch.contexts,
                          log_probs_.head(n), entropy_.head(n));
    const double loss = -static_cast<double>(w.dot(log_probs_.head(n)));
    actor_.zero_grad();
    weights_.head(n) = -w;  // d loss / d log pi_t = -w_t (a sum over the episode, as the example)
    actor_.backward(weights_.head(n), grad_entropy_.head(n));
    actor_optimizer_.set_learning_rate(lr);
    const double grad_norm = detail::clip_and_step<Opt>(config_.max_grad_norm, {&actor_optimizer_}, actor_);

    Stats stats;
    if (config_.use_baseline) {
      const Eigen::Map<const Vector<T>> v = baseline_.forward(batch.observations);
      stats.value_loss = value_loss<T>(ValueLoss::mse, v, v, batch.returns, T(0), grad_values_.head(n));
      baseline_.zero_grad();
      baseline_.backward(grad_values_.head(n));
      baseline_optimizer_.step(baseline_.parameters(), baseline_.gradients());
      stats.explained_variance = explained_variance(batch.values, batch.returns);
    }
    ++updates_;
    stats.policy_loss = loss;
    stats.entropy = static_cast<double>(entropy_.head(n).mean());
    stats.grad_norm = grad_norm;
    stats.episode_steps = n;
    stats.learning_rate = lr;
    stats.n_updates = updates_;
    return stats;
  }

 private:
  Config config_;
  Actor actor_;
  Critic baseline_;
  Opt actor_optimizer_;
  Opt baseline_optimizer_;
  Vector<T> weights_, log_probs_, entropy_, grad_entropy_, grad_values_;
  std::int64_t updates_ = 0;
};

}  // namespace theta::reinforce
