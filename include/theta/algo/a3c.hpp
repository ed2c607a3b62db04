#pragma once
/// \file A3C: asynchronous advantage actor-critic (Mnih et al. 2016, algorithm S3). Each
/// worker thread trains a local copy of the actor and the critic on its own short rollouts and
/// applies the gradients to one shared copy without a lock (Hogwild!); `AsyncTrainer` runs the
/// workers. `a3c::Shared` holds the shared parameters and optimizer statistics, `a3c::A3c` is
/// a worker's update rule.

#include <theta/algo/detail/actor_critic_loss.hpp>
#include <theta/algo/detail/on_policy.hpp>
#include <theta/buffer/gae.hpp>
#include <theta/buffer/rollout_buffer.hpp>
#include <theta/core/detail/config_rules.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/schedule.hpp>
#include <theta/io/state.hpp>
#include <theta/optim/adam.hpp>
#include <theta/optim/clip_grad_norm.hpp>
#include <theta/optim/concepts.hpp>
#include <theta/optim/hogwild.hpp>
#include <theta/optim/rmsprop.hpp>
#include <theta/policy/network.hpp>
#include <theta/policy/state_value_function.hpp>
#include <theta/policy/stochastic_policy.hpp>

#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

namespace theta::a3c {

/// A3C's own configuration (the trainer's fields, workers and t_max among them, are in
/// `AsyncConfig`). Defaults: the paper's (Mnih et al. 2016) shared RMSProp, g ← αg + (1-α)Δθ²,
/// θ ← θ - η Δθ / sqrt(g + ε), with α 0.99, entropy weight 0.01 and n-step returns; the
/// paper gives neither ε nor the clip nor g's start, so those are a widely used reproduction's
/// (miyosuda/async_deep_reinforce, constants.py and rmsprop_applier.py: TensorFlow's RMSProp,
/// g starting at 1, ε = 0.1 inside the sqrt, gradients clipped to norm 40, learning rate about
/// 7e-4, which the paper samples from LogUniform(1e-4, 1e-2)).
struct Config {
  // ---- optimisation
  Schedule learning_rate = 7e-4;  ///< as a function of the remaining progress of all workers together
  double rms_prop_alpha = 0.99;   ///< the default optimizer's (shared RMSProp) decay, in [0, 1)
  double rms_prop_eps = 0.1;      ///< RMSProp's epsilon
  /// RMSProp as the paper writes it and TensorFlow computes it (ε inside the sqrt, g starting at
  /// 1: `RmsPropConfig::tf_like`); false: PyTorch's (ε outside, g starting at 0).
  bool rms_prop_tf_like = true;
  double adam_eps = 1e-8;         ///< Adam's epsilon when the optimizer is Adam
  bool normalize_advantage = false;  ///< over each worker's rollout, unbiased std
  double ent_coef = 0.01;         ///< entropy bonus coefficient (the paper's beta), >= 0
  double vf_coef = 0.5;           ///< value loss coefficient, >= 0
  double max_grad_norm = 40.0;    ///< global norm clip of each worker's gradient (<= 0: off; not NaN)
  // ---- default components
  NetworkConfig actor;            ///< 64-64 tanh, orthogonal, head gain 0.01
  NetworkConfig critic;           ///< 64-64 tanh, orthogonal, head gain 1
  double log_std_init = 0.0;      ///< initial log-std of Gaussian policies
};

/// Checks every field; throws ConfigError naming the field, the value and the rule.
inline void validate(const Config& c) {
  c.learning_rate.require_positive_start("a3c::Config::learning_rate");
  detail::require_decay_rate("a3c::Config::rms_prop_alpha", c.rms_prop_alpha);
  detail::require_positive("a3c::Config::rms_prop_eps", c.rms_prop_eps);
  detail::require_positive("a3c::Config::adam_eps", c.adam_eps);
  detail::require_non_negative("a3c::Config::ent_coef", c.ent_coef);
  detail::require_non_negative("a3c::Config::vf_coef", c.vf_coef);
  require<ConfigError>(!std::isnan(c.max_grad_norm), "a3c::Config::max_grad_norm must not be NaN (<= 0 turns clipping off)");
  theta::validate(c.actor, "a3c::Config::actor");
  theta::validate(c.critic, "a3c::Config::critic", /*allows_dropout=*/false);
  detail::require_finite("a3c::Config::log_std_init", c.log_std_init);
}

/// The settings a checkpoint records and compares at load (`io::Settings`).
inline io::Settings settings(const Config& c) {
  io::Settings s("a3c::Config");
  s.add("learning_rate", c.learning_rate).add("rms_prop_alpha", c.rms_prop_alpha).add("rms_prop_eps", c.rms_prop_eps);
  s.add("rms_prop_tf_like", c.rms_prop_tf_like).add("adam_eps", c.adam_eps).add("normalize_advantage", c.normalize_advantage).add("ent_coef", c.ent_coef);
  s.add("vf_coef", c.vf_coef).add("max_grad_norm", c.max_grad_norm);
  s.add("actor", c.actor).add("critic", c.critic).add("log_std_init", c.log_std_init);
  return s;
}

/// What A3C logs: the means over the worker updates since the last record (`merge`), the
/// learning rate and the update count of the latest.
struct Stats {
  double policy_loss = 0, value_loss = 0, entropy = 0, explained_variance = 0, grad_norm = 0, learning_rate = 0;
  std::int64_t n_updates = 0;  ///< updates of the shared parameters so far, by all workers
  std::int64_t merged = 1;     ///< worker updates these means are over
  std::int64_t explained = 1;  ///< of which had a finite explained variance (a constant return has none)
  std::optional<double> std;   ///< mean standard deviation of a Gaussian policy

  template <class F>
  void for_each(F&& f) const {
    f("train/policy_loss", policy_loss);
    f("train/value_loss", value_loss);
    f("train/entropy_loss", -entropy);
    f("train/entropy", entropy);
    f("train/explained_variance", explained > 0 ? explained_variance : std::nan(""));
    f("train/grad_norm", grad_norm);
    f("train/learning_rate", learning_rate);
    f("train/n_updates", static_cast<double>(n_updates));
    if (std) f("train/std", *std);
  }

  /// Appends the updates of `later`: means over both, the latest learning rate, count and std.
  void merge(const Stats& later) {
    const auto mean = [](double a, std::int64_t na, double b, std::int64_t nb) {
      return na + nb == 0 ? 0.0 : (a * static_cast<double>(na) + b * static_cast<double>(nb)) / static_cast<double>(na + nb);
    };
    policy_loss = mean(policy_loss, merged, later.policy_loss, later.merged);
    value_loss = mean(value_loss, merged, later.value_loss, later.merged);
    entropy = mean(entropy, merged, later.entropy, later.merged);
    grad_norm = mean(grad_norm, merged, later.grad_norm, later.merged);
    explained_variance = mean(explained > 0 ? explained_variance : 0.0, explained,
                              later.explained > 0 ? later.explained_variance : 0.0, later.explained);
    explained += later.explained;
    merged += later.merged;
    learning_rate = later.learning_rate;
    n_updates = later.n_updates;
    std = later.std;
  }
};

/// The shared state of an A3C run: the global actor and critic, one optimizer for each (its
/// statistics shared by every worker, the paper's best variant), the environment steps the
/// workers have collected and the updates they have applied. Workers `pull` the parameters
/// into their local copies and `push` their gradients; with a `HogwildOptimizer` both are
/// lock-free (relaxed atomics on every entry), with another optimizer they take a lock.
/// Neither copyable nor movable: workers hold its address.
template <class Actor, class Critic, class Opt>
class Shared {
 public:
  using T = typename Actor::Scalar;
  static constexpr bool lock_free = HogwildOptimizer<Opt, T>;

  Shared(Actor actor, Critic critic, const typename Opt::Config& optimizer)
      : actor_(std::move(actor)),
        critic_(std::move(critic)),
        actor_optimizer_(make_optimizer<Opt>(actor_, optimizer)),
        critic_optimizer_(make_optimizer<Opt>(critic_, optimizer)),
        actor_params_(actor_.parameters().data(), static_cast<std::size_t>(actor_.parameters().size())),
        critic_params_(critic_.parameters().data(), static_cast<std::size_t>(critic_.parameters().size())) {}
  Shared(const Shared&) = delete;
  Shared& operator=(const Shared&) = delete;

  /// Copies the shared parameters into a worker's actor and critic.
  template <class LocalActor, class LocalCritic>
  void pull(LocalActor& actor, LocalCritic& critic) {
    if constexpr (lock_free) {
      relaxed_copy(actor_params_, actor.parameters());
      relaxed_copy(critic_params_, critic.parameters());
    } else {
      const std::lock_guard lock(mutex_);
      actor.parameters() = Eigen::Map<const Vector<T>>(actor_params_.data(), static_cast<Index>(actor_params_.size()));
      critic.parameters() = Eigen::Map<const Vector<T>>(critic_params_.data(), static_cast<Index>(critic_params_.size()));
    }
  }

  /// Applies a worker's gradients to the shared parameters at learning rate `lr`; returns the
  /// number of this update (1-based, over every worker).
  template <class LocalActor, class LocalCritic>
  std::int64_t push(LocalActor& actor, LocalCritic& critic, double lr) {
    if constexpr (lock_free) {
      actor_optimizer_.hogwild_step(actor_params_, actor.gradients(), lr);
      critic_optimizer_.hogwild_step(critic_params_, critic.gradients(), lr);
    } else {
      const std::lock_guard lock(mutex_);
      actor_optimizer_.set_learning_rate(lr);
      critic_optimizer_.set_learning_rate(lr);
      actor_optimizer_.step(actor_.parameters(), actor.gradients());
      critic_optimizer_.step(critic_.parameters(), critic.gradients());
    }
    return updates_.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  /// Copies the shared actor's parameters into `out` while workers may be running.
  template <class LocalActor>
  void copy_actor(LocalActor& out) {
    if constexpr (lock_free) {
      relaxed_copy(actor_params_, out.parameters());
    } else {
      const std::lock_guard lock(mutex_);
      out.parameters() = actor_.parameters();
    }
  }

  /// Counts `n` environment steps collected; returns the total.
  std::int64_t add_steps(std::int64_t n) noexcept { return steps_.fetch_add(n, std::memory_order_relaxed) + n; }
  [[nodiscard]] std::int64_t steps() const noexcept { return steps_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::int64_t updates() const noexcept { return updates_.load(std::memory_order_relaxed); }
  /// The step budget the learning-rate schedule counts toward (0: none yet).
  [[nodiscard]] std::int64_t horizon() const noexcept { return horizon_.load(std::memory_order_relaxed); }
  void set_horizon(std::int64_t steps) noexcept { horizon_.store(steps, std::memory_order_relaxed); }
  /// 1 - steps / horizon, as the synchronous trainers' schedules.
  [[nodiscard]] double progress_remaining() const noexcept {
    const std::int64_t h = horizon();
    return h > 0 ? 1.0 - static_cast<double>(steps()) / static_cast<double>(h) : 1.0;
  }

  // Only while no worker runs (between `AsyncTrainer::learn` calls, or after they joined):
  [[nodiscard]] Actor& actor() noexcept { return actor_; }
  [[nodiscard]] const Actor& actor() const noexcept { return actor_; }
  [[nodiscard]] Critic& critic() noexcept { return critic_; }
  [[nodiscard]] const Critic& critic() const noexcept { return critic_; }
  [[nodiscard]] Opt& actor_optimizer() noexcept { return actor_optimizer_; }
  [[nodiscard]] Opt& critic_optimizer() noexcept { return critic_optimizer_; }

  /// Writes the actor, the critic, their optimizers (sections as the synchronous rules name
  /// them) and the step and update counts ("a3c/shared").
  void save(io::CheckpointWriter& out) const {
    io::save_components(out, "actor", actor_, "critic", critic_, "actor_optimizer", actor_optimizer_,
                        "critic_optimizer", critic_optimizer_);
    out.section("a3c/shared").i64(steps()).i64(updates());
  }

  /// What `read` took from a checkpoint, for `install`.
  struct Loaded {
    Actor actor;
    Critic critic;
    Opt actor_optimizer;
    Opt critic_optimizer;
    std::int64_t steps = 0;
    std::int64_t updates = 0;
  };
  /// Reads what `save` wrote into copies; changes nothing here (CheckpointError on anything wrong).
  Loaded read(io::CheckpointReader& in) const {
    Loaded loaded{actor_, critic_, actor_optimizer_, critic_optimizer_};
    io::load_components(in, "actor", loaded.actor, "critic", loaded.critic, "actor_optimizer", loaded.actor_optimizer,
                        "critic_optimizer", loaded.critic_optimizer);
    auto counts = in.section("a3c/shared");
    loaded.steps = counts.i64();
    loaded.updates = counts.i64();
    require<CheckpointError>(loaded.steps >= 0 && loaded.steps <= io::max_saved_count && loaded.updates >= 0 &&
                                 loaded.updates <= io::max_saved_count,
                             "checkpoint section '{}': counts out of range (steps {}, updates {})", counts.name(),
                             loaded.steps, loaded.updates);
    counts.finish();
    return loaded;
  }
  /// Installs what `read` returned.
  void install(Loaded&& loaded) {
    actor_ = std::move(loaded.actor);
    critic_ = std::move(loaded.critic);
    actor_optimizer_ = std::move(loaded.actor_optimizer);
    critic_optimizer_ = std::move(loaded.critic_optimizer);
    actor_params_ = std::span<T>(actor_.parameters().data(), static_cast<std::size_t>(actor_.parameters().size()));
    critic_params_ = std::span<T>(critic_.parameters().data(), static_cast<std::size_t>(critic_.parameters().size()));
    steps_.store(loaded.steps, std::memory_order_relaxed);
    updates_.store(loaded.updates, std::memory_order_relaxed);
  }

 private:
  Actor actor_;
  Critic critic_;
  Opt actor_optimizer_;
  Opt critic_optimizer_;
  std::span<T> actor_params_;
  std::span<T> critic_params_;
  std::mutex mutex_;  // only without a HogwildOptimizer
  std::atomic<std::int64_t> steps_{0};
  std::atomic<std::int64_t> updates_{0};
  std::atomic<std::int64_t> horizon_{0};
};

/// A worker's update rule: the advantage actor-critic gradient of its rollout on its local
/// actor and critic (the loss of A2C: -mean(A log pi) - ent_coef mean(H) + vf_coef
/// mean((R - V)^2), n-step returns with the truncation bootstrap from the trainer), clipped to
/// `max_grad_norm`, pushed to the shared parameters at the learning rate of the shared
/// progress. `AsyncTrainer` attaches it to the `Shared` state and pulls the shared parameters
/// into its actor and critic before each rollout.
template <class Actor, class Critic, class Opt = RmsProp<typename Actor::Scalar>>
class A3c {
  static_assert(StochasticPolicy<Actor>, "a3c::A3c: the actor must satisfy theta::StochasticPolicy");
  static_assert(StateValueFunction<Critic>, "a3c::A3c: the critic must satisfy theta::StateValueFunction");
  static_assert(Optimizer<Opt, typename Actor::Scalar>,
                "a3c::A3c: the optimizer type must satisfy theta::Optimizer (Config, step, learning_rate, set_learning_rate)");

 public:
  using Scalar = typename Actor::Scalar;
  using T = Scalar;
  using Config = a3c::Config;
  using Stats = a3c::Stats;
  using Shared = a3c::Shared<Actor, Critic, Opt>;
  using default_estimator = Gae<T>;
  using optimizer_type = Opt;
  static constexpr const char* name = "a3c";
  static constexpr Index default_n_steps = 5;  ///< t_max, the paper's
  static constexpr double default_gae_lambda = 1.0;  ///< n-step returns
  static constexpr bool collects_whole_episodes = false;

  static void validate(const Config& config, Index /*n_envs*/, Index /*n_steps*/) { a3c::validate(config); }
  static BatchCapacities capacities(const Config& /*config*/, Index n_envs, Index rollout_size) {
    return {.act = n_envs, .actor_train = rollout_size, .critic_train = rollout_size};
  }
  /// RMSprop with `rms_prop_alpha`, `rms_prop_eps` and `rms_prop_tf_like`, Adam with
  /// `adam_eps`, else `Opt::Config{}`.
  static typename Opt::Config optimizer_config(const Config& config) {
    if constexpr (std::same_as<typename Opt::Config, RmsPropConfig>) {
      return RmsPropConfig{.lr = config.learning_rate(1.0), .alpha = config.rms_prop_alpha, .eps = config.rms_prop_eps,
                           .tf_like = config.rms_prop_tf_like};
    } else if constexpr (std::same_as<typename Opt::Config, AdamConfig>) {
      return AdamConfig{.lr = config.learning_rate(1.0), .eps = config.adam_eps};
    } else {
      return typename Opt::Config{};
    }
  }

  A3c(const Config& config, Actor actor, Critic critic, const typename Opt::Config& /*optimizer: the shared one's*/,
      RolloutShape shape, Rng& /*rng*/)
      : config_((a3c::validate(config), config)),
        actor_(std::move(actor)),
        critic_(std::move(critic)),
        batch_(shape.size, shape.obs_dim, actor_.action_rows(), context_rows(actor_), shape.action_mask_rows,
               detail::critic_context_rows(critic_), detail::trains_sequences<Actor, Critic>),
        indices_(static_cast<std::size_t>(shape.size)),
        n_envs_(shape.n_envs) {}

  [[nodiscard]] const Config& config() const noexcept { return config_; }
  /// The worker's local actor and critic.
  [[nodiscard]] Actor& actor() noexcept { return actor_; }
  [[nodiscard]] const Actor& actor() const noexcept { return actor_; }
  [[nodiscard]] Critic& critic() noexcept { return critic_; }
  [[nodiscard]] const Critic& critic() const noexcept { return critic_; }
  [[nodiscard]] bool uses_critic() const noexcept { return true; }

  /// The shared state this worker pushes to (set by `AsyncTrainer`).
  void attach(Shared* shared) noexcept { shared_ = shared; }
  /// Copies the shared parameters into the local actor and critic.
  void pull() {
    require(shared_ != nullptr, "a3c::A3c: no shared state attached (AsyncTrainer runs the A3C workers)");
    shared_->pull(actor_, critic_);
  }
  /// The statistics of the last update.
  [[nodiscard]] const Stats& last_stats() const noexcept { return last_; }

  /// One worker update: gradients on the local copies, clipped, pushed to the shared
  /// parameters. `progress_remaining` (the worker's own) is not used: the schedule follows the
  /// steps of all workers together (`Shared::progress_remaining`).
  Stats update(const RolloutBatch<T>& batch, double /*progress_remaining*/) {
    require(shared_ != nullptr, "a3c::A3c: no shared state attached (AsyncTrainer runs the A3C workers)");
    const double lr = config_.learning_rate.checked(shared_->progress_remaining(), "a3c::Config::learning_rate");
    const detail::ActorCriticLoss loss = detail::actor_critic_gradients(
        actor_, critic_, batch, batch_, indices_,
        {.normalize_advantage = config_.normalize_advantage, .ent_coef = config_.ent_coef, .vf_coef = config_.vf_coef},
        n_envs_);
    std::array<Eigen::Ref<Vector<T>>, 2> grads{Eigen::Ref<Vector<T>>(actor_.gradients()),
                                               Eigen::Ref<Vector<T>>(critic_.gradients())};
    double grad_norm = 0;
    if (config_.max_grad_norm > 0) {
      grad_norm = static_cast<double>(
          clip_grad_norm(std::span<Eigen::Ref<Vector<T>>>(grads), static_cast<T>(config_.max_grad_norm)));
    } else {
      grad_norm = std::sqrt(static_cast<double>(grads[0].squaredNorm()) + static_cast<double>(grads[1].squaredNorm()));
    }
    // ---- Hogwild!: the shared parameters and statistics change under the other workers
    const std::int64_t update = shared_->push(actor_, critic_, lr);
    Stats stats;
    stats.policy_loss = loss.policy_loss;
    stats.value_loss = loss.value_loss;
    stats.entropy = static_cast<double>(batch_.head(batch_.entropy).mean());
    stats.explained_variance = explained_variance(batch.values, batch.returns);
    stats.explained = std::isfinite(stats.explained_variance) ? 1 : 0;
    stats.grad_norm = grad_norm;
    stats.learning_rate = lr;
    stats.n_updates = update;
    stats.std = detail::mean_std(actor_);
    last_ = stats;
    return stats;
  }

  /// A worker's rule holds no state of its own beyond its local copies, which are pulled from
  /// the shared parameters before every rollout: its sections record the settings only.
  void save(io::CheckpointWriter& out) const { a3c::settings(config_).save(out.section("a3c/config")); }
  void load(io::CheckpointReader& in) {
    auto config = in.section("a3c/config");
    a3c::settings(config_).check(config);
    config.finish();
  }

 private:
  Config config_;
  Actor actor_;
  Critic critic_;
  detail::Minibatch<T> batch_;
  std::vector<Index> indices_;
  Index n_envs_;
  Shared* shared_ = nullptr;
  Stats last_;
};

}  // namespace theta::a3c
