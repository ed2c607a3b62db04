#pragma once
/// \file TRPO: trust region policy optimisation (Schulman et al. 2015) with the exact
/// Fisher-vector product, conjugate gradient and a backtracking line search.

#include <theta/algo/detail/on_policy.hpp>
#include <theta/algo/losses.hpp>
#include <theta/buffer/gae.hpp>
#include <theta/buffer/rollout_buffer.hpp>
#include <theta/core/detail/config_rules.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/io/state.hpp>
#include <theta/optim/adam.hpp>
#include <theta/optim/conjugate_gradient.hpp>
#include <theta/optim/line_search.hpp>
#include <theta/policy/network.hpp>
#include <theta/optim/concepts.hpp>
#include <theta/policy/state_value_function.hpp>
#include <theta/policy/trust_region_policy.hpp>

#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

namespace theta::trpo {

/// TRPO's own configuration (the trainer's fields are in `OnPolicyConfig`). Defaults are
/// sb3-contrib's `TRPO` defaults.
struct Config {
  // ---- policy step
  double target_kl = 0.01;        ///< trust region: mean KL(old || new) of an accepted step, > 0
  double cg_damping = 0.1;        ///< added to the Fisher: (F + damping I) s = g, >= 0
  int cg_max_steps = 15;          ///< conjugate-gradient iterations, >= 1
  double cg_residual_tol = 1e-10; ///< stop CG once the squared residual is below, >= 0
  int line_search_max_iter = 10;  ///< step fractions tried: 1, shrink, shrink^2, ...
  double line_search_shrinking_factor = 0.8;  ///< in (0, 1)
  bool normalize_advantage = true;  ///< over the whole rollout, unbiased std
  // ---- critic fit
  Index batch_size = 128;         ///< critic minibatch size
  int n_critic_updates = 10;      ///< passes over the rollout for the critic
  double learning_rate = 1e-3;    ///< the critic optimizer's learning rate, > 0
  double adam_eps = 1e-5;         ///< the critic's default optimizer (Adam) epsilon (SB3's policies use 1e-5)
  // ---- default components
  NetworkConfig actor;            ///< 64-64 tanh, orthogonal, head gain 0.01
  NetworkConfig critic;           ///< 64-64 tanh, orthogonal, head gain 1
  double log_std_init = 0.0;      ///< initial log-std of Gaussian policies
};

/// Checks every field for a rollout of `rollout_size` transitions.
inline void validate(const Config& c, Index rollout_size) {
  detail::require_positive("trpo::Config::target_kl", c.target_kl);
  detail::require_non_negative("trpo::Config::cg_damping", c.cg_damping);
  detail::require_at_least("trpo::Config::cg_max_steps", c.cg_max_steps, 1);
  detail::require_non_negative("trpo::Config::cg_residual_tol", c.cg_residual_tol);
  detail::require_at_least("trpo::Config::line_search_max_iter", c.line_search_max_iter, 1);
  require<ConfigError>(c.line_search_shrinking_factor > 0 && c.line_search_shrinking_factor < 1,
                       "trpo::Config::line_search_shrinking_factor must be in (0, 1), got {}",
                       c.line_search_shrinking_factor);
  require<ConfigError>(c.batch_size >= 1 && c.batch_size <= rollout_size,
                       "trpo::Config::batch_size must be in [1, n_steps * n_envs = {}], got {}", rollout_size,
                       c.batch_size);
  detail::require_at_least("trpo::Config::n_critic_updates", c.n_critic_updates, 1);
  detail::require_positive("trpo::Config::learning_rate", c.learning_rate);
  detail::require_positive("trpo::Config::adam_eps", c.adam_eps);
  theta::validate(c.actor, "trpo::Config::actor");
  theta::validate(c.critic, "trpo::Config::critic", /*allows_dropout=*/false);
  detail::require_finite("trpo::Config::log_std_init", c.log_std_init);
}

/// The settings a checkpoint records and compares at load (`io::Settings`).
inline io::Settings settings(const Config& c) {
  io::Settings s("trpo::Config");
  s.add("target_kl", c.target_kl).add("cg_damping", c.cg_damping).add("cg_max_steps", c.cg_max_steps);
  s.add("cg_residual_tol", c.cg_residual_tol).add("line_search_max_iter", c.line_search_max_iter);
  s.add("line_search_shrinking_factor", c.line_search_shrinking_factor);
  s.add("normalize_advantage", c.normalize_advantage).add("batch_size", c.batch_size);
  s.add("n_critic_updates", c.n_critic_updates).add("learning_rate", c.learning_rate).add("adam_eps", c.adam_eps);
  s.add("actor", c.actor).add("critic", c.critic).add("log_std_init", c.log_std_init);
  return s;
}

/// What one TRPO update logs.
struct Stats {
  double policy_objective = 0, kl_divergence = 0, line_search_fraction = 0, value_loss = 0, entropy = 0;
  double explained_variance = 0, learning_rate = 0;
  bool line_search_success = false;
  std::int64_t cg_iterations = 0, n_updates = 0;
  std::optional<double> std;  ///< mean standard deviation of a Gaussian policy

  template <class F>
  void for_each(F&& f) const {
    f("train/policy_objective", policy_objective);
    f("train/kl_divergence_loss", kl_divergence);
    f("train/approx_kl", kl_divergence);
    f("train/is_line_search_success", line_search_success ? 1.0 : 0.0);
    f("train/line_search_fraction", line_search_fraction);
    f("train/cg_iterations", static_cast<double>(cg_iterations));
    f("train/value_loss", value_loss);
    f("train/entropy", entropy);
    f("train/explained_variance", explained_variance);
    f("train/learning_rate", learning_rate);
    f("train/n_updates", static_cast<double>(n_updates));
    if (std) f("train/std", *std);
  }
};

/// The TRPO update:
///
///   1. g = grad of the surrogate L = mean(A exp(log pi - log pi_old)) at the old policy;
///   2. s = (F + damping I)^-1 g by conjugate gradient, F v computed exactly (JVP through the
///      actor, the distribution's analytic Fisher, VJP);
///   3. full step sqrt(2 target_kl / s^T F s) s, shrunk until KL(old || new) < target_kl and
///      L improves (otherwise the policy is left unchanged);
///   4. the critic is fitted by Adam minibatches of the squared error to the GAE returns.
template <class Actor, class Critic, class Opt = Adam<typename Actor::Scalar>>
class Trpo {
  static_assert(detail::diagnose_trust_region_policy<Actor>(),
                "trpo::Trpo: the actor must satisfy theta::TrustRegionPolicy");
  static_assert(StateValueFunction<Critic>, "trpo::Trpo: the critic must satisfy theta::StateValueFunction");
  static_assert(!SequenceValueFunction<Critic>,
                "trpo::Trpo: a recurrent critic (theta::SequenceValueFunction) trains on sequences, which this rule "
                "does not replay; use PPO or A2C, or a feed-forward critic");
  static_assert(Optimizer<Opt, typename Actor::Scalar>,
                "trpo::Trpo: the optimizer type must satisfy theta::Optimizer (Config, step, learning_rate, set_learning_rate)");

 public:
  using Scalar = typename Actor::Scalar;
  using T = Scalar;
  using Config = trpo::Config;
  using Stats = trpo::Stats;
  using default_estimator = Gae<T>;
  using optimizer_type = Opt;
  static constexpr const char* name = "trpo";
  static constexpr Index default_n_steps = 2048;
  static constexpr double default_gae_lambda = 0.95;
  static constexpr bool collects_whole_episodes = false;

  static void validate(const Config& config, Index n_envs, Index n_steps) { trpo::validate(config, n_envs * n_steps); }
  /// The actor is evaluated on the whole rollout, the critic on minibatches.
  static BatchCapacities capacities(const Config& config, Index n_envs, Index rollout_size) {
    return {.act = n_envs, .actor_train = rollout_size, .critic_train = config.batch_size};
  }
  /// The critic's optimizer: Adam with `learning_rate` and `adam_eps`, else `Opt::Config{}`.
  static typename Opt::Config optimizer_config(const Config& config) {
    if constexpr (std::same_as<typename Opt::Config, AdamConfig>) {
      return AdamConfig{.lr = config.learning_rate, .eps = config.adam_eps};
    } else {
      return typename Opt::Config{};
    }
  }

  Trpo(const Config& config, Actor actor, Critic critic, const typename Opt::Config& optimizer, RolloutShape shape,
       Rng& rng)
      : config_((trpo::validate(config, shape.size), config)),
        actor_(std::move(actor)),
        critic_(std::move(critic)),
        critic_optimizer_(make_optimizer<Opt>(critic_, optimizer)),
        batch_(shape.size, shape.obs_dim, actor_.action_rows(), context_rows(actor_), shape.action_mask_rows),
        minibatch_(config.batch_size, shape.obs_dim, actor_.action_rows(), context_rows(actor_),
                   shape.action_mask_rows),
        indices_(static_cast<std::size_t>(shape.size)),
        old_params_(actor_.parameters().size()),
        gradient_(actor_.parameters().size()),
        direction_(actor_.parameters().size()),
        cg_workspace_(actor_.parameters().size()),
        kl_(shape.size),
        shuffle_rng_(rng.split(0x7472706f)) {
    critic_optimizer_.set_learning_rate(config.learning_rate);
  }

  [[nodiscard]] const Config& config() const noexcept { return config_; }
  [[nodiscard]] Actor& actor() noexcept { return actor_; }
  [[nodiscard]] const Actor& actor() const noexcept { return actor_; }
  [[nodiscard]] Critic& critic() noexcept { return critic_; }
  [[nodiscard]] const Critic& critic() const noexcept { return critic_; }
  [[nodiscard]] Opt& critic_optimizer() noexcept { return critic_optimizer_; }
  [[nodiscard]] bool uses_critic() const noexcept { return true; }

  /// Writes the rule's state into checkpoint sections: its settings (compared at load), then
  /// actor, critic, critic_optimizer (each in its own section), the update count and the critic minibatch shuffle stream.
  void save(io::CheckpointWriter& out) const {
    trpo::settings(config_).save(out.section("trpo/config"));
    io::save_components(out, "actor", actor_, "critic", critic_, "critic_optimizer", critic_optimizer_);
    auto& state = out.section("trpo/state");
    state.i64(updates_);
    io::save_rng(state, shuffle_rng_);
  }
  /// Reads what `save` wrote, in the same order. A checkpoint of other settings or shapes
  /// raises CheckpointError (the trainer restores its own state when a load fails).
  void load(io::CheckpointReader& in) {
    {
      auto config = in.section("trpo/config");
      trpo::settings(config_).check(config);
      config.finish();
    }
    io::load_components(in, "actor", actor_, "critic", critic_, "critic_optimizer", critic_optimizer_);
    auto state = in.section("trpo/state");
    const std::int64_t updates = state.i64();
    require<CheckpointError>(updates >= 0, "checkpoint section '{}': {} updates", state.name(), updates);
    const Rng stream = io::load_rng(state, "critic minibatch shuffle stream");
    state.finish();
    updates_ = updates;
    shuffle_rng_ = stream;
  }

  Stats update(const RolloutBatch<T>& batch, double /*progress_remaining*/) {
    const Index n = batch.size();
    for (Index i = 0; i < n; ++i) indices_[static_cast<std::size_t>(i)] = i;
    auto& b = batch_;
    b.gather(batch, std::span<const Index>(indices_.data(), static_cast<std::size_t>(n)));
    auto adv = b.head(b.advantages);
    if (config_.normalize_advantage) normalize_advantages(adv);
    const T inv_n = T(1) / static_cast<T>(n);

    // ---- 1. surrogate gradient at the old policy (ratio 1): d L / d log pi = A / n
    evaluate_with_context(actor_, b.obs(), b.act(), b.masks(), b.ctx(), b.head(b.log_probs), b.head(b.entropy));
    actor_.snapshot();
    const double old_objective = static_cast<double>(adv.sum() * inv_n);
    b.head(b.grad_log_probs) = adv * inv_n;
    b.head(b.grad_entropy).setZero();
    actor_.zero_grad();
    actor_.backward(b.head(b.grad_log_probs), b.head(b.grad_entropy));
    gradient_ = actor_.gradients();
    old_params_ = actor_.parameters();

    // ---- 2. natural gradient direction by conjugate gradient on (F + damping I)
    const auto damping = static_cast<T>(config_.cg_damping);
    auto fvp = [&](const Vector<T>& v, Vector<T>& out) {
      actor_.fisher_vector_product(v, out);
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
          actor_.parameters() = old_params_ + static_cast<T>(fraction * step_size) * direction_;
          evaluate_with_context(actor_, b.obs(), b.act(), b.masks(), b.ctx(), b.head(b.log_probs), b.head(b.entropy));
          actor_.kl_from_snapshot(kl_.head(n));
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
    if (!accepted) actor_.parameters() = old_params_;

    // ---- 4. critic: n_critic_updates passes of Adam minibatches on (R - V)^2
    double value_loss_sum = 0;
    Index minibatches = 0;
    for (int epoch = 0; epoch < config_.n_critic_updates; ++epoch) {
      detail::shuffle(indices_, shuffle_rng_);
      for (Index start = 0; start < n; start += config_.batch_size) {
        const Index size = std::min(config_.batch_size, n - start);
        auto& mb = minibatch_;
        mb.gather(batch, std::span<const Index>(indices_.data() + start, static_cast<std::size_t>(size)));
        const Eigen::Map<const Vector<T>> values = critic_.forward(mb.obs());
        value_loss_sum += value_loss<T>(ValueLoss::mse, values, mb.head(mb.old_values), mb.head(mb.returns), T(0),
                                        mb.head(mb.grad_values));
        critic_.zero_grad();
        critic_.backward(mb.head(mb.grad_values));
        critic_optimizer_.step(critic_.parameters(), critic_.gradients());
        ++minibatches;
      }
    }
    ++updates_;
    Stats stats;
    stats.policy_objective = accepted_objective;
    stats.kl_divergence = accepted_kl;
    stats.line_search_success = accepted.has_value();
    stats.line_search_fraction = accepted ? accepted->fraction : 0.0;
    stats.cg_iterations = cg.iterations;
    stats.value_loss = value_loss_sum / static_cast<double>(std::max<Index>(minibatches, 1));
    stats.entropy = static_cast<double>(b.head(b.entropy).mean());
    stats.explained_variance = explained_variance(batch.values, batch.returns);
    stats.learning_rate = critic_optimizer_.learning_rate();
    stats.n_updates = updates_;
    stats.std = detail::mean_std(actor_);
    return stats;
  }

 private:
  Config config_;
  Actor actor_;
  Critic critic_;
  Opt critic_optimizer_;
  detail::Minibatch<T> batch_;
  detail::Minibatch<T> minibatch_;
  std::vector<Index> indices_;
  Vector<T> old_params_, gradient_, direction_;
  ConjugateGradientWorkspace<T> cg_workspace_;
  Vector<T> kl_;
  Rng shuffle_rng_;
  std::int64_t updates_ = 0;
};

}  // namespace theta::trpo
