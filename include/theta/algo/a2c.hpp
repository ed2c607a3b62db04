#pragma once
/// \file A2C: synchronous advantage actor-critic (Mnih et al. 2016), one combined gradient
/// step per rollout.

#include <theta/algo/detail/actor_critic_loss.hpp>
#include <theta/algo/detail/on_policy.hpp>
#include <theta/algo/losses.hpp>
#include <theta/buffer/gae.hpp>
#include <theta/buffer/rollout_buffer.hpp>
#include <theta/core/detail/config_rules.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/io/state.hpp>
#include <theta/core/schedule.hpp>
#include <theta/optim/adam.hpp>
#include <theta/optim/rmsprop.hpp>
#include <theta/policy/network.hpp>
#include <theta/optim/concepts.hpp>
#include <theta/policy/state_value_function.hpp>
#include <theta/policy/stochastic_policy.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace theta::a2c {

/// A2C's own configuration (the trainer's fields are in `OnPolicyConfig`; A2C's defaults
/// there are n_steps = 5 and gae_lambda = 1). Defaults are Stable-Baselines3's `A2C` defaults.
/// The optimizer is a type (`OnPolicyTrainer`'s `Opt`, RMSprop by default; `theta::Adam<float>`
/// for SB3's `use_rms_prop=False`).
struct Config {
  // ---- optimisation
  Schedule learning_rate = 7e-4;  ///< as a function of the remaining progress
  double rms_prop_alpha = 0.99; ///< the default optimizer's (RMSprop) decay, in [0, 1)
  double rms_prop_eps = 1e-5;   ///< RMSprop's epsilon (SB3's A2C: 1e-5, outside the sqrt)
  double adam_eps = 1e-5;       ///< Adam's epsilon when the optimizer is Adam
  bool normalize_advantage = false;  ///< over the whole rollout, unbiased std
  double ent_coef = 0.0;        ///< entropy bonus coefficient, >= 0
  double vf_coef = 0.5;         ///< value loss coefficient, >= 0
  double max_grad_norm = 0.5;   ///< global gradient-norm clip (<= 0: off; not NaN)
  // ---- default components
  NetworkConfig actor;          ///< SB3: 64-64 tanh, orthogonal, head gain 0.01
  NetworkConfig critic;         ///< SB3: 64-64 tanh, orthogonal, head gain 1
  double log_std_init = 0.0;    ///< initial log-std of Gaussian policies
};

/// Checks every field; throws ConfigError naming the field, the value and the rule.
inline void validate(const Config& c, Index /*rollout_size*/ = 1) {
  c.learning_rate.require_positive_start("a2c::Config::learning_rate");
  detail::require_decay_rate("a2c::Config::rms_prop_alpha", c.rms_prop_alpha);
  detail::require_positive("a2c::Config::rms_prop_eps", c.rms_prop_eps);
  detail::require_positive("a2c::Config::adam_eps", c.adam_eps);
  detail::require_non_negative("a2c::Config::ent_coef", c.ent_coef);
  detail::require_non_negative("a2c::Config::vf_coef", c.vf_coef);
  require<ConfigError>(!std::isnan(c.max_grad_norm), "a2c::Config::max_grad_norm must not be NaN (<= 0 turns clipping off)");
  theta::validate(c.actor, "a2c::Config::actor");
  theta::validate(c.critic, "a2c::Config::critic", /*allows_dropout=*/false);
  detail::require_finite("a2c::Config::log_std_init", c.log_std_init);
}

/// The settings a checkpoint records and compares at load (`io::Settings`).
inline io::Settings settings(const Config& c) {
  io::Settings s("a2c::Config");
  s.add("learning_rate", c.learning_rate).add("rms_prop_alpha", c.rms_prop_alpha).add("rms_prop_eps", c.rms_prop_eps);
  s.add("adam_eps", c.adam_eps).add("normalize_advantage", c.normalize_advantage).add("ent_coef", c.ent_coef);
  s.add("vf_coef", c.vf_coef).add("max_grad_norm", c.max_grad_norm);
  s.add("actor", c.actor).add("critic", c.critic).add("log_std_init", c.log_std_init);
  return s;
}

/// What one A2C update logs.
struct Stats {
  double policy_loss = 0, value_loss = 0, entropy = 0, explained_variance = 0, grad_norm = 0, learning_rate = 0;
  std::int64_t n_updates = 0;
  std::optional<double> std;  ///< mean standard deviation of a Gaussian policy

  template <class F>
  void for_each(F&& f) const {
    f("train/policy_loss", policy_loss);
    f("train/value_loss", value_loss);
    f("train/entropy_loss", -entropy);
    f("train/entropy", entropy);
    f("train/explained_variance", explained_variance);
    f("train/grad_norm", grad_norm);
    f("train/learning_rate", learning_rate);
    f("train/n_updates", static_cast<double>(n_updates));
    if (std) f("train/std", *std);
  }
};

/// The A2C update: loss = -mean(A log pi) - ent_coef mean(H) + vf_coef mean((R - V)^2), one
/// step over the whole rollout, with one optimizer per component (RMSprop by default).
template <class Actor, class Critic, class Opt = RmsProp<typename Actor::Scalar>>
class A2c {
  static_assert(StochasticPolicy<Actor>, "a2c::A2c: the actor must satisfy theta::StochasticPolicy");
  static_assert(StateValueFunction<Critic>, "a2c::A2c: the critic must satisfy theta::StateValueFunction");
  static_assert(Optimizer<Opt, typename Actor::Scalar>,
                "a2c::A2c: the optimizer type must satisfy theta::Optimizer (Config, step, learning_rate, set_learning_rate)");

 public:
  using Scalar = typename Actor::Scalar;
  using T = Scalar;
  using Config = a2c::Config;
  using Stats = a2c::Stats;
  using default_estimator = Gae<T>;
  using optimizer_type = Opt;
  static constexpr const char* name = "a2c";
  static constexpr Index default_n_steps = 5;
  static constexpr double default_gae_lambda = 1.0;
  static constexpr bool collects_whole_episodes = false;

  static void validate(const Config& config, Index n_envs, Index n_steps) { a2c::validate(config, n_envs * n_steps); }
  static BatchCapacities capacities(const Config& /*config*/, Index n_envs, Index rollout_size) {
    return {.act = n_envs, .actor_train = rollout_size, .critic_train = rollout_size};
  }
  /// RMSprop with `rms_prop_alpha` and `rms_prop_eps`, Adam with `adam_eps`, else `Opt::Config{}`.
  static typename Opt::Config optimizer_config(const Config& config) {
    if constexpr (std::same_as<typename Opt::Config, RmsPropConfig>) {
      return RmsPropConfig{.lr = config.learning_rate(1.0), .alpha = config.rms_prop_alpha, .eps = config.rms_prop_eps};
    } else if constexpr (std::same_as<typename Opt::Config, AdamConfig>) {
      return AdamConfig{.lr = config.learning_rate(1.0), .eps = config.adam_eps};
    } else {
      return typename Opt::Config{};
    }
  }

  A2c(const Config& config, Actor actor, Critic critic, const typename Opt::Config& optimizer, RolloutShape shape,
      Rng& /*rng*/)
      : config_((a2c::validate(config), config)),
        actor_(std::move(actor)),
        critic_(std::move(critic)),
        actor_optimizer_(make_optimizer<Opt>(actor_, optimizer)),
        critic_optimizer_(make_optimizer<Opt>(critic_, optimizer)),
        batch_(shape.size, shape.obs_dim, actor_.action_rows(), context_rows(actor_), shape.action_mask_rows,
               detail::critic_context_rows(critic_), detail::trains_sequences<Actor, Critic>),
        indices_(static_cast<std::size_t>(shape.size)),
        n_envs_(shape.n_envs) {}

  [[nodiscard]] const Config& config() const noexcept { return config_; }
  [[nodiscard]] Actor& actor() noexcept { return actor_; }
  [[nodiscard]] const Actor& actor() const noexcept { return actor_; }
  [[nodiscard]] Critic& critic() noexcept { return critic_; }
  [[nodiscard]] const Critic& critic() const noexcept { return critic_; }
  [[nodiscard]] Opt& actor_optimizer() noexcept { return actor_optimizer_; }
  [[nodiscard]] Opt& critic_optimizer() noexcept { return critic_optimizer_; }
  [[nodiscard]] bool uses_critic() const noexcept { return true; }

  /// Writes the rule's state into checkpoint sections: its settings (compared at load), then
  /// actor, critic, actor_optimizer, critic_optimizer (each in its own section), the update count.
  void save(io::CheckpointWriter& out) const {
    a2c::settings(config_).save(out.section("a2c/config"));
    io::save_components(out, "actor", actor_, "critic", critic_, "actor_optimizer", actor_optimizer_,
                             "critic_optimizer", critic_optimizer_);
    auto& state = out.section("a2c/state");
    state.i64(updates_);
  }
  /// Reads what `save` wrote, in the same order. A checkpoint of other settings or shapes
  /// raises CheckpointError (the trainer restores its own state when a load fails).
  void load(io::CheckpointReader& in) {
    {
      auto config = in.section("a2c/config");
      a2c::settings(config_).check(config);
      config.finish();
    }
    io::load_components(in, "actor", actor_, "critic", critic_, "actor_optimizer", actor_optimizer_,
                            "critic_optimizer", critic_optimizer_);
    auto state = in.section("a2c/state");
    const std::int64_t updates = state.i64();
    require<CheckpointError>(updates >= 0, "checkpoint section '{}': {} updates", state.name(), updates);
    state.finish();
    updates_ = updates;
  }

  Stats update(const RolloutBatch<T>& batch, double progress_remaining) {
    const double lr = config_.learning_rate.checked(progress_remaining, "a2c::Config::learning_rate");
    const detail::ActorCriticLoss loss = detail::actor_critic_gradients(
        actor_, critic_, batch, batch_, indices_,
        {.normalize_advantage = config_.normalize_advantage, .ent_coef = config_.ent_coef, .vf_coef = config_.vf_coef},
        n_envs_);
    actor_optimizer_.set_learning_rate(lr);
    critic_optimizer_.set_learning_rate(lr);
    const double grad_norm =
        detail::clip_and_step<Opt>(config_.max_grad_norm, {&actor_optimizer_, &critic_optimizer_}, actor_, critic_);
    ++updates_;
    Stats stats;
    stats.policy_loss = loss.policy_loss;
    stats.value_loss = loss.value_loss;
    stats.entropy = static_cast<double>(batch_.head(batch_.entropy).mean());
    stats.explained_variance = explained_variance(batch.values, batch.returns);
    stats.grad_norm = grad_norm;
    stats.learning_rate = lr;
    stats.n_updates = updates_;
    stats.std = detail::mean_std(actor_);
    return stats;
  }

 private:
  Config config_;
  Actor actor_;
  Critic critic_;
  Opt actor_optimizer_;
  Opt critic_optimizer_;
  detail::Minibatch<T> batch_;
  std::vector<Index> indices_;
  Index n_envs_;
  std::int64_t updates_ = 0;
};

}  // namespace theta::a2c
