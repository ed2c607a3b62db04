#pragma once
/// \file TRPO: trust region policy optimisation (Schulman et al. 2015) with the exact
/// Fisher-vector product, conjugate gradient and a backtracking line search.

#include <theta/algo/detail/on_policy.hpp>
#include <theta/algo/losses.hpp>
#include <theta/buffer/rollout_buffer.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/log/logger.hpp>
#include <theta/normalize/observation_normalizer.hpp>
#include <theta/optim/adam.hpp>
#include <theta/optim/conjugate_gradient.hpp>
#include <theta/optim/line_search.hpp>
#include <theta/policy/network.hpp>
#include <theta/policy/value_function.hpp>

#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

namespace theta::trpo {

/// TRPO's configuration. Defaults are sb3-contrib's `TRPO` defaults.
struct Config {
  // ---- collection
  Index n_envs = 1;               ///< environment copies stepped together
  Index n_steps = 2048;           ///< steps per copy per update
  double gamma = 0.99;            ///< discount, in [0, 1]
  double gae_lambda = 0.95;       ///< GAE lambda, in [0, 1]
  // ---- policy step
  double target_kl = 0.01;        ///< trust region: mean KL(old || new) of an accepted step, > 0
  double cg_damping = 0.1;        ///< added to the Fisher: (F + damping I) s = g, >= 0
  int cg_max_steps = 15;          ///< conjugate-gradient iterations, >= 1
  double cg_residual_tol = 1e-10; ///< stop CG once the squared residual is below
  int line_search_max_iter = 10;  ///< step fractions tried: 1, shrink, shrink^2, ...
  double line_search_shrinking_factor = 0.8;  ///< in (0, 1)
  bool normalize_advantage = true;  ///< over the whole rollout, unbiased std
  // ---- critic fit
  Index batch_size = 128;         ///< critic minibatch size
  int n_critic_updates = 10;      ///< passes over the rollout for the critic
  double learning_rate = 1e-3;    ///< the critic's Adam learning rate
  double adam_eps = 1e-5;         ///< the critic's Adam epsilon (SB3's policies use 1e-5)
  // ---- networks
  NetworkConfig actor;            ///< 64-64 tanh, orthogonal, head gain 0.01
  NetworkConfig critic;           ///< 64-64 tanh, orthogonal, head gain 1
  double log_std_init = 0.0;      ///< initial log-std of Gaussian policies
  // ---- normalisation
  bool normalize_observations = false;
  ObservationNormalizerConfig observation_normalizer;
  bool normalize_rewards = false;
  double reward_clip = 10.0;
  // ---- reproducibility
  std::uint64_t seed = 0;
};

inline void validate(const Config& c) {
  require<ConfigError>(c.n_envs >= 1, "trpo::Config::n_envs must be >= 1, got {}", c.n_envs);
  require<ConfigError>(c.n_steps >= 1, "trpo::Config::n_steps must be >= 1, got {}", c.n_steps);
  require<ConfigError>(c.gamma >= 0 && c.gamma <= 1, "trpo::Config::gamma must be in [0, 1], got {}", c.gamma);
  require<ConfigError>(c.gae_lambda >= 0 && c.gae_lambda <= 1, "trpo::Config::gae_lambda must be in [0, 1], got {}",
                       c.gae_lambda);
  require<ConfigError>(c.target_kl > 0, "trpo::Config::target_kl must be > 0, got {}", c.target_kl);
  require<ConfigError>(c.cg_damping >= 0, "trpo::Config::cg_damping must be >= 0, got {}", c.cg_damping);
  require<ConfigError>(c.cg_max_steps >= 1, "trpo::Config::cg_max_steps must be >= 1, got {}", c.cg_max_steps);
  require<ConfigError>(c.line_search_max_iter >= 1, "trpo::Config::line_search_max_iter must be >= 1, got {}",
                       c.line_search_max_iter);
  require<ConfigError>(c.line_search_shrinking_factor > 0 && c.line_search_shrinking_factor < 1,
                       "trpo::Config::line_search_shrinking_factor must be in (0, 1), got {}",
                       c.line_search_shrinking_factor);
  require<ConfigError>(c.batch_size >= 1 && c.batch_size <= c.n_steps * c.n_envs,
                       "trpo::Config::batch_size must be in [1, n_steps * n_envs = {}], got {}", c.n_steps * c.n_envs,
                       c.batch_size);
  require<ConfigError>(c.n_critic_updates >= 1, "trpo::Config::n_critic_updates must be >= 1, got {}",
                       c.n_critic_updates);
  require<ConfigError>(c.learning_rate > 0, "trpo::Config::learning_rate must be > 0, got {}", c.learning_rate);
  require<ConfigError>(c.reward_clip > 0, "trpo::Config::reward_clip must be > 0, got {}", c.reward_clip);
}

/// The TRPO update:
///
///   1. g = grad of the surrogate L = mean(A exp(log pi - log pi_old)) at the old policy;
///   2. s = (F + damping I)^-1 g by conjugate gradient, F v computed exactly (JVP through the
///      actor, the distribution's analytic Fisher, VJP);
///   3. full step sqrt(2 target_kl / s^T F s) s, shrunk until KL(old || new) < target_kl and
///      L improves (otherwise the policy is left unchanged);
///   4. the critic is fitted by Adam minibatches of the squared error to the GAE returns.
template <class Policy>
class Trpo {
 public:
  using Scalar = typename Policy::Scalar;
  using T = Scalar;
  using Config = trpo::Config;
  static constexpr bool has_critic = true;
  static constexpr bool collects_whole_episodes = false;

  Trpo(const Config& config, const SpaceInfo& space, Rng& rng)
      : config_((validate(config), config)),
        policy_(detail::make_policy<Policy>("trpo", space, config.actor, config.log_std_init, config.n_envs,
                                            config.n_steps * config.n_envs, rng)),
        critic_(space.obs_dim, config.critic, config.n_envs, config.batch_size, rng),
        buffer_(config.n_steps, config.n_envs, space.obs_dim, policy_.action_rows()),
        critic_optimizer_(critic_.parameters().size(), AdamConfig{.lr = config.learning_rate, .eps = config.adam_eps}),
        batch_(config.n_steps * config.n_envs, space.obs_dim, policy_.action_rows()),
        minibatch_(config.batch_size, space.obs_dim, policy_.action_rows()),
        indices_(static_cast<std::size_t>(config.n_steps * config.n_envs)),
        old_params_(policy_.num_parameters()),
        gradient_(policy_.num_parameters()),
        direction_(policy_.num_parameters()),
        candidate_(policy_.num_parameters()),
        cg_workspace_(policy_.num_parameters()),
        kl_(config.n_steps * config.n_envs),
        shuffle_rng_(rng.split(0x7472706f)) {}

  [[nodiscard]] const Config& config() const noexcept { return config_; }
  [[nodiscard]] Policy& policy() noexcept { return policy_; }
  [[nodiscard]] ValueFunction<T>& critic() noexcept { return critic_; }
  [[nodiscard]] RolloutBuffer<T>& buffer() noexcept { return buffer_; }
  void values(const Eigen::Ref<const Matrix<T>>& obs, Eigen::Ref<Vector<T>> out) { critic_.predict(obs, out); }

  void update(double /*progress_remaining*/, LogRecord& record) {
    const Index n = buffer_.size();
    for (Index i = 0; i < n; ++i) indices_[static_cast<std::size_t>(i)] = i;
    auto& b = batch_;
    b.gather(buffer_, std::span<const Index>(indices_.data(), static_cast<std::size_t>(n)));
    auto adv = b.head(b.advantages);
    if (config_.normalize_advantage) normalize_advantages(adv);
    const T inv_n = T(1) / static_cast<T>(n);

    // ---- 1. surrogate gradient at the old policy (ratio 1): d L / d log pi = A / n
    policy_.evaluate(b.obs(), b.act(), b.head(b.log_probs), b.head(b.entropy));
    policy_.snapshot();
    const double old_objective = static_cast<double>(adv.sum() * inv_n);
    b.head(b.grad_log_probs) = adv * inv_n;
    b.head(b.grad_entropy).setZero();
    policy_.zero_grad();
    policy_.backward(b.head(b.grad_log_probs), b.head(b.grad_entropy));
    policy_.get_gradients(gradient_);
    policy_.get_parameters(old_params_);

    // ---- 2. natural gradient direction by conjugate gradient on (F + damping I)
    const auto damping = static_cast<T>(config_.cg_damping);
    auto fvp = [&](const Vector<T>& v, Vector<T>& out) {
      policy_.fisher_vector_product(v, out);
      out += damping * v;
    };
    const ConjugateGradientResult cg =
        conjugate_gradient<T>(fvp, gradient_, direction_, config_.cg_max_steps, config_.cg_residual_tol, cg_workspace_);
    const double shs = cg.solution_energy;  // sᵀ(F + damping I)s
    require<NumericalError>(std::isfinite(shs) && shs > 0, "trpo: s^T F s must be positive and finite, got {}", shs);
    const double step_size = std::sqrt(2.0 * config_.target_kl / shs);

    // ---- 3. line search in the trust region
    double accepted_kl = 0, accepted_objective = old_objective;
    const auto accepted = backtracking_line_search(
        [&](double fraction) {
          candidate_ = old_params_ + static_cast<T>(fraction * step_size) * direction_;
          policy_.set_parameters(candidate_);
          policy_.evaluate(b.obs(), b.act(), b.head(b.log_probs), b.head(b.entropy));
          policy_.kl_from_snapshot(kl_.head(n));
          const double kl = static_cast<double>(kl_.head(n).mean());
          const double objective = static_cast<double>(
              (adv.array() * (b.head(b.log_probs) - b.head(b.old_log_probs)).array().exp()).sum() * inv_n);
          if (kl < config_.target_kl && objective > old_objective) {
            accepted_kl = kl;
            accepted_objective = objective;
            return true;
          }
          return false;
        },
        config_.line_search_max_iter, config_.line_search_shrinking_factor);
    if (!accepted) policy_.set_parameters(old_params_);

    // ---- 4. critic: n_critic_updates passes of Adam minibatches on (R - V)^2
    double value_loss_sum = 0;
    Index minibatches = 0;
    for (int epoch = 0; epoch < config_.n_critic_updates; ++epoch) {
      detail::shuffle(indices_, shuffle_rng_);
      for (Index start = 0; start < n; start += config_.batch_size) {
        const Index size = std::min(config_.batch_size, n - start);
        auto& mb = minibatch_;
        mb.gather(buffer_, std::span<const Index>(indices_.data() + start, static_cast<std::size_t>(size)));
        const auto values = critic_.forward(mb.obs());
        value_loss_sum += value_loss<T>(ValueLoss::mse, values, mb.head(mb.old_values), mb.head(mb.returns), T(0),
                                        mb.head(mb.grad_values));
        critic_.zero_grad();
        critic_.backward(mb.head(mb.grad_values));
        critic_optimizer_.step(critic_.parameters(), critic_.gradients());
        ++minibatches;
      }
    }
    ++updates_;
    record.set("train/policy_objective", accepted_objective);
    record.set("train/kl_divergence_loss", accepted_kl);
    record.set("train/approx_kl", accepted_kl);
    record.set("train/is_line_search_success", accepted ? 1.0 : 0.0);
    record.set("train/line_search_fraction", accepted ? accepted->fraction : 0.0);
    record.set("train/cg_iterations", static_cast<double>(cg.iterations));
    record.set("train/value_loss", value_loss_sum / static_cast<double>(std::max<Index>(minibatches, 1)));
    record.set("train/entropy", static_cast<double>(b.head(b.entropy).mean()));
    record.set("train/explained_variance", explained_variance(buffer_.values().head(n), buffer_.returns().head(n)));
    record.set("train/learning_rate", config_.learning_rate);
    record.set("train/n_updates", static_cast<double>(updates_));
    if constexpr (!Policy::is_discrete) record.set("train/std", static_cast<double>(policy_.log_std().array().exp().mean()));
  }

 private:
  Config config_;
  Policy policy_;
  ValueFunction<T> critic_;
  RolloutBuffer<T> buffer_;
  Adam<T> critic_optimizer_;
  detail::Minibatch<T> batch_;
  detail::Minibatch<T> minibatch_;
  std::vector<Index> indices_;
  Vector<T> old_params_, gradient_, direction_, candidate_;
  ConjugateGradientWorkspace<T> cg_workspace_;
  Vector<T> kl_;
  Rng shuffle_rng_;
  std::int64_t updates_ = 0;
};

}  // namespace theta::trpo
