#pragma once
/// \file OnPolicyTrainer: collects rollouts with a VectorEnv, estimates advantages and runs an
/// on-policy update rule (REINFORCE, A2C, PPO, TRPO) over any environment type and any
/// components that satisfy the concepts.

#include <theta/algo/detail/on_policy.hpp>
#include <theta/algo/update_rule.hpp>
#include <theta/buffer/advantage_estimator.hpp>
#include <theta/buffer/rollout_buffer.hpp>
#include <theta/core/checked_add.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/env/concepts.hpp>
#include <theta/env/vector_env.hpp>
#include <theta/io/checkpoint.hpp>
#include <theta/io/policy_export.hpp>
#include <theta/io/state.hpp>
#include <theta/log/logger.hpp>
#include <theta/normalize/observation_normalizer.hpp>
#include <theta/normalize/reward_scaler.hpp>
#include <theta/optim/concepts.hpp>
#include <theta/policy/categorical_policy.hpp>
#include <theta/policy/gaussian_policy.hpp>
#include <theta/policy/state_value_function.hpp>
#include <theta/policy/stochastic_policy.hpp>
#include <theta/policy/value_function.hpp>
#include <theta/train/callbacks.hpp>
#include <theta/train/detail/callbacks.hpp>
#include <theta/train/detail/checkpoint.hpp>
#include <theta/train/detail/numerics.hpp>
#include <theta/train/detail/representable.hpp>
#include <theta/train/episode_stats.hpp>
#include <theta/train/evaluate.hpp>
#include <theta/train/on_policy_config.hpp>
#include <theta/train/load_result.hpp>
#include <theta/train/training_result.hpp>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <functional>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace theta {

/// The actor type for an environment: categorical for discrete actions, one categorical per
/// dimension for multi-discrete ones, Gaussian otherwise.
template <class Env, Real T>
using policy_for =
    std::conditional_t<DiscreteEnvironment<Env>, CategoricalPolicy<T>,
                       std::conditional_t<MultiDiscreteEnvironment<Env>, MultiCategoricalPolicy<T>, GaussianPolicy<T>>>;

/// Placeholder for a trainer's template argument: "use the default component".
struct DefaultComponent {};

namespace detail {
template <class C, class Default>
using resolve_component = std::conditional_t<std::same_as<C, DefaultComponent>, Default, C>;
}  // namespace detail

/// Component objects handed to an `OnPolicyTrainer`; each one left empty is built by default:
/// the actor and critic from the algorithm config's network descriptions, the optimizers from
/// the algorithm's settings for its default optimizer (`Opt::Config{}` for another type), the
/// estimator from `OnPolicyConfig::gae_lambda` (or the algorithm's default lambda).
///
///     theta::OnPolicyTrainer<Env, theta::ppo::Ppo, MyActor> trainer(config, {}, {.actor = MyActor(...)});
template <class Actor, class Critic, class Opt, class Estimator>
struct OnPolicyComponents {
  std::optional<Actor> actor;
  std::optional<Critic> critic;
  std::optional<typename Opt::Config> optimizer;  ///< one optimizer per component is built from it
  std::optional<Estimator> estimator;
};

/// Trains an on-policy algorithm on `Env`:
///
///     using Env = theta::TimeLimit<theta::CartPole>;
///     theta::OnPolicyTrainer<Env, theta::ppo::Ppo> trainer({.n_envs = 8, .n_steps = 32, .total_steps = 100'000},
///                                                          {.batch_size = 256});
///     trainer.learn(100'000, theta::ProgressBar(100'000));
///     auto eval = trainer.evaluate(20);
///
/// Template arguments after the algorithm choose components; `DefaultComponent` (the default)
/// keeps theta's: `Actor` (any `StochasticPolicy` matching the action space; default
/// `CategoricalPolicy<float>`, `MultiCategoricalPolicy<float>` for a `MultiDiscreteEnvironment`,
/// or `GaussianPolicy<float>`), `Critic` (any `StateValueFunction`;
/// default `ValueFunction`), `Opt` (any `Optimizer`; default the algorithm's, Adam or A2C's
/// RMSprop) and `Estimator` (any `AdvantageEstimator`; default `Gae`, REINFORCE's
/// `MonteCarloReturns`). The update rule is `Algorithm<Actor, Critic, Opt>`.
///
/// The trainer owns the vector environment, the rollout buffer, the advantage estimator, the
/// observation normaliser and reward scaler (when the config asks for them), the random
/// streams, the counters and the schedule horizon; it collects `n_steps x n_envs` transitions
/// per rollout, stores V of the true final observation of truncated episodes for the
/// bootstrap, runs the estimator, calls the rule's `update` and logs the statistics it returns.
/// Continuous actions are stored raw and clipped to the action bounds only when the
/// environment is stepped; multi-discrete actions are stored as one index per dimension
/// (`action_rows()` = nvec.size()) and converted to the environment's `Action` vector. For a
/// `MaskedEnvironment` the collector stores each state's action mask beside the transition and
/// acts with `act_masked` (the actor must be a `MaskedPolicy`),
/// every update recomputes the distribution under the stored masks, and evaluation, `predict`
/// and the exported policy take the mask too (docs/writing-an-environment.md, "Action masks").
// `Algorithm` is a pack so that update rules with defaulted extra parameters bind without
// relying on P0522 (clang 14 does not apply it by default). `Env` is checked by the requires
// clause alone: diagnose_environment names the missing member, where a `theta::Environment Env`
// parameter would fail first with the compiler's bare "constraints not satisfied" (issue 13).
template <class Env, template <class...> class Algorithm, class ActorArg = DefaultComponent,
          class CriticArg = DefaultComponent, class OptArg = DefaultComponent, class EstimatorArg = DefaultComponent>
  requires(diagnose_environment<Env>())
class OnPolicyTrainer {
 public:
  using Actor = detail::resolve_component<ActorArg, policy_for<Env, Scalar>>;
  using T = typename Actor::Scalar;
  using Critic = detail::resolve_component<CriticArg, ValueFunction<T>>;
  using Rule = std::conditional_t<std::same_as<OptArg, DefaultComponent>, Algorithm<Actor, Critic>,
                                  Algorithm<Actor, Critic, OptArg>>;
  // What the trainer reads of a rule besides OnPolicyUpdateRule (docs/components.md).
  static_assert(requires(const typename Rule::Config& c, Index i) {
    typename Rule::optimizer_type;
    typename Rule::default_estimator;
    { Rule::name } -> std::convertible_to<const char*>;
    { Rule::default_n_steps } -> std::convertible_to<Index>;
    { Rule::default_gae_lambda } -> std::convertible_to<double>;
    { Rule::collects_whole_episodes } -> std::convertible_to<bool>;
    Rule::validate(c, i, i);
    { Rule::capacities(c, i, i) } -> std::same_as<BatchCapacities>;
    Rule::optimizer_config(c);
  }, "OnPolicyTrainer: the update rule must provide optimizer_type, default_estimator, name, default_n_steps, "
     "default_gae_lambda, collects_whole_episodes, validate(config, n_envs, n_steps), capacities(config, n_envs, "
     "rollout_size) and optimizer_config(config)");
  using Opt = typename Rule::optimizer_type;
  using Estimator = detail::resolve_component<EstimatorArg, typename Rule::default_estimator>;
  using AlgorithmConfig = typename Rule::Config;
  using Components = OnPolicyComponents<Actor, Critic, Opt, Estimator>;
  using Action = typename Env::Action;

  static_assert(StochasticPolicy<Actor>, "OnPolicyTrainer: the actor must satisfy theta::StochasticPolicy");
  static constexpr bool discrete_actions = DiscreteEnvironment<Env> || MultiDiscreteEnvironment<Env>;
  static_assert(Actor::is_discrete == discrete_actions,
                "OnPolicyTrainer: the actor's action space (Actor::is_discrete) must match the environment's");
  static_assert(!requires(const Actor& a) { a.context_rows(); } || ContextPolicy<Actor>,
                "OnPolicyTrainer: the actor has context_rows() but not ContextPolicy's act(obs, rng, actions, log_probs, "
                "context) and evaluate(obs, actions, context, log_probs, entropy): its context would be lost");
  static_assert(!MaskedEnvironment<Env> || MaskedPolicy<Actor>,
                "OnPolicyTrainer: the environment masks actions (theta::MaskedEnvironment) but the actor is not a "
                "theta::MaskedPolicy (act_masked, evaluate_masked): it would take invalid actions");
  static_assert(StateValueFunction<Critic>, "OnPolicyTrainer: the critic must satisfy theta::StateValueFunction");
  static_assert(std::same_as<typename Critic::Scalar, T>, "OnPolicyTrainer: actor and critic must share a scalar type");
  static_assert(AdvantageEstimator<Estimator, T>, "OnPolicyTrainer: the estimator must satisfy theta::AdvantageEstimator");
  static_assert(OnPolicyUpdateRule<Rule>, "OnPolicyTrainer: Algorithm<Actor, Critic, Opt> must satisfy theta::OnPolicyUpdateRule");

  /// Copies `prototype` into `config.n_envs` environments (and one for evaluation).
  explicit OnPolicyTrainer(const OnPolicyConfig& config, const AlgorithmConfig& algorithm = {},
                           Components components = {}, const Env& prototype = Env{})
    requires std::copy_constructible<Env>
      : OnPolicyTrainer(config, algorithm, std::move(components), [prototype](std::size_t) { return prototype; }) {}

  /// Builds environment i with `make(i)` (i = n_envs is the evaluation copy).
  template <std::invocable<std::size_t> Make>
    requires std::same_as<std::invoke_result_t<Make, std::size_t>, Env>
  OnPolicyTrainer(const OnPolicyConfig& config, const AlgorithmConfig& algorithm, Components components, Make make)
      // Every field is checked before anything is built (validated() throws first).
      : config_(validated(config, algorithm, components)),
        n_steps_(config.n_steps.value_or(Rule::default_n_steps)),
        make_eval_env_([make, n = static_cast<std::size_t>(config.n_envs)]() mutable { return make(n); }),
        envs_(static_cast<std::size_t>(config.n_envs), derive_seed(config.seed, 3), make, config.env),
        space_(space_info(envs_)),
        init_rng_(derive_seed(config.seed, 1)),
        rule_(make_rule(algorithm, components)),
        act_rng_(derive_seed(config.seed, 2)),
        buffer_(n_steps_, config.n_envs, space_.obs_dim, rule_.actor().action_rows(), context_rows(rule_.actor()),
                action_mask_rows(), detail::critic_context_rows(rule_.critic()), actor_has_states || critic_has_states),
        estimator_(make_estimator(config, std::move(components.estimator))),
        // Zero until the first reset: a checkpoint of a trainer that never stepped (an
        // asynchronous worker that got no turn) saves defined, finite values.
        obs_(Matrix<T>::Zero(space_.obs_dim, config.n_envs)),
        final_obs_(Matrix<T>::Zero(space_.obs_dim, 1)),
        final_value_(1),
        last_values_(config.n_envs),
        rewards_(config.n_envs),
        episode_starts_(Vector<T>::Ones(config.n_envs)),
        stats_(config.stats_window),
        horizon_(config.total_steps) {
    if (config.normalize_observations) normalizer_.emplace(space_.obs_dim, config.observation_normalizer);
    if (config.normalize_rewards)
      scaler_.emplace(config.n_envs, RewardScaler::Config{.gamma = config.gamma, .clip = config.reward_clip});
    if constexpr (discrete_actions) {
      // Discrete: one index per copy; multi-discrete: one index per dimension (the actor's rows).
      const Index rows = rule_.actor().action_rows();
      const Index expected = MultiDiscreteEnvironment<Env> ? static_cast<Index>(space_.nvec.size()) : 1;
      require<ConfigError>(rows == expected,
                           "OnPolicyTrainer: the actor stores {} rows per action, the action space {} needs {} (one "
                           "index per dimension)",
                           rows, action_space_name(), expected);
      if constexpr (MultiDiscreteEnvironment<Env>) {
        env_actions_.assign(static_cast<std::size_t>(config.n_envs), Action::Zero(expected));
      } else {
        env_actions_.resize(static_cast<std::size_t>(config.n_envs));
      }
    } else {
      const Box box = envs_.action_space();
      low_ = box.low.cast<T>();
      high_ = box.high.cast<T>();
      clipped_.resize(box.size(), config.n_envs);
    }
  }

  /// Trains until `total_steps` more steps have been asked of it (rounded up to whole rollouts)
  /// or until a callback returns false. Can be called again to continue: the asked steps add
  /// up, and schedules count from the trainer's first step toward
  /// `OnPolicyConfig::total_steps` (or, when that is 0, toward the target of the first call),
  /// so with `total_steps` set `learn(a); learn(b)` trains exactly as `learn(a + b)`.
  template <class L = NullLogger, class... Callbacks>
    requires Logger<std::remove_cvref_t<L>>
  TrainingResult learn(std::int64_t total_steps, L&& logger = L{}, Callbacks&... callbacks) {
    require<ConfigError>(total_steps > 0, "OnPolicyTrainer::learn: total_steps must be > 0, got {}", total_steps);
    const auto start = std::chrono::steady_clock::now();
    const std::int64_t start_steps = steps_;
    // Targets add up over calls (not over the steps actually taken, which overshoot to whole
    // rollouts or episodes), so learn(a); learn(b) stops where learn(a + b) does.
    const std::optional<std::int64_t> new_target = checked_add(target_, total_steps);
    require<ConfigError>(new_target.has_value(),
                         "OnPolicyTrainer::learn: total_steps {} on top of the {} already asked overflows int64", total_steps,
                         target_);
    target_ = *new_target;
    const std::int64_t target = target_;
    if (horizon_ == 0) horizon_ = target;
    if (!started_) {
      reset_envs();
    } else if (envs_.needs_restart()) {
      // The last call failed while collecting: every copy starts a fresh episode.
      envs_.restart();
      if (scaler_) scaler_->reset_returns();
      observe(envs_.observations());
    }
    TrainingResult result;
    LogRecord& record = record_;
    while (steps_ < target) {
      bool collected = false;
      try {
        collected = collect_rollout(callbacks...);
      } catch (...) {
        // Whatever failed (an environment, a value the trainer cannot represent, a callback),
        // the copies restart before the next collection, whatever the thread count.
        envs_.mark_needs_restart();
        throw;
      }
      if (!collected) {
        result.stopped_by_callback = true;
        target_ = steps_;  // a stopped call's remaining budget is dropped
        break;
      }
      bool go_on = true;
      ((go_on = go_on && detail::call_rollout_end(callbacks, *this)), ...);
      record.clear();
      const typename Rule::Stats stats = detail::naming_numerical_errors(
          Rule::name, updates_ + 1, [&] { return rule_.update(buffer_.batch(), progress_remaining()); });
      ++updates_;
      if (config_.check_numerics) check_numerics(stats);
      stats.for_each([&record](const char* key, double value) { record.set(key, value); });
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      record.set("rollout/ep_rew_mean", stats_.mean_return(stats_.capacity()));
      record.set("rollout/ep_len_mean", stats_.mean_length(stats_.capacity()));
      record.set("time/fps", elapsed > 0 ? static_cast<double>(steps_ - start_steps) / elapsed : 0.0);
      record.set("time/iterations", static_cast<double>(updates_));
      record.set("time/time_elapsed", elapsed);
      ((go_on = go_on && detail::call_update_end(callbacks, *this, record)), ...);
      logger.write(record, steps_);
      if (!go_on) {
        result.stopped_by_callback = true;
        target_ = steps_;
        break;
      }
    }
    logger.close();
    result.steps = steps_;
    result.updates = updates_;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

  /// Trains up to `OnPolicyConfig::total_steps` (which must be set).
  template <class L = NullLogger, class... Callbacks>
    requires Logger<std::remove_cvref_t<L>>
  TrainingResult learn_to_budget(L&& logger = L{}, Callbacks&... callbacks) {
    require<ConfigError>(config_.total_steps > 0, "OnPolicyTrainer::learn_to_budget: OnPolicyConfig::total_steps is 0");
    require<ConfigError>(target_ < config_.total_steps, "OnPolicyTrainer::learn_to_budget: the budget of {} steps is spent",
                         config_.total_steps);
    return learn(config_.total_steps - target_, std::forward<L>(logger), callbacks...);
  }

  /// SB3's remaining progress after a collection: 1 - steps / horizon (clamped by the schedules).
  [[nodiscard]] double progress_remaining() const noexcept {
    return horizon_ > 0 ? 1.0 - static_cast<double>(steps_) / static_cast<double>(horizon_) : 1.0;
  }

  /// Deterministic evaluation (`predict`: the policy's mode, frozen normalisation) over
  /// `episodes` episodes of a separate environment copy. Each call uses fresh episode seeds
  /// derived from the config's seed, unless `seed` is given.
  EvaluationResult evaluate(int episodes = 20, std::optional<std::uint64_t> seed = std::nullopt) {
    const std::uint64_t eval_seed = seed.value_or(derive_seed(config_.seed, 4 + 1000 * evaluations_++));
    if constexpr (actor_has_states) {
      return keeping_prediction_state([&] {
        return evaluate_stateful_policy(make_eval_env_(), episodes, eval_seed, [this] { reset_prediction(); },
                                        predictor());
      });
    }
    return evaluate_policy(make_eval_env_(), episodes, eval_seed, predictor());
  }

  /// The same over one episode per seed in `episode_seeds`, in order.
  ///
  ///     const std::vector<std::uint64_t> seeds{11, 12, 13};
  ///     auto eval = trainer.evaluate(seeds);
  EvaluationResult evaluate(std::span<const std::uint64_t> episode_seeds) {
    if constexpr (actor_has_states) {
      return keeping_prediction_state([&] {
        return evaluate_stateful_policy(make_eval_env_(), episode_seeds, [this] { reset_prediction(); },
                                        predictor());
      });
    }
    return evaluate_policy(make_eval_env_(), episode_seeds, predictor());
  }

  /// The deterministic action for one observation, as `evaluate` takes it: the observation
  /// normaliser applied (its statistics unchanged), the policy's deterministic act (the first
  /// largest logit; the Gaussian mean), continuous actions clipped to the bounds. The same
  /// action an exported policy (`export_policy`) returns, bit for bit.
  ///
  ///     auto action = trainer.predict(env.reset(7));
  ///
  /// A recurrent actor carries a prediction state of its own from call to call (the
  /// collection state is left alone): call `reset_prediction()` before an episode's first
  /// observation, as `evaluate` does.
  Action predict(const typename Env::Observation& observation) {
    static_assert(!MaskedEnvironment<Env>,
                  "OnPolicyTrainer::predict: the environment masks actions; pass the state's valid actions: "
                  "predict(observation, valid)");
    prepare_predict(observation);
    with_prediction_state([&] {
      rule_.actor().act(predict_obs_, act_rng_, /*deterministic=*/true, predict_actions_, predict_log_prob_);
    });
    return to_env_action(predict_actions_);
  }

  /// Starts a new episode for `predict`: a recurrent actor's prediction state back to zero
  /// (nothing for other actors).
  void reset_prediction() {
    if constexpr (actor_has_states) predict_state_.setZero();
  }
  /// A recurrent actor's prediction state (empty before the first `predict`).
  [[nodiscard]] const Vector<T>& prediction_state() const noexcept { return predict_state_; }

  /// The deterministic action among the valid ones (`MaskedEnvironment`): `valid` has
  /// n_actions entries (sum(nvec) for `MultiDiscrete`, one mask per dimension), true = valid
  /// (the environment's `action_mask` of that state), and the action is the first largest logit
  /// among them (of each dimension), as an exported policy's `predict(observation, valid)`
  /// returns it. Throws `EnvironmentError` for a mask of another size or without a valid
  /// action (in some dimension).
  ///
  ///     bool valid[3];
  ///     env.action_mask(valid);
  ///     auto action = trainer.predict(observation, valid);
  Action predict(const typename Env::Observation& observation, std::span<const bool> valid)
    requires MaskedEnvironment<Env>
  {
    detail::require_action_mask(envs_.action_space(), valid, "OnPolicyTrainer::predict");
    prepare_predict(observation);
    predict_mask_.resize(space_.n_actions, 1);
    for (Index k = 0; k < space_.n_actions; ++k) predict_mask_(k, 0) = valid[static_cast<std::size_t>(k)] ? T(1) : T(0);
    with_prediction_state([&] {
      rule_.actor().act_masked(predict_obs_, predict_mask_, act_rng_, /*deterministic=*/true, predict_actions_,
                               predict_log_prob_);
    });
    return to_env_action(predict_actions_);
  }

  /// Writes the policy for theta/inference.hpp (atomically): the actor's network, the
  /// observation normaliser, and the action transform (argmax, or clip to the bounds). The
  /// actor must satisfy `io::ExportableActor`. docs/checkpoints.md, "Export and deployment".
  ///
  ///     trainer.export_policy("cartpole.policy");
  void export_policy(const std::filesystem::path& path) { io::export_policy(path, policy_description()); }

  /// What `export_policy` writes: the actor's network, the normaliser and the transform, for
  /// other exporters (`io::export_onnx`). Valid while the trainer lives.
  [[nodiscard]] io::PolicyDescription<T> policy_description() {
    static_assert(io::ExportableActor<Actor> || io::RecurrentExportableActor<Actor>,
                  "OnPolicyTrainer::export_policy: the actor must expose the network its deterministic action reads, "
                  "`const theta::nn::Mlp<Scalar>& network() const` (concept theta::io::ExportableActor), or be a "
                  "recurrent policy (RecurrentCategoricalPolicy)");
    io::PolicyDescription<T> policy{.network = nullptr, .normalizer = normalizer_ ? &*normalizer_ : nullptr};
    io::describe_actor_network(policy, std::as_const(rule_.actor()), export_network_);
    if constexpr (discrete_actions) {
      io::describe_discrete_actions(policy, envs_.action_space(), MaskedEnvironment<Env>);
    } else {
      const Box& box = envs_.action_space();
      policy.transform = io::ActionTransform::clip;
      policy.action_size = box.size();
      policy.low = box.low;
      policy.high = box.high;
    }
    return policy;
  }

  /// Collects one rollout into the buffer and estimates its advantages and returns (what
  /// `learn` does before each update). Exposed for tests and custom loops.
  void collect() {
    if (!started_) reset_envs();
    collect_rollout();
  }

  [[nodiscard]] std::int64_t steps() const noexcept { return steps_; }
  [[nodiscard]] std::int64_t updates() const noexcept { return updates_; }
  [[nodiscard]] std::int64_t episodes_finished() const noexcept { return stats_.total(); }
  [[nodiscard]] double recent_mean_return(std::size_t n) const { return stats_.mean_return(n); }
  /// The update rule, which owns the actor, the critic and their optimizers.
  [[nodiscard]] Rule& algorithm() noexcept { return rule_; }
  [[nodiscard]] Actor& actor() noexcept { return rule_.actor(); }
  [[nodiscard]] Critic& critic() noexcept { return rule_.critic(); }
  [[nodiscard]] RolloutBuffer<T>& buffer() noexcept { return buffer_; }
  [[nodiscard]] Estimator& estimator() noexcept { return estimator_; }
  [[nodiscard]] VectorEnv<Env>& envs() noexcept { return envs_; }
  [[nodiscard]] const OnPolicyConfig& config() const noexcept { return config_; }
  /// Steps per copy per rollout (the config's, or the algorithm's default).
  [[nodiscard]] Index n_steps() const noexcept { return n_steps_; }
  [[nodiscard]] const std::optional<ObservationNormalizer>& observation_normalizer() const noexcept {
    return normalizer_;
  }

  /// Writes the whole training state to `path` atomically (docs/checkpoints.md): the
  /// settings, the actor, the critic and their optimizers, the rule's own state, the
  /// normalisers, every random stream, the counters (steps, updates, the steps asked so far,
  /// the schedule horizon, evaluations), the episode statistics and the environments (their
  /// episodes too when `Env` is a `SavableEnvironment`). Call it between `learn` calls (or
  /// from `on_update_end`). Loading it into a trainer built with the same settings and
  /// calling `learn(n)` continues the run bit for bit.
  void save(const std::filesystem::path& path) const { checkpoint().save(path); }

  /// The checkpoint `save` writes, in memory.
  [[nodiscard]] io::CheckpointWriter checkpoint() const {
    static_assert(requires(const Rule& r, Rule& m, io::CheckpointWriter& w, io::CheckpointReader& in) {
      r.save(w);
      m.load(in);
    }, "OnPolicyTrainer::save/load: the update rule must provide save(io::CheckpointWriter&) const and "
       "load(io::CheckpointReader&) (docs/checkpoints.md)");
    io::CheckpointWriter out(checkpoint_kind(), io::scalar_name<T>(), checkpoint_shape());
    settings().save(out.section("trainer/config"));
    auto& counters = out.section("trainer/state");
    // Saved from inside learn (on_update_end), the call's unfinished budget is dropped, as a
    // callback's stop drops it: a resumed learn(n) then trains n more steps from here.
    detail::TrainerCounters counters_now = trainer_counters();
    counters_now.target = std::min(target_, steps_);
    counters_now.save(counters);
    io::save_rng(counters, init_rng_);
    io::save_rng(counters, act_rng_);
    rule_.save(out);
    if constexpr (io::SectionState<Estimator>) io::save_component(out, "estimator", estimator_);
    if (normalizer_) normalizer_->save(out.section("observation_normalizer"));
    if (scaler_) scaler_->save(out.section("reward_scaler"));
    stats_.save(out.section("episode_stats"));
    auto& envs = out.section("environments");
    envs.matrix(obs_);
    // The recurrent states the next step starts from, and which copies start an episode there.
    if constexpr (actor_has_states) envs.matrix(Matrix<T>(rule_.actor().state()));
    if constexpr (critic_has_states) envs.matrix(Matrix<T>(rule_.critic().state()));
    if constexpr (actor_has_states || critic_has_states) envs.matrix(Matrix<T>(episode_starts_));
    envs_.save(envs);
    return out;
  }

  /// Restores the state `save` wrote. The checkpoint must come from a trainer of the same
  /// algorithm, scalar type, shapes and settings (`OnPolicyConfig::env.threads` may differ);
  /// anything else, and any damage to the file, raises `CheckpointError` saying what and where,
  /// and leaves this trainer exactly as it was. For an environment that cannot be saved, every
  /// copy starts a fresh episode and the result says so.
  LoadResult load(const std::filesystem::path& path) {
    io::CheckpointReader reader = io::CheckpointReader::open(path);
    return load(reader);
  }
  /// The same from a checkpoint in memory (`checkpoint().bytes()`).
  LoadResult load(std::span<const std::uint8_t> bytes) {
    io::CheckpointReader reader = io::CheckpointReader::parse(bytes);
    return load(reader);
  }
  LoadResult load(io::CheckpointReader& reader) { return commit(stage(reader)); }

  /// What `stage` read from a checkpoint, for `commit`.
  struct StagedCheckpoint {
    detail::TrainerCounters counters;
    Rng init_rng;
    Rng act_rng;
    Rule rule;
    Estimator estimator;
    std::optional<ObservationNormalizer> normalizer;
    std::optional<RewardScaler> scaler;
    EpisodeStats stats;
    Matrix<T> observations;
    Matrix<T> actor_state, critic_state, episode_starts;  // recurrent components only
    typename VectorEnv<Env>::LoadedState envs;
  };

  /// The first half of `load`: reads and checks a whole checkpoint into copies and changes
  /// nothing here (CheckpointError naming what is wrong; an environment type that is savable
  /// but not copyable is the exception, see `VectorEnv::read`). `commit` installs the result;
  /// a caller loading several trainers together (`AsyncTrainer`'s workers) stages them all first.
  [[nodiscard]] StagedCheckpoint stage(io::CheckpointReader& in) const {
    static_assert(std::is_copy_assignable_v<Rule> && std::is_copy_assignable_v<Estimator>,
                  "OnPolicyTrainer::load: the update rule (with its actor, critic and optimizers) and the estimator "
                  "must be copyable: a checkpoint is read into copies before anything is assigned");
    in.expect(checkpoint_kind(), io::scalar_name<T>(), checkpoint_shape());
    {
      auto config = in.section("trainer/config");
      settings().check(config);
      config.finish();
    }
    auto state = in.section("trainer/state");
    const detail::TrainerCounters counters = detail::TrainerCounters::load(state);
    const Rng init = io::load_rng(state, "init"), act = io::load_rng(state, "act");
    state.finish();
    StagedCheckpoint staged{.counters = counters, .init_rng = init, .act_rng = act, .rule = rule_,
                            .estimator = estimator_, .normalizer = normalizer_, .scaler = scaler_, .stats = stats_,
                            .observations = {}, .actor_state = {}, .critic_state = {}, .episode_starts = {},
                            .envs = {}};
    staged.rule.load(in);
    if constexpr (io::SectionState<Estimator>) io::load_component(in, "estimator", staged.estimator);
    if (staged.normalizer) {
      auto s = in.section("observation_normalizer");
      staged.normalizer->load(s);
      s.finish();
      // Frozen once observation_statistics_steps were taken (observe() decides it from steps_).
      staged.normalizer->freeze(config_.observation_statistics_steps > 0 &&
                                counters.steps >= config_.observation_statistics_steps);
    }
    if (staged.scaler) {
      auto s = in.section("reward_scaler");
      staged.scaler->load(s);
      s.finish();
    }
    {
      auto s = in.section("episode_stats");
      staged.stats.load(s);
      s.finish();
    }
    auto s = in.section("environments");
    staged.observations = s.matrix<T>("observations", obs_.rows(), obs_.cols());
    require<CheckpointError>(staged.observations.allFinite(), "checkpoint section '{}': the observations are not finite",
                             s.name());
    const auto read_state = [&](const char* what, const Matrix<T>& like) {
      Matrix<T> m = s.template matrix<T>(what, like.rows(), like.cols());
      require<CheckpointError>(m.allFinite(), "checkpoint section '{}': the {} is not finite", s.name(), what);
      return m;
    };
    if constexpr (actor_has_states) staged.actor_state = read_state("actor's recurrent state", rule_.actor().state());
    if constexpr (critic_has_states) {
      staged.critic_state = read_state("critic's recurrent state", rule_.critic().state());
    }
    if constexpr (actor_has_states || critic_has_states) {
      staged.episode_starts = read_state("episode starts", Matrix<T>(episode_starts_));
      require<CheckpointError>((staged.episode_starts.array() == T(0) || staged.episode_starts.array() == T(1)).all(),
                               "checkpoint section '{}': the episode starts must be 0 or 1", s.name());
    }
    staged.envs = envs_.read(s);
    s.finish();
    in.finish();
    require<CheckpointError>(staged.envs.started == counters.started,
                             "checkpoint section '{}': the environments are {}started, the trainer {}", s.name(),
                             staged.envs.started ? "" : "not ", counters.started ? "was" : "was not");
    return staged;
  }

  /// The second half of `load`: installs what `stage` read. Only an environment's own reset,
  /// when the copies start fresh episodes (an environment that cannot be saved), can fail here;
  /// the trainer's previous state (but for the environments) is then put back.
  LoadResult commit(StagedCheckpoint&& staged) {
    auto backup = std::make_tuple(rule_, estimator_, normalizer_, scaler_, stats_, trainer_counters(), init_rng_,
                                  act_rng_, obs_, episode_starts_);
    try {
      set_counters(staged.counters);
      init_rng_ = staged.init_rng;
      act_rng_ = staged.act_rng;
      rule_ = std::move(staged.rule);
      estimator_ = std::move(staged.estimator);
      normalizer_ = std::move(staged.normalizer);
      scaler_ = std::move(staged.scaler);
      stats_ = std::move(staged.stats);
      obs_ = std::move(staged.observations);
      if constexpr (actor_has_states) rule_.actor().state() = staged.actor_state;
      if constexpr (critic_has_states) rule_.critic().state() = staged.critic_state;
      if constexpr (actor_has_states || critic_has_states) episode_starts_ = staged.episode_starts;
      LoadResult result;
      if (!envs_.commit(std::move(staged.envs))) {
        if (scaler_) scaler_->reset_returns();
        reset_states();  // every copy starts a fresh episode
        observe(envs_.observations());
        result.episodes_continued = false;
        result.message = detail::fresh_episodes_message(config_.n_envs, VectorEnv<Env>::saves_episodes);
      }
      return result;
    } catch (...) {
      detail::TrainerCounters counters;
      std::tie(rule_, estimator_, normalizer_, scaler_, stats_, counters, init_rng_, act_rng_, obs_, episode_starts_) =
          std::move(backup);
      set_counters(counters);
      throw;
    }
  }

 private:
  static OnPolicyConfig validated(const OnPolicyConfig& config, const AlgorithmConfig& algorithm,
                                  const Components& components) {
    const Index n_steps = validate(config, config.n_steps.value_or(Rule::default_n_steps));
    Rule::validate(algorithm, config.n_envs, n_steps);
    if (config.gae_lambda) {
      require<ConfigError>(!components.estimator,
                           "OnPolicyConfig::gae_lambda is set, but an estimator was handed in (Components::estimator); "
                           "set its lambda there");
      require<ConfigError>(std::constructible_from<Estimator, double>,
                           "OnPolicyConfig::gae_lambda is set, but the {} estimator is not built from a lambda",
                           Rule::name);
    }
    return config;
  }

  std::string checkpoint_kind() const { return fmt::format("OnPolicyTrainer/{}", Rule::name); }

  std::string checkpoint_shape() const {
    const std::string actions = action_space_name();
    return fmt::format("observations {}, actions {}, n_envs {}, n_steps {}, actor {} parameters, critic {} parameters",
                       space_.obs_dim, actions, config_.n_envs, n_steps_,
                       const_cast<Rule&>(rule_).actor().parameters().size(),
                       const_cast<Rule&>(rule_).critic().parameters().size());
  }

  // What a checkpoint records of the trainer's config (all but env.threads, which changes no
  // result) and compares at load.
  io::Settings settings() const {
    const OnPolicyConfig& c = config_;
    io::Settings s("OnPolicyConfig");
    s.add("n_envs", c.n_envs).add("n_steps", n_steps_).add("gamma", c.gamma).add("gae_lambda", c.gae_lambda);
    s.add("total_steps", c.total_steps).add("normalize_observations", c.normalize_observations);
    s.add("observation_normalizer.clip", c.observation_normalizer.clip);
    s.add("observation_normalizer.epsilon", c.observation_normalizer.epsilon);
    s.add("observation_statistics_steps", c.observation_statistics_steps);
    s.add("normalize_rewards", c.normalize_rewards).add("reward_clip", c.reward_clip);
    s.add("stats_window", c.stats_window).add("seed", c.seed);
    return s;
  }

  void check_numerics(const typename Rule::Stats& stats) {
    detail::require_finite_statistics(Rule::name, stats, updates_);
    detail::require_finite_component(Rule::name, "actor", rule_.actor(), updates_);
    if (rule_.uses_critic()) detail::require_finite_component(Rule::name, "critic", rule_.critic(), updates_);
  }

  detail::TrainerCounters trainer_counters() const {
    return {.steps = steps_, .updates = updates_, .target = target_, .horizon = horizon_, .evaluations = evaluations_,
            .started = started_};
  }
  void set_counters(const detail::TrainerCounters& c) {
    steps_ = c.steps;
    updates_ = c.updates;
    target_ = c.target;
    horizon_ = c.horizon;
    evaluations_ = c.evaluations;
    started_ = c.started;
  }

  // "Discrete(4)", "MultiDiscrete([3, 2])", "Box(2)": as errors and checkpoints name the space.
  std::string action_space_name() const {
    if constexpr (MultiDiscreteEnvironment<Env>) {
      return to_string(envs_.action_space());
    } else if constexpr (DiscreteEnvironment<Env>) {
      return fmt::format("Discrete({})", space_.n_actions);
    } else {
      return fmt::format("Box({})", space_.action_dim);
    }
  }

  static SpaceInfo space_info(const VectorEnv<Env>& envs) {
    SpaceInfo info{.obs_dim = envs.observation_size()};
    if constexpr (DiscreteEnvironment<Env>) {
      info.n_actions = static_cast<Index>(envs.action_space().n);
    } else if constexpr (MultiDiscreteEnvironment<Env>) {
      info.n_actions = envs.action_space().total();
      info.nvec = envs.action_space().nvec;
    } else {
      info.action_dim = envs.action_space().size();
    }
    return info;
  }

  // The actor, then the critic (each from init_rng_ unless handed in), then the rule.
  Rule make_rule(const AlgorithmConfig& algorithm, Components& components) {
    const Index rollout = n_steps_ * config_.n_envs;
    const BatchCapacities capacity = Rule::capacities(algorithm, config_.n_envs, rollout);
    Actor actor = [&] {
      if (components.actor) return std::move(*components.actor);
      // theta's policies are built from the rule config's network description.
      if constexpr (detail::BuildablePolicy<Actor> && requires {
                      { algorithm.actor } -> std::convertible_to<const NetworkConfig&>;
                      { algorithm.log_std_init } -> std::convertible_to<double>;
                    }) {
        return detail::make_policy<Actor>(space_, algorithm.actor, algorithm.log_std_init, capacity.act,
                                          capacity.actor_train, init_rng_);
      } else {
        throw ConfigError(fmt::format("OnPolicyTrainer ({}): no actor was handed in (Components::actor) and none can be "
                                      "built: that needs a theta policy type and a rule Config with the network "
                                      "description `actor` and `log_std_init`", Rule::name));
      }
    }();
    Critic critic = [&] {
      if (components.critic) return std::move(*components.critic);
      if constexpr (std::constructible_from<Critic, Index, const NetworkConfig&, Index, Index, Rng&> &&
                    requires { { algorithm.critic } -> std::convertible_to<const NetworkConfig&>; }) {
        return Critic(space_.obs_dim, algorithm.critic, capacity.act, capacity.critic_train, init_rng_);
      } else {
        throw ConfigError(fmt::format("OnPolicyTrainer ({}): no critic was handed in (Components::critic) and none can "
                                      "be built: that needs a critic type built from a network description and a rule "
                                      "Config with the network description `critic`", Rule::name));
      }
    }();
    const typename Opt::Config optimizer = components.optimizer.value_or(Rule::optimizer_config(algorithm));
    return Rule(algorithm, std::move(actor), std::move(critic), optimizer,
                RolloutShape{.obs_dim = space_.obs_dim, .size = rollout, .action_mask_rows = action_mask_rows(),
                             .n_envs = config_.n_envs},
                init_rng_);
  }

  static Estimator make_estimator(const OnPolicyConfig& config, std::optional<Estimator> given) {
    if (given) return std::move(*given);
    if constexpr (std::constructible_from<Estimator, double>) {
      return Estimator(config.gae_lambda.value_or(Rule::default_gae_lambda));
    } else {
      return Estimator{};
    }
  }

  // A policy that carries state from step to step (RecurrentCategoricalPolicy) cannot see
  // where an episode starts: the trainer, which owns the resets, tells it with
  // reset_states(flags) before it acts on an episode's first observation.
  // evaluate() also keeps the acting state (state()) aside and resets every slot (reset_states()).
  static constexpr bool actor_has_states = requires(Actor& a, const Eigen::Ref<const Vector<T>>& flags) {
    a.reset_states(flags);
    a.reset_states();
    a.state() = a.state();
  };

  // A critic that carries a recurrent state from step to step (RecurrentValueFunction).
  static constexpr bool critic_has_states = SequenceValueFunction<Critic>;

  void reset_envs() {
    envs_.reset();
    reset_states();
    observe(envs_.observations());
    started_ = true;
  }

  // Every copy starts an episode: zero recurrent states, and the next step is an episode start.
  void reset_states() {
    if constexpr (actor_has_states || critic_has_states) episode_starts_.setOnes();
    if constexpr (actor_has_states) rule_.actor().reset_states();
    if constexpr (critic_has_states) rule_.critic().reset_states();
  }

  // Current observations into obs_, through the normaliser (whose statistics see every
  // observation the agent acts on, as SB3's VecNormalize).
  template <class Derived>
  void observe(const Eigen::MatrixBase<Derived>& raw) {
    detail::require_representable<T>(raw, "OnPolicyTrainer", "an observation", steps_);
    obs_ = raw.template cast<T>();
    if (normalizer_) {
      if (config_.observation_statistics_steps > 0 && steps_ >= config_.observation_statistics_steps) {
        normalizer_->freeze();
      }
      normalizer_->update(obs_);
      normalizer_->normalize(obs_, obs_);
    }
  }

  // Rows of the action masks kept per transition: n_actions (sum(nvec)) for a MaskedEnvironment, else 0.
  Index action_mask_rows() const noexcept { return MaskedEnvironment<Env> ? space_.n_actions : 0; }

  // evaluate's action for one observation: predict, with the state's mask when there is one.
  auto predictor() {
    if constexpr (MaskedEnvironment<Env>) {
      return [this](const typename Env::Observation& o, std::span<const bool> valid) { return predict(o, valid); };
    } else {
      return [this](const typename Env::Observation& o) { return predict(o); };
    }
  }

  // Runs an evaluation (predict carries the prediction state, never the collection state;
  // every episode starts it from zero) and puts the caller's prediction state back.
  template <class F>
  EvaluationResult keeping_prediction_state(F&& evaluation) {
    const Vector<T> predicting = predict_state_;
    try {
      EvaluationResult result = evaluation();
      predict_state_ = predicting;
      return result;
    } catch (...) {
      predict_state_ = predicting;
      throw;
    }
  }

  // Runs f (one deterministic act on slot 0) with a recurrent actor's slot 0 holding the
  // prediction state, which then holds the state after the step; the collection state of
  // slot 0 is put back.
  template <class F>
  void with_prediction_state(F&& f) {
    if constexpr (actor_has_states) {
      auto state = rule_.actor().state();
      if (predict_state_.rows() != state.rows()) predict_state_ = Vector<T>::Zero(state.rows());
      collecting_slot_ = state.col(0);
      state.col(0) = predict_state_;
      try {
        f();
      } catch (...) {
        state.col(0) = collecting_slot_;
        throw;
      }
      predict_state_ = state.col(0);
      state.col(0) = collecting_slot_;
    } else {
      f();
    }
  }

  void prepare_predict(const typename Env::Observation& observation) {
    predict_obs_.resize(space_.obs_dim, 1);  // no-ops after the first call
    predict_actions_.resize(rule_.actor().action_rows(), 1);
    predict_log_prob_.resize(1);
    predict_obs_.col(0) = observation.template cast<T>();
    if (normalizer_) normalizer_->normalize(predict_obs_, predict_obs_);
  }

  Action to_env_action(const Matrix<T>& actions) const {
    if constexpr (DiscreteEnvironment<Env>) {
      return static_cast<Action>(actions(0, 0));
    } else if constexpr (MultiDiscreteEnvironment<Env>) {
      return actions.col(0).template cast<typename Action::Scalar>();
    } else {
      Action a = actions.col(0).cwiseMax(low_).cwiseMin(high_).template cast<typename Action::Scalar>();
      return a;
    }
  }

  // The bootstrap values of step t's truncated copies under a recurrent critic: one step from
  // each copy's slot (its state after s_t) on its final observation, all copies in one batch
  // (the others value the observation they acted on, unused), before any slot is reset.
  template <class Obs>
  void bootstrap_truncated(Index t, const Obs& obs_t) {
    const Index n_envs = config_.n_envs;
    final_obs_all_.resize(space_.obs_dim, n_envs);  // no-ops after the first call
    final_values_all_.resize(n_envs);
    for (Index e = 0; e < n_envs; ++e) {
      const auto i = static_cast<std::size_t>(e);
      if (envs_.truncated(i) && !envs_.terminated(i)) {
        final_obs_all_.col(e) = envs_.final_observations().col(e).template cast<T>();
        if (normalizer_) normalizer_->normalize(final_obs_all_.col(e), final_obs_all_.col(e));
      } else {
        final_obs_all_.col(e) = obs_t.col(e);
      }
    }
    rule_.critic().predict(final_obs_all_, final_values_all_);
    for (Index e = 0; e < n_envs; ++e) {
      const auto i = static_cast<std::size_t>(e);
      if (envs_.truncated(i) && !envs_.terminated(i)) buffer_.set_final_value(t, e, final_values_all_[e]);
    }
  }

  template <class... Callbacks>
  bool collect_rollout(Callbacks&... callbacks) {
    auto& buffer = buffer_;
    auto& policy = rule_.actor();
    const bool uses_critic = rule_.uses_critic();
    const Index n_envs = config_.n_envs;
    Index t = 0;
    for (; t < buffer.n_steps(); ++t) {
      auto obs_t = buffer.observations(t);
      obs_t = obs_;
      if constexpr (MaskedEnvironment<Env>) {
        // ---- the valid actions of s_t (VectorEnv read them after the last reset or step), kept
        // with the transition: the update recomputes pi over the same actions (issue 15).
        auto masks_t = buffer.action_masks(t);
        masks_t = envs_.action_masks().template cast<T>().matrix();
        act_recording(policy, obs_t, masks_t, act_rng_, buffer.actions(t), buffer.log_probs(t), buffer.contexts(t));
      } else {
        act_recording(policy, obs_t, act_rng_, buffer.actions(t), buffer.log_probs(t), buffer.contexts(t));
      }
      if constexpr (actor_has_states || critic_has_states) buffer.episode_starts(t) = episode_starts_;
      if constexpr (critic_has_states) {
        rule_.critic().step(obs_t, buffer.values(t), buffer.critic_contexts(t));
      } else {
        if (uses_critic) rule_.critic().predict(obs_t, buffer.values(t));
        else buffer.values(t).setZero();
      }

      // ---- step: discrete indices, or continuous actions clipped to the bounds
      if constexpr (DiscreteEnvironment<Env>) {
        const auto actions = buffer.actions(t);
        for (Index e = 0; e < n_envs; ++e) env_actions_[static_cast<std::size_t>(e)] = static_cast<Action>(actions(0, e));
        envs_.step(std::span<const Action>(env_actions_));
      } else if constexpr (MultiDiscreteEnvironment<Env>) {
        // One index per dimension, into vectors sized once (no allocation).
        const auto actions = buffer.actions(t);
        for (Index e = 0; e < n_envs; ++e) {
          env_actions_[static_cast<std::size_t>(e)] = actions.col(e).template cast<typename Action::Scalar>();
        }
        envs_.step(std::span<const Action>(env_actions_));
      } else {
        clipped_ = buffer.actions(t);
        for (Index e = 0; e < n_envs; ++e) clipped_.col(e) = clipped_.col(e).cwiseMax(low_).cwiseMin(high_);
        envs_.step(clipped_);
      }
      steps_ += n_envs;

      // ---- rewards (scaled if asked), flags and the truncation bootstrap
      // A reward finite as a double can overflow T (1e39 as float); VectorEnv checked the double.
      detail::require_representable<T>(envs_.rewards().transpose(), "OnPolicyTrainer", "reward", steps_);
      rewards_ = envs_.rewards().template cast<T>();
      if (scaler_) scaler_->scale(rewards_, [&](std::size_t e) { return envs_.done(e); });
      buffer.rewards(t) = rewards_;
      bool any_done = false;
      [[maybe_unused]] bool any_truncated = false;
      for (Index e = 0; e < n_envs; ++e) {
        const auto i = static_cast<std::size_t>(e);
        buffer.set_done(t, e, envs_.terminated(i), envs_.truncated(i));
        any_done |= envs_.done(i);
        if (envs_.truncated(i) && !envs_.terminated(i)) {
          if constexpr (critic_has_states) {
            // Valued below, all copies at once: a recurrent critic values copy e from slot e.
            detail::require_representable<T>(envs_.final_observations().col(e), "OnPolicyTrainer", "a final observation",
                                             steps_, e);
            any_truncated = true;
          } else if (uses_critic) {
            detail::require_representable<T>(envs_.final_observations().col(e), "OnPolicyTrainer", "a final observation",
                                             steps_, e);
            final_obs_ = envs_.final_observations().col(e).template cast<T>();
            if (normalizer_) normalizer_->normalize(final_obs_, final_obs_);
            rule_.critic().predict(final_obs_, final_value_);
            buffer.set_final_value(t, e, final_value_[0]);
          } else {
            buffer.set_final_value(t, e, T(0));
          }
        }
      }
      if constexpr (critic_has_states) {
        if (any_truncated) bootstrap_truncated(t, obs_t);
      }
      for (const EpisodeRecord& episode : envs_.finished_episodes()) stats_.add(episode.episode_return, episode.length);
      if constexpr (actor_has_states || critic_has_states) {
        // The states after this step are the ones the next starts from, but where a copy was reset.
        for (Index e = 0; e < n_envs; ++e) episode_starts_[e] = envs_.done(static_cast<std::size_t>(e)) ? T(1) : T(0);
        if (any_done) {
          if constexpr (actor_has_states) policy.reset_states(episode_starts_);
          if constexpr (critic_has_states) rule_.critic().reset_states(episode_starts_);
        }
      }
      observe(envs_.observations());

      bool go_on = true;
      ((go_on = go_on && detail::call_step(callbacks, *this)), ...);
      if (!go_on) return false;
      if constexpr (Rule::collects_whole_episodes) {
        if (any_done) {
          ++t;
          break;
        }
      }
    }
    buffer.set_used_steps(std::min(t, buffer.n_steps()));
    if (uses_critic) rule_.critic().predict(obs_, last_values_);
    else last_values_.setZero();
    estimator_.estimate(buffer, last_values_, static_cast<T>(config_.gamma));
    return true;
  }

  OnPolicyConfig config_;
  Index n_steps_;
  std::function<Env()> make_eval_env_;
  VectorEnv<Env> envs_;
  SpaceInfo space_;
  Rng init_rng_;
  Rule rule_;
  Rng act_rng_;
  RolloutBuffer<T> buffer_;
  Estimator estimator_;
  std::optional<ObservationNormalizer> normalizer_;
  std::optional<RewardScaler> scaler_;
  Matrix<T> obs_;
  Matrix<T> final_obs_;
  Vector<T> final_value_;
  Vector<T> last_values_;
  Vector<T> rewards_;
  Vector<T> episode_starts_;  // 1 where an environment was reset, for a policy or critic with states
  Matrix<T> final_obs_all_;   // a recurrent critic's bootstrap batch
  Vector<T> predict_state_;   // a recurrent actor's state between predict calls
  std::optional<nn::Mlp<T>> export_network_;  // a recurrent actor's linear layers, for export_policy
  Vector<T> collecting_slot_;  // slot 0's collection state, aside while predict runs
  Vector<T> final_values_all_;
  std::vector<Action> env_actions_;
  Vector<T> low_, high_;
  Matrix<T> clipped_;
  Matrix<T> predict_obs_, predict_actions_;  // predict's one observation and action
  Matrix<T> predict_mask_;                    // predict's action mask (MaskedEnvironment)
  Vector<T> predict_log_prob_;
  EpisodeStats stats_;
  LogRecord record_;  // reused: logging allocates nothing after the first update
  std::int64_t horizon_;
  std::int64_t target_ = 0;  // the steps asked of learn so far
  std::int64_t steps_ = 0;
  std::int64_t updates_ = 0;
  std::uint64_t evaluations_ = 0;
  bool started_ = false;
};

}  // namespace theta
