#pragma once
/// \file SAC: soft actor-critic with twin Q critics, Polyak targets and a learned temperature
/// (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications", arXiv:1812.05905).

#include <theta/buffer/replay_buffer.hpp>
#include <theta/core/detail/config_rules.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/core/schedule.hpp>
#include <theta/distributions/squashed_gaussian.hpp>
#include <theta/io/state.hpp>
#include <theta/optim/adam.hpp>
#include <theta/optim/concepts.hpp>
#include <theta/policy/network.hpp>
#include <theta/policy/q_function.hpp>
#include <theta/policy/q_network.hpp>
#include <theta/policy/squashed_gaussian_policy.hpp>
#include <theta/policy/squashed_policy.hpp>

#include <Eigen/Core>

#include <array>
#include <cmath>
#include <cstdint>
#include <optional>

namespace theta::sac {

/// SAC's own configuration (the trainer's fields, n_envs, learning_starts, train_freq,
/// gradient_steps, exploration noise, buffer_size, batch_size, gamma, step budget and seed, are
/// in `OffPolicyConfig`). Defaults are Stable-Baselines3's `SAC` defaults.
///
///     theta::sac::Config config{.actor_learning_rate = 1e-3, .critic_learning_rate = 1e-3,
///                               .alpha_learning_rate = 1e-3};
struct Config {
  // ---- optimisation
  double tau = 0.005;               ///< Polyak coefficient of the targets, in [0, 1] (1: hard copy)
  Index target_update_interval = 1; ///< gradient steps between target updates, >= 1, counted over the run
  Schedule actor_learning_rate = 3e-4;   ///< Adam's learning rate for the actor (SB3: one rate for all three)
  Schedule critic_learning_rate = 3e-4;  ///< Adam's learning rate for both critics
  Schedule alpha_learning_rate = 3e-4;   ///< Adam's learning rate for log(alpha)
  double adam_eps = 1e-8;           ///< the default optimizer's (Adam) epsilon, > 0 (torch's default, which SB3's SAC keeps)
  // ---- temperature (entropy coefficient)
  bool learn_alpha = true;          ///< learn log(alpha) toward target_entropy (SB3 "auto"); false: alpha stays fixed
  double alpha = 1.0;               ///< initial (or fixed) temperature, > 0 (SB3 "auto" starts at 1)
  std::optional<double> target_entropy;  ///< entropy target of the (-1, 1) actions; default -action_dim
  // ---- default components (used when the trainer is not handed an actor or critics)
  NetworkConfig actor{.hidden = {256, 256}, .activation = nn::Activation::relu, .init = Init::torch_default};
  NetworkConfig critic{.hidden = {256, 256}, .activation = nn::Activation::relu, .init = Init::torch_default};
  LogStdRange log_std{};            ///< actor log-std bounds: clamp to [-20, 2] (SB3)
  TanhCorrection tanh_correction = TanhCorrection::stable;  ///< log-prob of the squash: exact (sb3_epsilon: SB3's)
};

/// Checks every field; throws ConfigError naming the field, the value and the rule.
inline void validate(const Config& c) {
  detail::require_in("sac::Config::tau", c.tau, 0.0, 1.0);
  detail::require_at_least("sac::Config::target_update_interval", c.target_update_interval, 1);
  c.actor_learning_rate.require_positive_start("sac::Config::actor_learning_rate");
  c.critic_learning_rate.require_positive_start("sac::Config::critic_learning_rate");
  c.alpha_learning_rate.require_positive_start("sac::Config::alpha_learning_rate");
  detail::require_positive("sac::Config::adam_eps", c.adam_eps);
  detail::require_positive("sac::Config::alpha", c.alpha);
  if (c.target_entropy) detail::require_finite("sac::Config::target_entropy", *c.target_entropy);
  require<ConfigError>(std::isfinite(c.log_std.min) && std::isfinite(c.log_std.max) && c.log_std.min < c.log_std.max,
                       "sac::Config::log_std must have finite min < max, got [{}, {}]", c.log_std.min, c.log_std.max);
  theta::validate(c.actor, "sac::Config::actor", /*allows_dropout=*/false);
  theta::validate(c.critic, "sac::Config::critic", /*allows_dropout=*/false);
}

// ---------------------------------------------------------------------------------------
// The loss pieces, each with its gradient. They match SB3's SAC.train() term for term
// (tests/algo/sac_test.cpp replays ../shared/reference/torch/losses.json, section sac).

/// The soft Bellman target (Haarnoja et al. 2018b, eq. 3 with the soft value of eq. 3's
/// V(s') = E[min_i Q'_i(s', a') - α log π(a'|s')]):
/// y = r + γ (1 - terminated) (min(Q'_1, Q'_2) - α log π(a'|s')). `terminated` is 1 or 0; a
/// truncated transition has 0 there and bootstraps from its true final observation.
template <class T>
void soft_target(const Eigen::Ref<const Vector<T>>& rewards, const Eigen::Ref<const Vector<T>>& terminated,
                 const Eigen::Ref<const Vector<T>>& next_q1, const Eigen::Ref<const Vector<T>>& next_q2,
                 const Eigen::Ref<const Vector<T>>& next_log_prob, T gamma, T alpha, Eigen::Ref<Vector<T>> out) {
  out.array() = rewards.array() + gamma * (T(1) - terminated.array()) *
                                      (next_q1.array().min(next_q2.array()) - alpha * next_log_prob.array());
}

/// The critic loss ½ (mean((Q_1 - y)²) + mean((Q_2 - y)²)) (SB3: 0.5 * sum of the two MSEs;
/// eq. 5 for each critic) and its gradients (Q_i - y)/N.
template <class T>
double critic_loss(const Eigen::Ref<const Vector<T>>& q1, const Eigen::Ref<const Vector<T>>& q2,
                   const Eigen::Ref<const Vector<T>>& target, Eigen::Ref<Vector<T>> grad_q1,
                   Eigen::Ref<Vector<T>> grad_q2) {
  const auto n = static_cast<T>(q1.size());
  grad_q1 = q1 - target;
  grad_q2 = q2 - target;
  const double loss = 0.5 * (static_cast<double>(grad_q1.squaredNorm()) + static_cast<double>(grad_q2.squaredNorm())) /
                      static_cast<double>(q1.size());
  grad_q1 /= n;
  grad_q2 /= n;
  return loss;
}

/// The actor loss mean(α log π(a|s) - min(Q_1, Q_2)(s, a)) for reparameterised a (eq. 7 with
/// the twin minimum) and its gradients: α/N for each log π, -1/N for the smaller Q (Q_1 on a
/// tie, where torch.min's argmin is the first), 0 for the other. α is a constant here.
template <class T>
double actor_loss(const Eigen::Ref<const Vector<T>>& log_prob, const Eigen::Ref<const Vector<T>>& q1,
                  const Eigen::Ref<const Vector<T>>& q2, T alpha, Eigen::Ref<Vector<T>> grad_log_prob,
                  Eigen::Ref<Vector<T>> grad_q1, Eigen::Ref<Vector<T>> grad_q2) {
  const Index n = log_prob.size();
  const T inv_n = T(1) / static_cast<T>(n);
  double sum = 0;
  for (Index b = 0; b < n; ++b) {
    const bool first = q1[b] <= q2[b];
    sum += static_cast<double>(alpha * log_prob[b] - (first ? q1[b] : q2[b]));
    grad_q1[b] = first ? -inv_n : T(0);
    grad_q2[b] = first ? T(0) : -inv_n;
  }
  grad_log_prob.setConstant(alpha * inv_n);
  return sum / static_cast<double>(n);
}

/// The temperature loss and its gradient with respect to log α.
struct TemperatureLoss {
  double loss = 0;            ///< -log α · mean(log π + target_entropy)
  double grad_log_alpha = 0;  ///< -mean(log π + target_entropy)
};

/// J(α) of eq. 18, written for log α as SB3 does (the bracket is a constant):
/// -log α · mean(log π(a|s) + H̄). Minimising it raises α while the entropy -log π is below
/// the target H̄ and lowers it above.
template <class T>
TemperatureLoss temperature_loss(double log_alpha, const Eigen::Ref<const Vector<T>>& log_prob,
                                 double target_entropy) {
  double mean = 0;
  for (Index b = 0; b < log_prob.size(); ++b) mean += static_cast<double>(log_prob[b]);
  mean = mean / static_cast<double>(log_prob.size()) + target_entropy;
  return {.loss = -log_alpha * mean, .grad_log_alpha = -mean};
}

/// The settings a checkpoint records and compares at load (`io::Settings`).
inline io::Settings settings(const Config& c) {
  io::Settings s("sac::Config");
  s.add("tau", c.tau).add("target_update_interval", c.target_update_interval);
  s.add("actor_learning_rate", c.actor_learning_rate).add("critic_learning_rate", c.critic_learning_rate);
  s.add("alpha_learning_rate", c.alpha_learning_rate).add("adam_eps", c.adam_eps).add("learn_alpha", c.learn_alpha);
  s.add("alpha", c.alpha).add("target_entropy", c.target_entropy).add("actor", c.actor).add("critic", c.critic);
  s.add("log_std.bound", c.log_std.bound).add("log_std.min", c.log_std.min).add("log_std.max", c.log_std.max);
  s.add("tanh_correction", c.tanh_correction);
  return s;
}

/// The diagnostics of a run of gradient steps: one, as `Sac::update` returns them, or several
/// combined by `merge` (the trainer logs the means since its last record), with
/// Stable-Baselines3's `train/*` keys (plus entropy, Q and target means).
struct Stats {
  std::int64_t n_updates = 0;  ///< gradient steps taken by the rule at the end of the run
  double learning_rate = 0;    ///< the actor's, at the last step
  std::int64_t steps = 0;      ///< gradient steps averaged below (0: an empty run)
  double critic_loss = 0;
  double actor_loss = 0;
  double alpha = 0;       ///< the temperature used in the steps
  std::optional<double> alpha_loss;  ///< with a learned temperature
  double entropy = 0;     ///< -mean log π(a|s) of the fresh actor samples
  double q1_mean = 0;     ///< mean Q_1 on the replayed (s, a)
  double q2_mean = 0;
  double target_mean = 0; ///< mean soft target y

  /// Appends the run `later` to this one: the means become the means over both runs, weighted
  /// by their `steps`; the counter and the learning rate are `later`'s. An empty side (steps
  /// == 0) contributes no means; `alpha_loss` stays only if both sides have one.
  ///
  ///     theta::sac::Stats since_log = sac.update(batch, 1.0);
  ///     since_log.merge(sac.update(batch, 1.0));   // means of the two steps
  void merge(const Stats& later) {
    if (steps == 0) {  // nothing of this run to keep (an empty `later` brings its α)
      *this = later;
      return;
    }
    n_updates = later.n_updates;
    learning_rate = later.learning_rate;
    if (later.steps == 0) return;
    const auto total = steps + later.steps;
    const auto n = static_cast<double>(steps), n_later = static_cast<double>(later.steps);
    const auto mean = [&](double& x, double y) { x = (x * n + y * n_later) / static_cast<double>(total); };
    mean(critic_loss, later.critic_loss);
    mean(actor_loss, later.actor_loss);
    mean(alpha, later.alpha);
    if (alpha_loss && later.alpha_loss) {
      mean(*alpha_loss, *later.alpha_loss);
    } else {
      alpha_loss.reset();  // not learned in every step: no mean over the run
    }
    mean(entropy, later.entropy);
    mean(q1_mean, later.q1_mean);
    mean(q2_mean, later.q2_mean);
    mean(target_mean, later.target_mean);
    steps = total;
  }

  template <class F>
  void for_each(F&& f) const {
    f("train/n_updates", static_cast<double>(n_updates));
    f("train/learning_rate", learning_rate);
    if (steps == 0) {
      f("train/ent_coef", alpha);
      return;
    }
    f("train/actor_loss", actor_loss);
    f("train/critic_loss", critic_loss);
    f("train/ent_coef", alpha);
    if (alpha_loss) f("train/ent_coef_loss", *alpha_loss);
    f("train/entropy", entropy);
    f("train/q1_mean", q1_mean);
    f("train/q2_mean", q2_mean);
    f("train/target_mean", target_mean);
  }
};

/// The SAC update rule over an actor (`SquashedPolicy`; default `SquashedGaussianPolicy`),
/// a Q-function type (`QFunction`; default `QNetwork`) of which it keeps two with their
/// Polyak-averaged copies, and an optimizer type (`Optimizer`; default Adam) for the actor,
/// each critic and the temperature. It owns them and log α; `OffPolicyTrainer` owns the replay
/// buffer, samples a batch for each gradient step and calls `update(batch, progress)`, which
/// returns the statistics of that step.
///
/// One gradient step follows SB3's `SAC.train()` in order:
///  1. the actor's reparameterised sample a ~ π(·|s) and log π(a|s) on the batch;
///  2. (learned α) a step on log α with the α of before the step used below;
///  3. the soft target from the target critics at (s', a' ~ π(·|s')), then a critic step;
///  4. the actor loss against the just-updated critics, then an actor step;
///  5. every `target_update_interval` steps, the Polyak update of the targets.
template <class Actor = SquashedGaussianPolicy<Scalar>, class Q = QNetwork<typename Actor::Scalar>,
          class Opt = Adam<typename Actor::Scalar>>
class Sac {
  static_assert(SquashedPolicy<Actor>, "sac::Sac: the actor must satisfy theta::SquashedPolicy");
  static_assert(QFunction<Q>, "sac::Sac: the critic must satisfy theta::QFunction");
  static_assert(Optimizer<Opt, typename Actor::Scalar>,
                "sac::Sac: the optimizer type must satisfy theta::Optimizer (Config, step, learning_rate, set_learning_rate)");

 public:
  using Scalar = typename Actor::Scalar;
  using T = Scalar;
  using Config = sac::Config;
  using Stats = sac::Stats;
  using Policy = Actor;
  using optimizer_type = Opt;
  static constexpr const char* name = "sac";

  /// Checks every field of `config` (the trainer calls it before it builds anything).
  static void validate(const Config& config) { sac::validate(config); }

  /// Adam with `adam_eps` (each role gets its learning rate from its schedule); a user
  /// optimizer's default Config.
  static typename Opt::Config optimizer_config(const Config& config) {
    if constexpr (std::same_as<typename Opt::Config, AdamConfig>) {
      return AdamConfig{.lr = config.actor_learning_rate(1.0), .eps = config.adam_eps};
    } else {
      return typename Opt::Config{};
    }
  }

  /// Takes the actor and the two critics (their targets start as copies). `shape` (the
  /// trainer's obs_dim, action_dim and batch_size) sizes the workspaces, `gamma` is the
  /// trainer's discount, and the noise stream is split from `rng` with key 0x5ac1 (the trainer
  /// splits its replay stream from the same state with 0x5ac0).
  Sac(const Config& config, Actor actor, std::array<Q, 2> critics, const typename Opt::Config& optimizer,
      const ReplayShape& shape, double gamma, Rng& rng)
      : config_((validate(config), check_arguments(shape, gamma), config)),
        gamma_(gamma),
        batch_size_(shape.batch_size),
        target_entropy_(config.target_entropy.value_or(-static_cast<double>(shape.action_dim))),
        actor_(std::move(actor)),
        critics_(std::move(critics)),
        targets_(critics_),
        actor_optimizer_(make_optimizer<Opt>(actor_, optimizer)),
        critic_optimizers_{make_optimizer<Opt>(critics_[0], optimizer),
                           make_optimizer<Opt>(critics_[1], optimizer)},
        alpha_optimizer_(1, optimizer),
        log_alpha_(Vector<T>::Constant(1, static_cast<T>(std::log(config.alpha)))),
        log_alpha_grad_(Vector<T>::Zero(1)),
        noise_rng_(rng.split(0x5ac1)),
        noise_(shape.action_dim, shape.batch_size),
        next_noise_(shape.action_dim, shape.batch_size),
        actions_pi_(shape.action_dim, shape.batch_size),
        next_actions_(shape.action_dim, shape.batch_size),
        grad_actions_(shape.action_dim, shape.batch_size),
        grad_actions_scratch_(shape.action_dim, shape.batch_size),
        log_prob_(shape.batch_size),
        next_log_prob_(shape.batch_size),
        target_(shape.batch_size),
        target_q1_(shape.batch_size),
        target_q2_(shape.batch_size),
        grad_q1_(shape.batch_size),
        grad_q2_(shape.batch_size),
        grad_log_prob_(shape.batch_size),
        q1_(shape.batch_size),
        q2_(shape.batch_size),
        obs_dim_(shape.obs_dim) {
    actor_optimizer_.set_learning_rate(config.actor_learning_rate(1.0));
    critic_optimizers_[0].set_learning_rate(config.critic_learning_rate(1.0));
    critic_optimizers_[1].set_learning_rate(config.critic_learning_rate(1.0));
    alpha_optimizer_.set_learning_rate(config.alpha_learning_rate(1.0));
    targets_[0].zero_grad();
    targets_[1].zero_grad();
  }

  [[nodiscard]] const Config& config() const noexcept { return config_; }
  [[nodiscard]] Actor& actor() noexcept { return actor_; }
  [[nodiscard]] const Actor& actor() const noexcept { return actor_; }
  /// Q_i (i = 0, 1) and its Polyak-averaged target copy.
  [[nodiscard]] Q& critic(std::size_t i) noexcept { return critics_[i]; }
  [[nodiscard]] Q& target(std::size_t i) noexcept { return targets_[i]; }
  [[nodiscard]] Opt& actor_optimizer() noexcept { return actor_optimizer_; }
  [[nodiscard]] Opt& critic_optimizer(std::size_t i) noexcept { return critic_optimizers_[i]; }
  [[nodiscard]] Opt& alpha_optimizer() noexcept { return alpha_optimizer_; }
  /// The temperature: exp(log α) when learned, the configured value exactly when fixed.
  [[nodiscard]] double alpha() const noexcept {
    return config_.learn_alpha ? std::exp(static_cast<double>(log_alpha_[0])) : config_.alpha;
  }
  [[nodiscard]] double log_alpha() const noexcept { return static_cast<double>(log_alpha_[0]); }
  /// Sets log α (a learned temperature's state; restoring a checkpoint, tests).
  void set_log_alpha(double value) {
    require(std::isfinite(value), "sac::Sac::set_log_alpha: the value must be finite, got {}", value);
    log_alpha_[0] = static_cast<T>(value);
  }
  [[nodiscard]] double target_entropy() const noexcept { return target_entropy_; }
  /// The discount of the soft target (the trainer's `OffPolicyConfig::gamma`).
  [[nodiscard]] double gamma() const noexcept { return gamma_; }
  /// Gradient steps taken.
  [[nodiscard]] std::int64_t updates() const noexcept { return updates_; }

  /// Writes the rule's state into checkpoint sections: its settings and discount (compared at
  /// load), the actor, both critics and their targets, the three optimizers, log α, the update
  /// count and the noise stream.
  void save(io::CheckpointWriter& out) const {
    auto& config = out.section("sac/config");
    sac::settings(config_).save(config);
    config.f64(gamma_);
    io::save_components(out, "actor", actor_, "critic_1", critics_[0], "critic_2", critics_[1],
                             "target_1", targets_[0], "target_2", targets_[1], "actor_optimizer", actor_optimizer_,
                             "critic_1_optimizer", critic_optimizers_[0], "critic_2_optimizer", critic_optimizers_[1],
                             "alpha_optimizer", alpha_optimizer_);
    auto& state = out.section("sac/state");
    state.matrix(log_alpha_).i64(updates_);
    io::save_rng(state, noise_rng_);
  }
  /// Reads what `save` wrote, in the same order. A checkpoint of other settings or shapes
  /// raises CheckpointError (the trainer restores its own state when a load fails).
  void load(io::CheckpointReader& in) {
    {
      auto config = in.section("sac/config");
      sac::settings(config_).check(config);
      const double gamma = config.f64();
      require<CheckpointError>(gamma == gamma_, "checkpoint section '{}': gamma is {} here, the checkpoint was saved "
                               "with {}", config.name(), gamma_, gamma);
      config.finish();
    }
    io::load_components(in, "actor", actor_, "critic_1", critics_[0], "critic_2", critics_[1], "target_1", targets_[0],
                            "target_2", targets_[1], "actor_optimizer", actor_optimizer_,
                            "critic_1_optimizer", critic_optimizers_[0], "critic_2_optimizer", critic_optimizers_[1],
                            "alpha_optimizer", alpha_optimizer_);
    auto state = in.section("sac/state");
    const Vector<T> log_alpha = io::load_finite_vector<T>(state, "log_alpha", 1);
    const std::int64_t updates = state.i64();
    require<CheckpointError>(updates >= 0, "checkpoint section '{}': {} updates", state.name(), updates);
    const Rng noise = io::load_rng(state, "sac noise");
    state.finish();
    log_alpha_ = log_alpha;
    updates_ = updates;
    noise_rng_ = noise;
  }

  /// One gradient step on `batch` (see the class comment) and its statistics.
  /// `progress_remaining` (1 at the start of training, 0 at the end) drives the learning-rate
  /// schedules. Allocates nothing.
  Stats update(const ReplayBatch<T>& batch, double progress_remaining) {
    actor_optimizer_.set_learning_rate(
        config_.actor_learning_rate.checked(progress_remaining, "sac::Config::actor_learning_rate"));
    const double critic_lr = config_.critic_learning_rate.checked(progress_remaining, "sac::Config::critic_learning_rate");
    critic_optimizers_[0].set_learning_rate(critic_lr);
    critic_optimizers_[1].set_learning_rate(critic_lr);
    alpha_optimizer_.set_learning_rate(
        config_.alpha_learning_rate.checked(progress_remaining, "sac::Config::alpha_learning_rate"));

    // ---- 1. noise, and the actor's sample a ~ π(·|s) (kept for steps 2 and 4)
    check(batch);
    draw_noise();
    actor_pass(batch);
    // SB3 detaches α before its optimizer step: the old α serves the target and the actor.
    const auto alpha = static_cast<T>(this->alpha());

    // ---- 2. temperature
    double alpha_loss = 0;
    if (config_.learn_alpha) {
      const TemperatureLoss t = temperature_loss<T>(log_alpha(), log_prob_.head(batch.size), target_entropy_);
      log_alpha_grad_[0] = static_cast<T>(t.grad_log_alpha);
      alpha_optimizer_.step(log_alpha_, log_alpha_grad_);
      alpha_loss = t.loss;
    }

    // ---- 3. critics
    const double c_loss = critic_gradients(batch, alpha);
    critic_optimizers_[0].step(critics_[0].parameters(), critics_[0].gradients());
    critic_optimizers_[1].step(critics_[1].parameters(), critics_[1].gradients());

    // ---- 4. actor, against the updated critics
    const double a_loss = actor_gradients(batch, alpha);
    actor_optimizer_.step(actor_.parameters(), actor_.gradients());

    // ---- 5. targets
    ++updates_;
    if (updates_ % config_.target_update_interval == 0) polyak_update();

    const Index n = batch.size;
    Stats stats;
    stats.n_updates = updates_;
    stats.learning_rate = actor_optimizer_.learning_rate();
    stats.steps = 1;
    stats.critic_loss = c_loss;
    stats.actor_loss = a_loss;
    stats.alpha = static_cast<double>(alpha);
    if (config_.learn_alpha) stats.alpha_loss = alpha_loss;
    stats.entropy = -static_cast<double>(log_prob_.head(n).sum()) / static_cast<double>(n);
    stats.q1_mean = static_cast<double>(q1_.head(n).mean());
    stats.q2_mean = static_cast<double>(q2_.head(n).mean());
    stats.target_mean = static_cast<double>(target_.head(n).mean());
    return stats;
  }

  /// θ'_i ← (1 - τ) θ'_i + τ θ_i on the flat views (SB3's `polyak_update`, term for term).
  void polyak_update() {
    const auto t = static_cast<T>(config_.tau), keep = static_cast<T>(1.0 - config_.tau);
    for (std::size_t i = 0; i < 2; ++i) targets_[i].parameters() = keep * targets_[i].parameters() + t * critics_[i].parameters();
  }

  // ---- The stages of `update`, public for tests and custom loops. Each recomputes what it
  // needs from the current parameters, the batch it is given and the noise of the last
  // `draw_noise` (a batch of the shape the rule was built for, at most its batch_size).

  /// Draws the noise of the two actor samples of a gradient step (for s and for s'); `update`
  /// starts with it.
  void draw_noise() {
    draw_normal(noise_);
    draw_normal(next_noise_);
  }

  /// Critic loss on `batch` at the current parameters with α = alpha(); replaces the critics'
  /// gradients with its gradient and returns it.
  double critic_loss_and_gradient(const ReplayBatch<T>& batch) {
    check(batch);
    return critic_gradients(batch, static_cast<T>(alpha()));
  }

  /// Actor loss on `batch` at the current parameters with α = alpha(), through the
  /// reparameterised sample and the twin minimum; replaces the actor's gradients and returns it.
  double actor_loss_and_gradient(const ReplayBatch<T>& batch) {
    check(batch);
    actor_pass(batch);
    return actor_gradients(batch, static_cast<T>(alpha()));
  }

  /// Temperature loss on `batch` at the current actor and log α, and its gradient.
  TemperatureLoss temperature_loss_and_gradient(const ReplayBatch<T>& batch) {
    check(batch);
    actor_pass(batch);
    return temperature_loss<T>(log_alpha(), log_prob_.head(batch.size), target_entropy_);
  }

  /// The soft targets y of the last critic stage (one per transition of its batch).
  [[nodiscard]] auto targets() const { return target_.head(target_size_); }

 private:
  static void check_arguments(const ReplayShape& shape, double gamma) {
    require<ConfigError>(shape.obs_dim >= 1 && shape.action_dim >= 1 && shape.batch_size >= 1,
                         "sac::Sac: obs_dim, action_dim and batch_size must be >= 1, got {}, {} and {}", shape.obs_dim,
                         shape.action_dim, shape.batch_size);
    detail::require_in("sac::Sac: gamma", gamma, 0.0, 1.0);
  }

  void check(const ReplayBatch<T>& batch) const {
    require(batch.size >= 1 && batch.size <= batch_size_ && batch.observations.rows() == obs_dim_ &&
                batch.actions.rows() == noise_.rows(),
            "sac::Sac: a batch of {} transitions with obs_dim {} and action_dim {}; the rule was built for at most {} "
            "with {} and {}",
            batch.size, batch.observations.rows(), batch.actions.rows(), batch_size_, obs_dim_, noise_.rows());
  }

  void draw_normal(Matrix<T>& out) {
    // Column by column, as SquashedGaussian::rsample draws.
    for (Index b = 0; b < out.cols(); ++b)
      for (Index d = 0; d < out.rows(); ++d) out(d, b) = noise_rng_.normal<T>();
  }

  void actor_pass(const ReplayBatch<T>& batch) {
    const Index n = batch.size;
    actor_.forward(batch.obs());
    actor_.sample_with_noise(noise_.leftCols(n), actions_pi_.leftCols(n), log_prob_.head(n), config_.tanh_correction);
  }

  double critic_gradients(const ReplayBatch<T>& batch, T alpha) {
    const Index n = batch.size;
    target_size_ = n;
    // ---- target: no gradient (SB3's th.no_grad block)
    actor_.sample_no_grad(batch.next_obs(), next_noise_.leftCols(n), next_actions_.leftCols(n), next_log_prob_.head(n),
                          config_.tanh_correction);
    targets_[0].predict(batch.next_obs(), next_actions_.leftCols(n), target_q1_.head(n));
    targets_[1].predict(batch.next_obs(), next_actions_.leftCols(n), target_q2_.head(n));
    soft_target<T>(batch.rew(), batch.done(), target_q1_.head(n), target_q2_.head(n), next_log_prob_.head(n),
                   static_cast<T>(gamma_), alpha, target_.head(n));
    // ---- Q_i(s, a) on the replayed actions
    q1_.head(n) = critics_[0].forward(batch.obs(), batch.act());
    q2_.head(n) = critics_[1].forward(batch.obs(), batch.act());
    const double loss = critic_loss<T>(q1_.head(n), q2_.head(n), target_.head(n), grad_q1_.head(n), grad_q2_.head(n));
    require<NumericalError>(std::isfinite(loss), "sac: the critic loss is not finite ({}) at update {}", loss, updates_);
    critics_[0].zero_grad();
    critics_[1].zero_grad();
    critics_[0].backward(grad_q1_.head(n));
    critics_[1].backward(grad_q2_.head(n));
    return loss;
  }

  double actor_gradients(const ReplayBatch<T>& batch, T alpha) {
    const Index n = batch.size;
    const Eigen::Map<const Vector<T>> policy_q1 = critics_[0].forward_policy(batch.obs(), actions_pi_.leftCols(n));
    const Eigen::Map<const Vector<T>> policy_q2 = critics_[1].forward_policy(batch.obs(), actions_pi_.leftCols(n));
    const double loss = actor_loss<T>(log_prob_.head(n), policy_q1, policy_q2, alpha, grad_log_prob_.head(n),
                                      grad_q1_.head(n), grad_q2_.head(n));
    require<NumericalError>(std::isfinite(loss), "sac: the actor loss is not finite ({}) at update {}", loss, updates_);
    critics_[0].action_gradient(grad_q1_.head(n), grad_actions_.leftCols(n));
    critics_[1].action_gradient(grad_q2_.head(n), grad_actions_scratch_.leftCols(n));
    grad_actions_.leftCols(n) += grad_actions_scratch_.leftCols(n);
    actor_.zero_grad();
    actor_.backward(grad_actions_.leftCols(n), grad_log_prob_.head(n), config_.tanh_correction);
    return loss;
  }

  Config config_;
  double gamma_;
  Index batch_size_;  // the largest batch the workspaces hold
  double target_entropy_;
  Actor actor_;
  std::array<Q, 2> critics_;
  std::array<Q, 2> targets_;
  Opt actor_optimizer_;
  std::array<Opt, 2> critic_optimizers_;
  Opt alpha_optimizer_;
  Vector<T> log_alpha_;
  Vector<T> log_alpha_grad_;
  Rng noise_rng_;
  Matrix<T> noise_, next_noise_;
  Matrix<T> actions_pi_, next_actions_, grad_actions_, grad_actions_scratch_;
  Vector<T> log_prob_, next_log_prob_, target_, target_q1_, target_q2_, grad_q1_, grad_q2_, grad_log_prob_;
  Vector<T> q1_, q2_;  // Q_i on the replayed batch, kept for the statistics
  Index obs_dim_;
  Index target_size_ = 0;  // entries of target_ the last critic stage wrote
  std::int64_t updates_ = 0;
};

}  // namespace theta::sac
