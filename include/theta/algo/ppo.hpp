#pragma once
/// \file PPO: proximal policy optimisation with the clipped surrogate (Schulman et al. 2017).

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
#include <theta/optim/concepts.hpp>
#include <theta/policy/network.hpp>
#include <theta/policy/state_value_function.hpp>
#include <theta/policy/stochastic_policy.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

namespace theta::ppo {

/// PPO's own configuration (the trainer's fields, n_envs, n_steps, gamma, gae_lambda, seed and
/// normalisation, are in `OnPolicyConfig`). Defaults are Stable-Baselines3's `PPO` defaults.
///
///     theta::ppo::Config config{.batch_size = 256, .n_epochs = 20,
///                               .learning_rate = theta::Schedule::linear(1e-3, 0.0)};
struct Config {
  // ---- optimisation
  Index batch_size = 64;        ///< minibatch size, in [1, n_steps * n_envs]; a smaller last minibatch is used as is
  Index n_epochs = 10;          ///< passes over the rollout per update, >= 1
  Schedule learning_rate = 3e-4;  ///< the optimizer's learning rate as a function of the remaining progress
  double adam_eps = 1e-5;       ///< epsilon of the default optimizer, Adam (SB3's ActorCriticPolicy and CleanRL use 1e-5)
  Schedule clip_range = 0.2;    ///< epsilon of the clipped surrogate, > 0 at the start, >= 0 throughout
  ValueLoss value_loss = ValueLoss::mse;  ///< mse (SB3), sb3_clipped or cleanrl_clipped
  Schedule clip_range_vf = 0.2; ///< value clip for the clipped value losses
  bool normalize_advantage = true;  ///< per minibatch, unbiased std
  double ent_coef = 0.0;        ///< entropy bonus coefficient, >= 0
  double vf_coef = 0.5;         ///< value loss coefficient, >= 0
  double max_grad_norm = 0.5;   ///< global gradient-norm clip over actor and critic (<= 0: off; not NaN)
  std::optional<double> target_kl;  ///< stop the epochs once approx_kl > 1.5 target_kl (SB3)
  /// Recurrent actor or critic (`SequencePolicy`, `SequenceValueFunction`): steps per training
  /// sequence, the length of truncated backpropagation through time. Minibatches are then
  /// batch_size / sequence_length sequences of consecutive steps of one environment, shuffled
  /// as wholes; n_steps and batch_size must be multiples of it. 0: n_steps (each environment's
  /// whole rollout is one sequence, as sb3-contrib's RecurrentPPO when no episode ends inside
  /// it; an episode start inside a sequence resets the state there). Unused otherwise.
  Index sequence_length = 0;
  // ---- default components (used when the trainer is not handed an actor or a critic)
  NetworkConfig actor;          ///< policy network (SB3: 64-64 tanh, orthogonal, head gain 0.01)
  NetworkConfig critic;         ///< value network (SB3: 64-64 tanh, orthogonal, head gain 1)
  double log_std_init = 0.0;    ///< initial log-std of Gaussian policies
};

/// Checks every field for a rollout of `rollout_size` transitions; throws ConfigError naming
/// the field, the value and the rule.
inline void validate(const Config& c, Index rollout_size) {
  require<ConfigError>(c.batch_size >= 1 && c.batch_size <= rollout_size,
                       "ppo::Config::batch_size must be in [1, n_steps * n_envs = {}], got {}", rollout_size,
                       c.batch_size);
  detail::require_at_least("ppo::Config::n_epochs", c.n_epochs, 1);
  c.learning_rate.require_positive_start("ppo::Config::learning_rate");
  detail::require_positive("ppo::Config::adam_eps", c.adam_eps);
  c.clip_range.require_positive_start("ppo::Config::clip_range");
  c.clip_range_vf.require_positive_start("ppo::Config::clip_range_vf");
  detail::require_non_negative("ppo::Config::ent_coef", c.ent_coef);
  detail::require_non_negative("ppo::Config::vf_coef", c.vf_coef);
  require<ConfigError>(!std::isnan(c.max_grad_norm), "ppo::Config::max_grad_norm must not be NaN (<= 0 turns clipping off)");
  if (c.target_kl) detail::require_positive("ppo::Config::target_kl", *c.target_kl);
  detail::require_non_negative("ppo::Config::sequence_length", c.sequence_length);
  theta::validate(c.actor, "ppo::Config::actor");
  theta::validate(c.critic, "ppo::Config::critic", /*allows_dropout=*/false);
  detail::require_finite("ppo::Config::log_std_init", c.log_std_init);
}

/// The settings a checkpoint records and compares at load (`io::Settings`).
inline io::Settings settings(const Config& c) {
  io::Settings s("ppo::Config");
  s.add("batch_size", c.batch_size).add("n_epochs", c.n_epochs).add("learning_rate", c.learning_rate);
  s.add("adam_eps", c.adam_eps).add("clip_range", c.clip_range).add("value_loss", c.value_loss);
  s.add("clip_range_vf", c.clip_range_vf).add("normalize_advantage", c.normalize_advantage).add("ent_coef", c.ent_coef);
  s.add("vf_coef", c.vf_coef).add("max_grad_norm", c.max_grad_norm).add("target_kl", c.target_kl);
  s.add("sequence_length", c.sequence_length);
  s.add("actor", c.actor).add("critic", c.critic).add("log_std_init", c.log_std_init);
  return s;
}

/// What one PPO update logs (Stable-Baselines3's `train/*` keys).
struct Stats {
  double policy_gradient_loss = 0, value_loss = 0, entropy = 0, approx_kl = 0, clip_fraction = 0, loss = 0;
  double grad_norm = 0, explained_variance = 0, clip_range = 0, learning_rate = 0;
  std::int64_t n_updates = 0, epochs = 0;
  std::optional<double> std;  ///< mean standard deviation of a Gaussian policy

  template <class F>
  void for_each(F&& f) const {
    f("train/policy_gradient_loss", policy_gradient_loss);
    f("train/value_loss", value_loss);
    f("train/entropy_loss", -entropy);
    f("train/entropy", entropy);
    f("train/approx_kl", approx_kl);
    f("train/clip_fraction", clip_fraction);
    f("train/loss", loss);
    f("train/grad_norm", grad_norm);
    f("train/explained_variance", explained_variance);
    f("train/clip_range", clip_range);
    f("train/learning_rate", learning_rate);
    f("train/n_updates", static_cast<double>(n_updates));
    f("train/epochs", static_cast<double>(epochs));
    if (std) f("train/std", *std);
  }
};

/// The PPO update rule over an actor (any `StochasticPolicy`), a critic (any
/// `StateValueFunction`) and an optimizer type (Adam by default, or any `Optimizer`), one
/// optimizer per component. `OnPolicyTrainer` collects the rollout, estimates advantages and
/// calls `update`:
///
///     theta::OnPolicyTrainer<Env, theta::ppo::Ppo> trainer({.n_envs = 8, .n_steps = 32}, {.batch_size = 256});
template <class Actor, class Critic, class Opt = Adam<typename Actor::Scalar>>
class Ppo {
  // static_asserts rather than a requires-clause: a constrained template cannot bind to the
  // trainer's unconstrained template template parameter (clang 14).
  static_assert(StochasticPolicy<Actor>, "ppo::Ppo: the actor must satisfy theta::StochasticPolicy");
  static_assert(StateValueFunction<Critic>, "ppo::Ppo: the critic must satisfy theta::StateValueFunction");
  static_assert(Optimizer<Opt, typename Actor::Scalar>,
                "ppo::Ppo: the optimizer type must satisfy theta::Optimizer (Config, step, learning_rate, set_learning_rate)");

 public:
  using Scalar = typename Actor::Scalar;
  using T = Scalar;
  using Config = ppo::Config;
  using Stats = ppo::Stats;
  using default_estimator = Gae<T>;
  using optimizer_type = Opt;
  static constexpr const char* name = "ppo";
  static constexpr Index default_n_steps = 2048;
  static constexpr double default_gae_lambda = 0.95;
  static constexpr bool collects_whole_episodes = false;

  static void validate(const Config& config, Index n_envs, Index n_steps) { ppo::validate(config, n_envs * n_steps); }
  /// Batch sizes of the default components: acting on n_envs, training on minibatches.
  static BatchCapacities capacities(const Config& config, Index n_envs, Index /*rollout_size*/) {
    return {.act = n_envs, .actor_train = config.batch_size, .critic_train = config.batch_size};
  }
  /// The default optimizer's settings: Adam with `adam_eps`; a user optimizer's default Config.
  static typename Opt::Config optimizer_config(const Config& config) {
    if constexpr (std::same_as<typename Opt::Config, AdamConfig>) {
      return AdamConfig{.lr = config.learning_rate(1.0), .eps = config.adam_eps};
    } else {
      return typename Opt::Config{};
    }
  }

  /// Takes the components; `rng` seeds the minibatch shuffles.
  Ppo(const Config& config, Actor actor, Critic critic, const typename Opt::Config& optimizer, RolloutShape shape, Rng& rng)
      : config_((ppo::validate(config, shape.size), config)),
        actor_(std::move(actor)),
        critic_(std::move(critic)),
        actor_optimizer_(make_optimizer<Opt>(actor_, optimizer)),
        critic_optimizer_(make_optimizer<Opt>(critic_, optimizer)),
        minibatch_(config.batch_size, shape.obs_dim, actor_.action_rows(), context_rows(actor_),
                   shape.action_mask_rows, detail::critic_context_rows(critic_), sequences),
        indices_(static_cast<std::size_t>(shape.size)),
        shuffle_rng_(rng.split(0x707071)) {
    if constexpr (sequences) {
      require<ConfigError>(shape.n_envs >= 1 && shape.size % shape.n_envs == 0,
                           "ppo::Ppo: a recurrent actor or critic needs the rollout's n_envs (RolloutShape::n_envs), got {}",
                           shape.n_envs);
      const Index n_steps = shape.size / shape.n_envs;
      length_ = config.sequence_length > 0 ? config.sequence_length : n_steps;
      require<ConfigError>(n_steps % length_ == 0,
                           "ppo::Config::sequence_length: n_steps = {} must be a multiple of it, got {}", n_steps, length_);
      require<ConfigError>(config.batch_size % length_ == 0,
                           "ppo::Config::batch_size must be a multiple of the sequence length {} (a minibatch is whole "
                           "sequences), got {}",
                           length_, config.batch_size);
      n_envs_ = shape.n_envs;
      indices_.resize(static_cast<std::size_t>(shape.size / length_));  // chunk order
    }
  }

  [[nodiscard]] const Config& config() const noexcept { return config_; }
  [[nodiscard]] Actor& actor() noexcept { return actor_; }
  [[nodiscard]] const Actor& actor() const noexcept { return actor_; }
  [[nodiscard]] Critic& critic() noexcept { return critic_; }
  [[nodiscard]] const Critic& critic() const noexcept { return critic_; }
  [[nodiscard]] Opt& actor_optimizer() noexcept { return actor_optimizer_; }
  [[nodiscard]] Opt& critic_optimizer() noexcept { return critic_optimizer_; }
  [[nodiscard]] bool uses_critic() const noexcept { return true; }

  /// Writes the rule's state into checkpoint sections: its settings (compared at load), then
  /// actor, critic, actor_optimizer, critic_optimizer (each in its own section), the update count and the minibatch shuffle stream.
  void save(io::CheckpointWriter& out) const {
    ppo::settings(config_).save(out.section("ppo/config"));
    io::save_components(out, "actor", actor_, "critic", critic_, "actor_optimizer", actor_optimizer_,
                             "critic_optimizer", critic_optimizer_);
    auto& state = out.section("ppo/state");
    state.i64(updates_);
    io::save_rng(state, shuffle_rng_);
  }
  /// Reads what `save` wrote, in the same order. A checkpoint of other settings or shapes
  /// raises CheckpointError (the trainer restores its own state when a load fails).
  void load(io::CheckpointReader& in) {
    {
      auto config = in.section("ppo/config");
      ppo::settings(config_).check(config);
      config.finish();
    }
    io::load_components(in, "actor", actor_, "critic", critic_, "actor_optimizer", actor_optimizer_,
                            "critic_optimizer", critic_optimizer_);
    auto state = in.section("ppo/state");
    const std::int64_t updates = state.i64();
    require<CheckpointError>(updates >= 0, "checkpoint section '{}': {} updates", state.name(), updates);
    const Rng stream = io::load_rng(state, "minibatch shuffle stream");
    state.finish();
    updates_ = updates;
    shuffle_rng_ = stream;
  }

  /// n_epochs passes of shuffled minibatches over the rollout.
  Stats update(const RolloutBatch<T>& batch, double progress_remaining) {
    const double lr = config_.learning_rate.checked(progress_remaining, "ppo::Config::learning_rate");
    const auto clip = static_cast<T>(config_.clip_range.checked(progress_remaining, "ppo::Config::clip_range"));
    const auto clip_vf = static_cast<T>(config_.clip_range_vf.checked(progress_remaining, "ppo::Config::clip_range_vf"));
    actor_optimizer_.set_learning_rate(lr);
    critic_optimizer_.set_learning_rate(lr);
    // Shuffled units: transitions, or sequences of length_ steps of one environment.
    const Index n = sequences ? batch.size() / length_ : batch.size();
    const Index per_minibatch = sequences ? config_.batch_size / length_ : config_.batch_size;
    for (Index i = 0; i < n; ++i) indices_[static_cast<std::size_t>(i)] = i;

    double pg_loss_sum = 0, value_loss_sum = 0, entropy_sum = 0, clip_fraction_sum = 0, kl_sum = 0, grad_norm_sum = 0;
    double last_kl = 0;
    Index minibatches = 0;
    bool stop = false;
    Index epoch = 0;
    for (; epoch < config_.n_epochs && !stop; ++epoch) {
      detail::shuffle(indices_, shuffle_rng_);
      for (Index start = 0; start < n; start += per_minibatch) {
        const auto units = std::span<const Index>(indices_.data() + start,
                                                  static_cast<std::size_t>(std::min(per_minibatch, n - start)));
        auto& mb = minibatch_;
        if constexpr (sequences) {
          mb.gather_sequences(batch, units, length_, n_envs_, mb.scratch);
        } else {
          mb.gather(batch, units);
        }
        const Index size = mb.size;
        auto adv = mb.head(mb.advantages);
        if (config_.normalize_advantage) normalize_advantages(adv);

        // ---- forward: new log-probabilities, entropy, values
        const Eigen::Map<const Vector<T>> values = detail::forward_minibatch(actor_, critic_, mb);

        // ---- losses and their gradients with respect to log pi, H and V
        const SurrogateStats surrogate =
            clipped_surrogate<T>(mb.head(mb.old_log_probs), mb.head(mb.log_probs), adv, clip, mb.head(mb.grad_log_probs));
        const double v_loss = value_loss<T>(config_.value_loss, values, mb.head(mb.old_values), mb.head(mb.returns),
                                            clip_vf, mb.head(mb.grad_values));
        // SB3 stops before the step of the minibatch that crossed 1.5 target_kl.
        if (config_.target_kl && surrogate.approx_kl > 1.5 * *config_.target_kl) {
          last_kl = surrogate.approx_kl;
          stop = true;
          break;
        }
        // loss = policy_loss - ent_coef * mean(H) + vf_coef * value_loss
        mb.head(mb.grad_entropy).setConstant(static_cast<T>(-config_.ent_coef / static_cast<double>(size)));
        mb.head(mb.grad_values) *= static_cast<T>(config_.vf_coef);

        // ---- backward and step
        actor_.zero_grad();
        critic_.zero_grad();
        actor_.backward(mb.head(mb.grad_log_probs), mb.head(mb.grad_entropy));
        critic_.backward(mb.head(mb.grad_values));
        grad_norm_sum += detail::clip_and_step<Opt>(config_.max_grad_norm, {&actor_optimizer_, &critic_optimizer_},
                                                    actor_, critic_);

        pg_loss_sum += surrogate.loss;
        value_loss_sum += v_loss;
        entropy_sum += static_cast<double>(mb.head(mb.entropy).mean());
        clip_fraction_sum += surrogate.clip_fraction;
        kl_sum += surrogate.approx_kl;
        last_kl = surrogate.approx_kl;
        ++minibatches;
      }
    }
    updates_ += minibatches;
    const double m = std::max<Index>(minibatches, 1);
    Stats stats;
    stats.policy_gradient_loss = pg_loss_sum / m;
    stats.value_loss = value_loss_sum / m;
    stats.entropy = entropy_sum / m;
    stats.approx_kl = minibatches > 0 ? kl_sum / m : last_kl;
    stats.clip_fraction = clip_fraction_sum / m;
    stats.loss = pg_loss_sum / m - config_.ent_coef * entropy_sum / m + config_.vf_coef * value_loss_sum / m;
    stats.grad_norm = grad_norm_sum / m;
    stats.explained_variance = explained_variance(batch.values, batch.returns);
    stats.clip_range = static_cast<double>(clip);
    stats.learning_rate = lr;
    stats.n_updates = updates_;
    stats.epochs = epoch;
    stats.std = detail::mean_std(actor_);
    return stats;
  }

 private:
  Config config_;
  Actor actor_;
  Critic critic_;
  Opt actor_optimizer_;
  Opt critic_optimizer_;
  static constexpr bool sequences = detail::trains_sequences<Actor, Critic>;

  detail::Minibatch<T> minibatch_;
  std::vector<Index> indices_;  // the shuffled transitions, or sequences
  Rng shuffle_rng_;
  std::int64_t updates_ = 0;
  Index length_ = 0;  // steps per sequence (a recurrent actor or critic)
  Index n_envs_ = 0;
};

}  // namespace theta::ppo
