#pragma once
/// \file OffPolicyTrainer: steps a VectorEnv, feeds its replay buffer and runs an off-policy
/// update rule (SAC) on sampled batches, on any continuous-action environment type and any
/// components that satisfy its concepts.

#include <theta/algo/sac.hpp>
#include <theta/algo/update_rule.hpp>
#include <theta/buffer/replay_buffer.hpp>
#include <theta/core/checked_add.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/env/concepts.hpp>
#include <theta/env/spaces.hpp>
#include <theta/env/vector_env.hpp>
#include <theta/io/checkpoint.hpp>
#include <theta/io/policy_export.hpp>
#include <theta/io/state.hpp>
#include <theta/log/logger.hpp>
#include <theta/train/callbacks.hpp>
#include <theta/train/detail/callbacks.hpp>
#include <theta/train/detail/checkpoint.hpp>
#include <theta/train/detail/numerics.hpp>
#include <theta/train/detail/representable.hpp>
#include <theta/train/episode_stats.hpp>
#include <theta/train/evaluate.hpp>
#include <theta/train/off_policy_config.hpp>
#include <theta/train/on_policy_trainer.hpp>
#include <theta/train/load_result.hpp>
#include <theta/train/training_result.hpp>

#include <array>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

namespace theta {

/// Options of `OffPolicyTrainer::save`.
struct OffPolicySaveOptions {
  /// Keep the replay buffer in the checkpoint (up to buffer_size x (2 obs_dim + action_dim + 2)
  /// values). Without it the file is small, but a resumed run starts from an empty buffer and
  /// no longer continues the saved one bit for bit.
  bool replay_buffer = true;
};

/// Component objects handed to an `OffPolicyTrainer`; each one left empty is built by default
/// from the algorithm config (the actor and two critics from its network descriptions, drawn
/// in that order; the optimizers from its settings for the default optimizer).
template <class Actor, class Q, class Opt>
struct OffPolicyComponents {
  std::optional<Actor> actor;
  std::optional<std::array<Q, 2>> critics;        ///< two independently initialised critics
  std::optional<typename Opt::Config> optimizer;  ///< the actor's, each critic's and the temperature's
};

/// Trains an off-policy algorithm on a continuous-action `Env`:
///
///     using Env = theta::TimeLimit<theta::Pendulum>;
///     theta::OffPolicyTrainer<Env> trainer({.learning_starts = 100, .total_steps = 20'000},
///                                          {.actor_learning_rate = 1e-3, .critic_learning_rate = 1e-3,
///                                           .alpha_learning_rate = 1e-3});
///     trainer.learn(20'000, theta::ProgressBar(20'000));
///     auto eval = trainer.evaluate(10);
///
/// `Algorithm<Actor, Q, Opt>` is the update rule (`sac::Sac` by default, any
/// `OffPolicyUpdateRule`); the arguments after it choose components, `DefaultComponent`
/// keeping theta's (`SquashedGaussianPolicy<float>`, `QNetwork`, the algorithm's optimizer).
///
/// The trainer owns the vector environment, the replay buffer (`buffer_size` transitions), the
/// batch storage, the random streams, the counters and the schedule horizon. Each iteration
/// steps the `n_envs` copies `train_freq` times, storing every transition in the buffer, then,
/// once more than `learning_starts` steps were taken (SB3's schedule: the first
/// `learning_starts` steps act uniformly at random), runs `gradient_steps` gradient steps, each
/// on a fresh batch of `batch_size` transitions sampled uniformly with replacement.
///
/// Actions: the policy acts in (-1, 1)^D, which is what the buffer stores and the critics
/// see; they are rescaled to the environment's bounds [low, high] only to step it. A
/// transition cut by a time limit is stored with its true final observation and
/// `terminated = false`, so it bootstraps; `terminated` ends the bootstrap, and wins when both
/// are set.
///
/// Callbacks (theta/train/callbacks.hpp): `on_step` after every vector step,
/// `on_rollout_end` after each collection of `train_freq` steps, `on_update_end` after each
/// training phase (not before learning starts). The logger gets one record every
/// `log_interval` steps, with the means of the training diagnostics since the last one (the
/// statistics each `update` returns, merged) and whatever the callbacks added to it.
template <class Env, template <class...> class Algorithm = sac::Sac, class ActorArg = DefaultComponent,
          class QArg = DefaultComponent, class OptArg = DefaultComponent>
  requires(diagnose_environment<Env>() && ContinuousEnvironment<Env>)
class OffPolicyTrainer {
 public:
  using Actor = detail::resolve_component<ActorArg, SquashedGaussianPolicy<Scalar>>;
  using T = typename Actor::Scalar;
  using Q = detail::resolve_component<QArg, QNetwork<T>>;
  using Algo = std::conditional_t<std::same_as<OptArg, DefaultComponent>, Algorithm<Actor, Q>, Algorithm<Actor, Q, OptArg>>;
  static_assert(OffPolicyUpdateRule<Algo>,
                "OffPolicyTrainer: Algorithm<Actor, Q, Opt> must satisfy theta::OffPolicyUpdateRule (Config, Stats with "
                "for_each and merge, actor(), Stats update(const ReplayBatch&, double))");
  // What the trainer reads of a rule besides OffPolicyUpdateRule (docs/components.md).
  static_assert(requires(const typename Algo::Config& c) {
    typename Algo::optimizer_type;
    { Algo::name } -> std::convertible_to<const char*>;
    Algo::validate(c);
    Algo::optimizer_config(c);
  }, "OffPolicyTrainer: the update rule must provide optimizer_type, name, validate(config) and optimizer_config(config)");
  using Opt = typename Algo::optimizer_type;
  using AlgorithmConfig = typename Algo::Config;
  using Components = OffPolicyComponents<Actor, Q, Opt>;
  using Action = typename Env::Action;

  /// Copies `prototype` into `config.n_envs` environments (and one for evaluation).
  explicit OffPolicyTrainer(const OffPolicyConfig& config, const AlgorithmConfig& algorithm = {},
                            Components components = {}, const Env& prototype = Env{})
    requires std::copy_constructible<Env>
      : OffPolicyTrainer(config, algorithm, std::move(components), [prototype](std::size_t) { return prototype; }) {}

  /// Builds environment i with `make(i)` (i = n_envs is the evaluation copy).
  template <std::invocable<std::size_t> Make>
    requires std::same_as<std::invoke_result_t<Make, std::size_t>, Env>
  OffPolicyTrainer(const OffPolicyConfig& config, const AlgorithmConfig& algorithm, Components components, Make make)
      // Every field is checked before anything is built.
      : config_((validate(config), Algo::validate(algorithm), config)),
        make_eval_env_([make, n = static_cast<std::size_t>(config.n_envs)]() mutable { return make(n); }),
        envs_(static_cast<std::size_t>(config.n_envs), derive_seed(config.seed, 3), make, config.env),
        init_rng_(derive_seed(config.seed, 1)),
        algo_(make_algorithm(algorithm, components)),
        buffer_(config.buffer_size, envs_.observation_size(), envs_.action_space().size()),
        batch_(config.batch_size, envs_.observation_size(), envs_.action_space().size()),
        // From init_rng_ after the actor and the critics were drawn, with the key SAC used when
        // it owned the buffer, so runs keep their numbers (the rule splits 0x5ac1 for its noise).
        replay_rng_(init_rng_.split(0x5ac0)),
        act_rng_(derive_seed(config.seed, 2)),
        obs_(Matrix<T>::Zero(envs_.observation_size(), config.n_envs)),  // defined before the first reset
        actions_(envs_.action_space().size(), config.n_envs),
        env_actions_(envs_.action_space().size(), config.n_envs),
        noise_(Matrix<T>::Zero(envs_.action_space().size(), config.n_envs)),
        stats_(config.stats_window),
        horizon_(config.total_steps) {
    const Box& box = envs_.action_space();
    scale_ = ((box.high - box.low) / 2.0).template cast<T>();
    offset_ = ((box.high + box.low) / 2.0).template cast<T>();
    low_ = box.low.template cast<T>();
    high_ = box.high.template cast<T>();
    // The correlated exploration noise starts from its stationary law N(0, 1).
    if (config.exploration_correlation > 0) {
      for (Index k = 0; k < noise_.size(); ++k) noise_.data()[k] = act_rng_.normal<T>();
    }
  }

  /// Trains until `total_steps` more steps have been asked of it (rounded up to whole training
  /// phases of `train_freq` vector steps) or until a callback returns false. Can be called
  /// again to continue: the asked steps add up, and schedules count toward
  /// `OffPolicyConfig::total_steps` (or, when it is 0, toward the first call's target), so with
  /// `total_steps` set `learn(a); learn(b)` trains exactly as `learn(a + b)`.
  template <class L = NullLogger, class... Callbacks>
    requires Logger<std::remove_cvref_t<L>>
  TrainingResult learn(std::int64_t total_steps, L&& logger = L{}, Callbacks&... callbacks) {
    require<ConfigError>(total_steps > 0, "OffPolicyTrainer::learn: total_steps must be > 0, got {}", total_steps);
    const auto start = std::chrono::steady_clock::now();
    const std::int64_t start_steps = steps_;
    const std::optional<std::int64_t> new_target = checked_add(target_, total_steps);
    require<ConfigError>(new_target.has_value(),
                         "OffPolicyTrainer::learn: total_steps {} on top of the {} already asked overflows int64", total_steps,
                         target_);
    target_ = *new_target;
    const std::int64_t target = target_;
    if (horizon_ == 0) horizon_ = target;
    if (!started_) {
      reset_envs();
    } else if (envs_.needs_restart()) {
      // An environment threw during the last call: every copy starts a fresh episode.
      detail::require_representable<T>(envs_.restart(), "OffPolicyTrainer", "an observation", steps_);
      obs_ = envs_.observations().template cast<T>();
    }
    // Saturated: a log interval past the end means no record before the last one.
    std::int64_t next_log = saturating_add(steps_, config_.log_interval);
    TrainingResult result;
    record_.clear();
    auto write_log = [&] {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      record_.set("rollout/ep_rew_mean", stats_.mean_return(stats_.capacity()));
      record_.set("rollout/ep_len_mean", stats_.mean_length(stats_.capacity()));
      record_.set("rollout/episodes", static_cast<double>(stats_.total()));
      record_.set("time/fps", elapsed > 0 ? static_cast<double>(steps_ - start_steps) / elapsed : 0.0);
      record_.set("time/time_elapsed", elapsed);
      record_.set("time/total_timesteps", static_cast<double>(steps_));
      if (train_stats_) {
        train_stats_->for_each([this](const char* key, double value) { record_.set(key, value); });
        train_stats_.reset();
      } else if (updates_ == 0) {
        // Still collecting before learning_starts: say so rather than log no training at all.
        record_.set("train/n_updates", 0.0);
      }
      logger.write(record_, steps_);
      record_.clear();
    };

    bool go_on = true;
    while (go_on && steps_ < target) {
      // ---- collect train_freq vector steps
      // Whole training phases: a call's budget is rounded up to train_freq vector steps, so the
      // phases fall on the same steps whatever the calls (learn(a); learn(b) as learn(a + b)).
      for (Index k = 0; k < config_.train_freq; ++k) {
        try {
          collect_step();
        } catch (...) {
          // Whatever failed (an environment, a value the trainer cannot represent), the copies
          // restart before the next collection, whatever the thread count.
          envs_.mark_needs_restart();
          throw;
        }
        ((go_on = go_on && detail::call_step(callbacks, *this)), ...);
        if (!go_on) break;
      }
      if (!go_on) break;
      ((go_on = go_on && detail::call_rollout_end(callbacks, *this)), ...);

      // ---- train (SB3: once num_timesteps > learning_starts)
      if (steps_ > config_.learning_starts) {
        // SB3's progress: 1 - steps / total.
        const double progress_remaining = 1.0 - static_cast<double>(steps_) / static_cast<double>(horizon_);
        for (Index g = 0; g < config_.gradient_steps; ++g) {
          buffer_.sample(config_.batch_size, replay_rng_, batch_);
          const typename Algo::Stats stats = detail::naming_numerical_errors(
              Algo::name, updates_ + 1, [&] { return algo_.update(batch_, progress_remaining); });
          if (config_.check_numerics) check_numerics(stats);
          if (train_stats_) {
            train_stats_->merge(stats);
          } else {
            train_stats_ = stats;
          }
          ++updates_;
        }
        ((go_on = go_on && detail::call_update_end(callbacks, *this, record_)), ...);
      }
      if (steps_ >= next_log || !go_on || steps_ >= target) {
        write_log();
        next_log = saturating_add(steps_, config_.log_interval);
      }
    }
    logger.close();
    result.stopped_by_callback = !go_on;
    if (!go_on) target_ = steps_;  // a stopped call's remaining budget is dropped
    result.steps = steps_;
    result.updates = updates_;
    if (updates_ == 0) {
      result.warning = fmt::format("OffPolicyTrainer: no gradient step was taken: training starts once more than "
                                   "OffPolicyConfig::learning_starts = {} steps were collected, and {} were",
                                   config_.learning_starts, steps_);
    }
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

  /// Deterministic evaluation (`predict`: tanh of the mean, rescaled) over `episodes`
  /// episodes of a separate environment copy. Each call uses fresh episode seeds derived from
  /// the config's seed, unless `seed` is given.
  EvaluationResult evaluate(int episodes = 20, std::optional<std::uint64_t> seed = std::nullopt) {
    const std::uint64_t eval_seed = seed.value_or(derive_seed(config_.seed, 4 + 1000 * evaluations_++));
    return evaluate_policy(make_eval_env_(), episodes, eval_seed,
                           [&](const typename Env::Observation& o) { return predict(o); });
  }

  /// The same over one episode per seed in `episode_seeds`, in order.
  ///
  ///     const std::vector<std::uint64_t> seeds{11, 12, 13};
  ///     auto eval = trainer.evaluate(seeds);
  EvaluationResult evaluate(std::span<const std::uint64_t> episode_seeds) {
    return evaluate_policy(make_eval_env_(), episode_seeds,
                           [&](const typename Env::Observation& o) { return predict(o); });
  }

  /// The deterministic action for one observation, as `evaluate` takes it: the actor's
  /// deterministic act (tanh of the mean), rescaled to the bounds. The same action an exported
  /// policy (`export_policy`) returns, bit for bit.
  ///
  ///     auto action = trainer.predict(env.reset(7));
  Action predict(const typename Env::Observation& observation) {
    predict_obs_.resize(envs_.observation_size(), 1);  // no-ops after the first call
    predict_action_.resize(actions_.rows(), 1);
    predict_obs_.col(0) = observation.template cast<T>();
    algo_.actor().act(predict_obs_, act_rng_, /*deterministic=*/true, predict_action_);
    return to_env_action(predict_action_.col(0));
  }

  /// Writes the policy for theta/inference.hpp (atomically): the actor's network and the
  /// action transform (tanh of the mean, rescaled to the bounds). The actor must satisfy
  /// `io::ExportableActor`, with the mean in its network's first outputs. docs/checkpoints.md,
  /// "Export and deployment".
  ///
  ///     trainer.export_policy("pendulum.policy");
  void export_policy(const std::filesystem::path& path) { io::export_policy(path, policy_description()); }

  /// What `export_policy` writes: the actor's network and the transform, for other exporters
  /// (`io::export_onnx`). Valid while the trainer lives.
  [[nodiscard]] io::PolicyDescription<T> policy_description() {
    static_assert(io::ExportableActor<Actor>,
                  "OffPolicyTrainer::export_policy: the actor must expose the network its deterministic action reads, "
                  "`const theta::nn::Mlp<Scalar>& network() const` (concept theta::io::ExportableActor)");
    const Box& box = envs_.action_space();
    return io::PolicyDescription<T>{.network = &std::as_const(algo_.actor()).network(),
                                    .normalizer = nullptr,
                                    .transform = io::ActionTransform::tanh_rescale,
                                    .action_size = box.size(),
                                    .low = box.low,
                                    .high = box.high};
  }


  [[nodiscard]] std::int64_t steps() const noexcept { return steps_; }
  /// Gradient steps so far.
  [[nodiscard]] std::int64_t updates() const noexcept { return updates_; }
  [[nodiscard]] std::int64_t episodes_finished() const noexcept { return stats_.total(); }
  [[nodiscard]] double recent_mean_return(std::size_t n) const { return stats_.mean_return(n); }
  /// The update rule, which owns the actor, the critics and their optimizers.
  [[nodiscard]] Algo& algorithm() noexcept { return algo_; }
  [[nodiscard]] Actor& actor() noexcept { return algo_.actor(); }
  /// The replay buffer: every transition collected, as stored ((-1, 1) actions, the true final
  /// observation as s' of a finished episode).
  [[nodiscard]] ReplayBuffer<T>& buffer() noexcept { return buffer_; }
  [[nodiscard]] const ReplayBuffer<T>& buffer() const noexcept { return buffer_; }
  [[nodiscard]] VectorEnv<Env>& envs() noexcept { return envs_; }
  [[nodiscard]] const OffPolicyConfig& config() const noexcept { return config_; }

  /// Writes the whole training state to `path` atomically (docs/checkpoints.md): the
  /// settings, the rule's state (actor, critics, targets, optimizers, temperature, noise
  /// stream), the replay buffer (unless `options.replay_buffer` is false), every random stream,
  /// the exploration noise, the counters, the episode statistics and the environments (their
  /// episodes too when `Env` is a `SavableEnvironment`). Call it between `learn` calls (or
  /// from `on_update_end`). Loading it into a trainer built with the same settings and calling
  /// `learn(n)` continues the run bit for bit.
  void save(const std::filesystem::path& path, const OffPolicySaveOptions& options = {}) const {
    checkpoint(options).save(path);
  }

  /// The checkpoint `save` writes, in memory.
  [[nodiscard]] io::CheckpointWriter checkpoint(const OffPolicySaveOptions& options = {}) const {
    static_assert(requires(const Algo& r, Algo& m, io::CheckpointWriter& w, io::CheckpointReader& in) {
      r.save(w);
      m.load(in);
    }, "OffPolicyTrainer::save/load: the update rule must provide save(io::CheckpointWriter&) const and "
       "load(io::CheckpointReader&) (docs/checkpoints.md)");
    io::CheckpointWriter out(checkpoint_kind(), io::scalar_name<T>(), checkpoint_shape());
    settings().save(out.section("trainer/config"));
    auto& counters = out.section("trainer/state");
    // Saved from inside learn (on_update_end), the call's unfinished budget is dropped, as a
    // callback's stop drops it: a resumed learn(n) then trains n more steps from here.
    detail::TrainerCounters{.steps = steps_, .updates = updates_, .target = std::min(target_, steps_),
                            .horizon = horizon_, .evaluations = evaluations_, .started = started_}
        .save(counters);
    io::save_rng(counters, init_rng_);
    io::save_rng(counters, replay_rng_);
    io::save_rng(counters, act_rng_);
    counters.matrix(noise_);
    algo_.save(out);
    auto& replay = out.section("replay_buffer");
    replay.boolean(options.replay_buffer);
    if (options.replay_buffer) buffer_.save(replay);
    stats_.save(out.section("episode_stats"));
    auto& envs = out.section("environments");
    envs.matrix(obs_);
    envs_.save(envs);
    return out;
  }

  /// Restores the state `save` wrote. The checkpoint must come from a trainer of the same
  /// algorithm, scalar type, shapes and settings (`env.threads` and `log_interval` may
  /// differ); anything else, and any damage to the file, raises `CheckpointError` saying what
  /// and where, and leaves this trainer exactly as it was. The result says when the
  /// environments started fresh episodes (a type that cannot be saved) or when the checkpoint
  /// held no replay buffer (the buffer is then empty).
  LoadResult load(const std::filesystem::path& path) {
    io::CheckpointReader reader = io::CheckpointReader::open(path);
    return load(reader);
  }
  /// The same from a checkpoint in memory (`checkpoint().bytes()`).
  LoadResult load(std::span<const std::uint8_t> bytes) {
    io::CheckpointReader reader = io::CheckpointReader::parse(bytes);
    return load(reader);
  }
  LoadResult load(io::CheckpointReader& reader) {
    static_assert(std::is_copy_assignable_v<Algo>,
                  "OffPolicyTrainer::load: the update rule (with its actor, critics and optimizers) must be copyable: "
                  "a failed load restores a copy taken before it");
    // As OnPolicyTrainer::load: a copy of everything a load assigns is put back on any error;
    // the environments are read into copies and installed last.
    auto backup = std::make_tuple(algo_, buffer_, stats_, steps_, updates_, target_, horizon_, evaluations_, started_,
                                  init_rng_, replay_rng_, act_rng_, noise_, obs_);
    try {
      return read_checkpoint(reader);
    } catch (...) {
      std::tie(algo_, buffer_, stats_, steps_, updates_, target_, horizon_, evaluations_, started_, init_rng_,
               replay_rng_, act_rng_, noise_, obs_) = std::move(backup);
      throw;
    }
  }

 private:
  void check_numerics(const typename Algo::Stats& stats) {
    const std::int64_t update = updates_ + 1;
    detail::require_finite_statistics(Algo::name, stats, update);
    detail::require_finite_component(Algo::name, "actor", algo_.actor(), update);
    if constexpr (requires { algo_.critic(std::size_t{0}); }) {
      detail::require_finite_component(Algo::name, "critic 1", algo_.critic(0), update);
      detail::require_finite_component(Algo::name, "critic 2", algo_.critic(1), update);
    }
  }

  std::string checkpoint_kind() const { return fmt::format("OffPolicyTrainer/{}", Algo::name); }

  std::string checkpoint_shape() const {
    return fmt::format("observations {}, actions Box({}), n_envs {}, actor {} parameters", envs_.observation_size(),
                       envs_.action_space().size(), config_.n_envs,
                       const_cast<Algo&>(algo_).actor().parameters().size());
  }

  // What a checkpoint records of the trainer's config (all but env.threads and log_interval,
  // which change no result) and compares at load.
  io::Settings settings() const {
    const OffPolicyConfig& c = config_;
    io::Settings s("OffPolicyConfig");
    s.add("n_envs", c.n_envs).add("learning_starts", c.learning_starts).add("train_freq", c.train_freq);
    s.add("gradient_steps", c.gradient_steps).add("exploration_correlation", c.exploration_correlation);
    s.add("buffer_size", c.buffer_size).add("batch_size", c.batch_size).add("gamma", c.gamma);
    s.add("total_steps", c.total_steps).add("stats_window", c.stats_window).add("seed", c.seed);
    return s;
  }

  // Reads a checkpoint section by section, assigning as it goes (load() restores on errors);
  // the environments are read into a staged state and installed only after the whole file was
  // read.
  LoadResult read_checkpoint(io::CheckpointReader& in) {
    in.expect(checkpoint_kind(), io::scalar_name<T>(), checkpoint_shape());
    {
      auto config = in.section("trainer/config");
      settings().check(config);
      config.finish();
    }
    {
      auto s = in.section("trainer/state");
      const detail::TrainerCounters counters = detail::TrainerCounters::load(s);
      const Rng init = io::load_rng(s, "init"), replay = io::load_rng(s, "replay"), act = io::load_rng(s, "act");
      Matrix<T> noise = s.matrix<T>("exploration noise", noise_.rows(), noise_.cols());
      require<CheckpointError>(noise.allFinite(), "checkpoint section '{}': the exploration noise is not finite",
                               s.name());
      s.finish();
      steps_ = counters.steps;
      updates_ = counters.updates;
      target_ = counters.target;
      horizon_ = counters.horizon;
      evaluations_ = counters.evaluations;
      started_ = counters.started;
      init_rng_ = init;
      replay_rng_ = replay;
      act_rng_ = act;
      noise_ = std::move(noise);
    }
    algo_.load(in);
    LoadResult result;
    {
      auto s = in.section("replay_buffer");
      result.replay_buffer_restored = s.boolean();
      if (result.replay_buffer_restored) {
        buffer_.load(s);
      } else {
        buffer_.clear();
        result.message = "the checkpoint holds no replay buffer: it starts empty";
      }
      s.finish();
    }
    {
      auto s = in.section("episode_stats");
      stats_.load(s);
      s.finish();
    }
    auto s = in.section("environments");
    Matrix<T> obs = s.matrix<T>("observations", obs_.rows(), obs_.cols());
    require<CheckpointError>(obs.allFinite(), "checkpoint section '{}': the observations are not finite", s.name());
    typename VectorEnv<Env>::LoadedState envs = envs_.read(s);
    s.finish();
    in.finish();
    require<CheckpointError>(envs.started == started_, "checkpoint section '{}': the environments are {}started, the "
                             "trainer {}", s.name(), envs.started ? "" : "not ", started_ ? "was" : "was not");
    // Nothing can fail from here on but an environment's own reset when its copies restart.
    obs_ = std::move(obs);
    if (!envs_.commit(std::move(envs))) {
      detail::require_representable<T>(envs_.observations(), "OffPolicyTrainer", "an observation", steps_);
      obs_ = envs_.observations().template cast<T>();
      result.episodes_continued = false;
      if (!result.message.empty()) result.message += "; ";
      result.message += detail::fresh_episodes_message(config_.n_envs, VectorEnv<Env>::saves_episodes);
    }
    return result;
  }

  // The actor, then Q_1 and Q_2 (each from init_rng_ unless handed in), then the rule.
  Algo make_algorithm(const AlgorithmConfig& algorithm, Components& components) {
    const Index obs_dim = envs_.observation_size();
    const Index act_dim = envs_.action_space().size();
    const Index batch_size = config_.batch_size;
    Actor actor = [&] {
      if (components.actor) return std::move(*components.actor);
      if constexpr (std::constructible_from<Actor, Index, Index, const NetworkConfig&, const LogStdRange&, Index, Index,
                                            Rng&> &&
                    requires {
                      { algorithm.actor } -> std::convertible_to<const NetworkConfig&>;
                      { algorithm.log_std } -> std::convertible_to<const LogStdRange&>;
                    }) {
        return Actor(obs_dim, act_dim, algorithm.actor, algorithm.log_std, config_.n_envs, batch_size, init_rng_);
      } else {
        throw ConfigError(fmt::format("OffPolicyTrainer ({}): no actor was handed in (Components::actor) and none can be "
                                      "built: that needs an actor type built from a network description and a rule "
                                      "Config with the network description `actor` and `log_std`", Algo::name));
      }
    }();
    std::array<Q, 2> critics = [&] {
      if (components.critics) return std::move(*components.critics);
      if constexpr (std::constructible_from<Q, Index, Index, const NetworkConfig&, Index, Rng&> &&
                    requires { { algorithm.critic } -> std::convertible_to<const NetworkConfig&>; }) {
        Q q1(obs_dim, act_dim, algorithm.critic, batch_size, init_rng_);
        Q q2(obs_dim, act_dim, algorithm.critic, batch_size, init_rng_);
        return std::array<Q, 2>{std::move(q1), std::move(q2)};
      } else {
        throw ConfigError(fmt::format("OffPolicyTrainer ({}): no critics were handed in (Components::critics) and none "
                                      "can be built: that needs a Q type built from a network description and a rule "
                                      "Config with the network description `critic`", Algo::name));
      }
    }();
    const typename Opt::Config optimizer = components.optimizer.value_or(Algo::optimizer_config(algorithm));
    return Algo(algorithm, std::move(actor), std::move(critics), optimizer,
                ReplayShape{.obs_dim = obs_dim, .action_dim = act_dim, .batch_size = batch_size}, config_.gamma,
                init_rng_);
  }

  void reset_envs() {
    detail::require_representable<T>(envs_.reset(), "OffPolicyTrainer", "an observation", steps_);
    obs_ = envs_.observations().template cast<T>();
    started_ = true;
  }

  // offset + scale ⊙ a, clipped to the bounds against rounding.
  template <class Derived>
  Action to_env_action(const Eigen::MatrixBase<Derived>& a) const {
    Action out = (offset_.array() + scale_.array() * a.array()).matrix().cwiseMax(low_).cwiseMin(high_).template cast<
        typename Action::Scalar>();
    return out;
  }

  // One vector step: act, step, store every transition, book finished episodes.
  void collect_step() {
    const Index n_envs = config_.n_envs;
    const double rho = config_.exploration_correlation;
    if (rho > 0) {
      // AR(1) noise with a N(0, 1) marginal: ε ← ρ ε + sqrt(1 - ρ²) ξ.
      const auto keep = static_cast<T>(rho), fresh = static_cast<T>(std::sqrt(1.0 - rho * rho));
      for (Index k = 0; k < noise_.size(); ++k) noise_.data()[k] = keep * noise_.data()[k] + fresh * act_rng_.normal<T>();
    }
    if (steps_ < config_.learning_starts) {
      if (rho > 0) {
        // 2Φ(ε) - 1 = erf(ε/√2): uniform on (-1, 1), and as correlated in time as ε.
        for (Index k = 0; k < noise_.size(); ++k) actions_.data()[k] = std::erf(noise_.data()[k] / std::sqrt(T(2)));
      } else {
        // SB3 samples the action space uniformly; in the (-1, 1) box that is U(-1, 1).
        for (Index e = 0; e < n_envs; ++e)
          for (Index d = 0; d < actions_.rows(); ++d) actions_(d, e) = act_rng_.uniform<T>(T(-1), T(1));
      }
    } else if (rho > 0) {
      algo_.actor().act_with_noise(obs_, noise_, actions_);
    } else {
      algo_.actor().act(obs_, act_rng_, /*deterministic=*/false, actions_);
    }
    for (Index e = 0; e < n_envs; ++e) {
      env_actions_.col(e) =
          (offset_.array() + scale_.array() * actions_.col(e).array()).matrix().cwiseMax(low_).cwiseMin(high_);
    }
    envs_.step(env_actions_);
    steps_ += n_envs;

    const auto& next = envs_.observations();
    const auto& final = envs_.final_observations();
    // Values finite as the environment's doubles can overflow T (1e39 as float): checked before
    // anything reaches the replay buffer.
    detail::require_representable<T>(envs_.rewards().transpose(), "OffPolicyTrainer", "reward", steps_);
    detail::require_representable<T>(next, "OffPolicyTrainer", "an observation", steps_);
    for (Index e = 0; e < n_envs; ++e) {
      if (envs_.done(static_cast<std::size_t>(e))) {
        detail::require_representable<T>(final.col(e), "OffPolicyTrainer", "a final observation", steps_, e);
      }
    }
    for (Index e = 0; e < n_envs; ++e) {
      const auto i = static_cast<std::size_t>(e);
      // A finished copy was reset: its true s' is the final observation (the bootstrap of a
      // truncation needs it; a terminated one is masked by the flag anyway).
      const bool done = envs_.done(i);
      buffer_.add(obs_.col(e), actions_.col(e), envs_.rewards()[e],
                  (done ? final.col(e) : next.col(e)).template cast<T>(), envs_.terminated(i));
    }
    for (const EpisodeRecord& episode : envs_.finished_episodes()) stats_.add(episode.episode_return, episode.length);
    obs_ = next.template cast<T>();
  }

  OffPolicyConfig config_;
  std::function<Env()> make_eval_env_;
  VectorEnv<Env> envs_;
  Rng init_rng_;
  Algo algo_;
  ReplayBuffer<T> buffer_;
  ReplayBatch<T> batch_;  // the batch of the current gradient step
  Rng replay_rng_;
  Rng act_rng_;
  Matrix<T> obs_;
  Matrix<T> actions_;      // (-1, 1) actions of the last step, as stored
  Matrix<T> env_actions_;  // rescaled to the bounds
  Matrix<T> predict_obs_, predict_action_;  // predict's one observation and action
  Matrix<T> noise_;        // correlated exploration noise (exploration_correlation > 0)
  Vector<T> scale_, offset_, low_, high_;
  EpisodeStats stats_;
  LogRecord record_;
  std::optional<typename Algo::Stats> train_stats_;  // the gradient steps since the last record, merged
  std::int64_t horizon_;
  std::int64_t target_ = 0;  // the steps asked of learn so far
  std::int64_t steps_ = 0;
  std::int64_t updates_ = 0;
  std::uint64_t evaluations_ = 0;
  bool started_ = false;
};

}  // namespace theta
