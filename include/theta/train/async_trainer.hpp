#pragma once
/// \file AsyncTrainer: A3C's asynchronous workers (Mnih et al. 2016). Each worker is an
/// on-policy trainer over its own environment copies and local components; workers pull the
/// shared parameters before every rollout and push their gradients without a lock. Logging,
/// callbacks, evaluation and the early stop run on the calling thread.

#include <theta/algo/a3c.hpp>
#include <theta/algo/update_rule.hpp>
#include <theta/core/checked_add.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/env/concepts.hpp>
#include <theta/env/vector_env.hpp>
#include <theta/io/checkpoint.hpp>
#include <theta/io/policy_export.hpp>
#include <theta/io/state.hpp>
#include <theta/log/logger.hpp>
#include <theta/train/async_config.hpp>
#include <theta/train/detail/callbacks.hpp>
#include <theta/train/episode_stats.hpp>
#include <theta/train/evaluate.hpp>
#include <theta/train/load_result.hpp>
#include <theta/train/on_policy_trainer.hpp>
#include <theta/train/training_result.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace theta {

namespace detail {
// A callback with members only a worker could call.
template <class C, class Trainer>
inline constexpr bool has_worker_hooks = requires(C& c, Trainer& t) { c.on_step(t); } ||
                                         requires(C& c, Trainer& t) { c.on_rollout_end(t); };
}  // namespace detail

/// Trains an asynchronous algorithm (A3C) on `Env` with `AsyncConfig::workers` threads:
///
///     using Env = theta::TimeLimit<theta::CartPole>;
///     theta::AsyncTrainer<Env, theta::a3c::A3c> trainer({.workers = 2, .n_steps = 5, .total_steps = 300'000});
///     trainer.learn(300'000, theta::ProgressBar(300'000));
///     auto eval = trainer.evaluate(20);
///
/// Worker w is an `OnPolicyTrainer<Env, Algorithm, Actor, Critic, Opt, Estimator>` over
/// `envs_per_worker` copies built by `make(w * envs_per_worker + i)` (the evaluation copy is
/// `make(workers * envs_per_worker)`), with its own random streams derived from the seed, so it
/// collects, bootstraps truncated episodes and estimates returns exactly as the synchronous
/// trainers do. Its update rule (`a3c::A3c`) pushes its gradients to one `Shared` state: the
/// global actor, critic and optimizers. The components are those of `OnPolicyTrainer` (any
/// actor, critic, optimizer and estimator that satisfy the concepts); every worker starts from
/// copies of the first worker's actor and critic, which the shared state starts from too.
///
/// Callbacks get `on_update_end(trainer, record)` once per record (every
/// `AsyncConfig::log_interval` worker updates), on the calling thread; `evaluate` and
/// `predict` read a copy of the shared parameters. With `AsyncConfig::deterministic` the
/// workers take turns on the calling thread and a seed gives bit-identical runs.
template <class Env, template <class...> class Algorithm = a3c::A3c, class ActorArg = DefaultComponent,
          class CriticArg = DefaultComponent, class OptArg = DefaultComponent, class EstimatorArg = DefaultComponent>
  requires(diagnose_environment<Env>())
class AsyncTrainer {
 public:
  using Worker = OnPolicyTrainer<Env, Algorithm, ActorArg, CriticArg, OptArg, EstimatorArg>;
  using Rule = typename Worker::Rule;
  using Actor = typename Worker::Actor;
  using Critic = typename Worker::Critic;
  using Opt = typename Worker::Opt;
  using Estimator = typename Worker::Estimator;
  using T = typename Worker::T;
  using AlgorithmConfig = typename Rule::Config;
  using Components = typename Worker::Components;
  using Shared = typename Rule::Shared;
  using Stats = typename Rule::Stats;
  using Action = typename Env::Action;
  /// A recurrent actor (`SequencePolicy`): evaluate and predict carry a state of their own.
  static constexpr bool actor_has_states = SequencePolicy<Actor>;
  static_assert(requires(Rule& rule, Shared* shared) {
    rule.attach(shared);
    rule.pull();
    { rule.last_stats() } -> std::convertible_to<const Stats&>;
  } && MergeableStats<Stats>, "AsyncTrainer: the update rule must provide a Shared state type, attach(Shared*), pull(), "
                              "last_stats() and mergeable Stats (as a3c::A3c)");

  /// Copies `prototype` into every worker's environments (and one for evaluation).
  explicit AsyncTrainer(const AsyncConfig& config, const AlgorithmConfig& algorithm = {}, Components components = {},
                        const Env& prototype = Env{})
    requires std::copy_constructible<Env>
      : AsyncTrainer(config, algorithm, std::move(components), [prototype](std::size_t) { return prototype; }) {}

  /// Builds environment copy i with `make(i)`: worker w's are w * envs_per_worker + 0 ..
  /// envs_per_worker - 1, the evaluation copy is workers * envs_per_worker.
  template <std::invocable<std::size_t> Make>
    requires std::same_as<std::invoke_result_t<Make, std::size_t>, Env>
  AsyncTrainer(const AsyncConfig& config, const AlgorithmConfig& algorithm, Components components, Make make)
      : config_((validate(config), config)),
        make_eval_env_([make, n = config.workers * static_cast<std::size_t>(config.envs_per_worker)]() mutable {
          return make(n);
        }),
        predict_rng_(derive_seed(config.seed, 2)),
        stats_(config.stats_window),
        horizon_(config.total_steps) {
    const auto per_worker = static_cast<std::size_t>(config.envs_per_worker);
    const typename Opt::Config optimizer = components.optimizer.value_or(Rule::optimizer_config(algorithm));
    const std::optional<Estimator> estimator = components.estimator;
    workers_.reserve(config.workers);
    for (std::size_t w = 0; w < config.workers; ++w) {
      // Worker 0 builds the components (or takes those handed in); the others copy them.
      Components c = w == 0 ? std::move(components)
                            : Components{.actor = workers_[0]->actor(), .critic = workers_[0]->critic(),
                                         .optimizer = optimizer, .estimator = estimator};
      workers_.push_back(std::make_unique<Worker>(worker_config(w), algorithm, std::move(c),
                                                  [make, w, per_worker](std::size_t i) mutable {
                                                    return make(w * per_worker + i);
                                                  }));
    }
    shared_ = std::make_unique<Shared>(workers_[0]->actor(), workers_[0]->critic(), optimizer);
    for (auto& worker : workers_) worker->algorithm().attach(shared_.get());
    snapshot_.emplace(workers_[0]->actor());
    rollout_size_ = workers_[0]->n_steps() * config.envs_per_worker;
    episodes_.resize(config.workers);
    if constexpr (ContinuousEnvironment<Env>) {
      const Box box = workers_[0]->envs().action_space();
      low_ = box.low.cast<T>();
      high_ = box.high.cast<T>();
    }
  }

  AsyncTrainer(const AsyncTrainer&) = delete;
  AsyncTrainer& operator=(const AsyncTrainer&) = delete;

  /// Trains until `total_steps` more environment steps (over all workers, rounded up to whole
  /// worker rollouts) have been asked of it, or until a callback returns false. Can be called
  /// again to continue; the learning-rate schedule counts toward `AsyncConfig::total_steps` (or
  /// the first call's target). Records (logger and callbacks) come from the calling thread
  /// every `log_interval` worker updates, and once at the end. An exception in a worker stops
  /// every worker and is rethrown here.
  template <class L = NullLogger, class... Callbacks>
    requires Logger<std::remove_cvref_t<L>>
  TrainingResult learn(std::int64_t total_steps, L&& logger = L{}, Callbacks&... callbacks) {
    static_assert((!detail::has_worker_hooks<Callbacks, AsyncTrainer> && ...),
                  "AsyncTrainer: a callback gets on_update_end(trainer, record) only, once per record on the calling "
                  "thread; on_step and on_rollout_end would have to run inside every worker (docs/algorithms/a3c.md)");
    require<ConfigError>(total_steps > 0, "AsyncTrainer::learn: total_steps must be > 0, got {}", total_steps);
    require(!running_, "AsyncTrainer::learn: called again from inside learn (from a callback)");
    const std::optional<std::int64_t> new_target = checked_add(target_, total_steps);
    require<ConfigError>(new_target.has_value(),
                         "AsyncTrainer::learn: total_steps {} on top of the {} already asked overflows int64", total_steps,
                         target_);
    target_ = *new_target;
    if (horizon_ == 0) horizon_ = target_;
    shared_->set_horizon(horizon_);
    // Rollouts are claimed from the steps actually taken (a failed call's claims are dropped).
    claimed_.store(shared_->steps(), std::memory_order_relaxed);
    stop_.store(false, std::memory_order_relaxed);
    run_ = Run{.start = std::chrono::steady_clock::now(), .start_steps = shared_->steps()};

    const auto report = [&] { return this->report(logger, callbacks...); };
    struct Running {
      bool& flag;
      explicit Running(bool& f) : flag(f) { flag = true; }
      ~Running() { flag = false; }
    };
    bool stopped = false;
    try {
      const Running running(running_);
      stopped = config_.deterministic ? run_in_turns(report) : run_in_threads(report);
      if (!stopped && pending_updates() > 0) stopped = !report();
    } catch (...) {
      drain();  // the episodes and updates that did finish are counted (the budget asked is kept, as OnPolicyTrainer's)
      throw;
    }
    if (stopped) {
      drain();  // what the workers finished after the stop still counts
      target_ = shared_->steps();  // a stopped call's remaining budget is dropped
    }
    logger.close();
    TrainingResult result;
    result.steps = shared_->steps();
    result.updates = shared_->updates();
    result.seconds = elapsed();
    result.stopped_by_callback = stopped;
    return result;
  }

  /// Trains up to `AsyncConfig::total_steps` (which must be set).
  template <class L = NullLogger, class... Callbacks>
    requires Logger<std::remove_cvref_t<L>>
  TrainingResult learn_to_budget(L&& logger = L{}, Callbacks&... callbacks) {
    require<ConfigError>(config_.total_steps > 0, "AsyncTrainer::learn_to_budget: AsyncConfig::total_steps is 0");
    require<ConfigError>(target_ < config_.total_steps, "AsyncTrainer::learn_to_budget: the budget of {} steps is spent",
                         config_.total_steps);
    return learn(config_.total_steps - target_, std::forward<L>(logger), callbacks...);
  }

  /// Deterministic evaluation of the shared actor (its parameters copied at the call) over
  /// `episodes` episodes of a separate environment copy; fresh episode seeds from the config's
  /// seed on each call unless `seed` is given. From `on_update_end` while worker threads run,
  /// it first holds the workers (`hold_workers`): the evaluated parameters are those training
  /// continues from, or ends with when a callback stops it. A recurrent actor starts every
  /// episode from a zero state, as `OnPolicyTrainer::evaluate`.
  EvaluationResult evaluate(int episodes = 20, std::optional<std::uint64_t> seed = std::nullopt) {
    const std::uint64_t eval_seed = seed.value_or(derive_seed(config_.seed, 4 + 1000 * evaluations_++));
    copy_shared_actor();
    if constexpr (actor_has_states) {
      return keeping_prediction_state([&] {
        return evaluate_stateful_policy(make_eval_env_(), episodes, eval_seed, [this] { snapshot_->reset_states(); },
                                        deterministic_actor());
      });
    }
    return evaluate_policy(make_eval_env_(), episodes, eval_seed, deterministic_actor());
  }

  /// The same over one episode per seed in `episode_seeds`, in order.
  EvaluationResult evaluate(std::span<const std::uint64_t> episode_seeds) {
    copy_shared_actor();
    if constexpr (actor_has_states) {
      return keeping_prediction_state([&] {
        return evaluate_stateful_policy(make_eval_env_(), episode_seeds, [this] { snapshot_->reset_states(); },
                                        deterministic_actor());
      });
    }
    return evaluate_policy(make_eval_env_(), episode_seeds, deterministic_actor());
  }

  /// The shared actor's deterministic action for one observation (the first largest logit;
  /// the Gaussian mean clipped to the bounds), as `evaluate` takes it and as an exported
  /// policy (`export_policy`) returns it. A recurrent actor carries a prediction state of its
  /// own from call to call (the workers' acting states are theirs): call `reset_prediction()`
  /// before an episode's first observation, as `evaluate` does. Every call reads the shared
  /// parameters anew, so while workers run (outside a record), one episode's steps may see
  /// different parameters; from `on_update_end` it holds the workers, as `evaluate`.
  Action predict(const typename Env::Observation& observation) {
    static_assert(!MaskedEnvironment<Env>,
                  "AsyncTrainer::predict: the environment masks actions; pass the state's valid actions: "
                  "predict(observation, valid)");
    copy_shared_actor();
    return act_deterministic(observation);
  }

  /// The same among the valid actions of the state (`MaskedEnvironment`), as
  /// `OnPolicyTrainer::predict(observation, valid)`.
  Action predict(const typename Env::Observation& observation, std::span<const bool> valid)
    requires MaskedEnvironment<Env>
  {
    copy_shared_actor();
    return act_deterministic(observation, valid);
  }

  /// Starts a new episode for `predict`: a recurrent actor's prediction state back to zero
  /// (nothing for other actors).
  void reset_prediction() {
    if constexpr (actor_has_states) snapshot_->reset_states();
  }
  /// A copy of a recurrent actor's prediction state: zeros until the first `predict`
  /// (`OnPolicyTrainer::prediction_state` is empty until then); empty for other actors.
  [[nodiscard]] Vector<T> prediction_state() const {
    if constexpr (actor_has_states) {
      return snapshot_->state().col(0);
    } else {
      return {};
    }
  }

  /// Writes the shared actor for theta/inference.hpp (atomically), as `OnPolicyTrainer::export_policy`.
  void export_policy(const std::filesystem::path& path) { io::export_policy(path, policy_description()); }

  /// What `export_policy` writes: a copy of the shared actor's network and the action
  /// transform (argmax, or clip to the bounds). Valid until the next call of a member.
  [[nodiscard]] io::PolicyDescription<T> policy_description() {
    static_assert(io::ExportableActor<Actor> || io::RecurrentExportableActor<Actor>,
                  "AsyncTrainer::export_policy: the actor must expose the network its deterministic action reads, "
                  "`const theta::nn::Mlp<Scalar>& network() const` (concept theta::io::ExportableActor), or be a "
                  "recurrent policy (RecurrentCategoricalPolicy)");
    copy_shared_actor();
    io::PolicyDescription<T> policy{.network = nullptr, .normalizer = nullptr};
    io::describe_actor_network(policy, std::as_const(*snapshot_), export_network_);
    if constexpr (DiscreteEnvironment<Env> || MultiDiscreteEnvironment<Env>) {
      io::describe_discrete_actions(policy, workers_[0]->envs().action_space(), MaskedEnvironment<Env>);
    } else {
      const Box& box = workers_[0]->envs().action_space();
      policy.transform = io::ActionTransform::clip;
      policy.action_size = box.size();
      policy.low = box.low;
      policy.high = box.high;
    }
    return policy;
  }

  /// Writes the whole training state to `path` atomically (docs/checkpoints.md): the settings,
  /// the shared actor, critic and optimizer statistics, the counters, the episode statistics,
  /// and every worker's state as an on-policy trainer's checkpoint (its random streams,
  /// counters and environments, their episodes too for a `SavableEnvironment`). Call it between
  /// `learn` calls (with `deterministic`, also from `on_update_end`). With `deterministic`,
  /// loading it into a trainer built with the same settings and calling `learn(n)` continues
  /// the run bit for bit; an asynchronous run continues from the same state, not the same run.
  void save(const std::filesystem::path& path) const { checkpoint().save(path); }

  /// The checkpoint `save` writes, in memory.
  [[nodiscard]] io::CheckpointWriter checkpoint() const {
    require(!running_ || config_.deterministic,
            "AsyncTrainer::save: the workers are running; save between learn calls (or from on_update_end with "
            "AsyncConfig::deterministic)");
    io::CheckpointWriter out(checkpoint_kind(), io::scalar_name<T>(), checkpoint_shape());
    settings().save(out.section("async/config"));
    auto& state = out.section("async/state");
    state.i64(std::min(target_, shared_->steps())).i64(horizon_).u64(evaluations_).u64(next_turn_);
    io::save_rng(state, predict_rng_);
    workers_[0]->algorithm().save(out);
    shared_->save(out);
    stats_.save(out.section("episode_stats"));
    for (std::size_t w = 0; w < workers_.size(); ++w) {
      const std::vector<std::uint8_t> bytes = workers_[w]->checkpoint().bytes();
      out.section(fmt::format("worker/{}", w))
          .string(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    }
    return out;
  }

  /// Restores the state `save` wrote. The checkpoint must come from a trainer of the same
  /// algorithm, scalar type, shapes and settings (`deterministic`, `log_interval` and
  /// `check_numerics` may differ); anything else, and any damage to the file, raises
  /// `CheckpointError` saying what and where, and leaves this trainer as it was. Not while
  /// `learn` runs.
  LoadResult load(const std::filesystem::path& path) {
    io::CheckpointReader reader = io::CheckpointReader::open(path);
    return load(reader);
  }
  /// The same from a checkpoint in memory (`checkpoint().bytes()`).
  LoadResult load(std::span<const std::uint8_t> bytes) {
    io::CheckpointReader reader = io::CheckpointReader::parse(bytes);
    return load(reader);
  }
  LoadResult load(io::CheckpointReader& in) {
    require(!running_, "AsyncTrainer::load: not while learn runs");
    // Two phases: everything, every worker's checkpoint included, is read into copies and
    // checked (OnPolicyTrainer::stage) before anything is installed.
    in.expect(checkpoint_kind(), io::scalar_name<T>(), checkpoint_shape());
    {
      auto config = in.section("async/config");
      settings().check(config);
      config.finish();
    }
    auto state = in.section("async/state");
    const std::int64_t target = state.i64(), horizon = state.i64();
    const std::uint64_t evaluations = state.u64(), next_turn = state.u64();
    const Rng predict_rng = io::load_rng(state, "predict");
    const auto valid = [](std::int64_t v) { return v >= 0 && v <= io::max_saved_count; };
    require<CheckpointError>(valid(target) && valid(horizon) && evaluations <= static_cast<std::uint64_t>(io::max_saved_count) &&
                                 next_turn < workers_.size(),
                             "checkpoint section '{}': counters out of range (asked {}, horizon {}, evaluations {}, next "
                             "turn {})", state.name(), target, horizon, evaluations, next_turn);
    state.finish();
    workers_[0]->algorithm().load(in);  // compares the settings, assigns nothing
    typename Shared::Loaded shared = shared_->read(in);
    EpisodeStats stats = stats_;
    {
      auto s = in.section("episode_stats");
      stats.load(s);
      s.finish();
    }
    std::vector<typename Worker::StagedCheckpoint> workers;
    workers.reserve(workers_.size());
    std::int64_t worker_steps = 0;
    for (std::size_t w = 0; w < workers_.size(); ++w) {
      auto s = in.section(fmt::format("worker/{}", w));
      const std::string bytes = s.string();
      s.finish();
      io::CheckpointReader reader = io::CheckpointReader::parse(
          std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
          fmt::format("worker/{}", w));
      try {
        workers.push_back(workers_[w]->stage(reader));
      } catch (const CheckpointError& e) {
        throw CheckpointError(fmt::format("checkpoint section 'worker/{}': {}", w, e.what()));
      }
      worker_steps += workers.back().counters.steps;
    }
    in.finish();
    require<CheckpointError>(worker_steps == shared.steps, "checkpoint: the workers took {} steps, the shared state counts {}",
                             worker_steps, shared.steps);

    // Everything is read and checked: install. Only an environment's own reset (copies that
    // cannot be saved start fresh episodes) can fail from here on.
    clear_mailbox();
    LoadResult result;
    for (std::size_t w = 0; w < workers_.size(); ++w) {
      const LoadResult r = workers_[w]->commit(std::move(workers[w]));
      if (!r.episodes_continued && result.episodes_continued) {
        result.episodes_continued = false;
        result.message = fmt::format("worker {}: {}", w, r.message);
      }
    }
    shared_->install(std::move(shared));
    stats_ = std::move(stats);
    target_ = target;
    horizon_ = horizon;
    evaluations_ = evaluations;
    next_turn_ = static_cast<std::size_t>(next_turn);
    predict_rng_ = predict_rng;
    return result;
  }

  /// Environment steps taken by all workers (safe while they run).
  [[nodiscard]] std::int64_t steps() const noexcept { return shared_->steps(); }
  /// Updates of the shared parameters by all workers (safe while they run).
  [[nodiscard]] std::int64_t updates() const noexcept { return shared_->updates(); }
  /// Episodes finished and recorded (by the last record).
  [[nodiscard]] std::int64_t episodes_finished() const noexcept { return stats_.total(); }
  [[nodiscard]] double recent_mean_return(std::size_t n) const { return stats_.mean_return(n); }
  [[nodiscard]] const AsyncConfig& config() const noexcept { return config_; }
  /// Environment steps of one worker rollout: n_steps x envs_per_worker.
  [[nodiscard]] std::int64_t rollout_size() const noexcept { return rollout_size_; }
  /// The number of workers and worker `w` (its environments, local components, counters).
  /// Not while `learn` runs, except from the worker's own thread, or from `on_update_end`
  /// after `hold_workers()`.
  [[nodiscard]] std::size_t workers() const noexcept { return workers_.size(); }
  [[nodiscard]] Worker& worker(std::size_t w) { return *workers_.at(w); }
  /// From `on_update_end` while worker threads run: every worker finishes its current turn and
  /// waits until the record ends (until every callback and the logger have run), so that the
  /// shared state may be read as if training had paused. `evaluate`, `predict` and
  /// `export_policy` call it themselves. Does nothing elsewhere: between `learn` calls and in
  /// deterministic mode nothing runs beside the caller, and from any other thread the workers
  /// are not held.
  void hold_workers() {
    if (recording_.load(std::memory_order_relaxed) != std::this_thread::get_id()) return;
    std::unique_lock lock(mailbox_.mutex);
    mailbox_.hold = true;
    mailbox_.caught_up.notify_all();  // workers waiting for the recording thread go on to the hold
    mailbox_.wake.wait(lock, [&] { return mailbox_.held == mailbox_.running; });
  }

  /// The shared state: the global actor, critic and optimizers. Their members may be read
  /// directly between `learn` calls, and from `on_update_end` after `hold_workers()`.
  [[nodiscard]] Shared& shared() noexcept { return *shared_; }
  [[nodiscard]] Actor& actor() noexcept { return shared_->actor(); }
  [[nodiscard]] Critic& critic() noexcept { return shared_->critic(); }

 private:
  std::string checkpoint_kind() const { return fmt::format("AsyncTrainer/{}", Rule::name); }

  std::string checkpoint_shape() const {
    return fmt::format("workers {}, envs_per_worker {}, n_steps {}, actor {} parameters, critic {} parameters",
                       workers_.size(), config_.envs_per_worker, workers_[0]->n_steps(),
                       shared_->actor().parameters().size(), shared_->critic().parameters().size());
  }

  // What a checkpoint records of the config (all but deterministic, log_interval and
  // check_numerics, which change no state) and compares at load. Each worker's own checkpoint
  // records its on-policy settings and seed.
  io::Settings settings() const {
    const AsyncConfig& c = config_;
    io::Settings s("AsyncConfig");
    s.add("workers", static_cast<std::int64_t>(c.workers)).add("envs_per_worker", c.envs_per_worker);
    s.add("n_steps", workers_[0]->n_steps()).add("gamma", c.gamma).add("gae_lambda", c.gae_lambda);
    s.add("total_steps", c.total_steps).add("normalize_rewards", c.normalize_rewards).add("reward_clip", c.reward_clip);
    s.add("stats_window", c.stats_window).add("seed", c.seed);
    return s;
  }

  OnPolicyConfig worker_config(std::size_t w) const {
    return OnPolicyConfig{.n_envs = config_.envs_per_worker,
                          .n_steps = config_.n_steps,
                          .gamma = config_.gamma,
                          .gae_lambda = config_.gae_lambda,
                          .total_steps = config_.total_steps,
                          .normalize_rewards = config_.normalize_rewards,
                          .reward_clip = config_.reward_clip,
                          .stats_window = 1,
                          .check_numerics = config_.check_numerics,
                          .seed = derive_seed(config_.seed, 16 + w)};
  }

  // Stops a worker's `learn` after its one update, and hands what it saw to this trainer.
  struct WorkerHooks {
    AsyncTrainer* trainer;
    std::size_t w;
    bool on_step(Worker& worker) {
      // Counted step by step, so the shared count is the workers' sum even after a failed rollout.
      trainer->shared_->add_steps(worker.config().n_envs);
      for (const EpisodeRecord& e : worker.envs().finished_episodes()) trainer->episodes_[w].push_back(e);
      return true;
    }
    bool on_update_end(Worker&, LogRecord&) { return false; }
  };

  // One turn of worker w (Mnih et al. 2016, algorithm S3): synchronise the local copies with
  // the shared parameters, collect t_max steps, push the gradient; then hand over the statistics.
  void turn(std::size_t w) {
    Worker& worker = *workers_[w];
    worker.algorithm().pull();
    WorkerHooks hooks{this, w};
    worker.learn(rollout_size_, NullLogger{}, hooks);
    std::unique_lock lock(mailbox_.mutex);
    auto& mine = episodes_[w];
    mailbox_.episodes.insert(mailbox_.episodes.end(), mine.begin(), mine.end());
    mine.clear();
    if (mailbox_.stats) {
      mailbox_.stats->merge(worker.algorithm().last_stats());
    } else {
      mailbox_.stats = worker.algorithm().last_stats();
    }
    if (++mailbox_.updates >= config_.log_interval) mailbox_.wake.notify_one();
    // A recording thread a whole interval behind (busy in a callback or the logger, or not
    // scheduled while the workers hold every core) is waited for: a record, and so an early stop, is never more
    // than about two intervals late.
    if (!config_.deterministic) {
      mailbox_.caught_up.wait(lock, [&] {
        return mailbox_.updates < 2 * config_.log_interval || mailbox_.hold || stop_.load(std::memory_order_relaxed);
      });
    }
  }

  // Takes one rollout of the budget; false when it is spent.
  bool claim() {
    std::int64_t claimed = claimed_.load(std::memory_order_relaxed);
    do {
      if (claimed >= target_) return false;
    } while (!claimed_.compare_exchange_weak(claimed, claimed + rollout_size_, std::memory_order_relaxed));
    return true;
  }

  // Workers take turns in order on this thread. Returns true when a callback stopped training.
  // The turn order continues across calls and checkpoints (next_turn_), so that learn(a);
  // learn(b) and a resumed run take the same turns as learn(a + b).
  template <class Report>
  bool run_in_turns(Report& report) {
    for (;;) {
      if (!claim()) return false;
      turn(next_turn_);
      next_turn_ = (next_turn_ + 1) % workers_.size();
      if (pending_updates() >= config_.log_interval && !report()) return true;
    }
  }

  // Every worker on its own thread; this thread records. Returns true when a callback stopped training.
  template <class Report>
  bool run_in_threads(Report& report) {
    mailbox_.running = workers_.size();
    mailbox_.error = nullptr;
    mailbox_.hold = false;
    std::vector<std::thread> threads;
    threads.reserve(workers_.size());
    // Workers start together, so the first one created does not take the first rollouts alone.
    std::latch started(static_cast<std::ptrdiff_t>(workers_.size()));
    // Whatever leaves this function (a callback's exception too) stops and joins the workers first.
    struct Joiner {
      AsyncTrainer* trainer;
      std::vector<std::thread>& threads;
      ~Joiner() {
        trainer->recording_.store(std::thread::id{}, std::memory_order_relaxed);
        trainer->stop_workers();
        for (std::thread& t : threads) t.join();
      }
    } joiner{this, threads};
    for (std::size_t w = 0; w < workers_.size(); ++w) {
      threads.emplace_back([this, w, &started] {
        started.arrive_and_wait();
        try {
          while (wait_while_held() && claim()) turn(w);
        } catch (...) {
          {
            const std::lock_guard lock(mailbox_.mutex);
            if (!mailbox_.error) mailbox_.error = std::current_exception();
          }
          stop_workers();
        }
        const std::lock_guard lock(mailbox_.mutex);
        --mailbox_.running;
        mailbox_.wake.notify_one();
      });
    }
    bool stopped = false;
    for (;;) {
      std::unique_lock lock(mailbox_.mutex);
      // After a stop or a worker's error nothing more is recorded: wait for the workers to end.
      mailbox_.wake.wait(lock, [&] {
        return mailbox_.running == 0 || (mailbox_.updates >= config_.log_interval && !mailbox_.error && !stopped);
      });
      const bool finished = mailbox_.running == 0;
      const bool due = mailbox_.updates >= config_.log_interval && !mailbox_.error;
      lock.unlock();
      if (due && !stopped) {
        recording_.store(std::this_thread::get_id(), std::memory_order_relaxed);
        const bool go_on = report();  // (on an exception, the Joiner stops and releases the workers)
        recording_.store(std::thread::id{}, std::memory_order_relaxed);
        if (!go_on) {
          stopped = true;
          stop_workers();
        }
        release_workers();
      }
      if (finished) break;
    }
    for (std::thread& t : threads) t.join();
    threads.clear();
    if (mailbox_.error) std::rethrow_exception(std::exchange(mailbox_.error, nullptr));
    return stopped;
  }

  // Workers finish their turn and take no other; none waits for the recording thread.
  void stop_workers() {
    {
      const std::lock_guard lock(mailbox_.mutex);  // a waiting worker sees the flag when it wakes
      stop_.store(true, std::memory_order_relaxed);
    }
    mailbox_.caught_up.notify_all();
    mailbox_.released.notify_all();
  }

  // A worker between two turns: waits while the recording thread holds the workers. False
  // when the workers are to stop.
  bool wait_while_held() {
    std::unique_lock lock(mailbox_.mutex);
    if (mailbox_.hold && !stop_.load(std::memory_order_relaxed)) {
      ++mailbox_.held;
      mailbox_.wake.notify_one();
      mailbox_.released.wait(lock, [&] { return !mailbox_.hold || stop_.load(std::memory_order_relaxed); });
      --mailbox_.held;
    }
    return !stop_.load(std::memory_order_relaxed);
  }

  void release_workers() {
    {
      const std::lock_guard lock(mailbox_.mutex);
      if (!mailbox_.hold) return;
      mailbox_.hold = false;
    }
    mailbox_.released.notify_all();
  }

  // What reads the shared parameters for evaluate, predict and export: held during a record
  // (what a callback reads is what the run continues from; a stop right after leaves exactly
  // those parameters), a relaxed copy elsewhere.
  void copy_shared_actor() {
    hold_workers();
    shared_->copy_actor(*snapshot_);
  }

  // Forgets what the workers handed over and did not hand over yet (a load replaces the run).
  void clear_mailbox() {
    const std::lock_guard lock(mailbox_.mutex);
    mailbox_.episodes.clear();
    mailbox_.stats.reset();
    mailbox_.updates = 0;
    for (auto& episodes : episodes_) episodes.clear();
  }

  std::int64_t pending_updates() {
    const std::lock_guard lock(mailbox_.mutex);
    return mailbox_.updates;
  }

  // Moves what the workers handed over into the trainer's episode statistics; returns the
  // merged statistics of the worker updates since the last record.
  std::optional<Stats> drain() {
    std::optional<Stats> stats;
    {
      const std::lock_guard lock(mailbox_.mutex);
      drained_.swap(mailbox_.episodes);
      stats.swap(mailbox_.stats);
      mailbox_.updates = 0;
    }
    mailbox_.caught_up.notify_all();
    for (const EpisodeRecord& e : drained_) stats_.add(e.episode_return, e.length);
    drained_.clear();
    return stats;
  }

  // One record: the statistics since the last one, the callbacks, the logger. False: stop.
  template <class L, class... Callbacks>
  bool report(L& logger, Callbacks&... callbacks) {
    const std::optional<Stats> stats = drain();
    LogRecord& record = record_;
    record.clear();
    if (stats) stats->for_each([&record](const char* key, double value) { record.set(key, value); });
    const std::int64_t steps = shared_->steps();
    const double seconds = elapsed();
    record.set("rollout/ep_rew_mean", stats_.mean_return(stats_.capacity()));
    record.set("rollout/ep_len_mean", stats_.mean_length(stats_.capacity()));
    record.set("time/fps", seconds > 0 ? static_cast<double>(steps - run_.start_steps) / seconds : 0.0);
    record.set("time/iterations", static_cast<double>(shared_->updates()));
    record.set("time/time_elapsed", seconds);
    record.set("time/workers", static_cast<double>(workers_.size()));
    bool go_on = true;
    ((go_on = go_on && detail::call_update_end(callbacks, *this, record)), ...);
    logger.write(record, steps);
    return go_on;
  }

  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - run_.start).count();
  }

  // Runs an evaluation, which starts every episode of the snapshot's slot 0 (predict's state)
  // from zero, and puts the caller's prediction state back.
  template <class F>
  EvaluationResult keeping_prediction_state(F&& evaluation) {
    const Matrix<T> predicting = snapshot_->state();
    try {
      EvaluationResult result = evaluation();
      snapshot_->state() = predicting;
      return result;
    } catch (...) {
      snapshot_->state() = predicting;
      throw;
    }
  }

  // evaluate's action for one observation, with the state's mask when there is one.
  auto deterministic_actor() {
    if constexpr (MaskedEnvironment<Env>) {
      return [this](const typename Env::Observation& o, std::span<const bool> valid) {
        return act_deterministic(o, valid);
      };
    } else {
      return [this](const typename Env::Observation& o) { return act_deterministic(o); };
    }
  }

  Action act_deterministic(const typename Env::Observation& observation, std::span<const bool> valid = {}) {
    predict_obs_.resize(observation.size(), 1);  // no-ops after the first call
    predict_actions_.resize(snapshot_->action_rows(), 1);
    predict_log_prob_.resize(1);
    predict_obs_.col(0) = observation.template cast<T>();
    if constexpr (MaskedEnvironment<Env>) {
      const auto& space = workers_[0]->envs().action_space();
      detail::require_action_mask(space, valid, "AsyncTrainer::predict");
      const auto n = static_cast<Index>(valid.size());
      predict_mask_.resize(n, 1);
      for (Index k = 0; k < n; ++k) predict_mask_(k, 0) = valid[static_cast<std::size_t>(k)] ? T(1) : T(0);
      snapshot_->act_masked(predict_obs_, predict_mask_, predict_rng_, /*deterministic=*/true, predict_actions_,
                            predict_log_prob_);
    } else {
      snapshot_->act(predict_obs_, predict_rng_, /*deterministic=*/true, predict_actions_, predict_log_prob_);
    }
    if constexpr (DiscreteEnvironment<Env>) {
      return static_cast<Action>(predict_actions_(0, 0));
    } else if constexpr (MultiDiscreteEnvironment<Env>) {
      return predict_actions_.col(0).template cast<typename Action::Scalar>();
    } else {
      Action a = predict_actions_.col(0).cwiseMax(low_).cwiseMin(high_).template cast<typename Action::Scalar>();
      return a;
    }
  }

  struct Run {
    std::chrono::steady_clock::time_point start;
    std::int64_t start_steps = 0;
  };
  // What the workers hand to the recording thread, under `mutex`.
  struct Mailbox {
    std::mutex mutex;
    std::condition_variable wake;       // the recording thread: a record is due, or a worker ended
    std::condition_variable caught_up;  // the workers: the recording thread has drained
    std::condition_variable released;   // the workers: the recording thread no longer holds them
    std::vector<EpisodeRecord> episodes;
    std::optional<Stats> stats;
    std::int64_t updates = 0;  // worker updates since the last record
    std::size_t running = 0;   // worker threads still running
    bool hold = false;         // the recording thread holds the workers between their turns
    std::size_t held = 0;      // workers waiting for the hold to end
    std::exception_ptr error;  // the first worker's exception
  };

  AsyncConfig config_;
  std::function<Env()> make_eval_env_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Shared> shared_;
  std::optional<Actor> snapshot_;  // a copy of the shared actor for evaluate, predict and export
  std::optional<nn::Mlp<T>> export_network_;  // a recurrent actor's linear layers, for export_policy
  Rng predict_rng_;
  Matrix<T> predict_obs_, predict_actions_;
  Matrix<T> predict_mask_;  // MaskedEnvironment: predict's action mask
  Vector<T> predict_log_prob_;
  Vector<T> low_, high_;
  std::vector<std::vector<EpisodeRecord>> episodes_;  // each worker's, since its last turn
  std::vector<EpisodeRecord> drained_;
  Mailbox mailbox_;
  EpisodeStats stats_;
  LogRecord record_;
  Run run_;
  std::int64_t rollout_size_ = 0;
  std::int64_t horizon_;
  std::int64_t target_ = 0;  // the steps asked of learn so far
  std::atomic<std::int64_t> claimed_{0};
  std::atomic<bool> stop_{false};
  bool running_ = false;  // inside learn (read by save and load on the calling thread only)
  // While worker threads run: the calling thread's id during a record, else no thread's.
  std::atomic<std::thread::id> recording_{};
  std::uint64_t evaluations_ = 0;
  std::size_t next_turn_ = 0;  // the worker whose turn comes next (deterministic mode)
};

}  // namespace theta
