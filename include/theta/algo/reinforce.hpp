#pragma once
/// \file REINFORCE: the Monte-Carlo policy gradient (Williams 1992), one episode per update,
/// with optional return normalisation and an optional learned baseline.

#include <theta/algo/detail/on_policy.hpp>
#include <theta/algo/losses.hpp>
#include <theta/buffer/rollout_buffer.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/schedule.hpp>
#include <theta/log/logger.hpp>
#include <theta/normalize/observation_normalizer.hpp>
#include <theta/optim/adam.hpp>
#include <theta/policy/network.hpp>
#include <theta/policy/value_function.hpp>

#include <cstdint>
#include <limits>
#include <optional>

namespace theta::reinforce {

/// REINFORCE's configuration. Defaults are those of PyTorch's REINFORCE example
/// (examples/reinforcement_learning/reinforce.py), whose dropout is `actor.dropout`.
struct Config {
  // ---- collection: one environment, one whole episode per update
  Index n_envs = 1;                 ///< must be 1: an update is one complete episode
  Index n_steps = 10'000;           ///< capacity: longest episode; a longer one is cut and treated as truncated
  double gamma = 0.99;              ///< discount of the Monte-Carlo return, in [0, 1]
  double gae_lambda = 1.0;          ///< fixed at 1: Monte-Carlo returns
  // ---- optimisation
  Schedule learning_rate = 1e-2;    ///< Adam's learning rate
  double adam_eps = 1e-8;           ///< Adam's epsilon (PyTorch's default)
  bool normalize_returns = true;    ///< (w - mean) / (std + float eps) of the episode's weights, unbiased std
  bool use_baseline = false;        ///< learn V(s) and weight log pi by G - V(s)
  double baseline_learning_rate = 1e-2;  ///< the baseline's Adam learning rate
  double max_grad_norm = 0.0;       ///< gradient-norm clip (<= 0: off, as in the example)
  // ---- networks
  NetworkConfig actor{.hidden = {128}, .activation = nn::Activation::relu, .init = Init::torch_default, .dropout = 0.6};
  NetworkConfig critic{.hidden = {128}, .activation = nn::Activation::relu, .init = Init::torch_default};
  double log_std_init = 0.0;        ///< initial log-std of Gaussian policies
  // ---- normalisation
  bool normalize_observations = false;
  ObservationNormalizerConfig observation_normalizer;
  bool normalize_rewards = false;
  double reward_clip = 10.0;
  // ---- reproducibility
  std::uint64_t seed = 0;
};

inline void validate(const Config& c) {
  require<ConfigError>(c.n_envs == 1, "reinforce::Config::n_envs must be 1 (one whole episode per update), got {}",
                       c.n_envs);
  require<ConfigError>(c.n_steps >= 1, "reinforce::Config::n_steps must be >= 1, got {}", c.n_steps);
  require<ConfigError>(c.gamma >= 0 && c.gamma <= 1, "reinforce::Config::gamma must be in [0, 1], got {}", c.gamma);
  require<ConfigError>(c.gae_lambda == 1.0, "reinforce::Config::gae_lambda must be 1 (Monte-Carlo returns), got {}",
                       c.gae_lambda);
  require<ConfigError>(c.learning_rate(1.0) > 0, "reinforce::Config::learning_rate must be > 0, got {}",
                       c.learning_rate(1.0));
  require<ConfigError>(c.adam_eps > 0, "reinforce::Config::adam_eps must be > 0, got {}", c.adam_eps);
  require<ConfigError>(c.baseline_learning_rate > 0, "reinforce::Config::baseline_learning_rate must be > 0, got {}",
                       c.baseline_learning_rate);
  require<ConfigError>(c.reward_clip > 0, "reinforce::Config::reward_clip must be > 0, got {}", c.reward_clip);
}

/// The REINFORCE update over one episode: loss = -sum_t w_t log pi(a_t|s_t) with w_t the
/// discounted return G_t (minus V(s_t) with a baseline), normalised over the episode when
/// asked; the baseline regresses G_t by mean squared error.
template <class Policy>
class Reinforce {
 public:
  using Scalar = typename Policy::Scalar;
  using T = Scalar;
  using Config = reinforce::Config;
  // The critic exists only as a baseline; the trainer asks `values` only when this is true.
  static constexpr bool has_critic = true;
  static constexpr bool collects_whole_episodes = true;

  Reinforce(const Config& config, const SpaceInfo& space, Rng& rng)
      : config_((validate(config), config)),
        policy_(detail::make_policy<Policy>("reinforce", space, config.actor, config.log_std_init, 1, config.n_steps, rng,
                                            /*keeps_masks=*/true)),
        baseline_(space.obs_dim, config.critic, 1, config.n_steps, rng),
        buffer_(config.n_steps, 1, space.obs_dim, policy_.action_rows(), policy_.mask_rows()),
        policy_optimizers_(policy_, nullptr, AdamConfig{.lr = config.learning_rate(1.0), .eps = config.adam_eps}),
        baseline_optimizer_(baseline_.parameters().size(), AdamConfig{.lr = config.baseline_learning_rate}),
        weights_(config.n_steps),
        log_probs_(config.n_steps),
        entropy_(config.n_steps),
        grad_entropy_(Vector<T>::Zero(config.n_steps)),
        grad_values_(config.n_steps) {}

  [[nodiscard]] const Config& config() const noexcept { return config_; }
  [[nodiscard]] Policy& policy() noexcept { return policy_; }
  [[nodiscard]] ValueFunction<T>& critic() noexcept { return baseline_; }
  [[nodiscard]] RolloutBuffer<T>& buffer() noexcept { return buffer_; }

  /// The baseline V(s), or 0 without one (then the buffer's advantages are the returns G_t).
  void values(const Eigen::Ref<const Matrix<T>>& obs, Eigen::Ref<Vector<T>> out) {
    if (config_.use_baseline) {
      baseline_.predict(obs, out);
    } else {
      out.setZero();
    }
  }

  void update(double progress_remaining, LogRecord& record) {
    const Index n = buffer_.size();
    const auto obs = buffer_.observations().leftCols(n);
    const auto actions = buffer_.actions().leftCols(n);
    // advantages = G - V (V = 0 without a baseline); returns = G.
    auto w = weights_.head(n);
    w = buffer_.advantages().head(n);
    if (config_.normalize_returns && n > 1) {
      // The example's (G - mean) / (std + eps) with eps = float's machine epsilon.
      const T mean = w.mean();
      const T std = std::sqrt((w.array() - mean).square().sum() / static_cast<T>(n - 1));
      w = ((w.array() - mean) / (std + std::numeric_limits<float>::epsilon())).matrix();
    }
    // The training-mode pass with the dropout masks drawn when acting: the same pi that chose a_t.
    policy_.evaluate(obs, actions, buffer_.masks().leftCols(n), log_probs_.head(n), entropy_.head(n));
    const double loss = -static_cast<double>(w.dot(log_probs_.head(n)));
    policy_.zero_grad();
    weights_.head(n) = -w;  // d loss / d log pi_t = -w_t (a sum over the episode, as the example)
    policy_.backward(weights_.head(n), grad_entropy_.head(n));
    policy_optimizers_.set_learning_rate(config_.learning_rate(progress_remaining));
    const double grad_norm = policy_optimizers_.step(policy_, nullptr, config_.max_grad_norm);

    double baseline_loss = 0;
    if (config_.use_baseline) {
      const auto v = baseline_.forward(obs);
      baseline_loss = value_loss<T>(ValueLoss::mse, v, v, buffer_.returns().head(n), T(0), grad_values_.head(n));
      baseline_.zero_grad();
      baseline_.backward(grad_values_.head(n));
      baseline_optimizer_.step(baseline_.parameters(), baseline_.gradients());
    }
    ++updates_;
    record.set("train/policy_loss", loss);
    record.set("train/entropy", static_cast<double>(entropy_.head(n).mean()));
    record.set("train/grad_norm", grad_norm);
    record.set("train/episode_steps", static_cast<double>(n));
    if (config_.use_baseline) {
      record.set("train/value_loss", baseline_loss);
      record.set("train/explained_variance", explained_variance(buffer_.values().head(n), buffer_.returns().head(n)));
    }
    record.set("train/learning_rate", config_.learning_rate(progress_remaining));
    record.set("train/n_updates", static_cast<double>(updates_));
  }

 private:
  Config config_;
  Policy policy_;
  ValueFunction<T> baseline_;
  RolloutBuffer<T> buffer_;
  detail::BlockOptimizers<Adam<T>> policy_optimizers_;
  Adam<T> baseline_optimizer_;
  Vector<T> weights_, log_probs_, entropy_, grad_entropy_, grad_values_;
  std::int64_t updates_ = 0;
};

}  // namespace theta::reinforce
