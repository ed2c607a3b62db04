#pragma once
/// \file A2C: synchronous advantage actor-critic (Mnih et al. 2016), one combined gradient
/// step per rollout.

#include <theta/algo/detail/on_policy.hpp>
#include <theta/algo/losses.hpp>
#include <theta/buffer/rollout_buffer.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/schedule.hpp>
#include <theta/log/logger.hpp>
#include <theta/normalize/observation_normalizer.hpp>
#include <theta/optim/adam.hpp>
#include <theta/optim/rmsprop.hpp>
#include <theta/policy/network.hpp>
#include <theta/policy/value_function.hpp>

#include <cstdint>
#include <numeric>
#include <optional>
#include <vector>

namespace theta::a2c {

/// A2C's configuration. Defaults are Stable-Baselines3's `A2C` defaults.
struct Config {
  // ---- collection
  Index n_envs = 1;             ///< environment copies stepped together
  Index n_steps = 5;            ///< steps per copy per update
  double gamma = 0.99;          ///< discount, in [0, 1]
  double gae_lambda = 1.0;      ///< 1: n-step returns (SB3's default); < 1: GAE
  // ---- optimisation
  Schedule learning_rate = 7e-4;  ///< as a function of the remaining progress
  bool use_rms_prop = true;     ///< RMSprop (torch semantics) as SB3; false: Adam
  double rms_prop_alpha = 0.99; ///< RMSprop's decay
  double rms_prop_eps = 1e-5;   ///< RMSprop's epsilon (SB3's A2C: 1e-5, outside the sqrt)
  double adam_eps = 1e-5;       ///< Adam's epsilon when use_rms_prop is false
  bool normalize_advantage = false;  ///< over the whole rollout, unbiased std
  double ent_coef = 0.0;        ///< entropy bonus coefficient, >= 0
  double vf_coef = 0.5;         ///< value loss coefficient, >= 0
  double max_grad_norm = 0.5;   ///< global gradient-norm clip (<= 0: off)
  // ---- networks
  NetworkConfig actor;          ///< SB3: 64-64 tanh, orthogonal, head gain 0.01
  NetworkConfig critic;         ///< SB3: 64-64 tanh, orthogonal, head gain 1
  double log_std_init = 0.0;    ///< initial log-std of Gaussian policies
  // ---- normalisation
  bool normalize_observations = false;
  ObservationNormalizerConfig observation_normalizer;
  bool normalize_rewards = false;
  double reward_clip = 10.0;
  // ---- reproducibility
  std::uint64_t seed = 0;
};

inline void validate(const Config& c) {
  require<ConfigError>(c.n_envs >= 1, "a2c::Config::n_envs must be >= 1, got {}", c.n_envs);
  require<ConfigError>(c.n_steps >= 1, "a2c::Config::n_steps must be >= 1, got {}", c.n_steps);
  require<ConfigError>(c.gamma >= 0 && c.gamma <= 1, "a2c::Config::gamma must be in [0, 1], got {}", c.gamma);
  require<ConfigError>(c.gae_lambda >= 0 && c.gae_lambda <= 1, "a2c::Config::gae_lambda must be in [0, 1], got {}",
                       c.gae_lambda);
  require<ConfigError>(c.learning_rate(1.0) > 0, "a2c::Config::learning_rate must be > 0 at the start, got {}",
                       c.learning_rate(1.0));
  require<ConfigError>(c.rms_prop_alpha >= 0 && c.rms_prop_alpha < 1, "a2c::Config::rms_prop_alpha must be in [0, 1), got {}",
                       c.rms_prop_alpha);
  require<ConfigError>(c.rms_prop_eps > 0, "a2c::Config::rms_prop_eps must be > 0, got {}", c.rms_prop_eps);
  require<ConfigError>(c.adam_eps > 0, "a2c::Config::adam_eps must be > 0, got {}", c.adam_eps);
  require<ConfigError>(c.ent_coef >= 0, "a2c::Config::ent_coef must be >= 0, got {}", c.ent_coef);
  require<ConfigError>(c.vf_coef >= 0, "a2c::Config::vf_coef must be >= 0, got {}", c.vf_coef);
  require<ConfigError>(c.reward_clip > 0, "a2c::Config::reward_clip must be > 0, got {}", c.reward_clip);
}

/// The A2C update: loss = -mean(A log pi) - ent_coef mean(H) + vf_coef mean((R - V)^2), one
/// step over the whole rollout.
template <class Policy>
class A2c {
 public:
  using Scalar = typename Policy::Scalar;
  using T = Scalar;
  using Config = a2c::Config;
  static constexpr bool has_critic = true;
  static constexpr bool collects_whole_episodes = false;

  A2c(const Config& config, const SpaceInfo& space, Rng& rng)
      : config_((validate(config), config)),
        policy_(detail::make_policy<Policy>("a2c", space, config.actor, config.log_std_init, config.n_envs,
                                            config.n_steps * config.n_envs, rng)),
        critic_(space.obs_dim, config.critic, config.n_envs, config.n_steps * config.n_envs, rng),
        buffer_(config.n_steps, config.n_envs, space.obs_dim, policy_.action_rows()),
        rmsprop_(policy_, &critic_,
                 RmsPropConfig{.lr = config.learning_rate(1.0), .alpha = config.rms_prop_alpha, .eps = config.rms_prop_eps}),
        adam_(policy_, &critic_, AdamConfig{.lr = config.learning_rate(1.0), .eps = config.adam_eps}),
        batch_(config.n_steps * config.n_envs, space.obs_dim, policy_.action_rows()),
        indices_(static_cast<std::size_t>(config.n_steps * config.n_envs)) {}

  [[nodiscard]] const Config& config() const noexcept { return config_; }
  [[nodiscard]] Policy& policy() noexcept { return policy_; }
  [[nodiscard]] ValueFunction<T>& critic() noexcept { return critic_; }
  [[nodiscard]] RolloutBuffer<T>& buffer() noexcept { return buffer_; }
  void values(const Eigen::Ref<const Matrix<T>>& obs, Eigen::Ref<Vector<T>> out) { critic_.predict(obs, out); }

  void update(double progress_remaining, LogRecord& record) {
    const double lr = config_.learning_rate(progress_remaining);
    const Index n = buffer_.size();
    std::iota(indices_.begin(), indices_.begin() + n, Index{0});
    auto& b = batch_;
    b.gather(buffer_, std::span<const Index>(indices_.data(), static_cast<std::size_t>(n)));
    auto adv = b.head(b.advantages);
    if (config_.normalize_advantage) normalize_advantages(adv);

    policy_.evaluate(b.obs(), b.act(), b.head(b.log_probs), b.head(b.entropy));
    const auto values = critic_.forward(b.obs());

    // policy loss -mean(A log pi): d/dlog pi = -A / n
    const T inv_n = T(1) / static_cast<T>(n);
    const double policy_loss = -static_cast<double>(adv.dot(b.head(b.log_probs))) / static_cast<double>(n);
    b.head(b.grad_log_probs) = -adv * inv_n;
    const double v_loss = value_loss<T>(ValueLoss::mse, values, b.head(b.old_values), b.head(b.returns), T(0),
                                        b.head(b.grad_values));
    b.head(b.grad_values) *= static_cast<T>(config_.vf_coef);
    b.head(b.grad_entropy).setConstant(static_cast<T>(-config_.ent_coef) * inv_n);

    policy_.zero_grad();
    critic_.zero_grad();
    policy_.backward(b.head(b.grad_log_probs), b.head(b.grad_entropy));
    critic_.backward(b.head(b.grad_values));
    double grad_norm = 0;
    if (config_.use_rms_prop) {
      rmsprop_.set_learning_rate(lr);
      grad_norm = rmsprop_.step(policy_, &critic_, config_.max_grad_norm);
    } else {
      adam_.set_learning_rate(lr);
      grad_norm = adam_.step(policy_, &critic_, config_.max_grad_norm);
    }
    ++updates_;
    const double entropy = static_cast<double>(b.head(b.entropy).mean());
    record.set("train/policy_loss", policy_loss);
    record.set("train/value_loss", v_loss);
    record.set("train/entropy_loss", -entropy);
    record.set("train/entropy", entropy);
    record.set("train/explained_variance", explained_variance(buffer_.values().head(n), buffer_.returns().head(n)));
    record.set("train/grad_norm", grad_norm);
    record.set("train/learning_rate", lr);
    record.set("train/n_updates", static_cast<double>(updates_));
    if constexpr (!Policy::is_discrete) record.set("train/std", static_cast<double>(policy_.log_std().array().exp().mean()));
  }

 private:
  Config config_;
  Policy policy_;
  ValueFunction<T> critic_;
  RolloutBuffer<T> buffer_;
  detail::BlockOptimizers<RmsProp<T>> rmsprop_;
  detail::BlockOptimizers<Adam<T>> adam_;
  detail::Minibatch<T> batch_;
  std::vector<Index> indices_;
  std::int64_t updates_ = 0;
};

}  // namespace theta::a2c
