#pragma once
/// \file SAC: soft actor-critic with twin Q critics, Polyak targets and a learned temperature
/// (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications", arXiv:1812.05905).

#include <theta/buffer/replay_buffer.hpp>
#include <theta/core/data_parallel.hpp>
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
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

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

/// `actor_loss` (below) on a slice of a batch of `batch_size` transitions (data-parallel updates): the
/// gradients of the slice's entries, each with 1/batch_size, and the slice's sum of
/// α log π - min(Q_1, Q_2) (the loss is the sum over the slices divided by batch_size).
template <class T>
double actor_loss_sum(const Eigen::Ref<const Vector<T>>& log_prob, const Eigen::Ref<const Vector<T>>& q1,
                      const Eigen::Ref<const Vector<T>>& q2, T alpha, Index batch_size,
                      Eigen::Ref<Vector<T>> grad_log_prob, Eigen::Ref<Vector<T>> grad_q1, Eigen::Ref<Vector<T>> grad_q2) {
  const T inv_n = T(1) / static_cast<T>(batch_size);
  double sum = 0;
  for (Index b = 0; b < log_prob.size(); ++b) {
    const bool first = q1[b] <= q2[b];
    sum += static_cast<double>(alpha * log_prob[b] - (first ? q1[b] : q2[b]));
    grad_q1[b] = first ? -inv_n : T(0);
    grad_q2[b] = first ? T(0) : -inv_n;
  }
  grad_log_prob.setConstant(alpha * inv_n);
  return sum;
}

/// The actor loss mean(α log π(a|s) - min(Q_1, Q_2)(s, a)) for reparameterised a (eq. 7 with
/// the twin minimum) and its gradients: α/N for each log π, -1/N for the smaller Q (Q_1 on a
/// tie, where torch.min's argmin is the first), 0 for the other. α is a constant here.
template <class T>
double actor_loss(const Eigen::Ref<const Vector<T>>& log_prob, const Eigen::Ref<const Vector<T>>& q1,
                  const Eigen::Ref<const Vector<T>>& q2, T alpha, Eigen::Ref<Vector<T>> grad_log_prob,
                  Eigen::Ref<Vector<T>> grad_q1, Eigen::Ref<Vector<T>> grad_q2) {
  const Index n = log_prob.size();
  return actor_loss_sum<T>(log_prob, q1, q2, alpha, n, grad_log_prob, grad_q1, grad_q2) / static_cast<double>(n);
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

  /// Splits every gradient step over `threads` threads (data-parallel): the batch is cut into
  /// `threads` contiguous slices, thread t computes the gradients of slice t with its own copy
  /// of the actor, the critics and the targets (their parameters copied from the rule's before
  /// each parallel region, their workspaces its own), and the slices' gradients are summed in
  /// slice order, then each optimizer steps once. Losses are means over the whole batch, so
  /// every slice's terms carry 1/batch_size. 1 (the default) is the serial step; a given count
  /// gives bit-identical runs, and counts differ from each other by the rounding of the
  /// reassociated sums. Changes no state a checkpoint holds. Allocates (the copies, the threads
  /// on the next step): call it before training.
  void set_threads(std::size_t threads) {
    require<ConfigError>(threads >= 1, "sac::Sac::set_threads: threads must be >= 1, got {}", threads);
    parallel_ = DataParallel(threads);
    replicas_.clear();
    replicas_.reserve(threads - 1);
    for (std::size_t t = 1; t < threads; ++t) replicas_.push_back(Replica{actor_, critics_, targets_});
    actor_loss_sums_.assign(threads, 0.0);
  }
  /// The threads a gradient step runs on (`set_threads`).
  [[nodiscard]] std::size_t threads() const noexcept { return parallel_.threads(); }

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

    check(batch);
    draw_noise();
    // SB3 detaches α before its optimizer step: the old α serves the target and the actor.
    const auto alpha = static_cast<T>(this->alpha());

    // ---- 1. the actor's sample a ~ π(·|s) (kept for steps 2 and 4), and 3.'s critic
    // gradients, slice by slice: neither reads what step 2 changes (log α)
    run_slices(batch, alpha, {.actor_pass = true, .critic = true});

    // ---- 2. temperature
    double alpha_loss = 0;
    if (config_.learn_alpha) {
      const TemperatureLoss t = temperature_loss<T>(log_alpha(), log_prob_.head(batch.size), target_entropy_);
      log_alpha_grad_[0] = static_cast<T>(t.grad_log_alpha);
      alpha_optimizer_.step(log_alpha_, log_alpha_grad_);
      alpha_loss = t.loss;
    }

    // ---- 3. critics: the slices' gradients summed, one step each (critic i on thread i mod T)
    const double c_loss = critic_loss_value(batch.size);
    parallel_.for_each_task(2, [&](std::size_t i) {
      // Already on a thread of the pool: this sum runs on it alone (in the same order).
      auto total = critics_[i].gradients();
      for (Replica& r : replicas_) total += r.critics[i].gradients();
      critic_optimizers_[i].step(critics_[i].parameters(), critics_[i].gradients());
      for (Replica& r : replicas_) r.critics[i].parameters() = critics_[i].parameters();  // for step 4
    });

    // ---- 4. actor, against the updated critics
    run_slices(batch, alpha, {.actor = true});
    const double a_loss = actor_loss_value(batch.size);

    // ---- 5. the actor's step, and the targets' Polyak update beside it (they read the critics only)
    ++updates_;
    const bool update_targets = updates_ % config_.target_update_interval == 0;
    parallel_.for_each_task(2, [&](std::size_t task) {
      if (task == 0) {
        auto total = actor_.gradients();
        for (Replica& r : replicas_) total += r.actor.gradients();
        actor_optimizer_.step(actor_.parameters(), actor_.gradients());
      } else if (update_targets) {
        polyak_update();
      }
    });

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
  // `draw_noise` (a batch of the shape the rule was built for, at most its batch_size), on
  // the rule's threads.

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
    run_slices(batch, static_cast<T>(alpha()), {.critic = true});
    const double loss = critic_loss_value(batch.size);
    for (std::size_t i = 0; i < 2; ++i)
      sum_slices(critics_[i].gradients(), [&](std::size_t t) { return replicas_[t - 1].critics[i].gradients(); });
    return loss;
  }

  /// Actor loss on `batch` at the current parameters with α = alpha(), through the
  /// reparameterised sample and the twin minimum; replaces the actor's gradients and returns it.
  double actor_loss_and_gradient(const ReplayBatch<T>& batch) {
    check(batch);
    run_slices(batch, static_cast<T>(alpha()), {.actor_pass = true, .actor = true, .copy_critics = true});
    const double loss = actor_loss_value(batch.size);
    sum_slices(actor_.gradients(), [&](std::size_t t) { return replicas_[t - 1].actor.gradients(); });
    return loss;
  }

  /// Temperature loss on `batch` at the current actor and log α, and its gradient.
  TemperatureLoss temperature_loss_and_gradient(const ReplayBatch<T>& batch) {
    check(batch);
    run_slices(batch, static_cast<T>(alpha()), {.actor_pass = true});
    return temperature_loss<T>(log_alpha(), log_prob_.head(batch.size), target_entropy_);
  }

  /// The soft targets y of the last critic stage (one per transition of its batch).
  [[nodiscard]] auto targets() const { return target_.head(target_size_); }

 private:
  // Slice t > 0's copies of the components (slice 0 uses the rule's own).
  struct Replica {
    Actor actor;
    std::array<Q, 2> critics;
    std::array<Q, 2> targets;
  };

  // What a parallel region computes on each slice.
  struct Stages {
    bool actor_pass = false;    // a ~ π(·|s) and log π, recorded for the actor stage
    bool critic = false;        // soft targets, Q_i(s, a) and the critics' gradients
    bool actor = false;         // the actor loss's gradient (needs the actor pass of this or an earlier region)
    bool copy_critics = false;  // the actor stage's critics are not yet copied to the slices
  };

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

  // total (slice 0's gradient) += slice 1's + slice 2's + ..., in that order for every entry;
  // the entries are split over the threads.
  template <class Part>
  void sum_slices(Eigen::Map<Vector<T>> total, Part&& part) {
    const std::size_t slices = parallel_.threads();
    if (slices == 1) return;
    parallel_.for_each_slice([&](std::size_t t) {
      const BatchSlice r = batch_slice(total.size(), slices, t);
      auto out = total.segment(r.begin, r.size);
      for (std::size_t k = 1; k < slices; ++k) out += part(k).segment(r.begin, r.size);
    });
  }

  // One parallel region: slice t of the batch on thread t, with the rule's components for
  // t = 0 and replica t - 1's otherwise, whose parameters are first copied from the rule's
  // (only read while the region runs). Each slice writes its own columns of the rule's
  // batch buffers and its own components' gradients.
  void run_slices(const ReplayBatch<T>& batch, T alpha, Stages stages) {
    const Index n = batch.size;
    if (stages.critic) target_size_ = n;
    parallel_.for_each_slice([&](std::size_t t) {
      Actor& actor = t == 0 ? actor_ : replicas_[t - 1].actor;
      std::array<Q, 2>& critics = t == 0 ? critics_ : replicas_[t - 1].critics;
      std::array<Q, 2>& targets = t == 0 ? targets_ : replicas_[t - 1].targets;
      if (t > 0) {
        if (stages.actor_pass || stages.critic) actor.parameters() = actor_.parameters();
        for (std::size_t i = 0; i < 2; ++i) {
          if (stages.critic || stages.copy_critics) critics[i].parameters() = critics_[i].parameters();
          if (stages.critic) targets[i].parameters() = targets_[i].parameters();
        }
      }
      const BatchSlice s = batch_slice(n, parallel_.threads(), t);
      if (s.size == 0) {  // more threads than transitions: this slice adds nothing
        if (stages.critic) critics[0].zero_grad(), critics[1].zero_grad();
        if (stages.actor) actor.zero_grad();
        if (stages.actor) actor_loss_sums_[t] = 0;
        return;
      }
      if (stages.actor_pass) actor_slice_pass(actor, batch, s);
      if (stages.critic) critic_slice(actor, critics, targets, batch, alpha, s, n);
      if (stages.actor) actor_loss_sums_[t] = actor_slice(actor, critics, batch, alpha, s, n);
    });
  }

  void actor_slice_pass(Actor& actor, const ReplayBatch<T>& batch, BatchSlice s) {
    actor.forward(batch.obs().middleCols(s.begin, s.size));
    actor.sample_with_noise(noise_.middleCols(s.begin, s.size), actions_pi_.middleCols(s.begin, s.size),
                            log_prob_.segment(s.begin, s.size), config_.tanh_correction);
  }

  // The critic loss's gradients on slice s of a batch of n (each term with 1/n), added to
  // `critics`' zeroed gradients; Q_i and the targets go to the rule's q1_, q2_ and target_.
  void critic_slice(Actor& actor, std::array<Q, 2>& critics, std::array<Q, 2>& targets, const ReplayBatch<T>& batch,
                    T alpha, BatchSlice s, Index n) {
    const auto obs = batch.obs().middleCols(s.begin, s.size);
    const auto next_obs = batch.next_obs().middleCols(s.begin, s.size);
    auto next_actions = next_actions_.middleCols(s.begin, s.size);
    auto target = target_.segment(s.begin, s.size);
    // ---- target: no gradient (SB3's th.no_grad block)
    actor.sample_no_grad(next_obs, next_noise_.middleCols(s.begin, s.size), next_actions,
                         next_log_prob_.segment(s.begin, s.size), config_.tanh_correction);
    targets[0].predict(next_obs, next_actions, target_q1_.segment(s.begin, s.size));
    targets[1].predict(next_obs, next_actions, target_q2_.segment(s.begin, s.size));
    soft_target<T>(batch.rew().segment(s.begin, s.size), batch.done().segment(s.begin, s.size),
                   target_q1_.segment(s.begin, s.size), target_q2_.segment(s.begin, s.size),
                   next_log_prob_.segment(s.begin, s.size), static_cast<T>(gamma_), alpha, target);
    // ---- Q_i(s, a) on the replayed actions; ∂J_Q/∂Q_i = (Q_i - y)/n as critic_loss writes it
    auto q1 = q1_.segment(s.begin, s.size), q2 = q2_.segment(s.begin, s.size);
    auto grad_q1 = grad_q1_.segment(s.begin, s.size), grad_q2 = grad_q2_.segment(s.begin, s.size);
    q1 = critics[0].forward(obs, batch.act().middleCols(s.begin, s.size));
    q2 = critics[1].forward(obs, batch.act().middleCols(s.begin, s.size));
    grad_q1 = q1 - target;
    grad_q2 = q2 - target;
    grad_q1 /= static_cast<T>(n);
    grad_q2 /= static_cast<T>(n);
    critics[0].zero_grad();
    critics[1].zero_grad();
    critics[0].backward(grad_q1);
    critics[1].backward(grad_q2);
  }

  // The actor loss's gradient on slice s of a batch of n into `actor`'s zeroed gradients;
  // returns the slice's sum of α log π - min Q.
  double actor_slice(Actor& actor, std::array<Q, 2>& critics, const ReplayBatch<T>& batch, T alpha, BatchSlice s,
                     Index n) {
    const auto obs = batch.obs().middleCols(s.begin, s.size);
    const auto actions = actions_pi_.middleCols(s.begin, s.size);
    auto grad_q1 = grad_q1_.segment(s.begin, s.size), grad_q2 = grad_q2_.segment(s.begin, s.size);
    auto grad_log_prob = grad_log_prob_.segment(s.begin, s.size);
    auto grad_actions = grad_actions_.middleCols(s.begin, s.size);
    auto grad_actions_scratch = grad_actions_scratch_.middleCols(s.begin, s.size);
    const Eigen::Map<const Vector<T>> policy_q1 = critics[0].forward_policy(obs, actions);
    const Eigen::Map<const Vector<T>> policy_q2 = critics[1].forward_policy(obs, actions);
    const double sum = actor_loss_sum<T>(log_prob_.segment(s.begin, s.size), policy_q1, policy_q2, alpha, n,
                                         grad_log_prob, grad_q1, grad_q2);
    critics[0].action_gradient(grad_q1, grad_actions);
    critics[1].action_gradient(grad_q2, grad_actions_scratch);
    grad_actions += grad_actions_scratch;
    actor.zero_grad();
    actor.backward(grad_actions, grad_log_prob, config_.tanh_correction);
    return sum;
  }

  // The critic loss of the last critic stage (q1_, q2_, target_), by critic_loss itself so that
  // it is the serial step's to the bit; NumericalError if it is not finite.
  double critic_loss_value(Index n) {
    const double loss = critic_loss<T>(q1_.head(n), q2_.head(n), target_.head(n), grad_q1_.head(n), grad_q2_.head(n));
    require<NumericalError>(std::isfinite(loss), "sac: the critic loss is not finite ({}) at update {}", loss, updates_);
    return loss;
  }

  // The slices' sums of the last actor stage, added in slice order, over n.
  double actor_loss_value(Index n) {
    double sum = 0;
    for (const double part : actor_loss_sums_) sum += part;
    const double loss = sum / static_cast<double>(n);
    require<NumericalError>(std::isfinite(loss), "sac: the actor loss is not finite ({}) at update {}", loss, updates_);
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
  DataParallel parallel_;            // the threads of a gradient step (set_threads)
  std::vector<Replica> replicas_;    // slices 1 .. threads - 1
  std::vector<double> actor_loss_sums_ = std::vector<double>(1, 0.0);  // per slice, of the last actor stage
};

}  // namespace theta::sac
