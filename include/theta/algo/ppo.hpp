#pragma once
/// \file PPO: proximal policy optimisation with the clipped surrogate (Schulman et al. 2017).

#include <theta/algo/detail/on_policy.hpp>
#include <theta/algo/losses.hpp>
#include <theta/buffer/rollout_buffer.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/schedule.hpp>
#include <theta/log/logger.hpp>
#include <theta/normalize/observation_normalizer.hpp>
#include <theta/optim/adam.hpp>
#include <theta/optim/concepts.hpp>
#include <theta/policy/network.hpp>
#include <theta/policy/value_function.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

namespace theta::ppo {

/// PPO's configuration. Defaults are Stable-Baselines3's `PPO` defaults.
///
///     theta::ppo::Config config{.n_envs = 8, .n_steps = 32, .batch_size = 256, .n_epochs = 20,
///                               .learning_rate = theta::Schedule::linear(1e-3, 0.0)};
struct Config {
  // ---- collection
  Index n_envs = 1;             ///< environment copies stepped together
  Index n_steps = 2048;         ///< steps per copy per rollout; a rollout is n_steps * n_envs transitions
  double gamma = 0.99;          ///< discount, in [0, 1]
  double gae_lambda = 0.95;     ///< GAE lambda, in [0, 1] (1: Monte Carlo, 0: one-step TD)
  // ---- optimisation
  Index batch_size = 64;        ///< minibatch size, in [1, n_steps * n_envs]; a smaller last minibatch is used as is
  Index n_epochs = 10;          ///< passes over the rollout per update, >= 1
  Schedule learning_rate = 3e-4;  ///< Adam's learning rate as a function of the remaining progress
  double adam_eps = 1e-5;       ///< Adam's epsilon (SB3's ActorCriticPolicy and CleanRL use 1e-5)
  Schedule clip_range = 0.2;    ///< epsilon of the clipped surrogate, > 0
  ValueLoss value_loss = ValueLoss::mse;  ///< mse (SB3), sb3_clipped or cleanrl_clipped
  Schedule clip_range_vf = 0.2; ///< value clip for the clipped value losses
  bool normalize_advantage = true;  ///< per minibatch, unbiased std
  double ent_coef = 0.0;        ///< entropy bonus coefficient, >= 0
  double vf_coef = 0.5;         ///< value loss coefficient, >= 0
  double max_grad_norm = 0.5;   ///< global gradient-norm clip over actor and critic (<= 0: off)
  std::optional<double> target_kl;  ///< stop the epochs once approx_kl > 1.5 target_kl (SB3)
  // ---- networks
  NetworkConfig actor;          ///< policy network (SB3: 64-64 tanh, orthogonal, head gain 0.01)
  NetworkConfig critic;         ///< value network (SB3: 64-64 tanh, orthogonal, head gain 1)
  double log_std_init = 0.0;    ///< initial log-std of Gaussian policies
  // ---- normalisation (owned by the agent; see docs/algorithms/ppo.md)
  bool normalize_observations = false;  ///< running mean/std of observations, clipped
  ObservationNormalizerConfig observation_normalizer;  ///< clip 10, epsilon 1e-8
  bool normalize_rewards = false;       ///< divide rewards by the std of the discounted return
  double reward_clip = 10.0;            ///< bound of scaled rewards
  // ---- reproducibility
  std::uint64_t seed = 0;       ///< every random stream of a run derives from it
};

/// Checks every field; throws ConfigError naming the field, the value and the rule.
inline void validate(const Config& c) {
  require<ConfigError>(c.n_envs >= 1, "ppo::Config::n_envs must be >= 1, got {}", c.n_envs);
  require<ConfigError>(c.n_steps >= 1, "ppo::Config::n_steps must be >= 1, got {}", c.n_steps);
  require<ConfigError>(c.gamma >= 0 && c.gamma <= 1, "ppo::Config::gamma must be in [0, 1], got {}", c.gamma);
  require<ConfigError>(c.gae_lambda >= 0 && c.gae_lambda <= 1, "ppo::Config::gae_lambda must be in [0, 1], got {}",
                       c.gae_lambda);
  require<ConfigError>(c.batch_size >= 1 && c.batch_size <= c.n_steps * c.n_envs,
                       "ppo::Config::batch_size must be in [1, n_steps * n_envs = {}], got {}", c.n_steps * c.n_envs,
                       c.batch_size);
  require<ConfigError>(c.n_epochs >= 1, "ppo::Config::n_epochs must be >= 1, got {}", c.n_epochs);
  require<ConfigError>(c.learning_rate(1.0) > 0, "ppo::Config::learning_rate must be > 0 at the start, got {}",
                       c.learning_rate(1.0));
  require<ConfigError>(c.adam_eps > 0, "ppo::Config::adam_eps must be > 0, got {}", c.adam_eps);
  require<ConfigError>(c.clip_range(1.0) > 0, "ppo::Config::clip_range must be > 0, got {}", c.clip_range(1.0));
  require<ConfigError>(c.clip_range_vf(1.0) > 0, "ppo::Config::clip_range_vf must be > 0, got {}", c.clip_range_vf(1.0));
  require<ConfigError>(c.ent_coef >= 0, "ppo::Config::ent_coef must be >= 0, got {}", c.ent_coef);
  require<ConfigError>(c.vf_coef >= 0, "ppo::Config::vf_coef must be >= 0, got {}", c.vf_coef);
  require<ConfigError>(!c.target_kl || *c.target_kl > 0, "ppo::Config::target_kl must be > 0, got {}",
                       c.target_kl.value_or(0.0));
  require<ConfigError>(c.reward_clip > 0, "ppo::Config::reward_clip must be > 0, got {}", c.reward_clip);
}

/// The PPO update rule over a policy type (`CategoricalPolicy<T>` or `GaussianPolicy<T>`).
/// It owns the actor, the critic, their optimizers (Adam, or any type satisfying the
/// `Optimizer` concept) and the rollout buffer; `OnPolicyTrainer` fills the buffer and calls
/// `update`. Another optimizer plugs in through an alias template:
///
///     template <class Policy> using SignSgdPpo = theta::ppo::Ppo<Policy, SignSgd>;
///     theta::OnPolicyTrainer<Env, SignSgdPpo> trainer(config);
template <class Policy, class Opt = Adam<typename Policy::Scalar>>
class Ppo {
  // A static_assert rather than a requires-clause: a constrained template cannot bind to the
  // trainer's unconstrained template template parameter.
  static_assert(Optimizer<Opt, typename Policy::Scalar>,
                "ppo::Ppo: the optimizer type must satisfy theta::Optimizer (step, learning_rate, set_learning_rate)");

 public:
  using Scalar = typename Policy::Scalar;
  using T = Scalar;
  using Config = ppo::Config;
  static constexpr bool has_critic = true;
  static constexpr bool collects_whole_episodes = false;

  Ppo(const Config& config, const SpaceInfo& space, Rng& rng)
      : config_((validate(config), config)),
        policy_(detail::make_policy<Policy>("ppo", space, config.actor, config.log_std_init, config.n_envs, config.batch_size, rng)),
        critic_(space.obs_dim, config.critic, config.n_envs, config.batch_size, rng),
        buffer_(config.n_steps, config.n_envs, space.obs_dim, policy_.action_rows()),
        optimizers_(policy_, &critic_, AdamConfig{.lr = config.learning_rate(1.0), .eps = config.adam_eps}),
        minibatch_(config.batch_size, space.obs_dim, policy_.action_rows()),
        indices_(static_cast<std::size_t>(config.n_steps * config.n_envs)),
        shuffle_rng_(rng.split(0x707071)) {}

  [[nodiscard]] const Config& config() const noexcept { return config_; }
  [[nodiscard]] Policy& policy() noexcept { return policy_; }
  [[nodiscard]] ValueFunction<T>& critic() noexcept { return critic_; }
  [[nodiscard]] RolloutBuffer<T>& buffer() noexcept { return buffer_; }

  /// V(s) for a batch of (normalised) observations, used by the collector.
  void values(const Eigen::Ref<const Matrix<T>>& obs, Eigen::Ref<Vector<T>> out) { critic_.predict(obs, out); }

  /// n_epochs passes of shuffled minibatches over the buffer (advantages and returns already
  /// computed). Records SB3's `train/*` statistics.
  void update(double progress_remaining, LogRecord& record) {
    const double lr = config_.learning_rate(progress_remaining);
    const auto clip = static_cast<T>(config_.clip_range(progress_remaining));
    const auto clip_vf = static_cast<T>(config_.clip_range_vf(progress_remaining));
    optimizers_.set_learning_rate(lr);
    const Index n = buffer_.size();
    for (Index i = 0; i < n; ++i) indices_[static_cast<std::size_t>(i)] = i;

    double pg_loss_sum = 0, value_loss_sum = 0, entropy_sum = 0, clip_fraction_sum = 0, kl_sum = 0, grad_norm_sum = 0;
    double last_kl = 0;
    Index minibatches = 0;
    bool stop = false;
    Index epoch = 0;
    for (; epoch < config_.n_epochs && !stop; ++epoch) {
      detail::shuffle(indices_, shuffle_rng_);
      for (Index start = 0; start < n; start += config_.batch_size) {
        const Index size = std::min(config_.batch_size, n - start);
        Minibatch& mb = minibatch_;
        mb.gather(buffer_, std::span<const Index>(indices_.data() + start, static_cast<std::size_t>(size)));
        auto adv = mb.head(mb.advantages);
        if (config_.normalize_advantage) normalize_advantages(adv);

        // ---- forward: new log-probabilities, entropy, values
        policy_.evaluate(mb.obs(), mb.act(), mb.head(mb.log_probs), mb.head(mb.entropy));
        const auto values = critic_.forward(mb.obs());

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
        policy_.zero_grad();
        critic_.zero_grad();
        policy_.backward(mb.head(mb.grad_log_probs), mb.head(mb.grad_entropy));
        critic_.backward(mb.head(mb.grad_values));
        grad_norm_sum += optimizers_.step(policy_, &critic_, config_.max_grad_norm);

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
    record.set("train/policy_gradient_loss", pg_loss_sum / m);
    record.set("train/value_loss", value_loss_sum / m);
    record.set("train/entropy_loss", -entropy_sum / m);
    record.set("train/entropy", entropy_sum / m);
    record.set("train/approx_kl", minibatches > 0 ? kl_sum / m : last_kl);
    record.set("train/clip_fraction", clip_fraction_sum / m);
    record.set("train/loss", pg_loss_sum / m - config_.ent_coef * entropy_sum / m + config_.vf_coef * value_loss_sum / m);
    record.set("train/grad_norm", grad_norm_sum / m);
    record.set("train/explained_variance", explained_variance(buffer_.values().head(n), buffer_.returns().head(n)));
    record.set("train/clip_range", static_cast<double>(clip));
    record.set("train/learning_rate", lr);
    record.set("train/n_updates", static_cast<double>(updates_));
    record.set("train/epochs", static_cast<double>(epoch));
    if constexpr (!Policy::is_discrete) record.set("train/std", static_cast<double>(policy_.log_std().array().exp().mean()));
  }

 private:
  using Minibatch = detail::Minibatch<T>;

  Config config_;
  Policy policy_;
  ValueFunction<T> critic_;
  RolloutBuffer<T> buffer_;
  detail::BlockOptimizers<Opt> optimizers_;
  Minibatch minibatch_;
  std::vector<Index> indices_;
  Rng shuffle_rng_;
  std::int64_t updates_ = 0;
};

}  // namespace theta::ppo
