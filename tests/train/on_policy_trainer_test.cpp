#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"
#include "train/checks.hpp"

#include <cmath>
#include <limits>
#include <string>

using theta::test::Corridor;
using theta::test::Drift;
using DiscreteEnv = theta::TimeLimit<Corridor>;
using ContinuousEnv = theta::TimeLimit<Drift>;

namespace {

const theta::NetworkConfig small{.hidden = {16}};

// Every trainable parameter of a trainer (actor then critic) in one vector.
template <class Trainer>
auto parameters_of(Trainer& trainer) {
  using T = typename Trainer::T;
  auto actor = trainer.actor().parameters();
  auto critic = trainer.critic().parameters();
  theta::Vector<T> params(actor.size() + critic.size());
  params << actor, critic;
  return params;
}

// Trains `steps` and returns every trainable parameter.
template <template <class...> class Algo, class Env, class Config>
theta::Vector<float> train(theta::OnPolicyConfig trainer_config, const Config& config, std::uint64_t seed,
                           std::int64_t steps, const Env& env) {
  trainer_config.seed = seed;
  theta::OnPolicyTrainer<Env, Algo> trainer(trainer_config, config, {}, env);
  const auto result = trainer.learn(steps);
  REQUIRE(result.steps >= steps);
  REQUIRE(result.updates >= 1);
  return parameters_of(trainer);
}

template <template <class...> class Algo, class Env, class Config>
void check_reproducible(const theta::OnPolicyConfig& trainer_config, const Config& config, const Env& env,
                        std::int64_t steps) {
  const auto a = train<Algo>(trainer_config, config, 1, steps, env);
  const auto b = train<Algo>(trainer_config, config, 1, steps, env);
  const auto c = train<Algo>(trainer_config, config, 2, steps, env);
  REQUIRE(a.allFinite());
  REQUIRE(a == b);  // bit for bit
  REQUIRE(a != c);
}

// learn(a); learn(b) against learn(a + b), with schedules that move: bit-identical parameters.
template <template <class...> class Algo, class Env, class Config>
void check_resumable(theta::OnPolicyConfig trainer_config, const Config& config, const Env& env, std::int64_t a,
                     std::int64_t b) {
  trainer_config.total_steps = a + b;
  theta::OnPolicyTrainer<Env, Algo> straight(trainer_config, config, {}, env);
  straight.learn(a + b);
  theta::OnPolicyTrainer<Env, Algo> resumed(trainer_config, config, {}, env);
  resumed.learn(a);
  const auto middle = parameters_of(resumed);
  resumed.learn(b);
  REQUIRE(resumed.steps() == straight.steps());
  REQUIRE(parameters_of(resumed) == parameters_of(straight));
  REQUIRE(parameters_of(resumed) != middle);
}

const theta::OnPolicyConfig two_by_16{.n_envs = 2, .n_steps = 16};
const theta::ppo::Config ppo{.batch_size = 8, .n_epochs = 2, .actor = small, .critic = small};
const theta::a2c::Config a2c{.actor = small, .critic = small};
const theta::trpo::Config trpo{.batch_size = 8, .n_critic_updates = 2, .actor = small, .critic = small};
const theta::reinforce::Config reinforce{.use_baseline = true, .actor = small, .critic = small};

}  // namespace

TEST_CASE("PPO, A2C, TRPO and REINFORCE train on user environments and are bit-reproducible", "[unit]") {
  const DiscreteEnv discrete(Corridor{}, 10);
  const ContinuousEnv continuous(Drift{}, 10);
  const theta::OnPolicyConfig a2c_trainer{.n_envs = 2, .n_steps = 5};
  const theta::OnPolicyConfig one_env{.n_steps = 10};
  theta::NetworkConfig small_dropout = small;
  small_dropout.dropout = 0.5;
  const theta::reinforce::Config reinforce_dropout{.actor = small_dropout};
  SECTION("REINFORCE with dropout") {
    check_reproducible<theta::reinforce::Reinforce>(one_env, reinforce_dropout, discrete, 60);
    check_reproducible<theta::reinforce::Reinforce>(one_env, reinforce_dropout, continuous, 60);
  }
  SECTION("discrete actions") {
    check_reproducible<theta::ppo::Ppo>(two_by_16, ppo, discrete, 96);
    check_reproducible<theta::a2c::A2c>(a2c_trainer, a2c, discrete, 60);
    check_reproducible<theta::trpo::Trpo>(two_by_16, trpo, discrete, 96);
    check_reproducible<theta::reinforce::Reinforce>(one_env, reinforce, discrete, 60);
  }
  SECTION("continuous actions") {
    check_reproducible<theta::ppo::Ppo>(two_by_16, ppo, continuous, 96);
    check_reproducible<theta::a2c::A2c>(a2c_trainer, a2c, continuous, 60);
    check_reproducible<theta::trpo::Trpo>(two_by_16, trpo, continuous, 96);
    check_reproducible<theta::reinforce::Reinforce>(one_env, reinforce, continuous, 60);
  }
  SECTION("dropout in the actor of PPO, A2C and TRPO: the update recomputes the acting pass") {
    theta::ppo::Config ppo_dropout = ppo;
    ppo_dropout.actor = small_dropout;
    theta::a2c::Config a2c_dropout = a2c;
    a2c_dropout.actor = small_dropout;
    theta::trpo::Config trpo_dropout = trpo;
    trpo_dropout.actor = small_dropout;
    check_reproducible<theta::ppo::Ppo>(two_by_16, ppo_dropout, discrete, 96);
    check_reproducible<theta::a2c::A2c>(a2c_trainer, a2c_dropout, continuous, 60);
    check_reproducible<theta::trpo::Trpo>(two_by_16, trpo_dropout, discrete, 96);
  }
}

TEST_CASE("learn(a); learn(b) trains exactly as learn(a + b), schedules included", "[unit]") {
  const DiscreteEnv discrete(Corridor{}, 10);
  const ContinuousEnv continuous(Drift{}, 10);
  theta::ppo::Config ppo_annealed = ppo;
  ppo_annealed.learning_rate = theta::Schedule::linear(1e-3, 0.0);
  ppo_annealed.clip_range = theta::Schedule::linear(0.2, 0.05);
  theta::a2c::Config a2c_annealed = a2c;
  a2c_annealed.learning_rate = theta::Schedule::linear(7e-4, 0.0);
  theta::reinforce::Config reinforce_annealed = reinforce;
  reinforce_annealed.learning_rate = [](double p) { return 1e-2 * p * p; };
  check_resumable<theta::ppo::Ppo>(two_by_16, ppo_annealed, discrete, 64, 96);
  check_resumable<theta::ppo::Ppo>(two_by_16, ppo_annealed, continuous, 32, 64);
  check_resumable<theta::a2c::A2c>({.n_envs = 2, .n_steps = 5}, a2c_annealed, discrete, 30, 40);
  check_resumable<theta::trpo::Trpo>(two_by_16, trpo, continuous, 64, 32);
  check_resumable<theta::reinforce::Reinforce>({.n_steps = 10}, reinforce_annealed, discrete, 40, 50);
}

TEST_CASE("Schedules count toward total_steps, not toward one learn call", "[unit]") {
  const DiscreteEnv env(Corridor{}, 10);
  theta::ppo::Config config = ppo;
  config.learning_rate = theta::Schedule::linear(1e-3, 0.0);
  theta::OnPolicyTrainer<DiscreteEnv, theta::ppo::Ppo> trainer({.n_envs = 2, .n_steps = 16, .total_steps = 320},
                                                               config, {}, env);
  trainer.learn(32);
  REQUIRE(trainer.progress_remaining() == Approx(0.9));
  REQUIRE(trainer.algorithm().actor_optimizer().learning_rate() == Approx(1e-3 * 0.9));
  trainer.learn(32);
  REQUIRE(trainer.progress_remaining() == Approx(0.8));
  // Without total_steps, the first call's target is the horizon.
  theta::OnPolicyTrainer<DiscreteEnv, theta::ppo::Ppo> first_call({.n_envs = 2, .n_steps = 16}, config, {}, env);
  first_call.learn(64);
  REQUIRE(first_call.progress_remaining() == Approx(0.0));
  REQUIRE_THROWS_WITH(first_call.learn_to_budget(), Catch::Contains("OnPolicyConfig::total_steps is 0"));
}

TEST_CASE("The trainer also trains in double precision, reproducibly", "[unit]") {
  const auto run = [](std::uint64_t seed) {
    theta::OnPolicyTrainer<DiscreteEnv, theta::ppo::Ppo, theta::CategoricalPolicy<double>> trainer(
        {.n_envs = 2, .n_steps = 8, .seed = seed}, {.batch_size = 8, .actor = small, .critic = small}, {},
        DiscreteEnv(Corridor{}, 10));
    static_assert(std::same_as<decltype(trainer)::Critic, theta::ValueFunction<double>>);
    const theta::Vector<double> before = parameters_of(trainer);
    trainer.learn(32);
    const theta::Vector<double> after = parameters_of(trainer);
    REQUIRE(after.allFinite());
    REQUIRE((after - before).cwiseAbs().maxCoeff() > 1e-6);  // it trained
    return after;
  };
  REQUIRE(run(1) == run(1));
  REQUIRE(run(1) != run(2));
}

TEST_CASE("Every config field is checked before anything is built, naming config and field", "[unit]") {
  const DiscreteEnv env(Corridor{}, 10);
  using Ppo = theta::OnPolicyTrainer<DiscreteEnv, theta::ppo::Ppo>;
  using A2c = theta::OnPolicyTrainer<DiscreteEnv, theta::a2c::A2c>;
  using Trpo = theta::OnPolicyTrainer<DiscreteEnv, theta::trpo::Trpo>;
  using Reinforce = theta::OnPolicyTrainer<DiscreteEnv, theta::reinforce::Reinforce>;
  const auto throws = [](auto make, const std::string& message) {
    REQUIRE_THROWS_AS(make(), theta::ConfigError);
    REQUIRE_THROWS_WITH(make(), Catch::Contains(message));
  };
  // ---- nothing is built before the config is checked: no environment is made
  int made = 0;
  const auto count_made = [&](std::size_t) {
    ++made;
    return env;
  };
  throws([&] { Ppo({.n_envs = 2}, {.n_epochs = 0}, {}, count_made); }, "ppo::Config::n_epochs must be >= 1, got 0");
  throws([&] { Ppo({.n_envs = -1}, {}, {}, count_made); }, "OnPolicyConfig::n_envs must be >= 1, got -1");
  REQUIRE(made == 0);
  // ---- the trainer's config
  throws([&] { Ppo({.n_envs = -1}, {}, {}, env); }, "OnPolicyConfig::n_envs must be >= 1, got -1");
  throws([&] { Ppo({.n_envs = 0}, {}, {}, env); }, "OnPolicyConfig::n_envs must be >= 1, got 0");
  throws([&] { Ppo({.n_steps = 0}, {}, {}, env); }, "OnPolicyConfig::n_steps must be >= 1, got 0");
  throws([&] { Ppo({.n_envs = 1'000'000'000, .n_steps = 1'000'000'000'000}, {}, {}, env); },
         "OnPolicyConfig: n_steps * n_envs overflows (1000000000000 * 1000000000)");
  throws([&] { Ppo({.gamma = 1.5}, {}, {}, env); }, "OnPolicyConfig::gamma must be in [0, 1], got 1.5");
  throws([&] { Ppo({.gae_lambda = -0.1}, {}, {}, env); }, "OnPolicyConfig::gae_lambda must be in [0, 1], got -0.1");
  throws([&] { Ppo({.total_steps = -5}, {}, {}, env); }, "OnPolicyConfig::total_steps must be >= 0, got -5");
  throws([&] { Ppo({.reward_clip = 0}, {}, {}, env); }, "OnPolicyConfig::reward_clip must be > 0, got 0");
  throws([&] { Ppo({.observation_normalizer = {.clip = -1}}, {}, {}, env); },
         "OnPolicyConfig::observation_normalizer.clip must be > 0, got -1");
  throws([&] { Ppo({.stats_window = 0}, {}, {}, env); }, "OnPolicyConfig::stats_window must be >= 1, got 0");
  throws([&] { Ppo({.env = {.threads = 0}}, {}, {}, env); }, "OnPolicyConfig::env.threads must be >= 1, got 0");
  throws([&] { Reinforce({.gae_lambda = 0.9}, {}, {}, env); },
         "OnPolicyConfig::gae_lambda is set, but the reinforce estimator is not built from a lambda");
  throws([&] { Reinforce({.n_envs = 4}, {}, {}, env); }, "reinforce: OnPolicyConfig::n_envs must be 1");
  throws([&] { A2c({.gae_lambda = 0.8}, {}, {.estimator = theta::Gae<float>(0.95)}, env); },
         "OnPolicyConfig::gae_lambda is set, but an estimator was handed in");
  // ---- the algorithms' configs
  throws([&] { Ppo({.n_envs = 2, .n_steps = 4}, {.batch_size = 9}, {}, env); },
         "ppo::Config::batch_size must be in [1, n_steps * n_envs = 8], got 9");
  throws([&] { Ppo({}, {.n_epochs = 0}, {}, env); }, "ppo::Config::n_epochs must be >= 1, got 0");
  throws([&] { Ppo({}, {.clip_range = -0.2}, {}, env); }, "ppo::Config::clip_range must be > 0 at the start (progress 1), got -0.2");
  throws([&] { Ppo({}, {.clip_range = theta::Schedule::linear(0.2, -0.2)}, {}, env); },
         "ppo::Config::clip_range must stay >= 0, but its end value (progress 0) is -0.2");
  throws([&] { Ppo({}, {.learning_rate = theta::Schedule::linear(1e-3, -1e-3)}, {}, env); },
         "ppo::Config::learning_rate must stay >= 0, but its end value (progress 0) is -0.001");
  throws([&] { Ppo({}, {.adam_eps = 0}, {}, env); }, "ppo::Config::adam_eps must be > 0, got 0");
  throws([&] { Ppo({}, {.max_grad_norm = std::numeric_limits<double>::quiet_NaN()}, {}, env); },
         "ppo::Config::max_grad_norm must not be NaN");
  throws([&] { Ppo({}, {.target_kl = -1.0}, {}, env); }, "ppo::Config::target_kl must be > 0, got -1");
  throws([&] { Ppo({}, {.actor = {.hidden = {64, 0}}}, {}, env); }, "ppo::Config::actor.hidden[1] must be >= 1, got 0");
  throws([&] { Ppo({}, {.critic = {.hidden = {0}}}, {}, env); }, "ppo::Config::critic.hidden[0] must be >= 1, got 0");
  throws([&] { Ppo({}, {.critic = {.hidden = {8}, .dropout = 0.5}}, {}, env); }, "ppo::Config::critic.dropout must be 0");
  throws([&] { Ppo({}, {.actor = {.hidden = {8}, .dropout = 1.0}}, {}, env); },
         "ppo::Config::actor.dropout must be in [0, 1), got 1");
  throws([&] { A2c({}, {.vf_coef = -1}, {}, env); }, "a2c::Config::vf_coef must be >= 0, got -1");
  throws([&] { A2c({}, {.rms_prop_alpha = 1.0}, {}, env); }, "a2c::Config::rms_prop_alpha must be in [0, 1), got 1");
  throws([&] { A2c({}, {.actor = {.hidden = {3, 0}}}, {}, env); }, "a2c::Config::actor.hidden[1] must be >= 1, got 0");
  throws([&] { Trpo({}, {.target_kl = 0}, {}, env); }, "trpo::Config::target_kl must be > 0, got 0");
  throws([&] { Trpo({}, {.cg_residual_tol = -1}, {}, env); }, "trpo::Config::cg_residual_tol must be >= 0, got -1");
  throws([&] { Trpo({}, {.adam_eps = -1e-5}, {}, env); }, "trpo::Config::adam_eps must be > 0, got -1e-05");
  throws([&] { Trpo({}, {.line_search_shrinking_factor = 1}, {}, env); },
         "trpo::Config::line_search_shrinking_factor must be in (0, 1), got 1");
  throws([&] { Reinforce({}, {.baseline_learning_rate = 0}, {}, env); },
         "reinforce::Config::baseline_learning_rate must be > 0, got 0");
  throws([&] { Reinforce({}, {.critic = {.hidden = {0}}}, {}, env); },
         "reinforce::Config::critic.hidden[0] must be >= 1, got 0");
}

TEST_CASE("A custom schedule is checked at every use, naming the field", "[unit]") {
  const DiscreteEnv env(Corridor{}, 10);
  // Positive at the start, negative after the first rollout.
  theta::ppo::Config config = ppo;
  config.learning_rate = [](double p) { return p > 0.95 ? 1e-3 : -1e-3; };
  theta::OnPolicyTrainer<DiscreteEnv, theta::ppo::Ppo> trainer({.n_envs = 2, .n_steps = 16, .total_steps = 320},
                                                               config, {}, env);
  REQUIRE_THROWS_WITH(trainer.learn(320), Catch::Contains("ppo::Config::learning_rate must stay >= 0 and finite, got -0.001"));
}

namespace {
// The weights REINFORCE's update gives log pi: returns normalised by their unbiased std plus
// float's epsilon, as PyTorch's example.
Eigen::VectorXd reinforce_weights(const theta::RolloutBuffer<float>& buffer) {
  const theta::Index n = buffer.size();
  Eigen::VectorXd w = buffer.advantages().head(n).cast<double>();
  const double mean = w.mean();
  const double std = std::sqrt((w.array() - mean).square().sum() / static_cast<double>(n - 1));
  return (w.array() - mean) / (std + std::numeric_limits<float>::epsilon());
}
}  // namespace

TEST_CASE("REINFORCE with dropout differentiates the policy that acted: its acting masks", "[unit]") {
  theta::OnPolicyTrainer<DiscreteEnv, theta::reinforce::Reinforce> trainer(
      {.n_steps = 10}, {.actor = {.hidden = {16}, .dropout = 0.6}}, {}, DiscreteEnv(Corridor{}, 10));
  trainer.collect();
  auto& buffer = trainer.buffer();
  auto& policy = trainer.actor();
  const theta::Index n = buffer.size();
  REQUIRE(buffer.contexts().rows() == 16);
  const auto masks = buffer.contexts().leftCols(n);
  REQUIRE((masks.array() == 0 || masks.array() == 1).all());
  REQUIRE(masks.sum() > 0);
  REQUIRE(masks.sum() < static_cast<float>(masks.size()));
  // Recomputed with the stored masks, the log-probabilities are the ones stored when acting.
  theta::Vector<float> logp(n), ent(n);
  policy.evaluate(buffer.observations().leftCols(n), buffer.actions().leftCols(n), masks, logp, ent);
  REQUIRE((logp - buffer.log_probs().head(n)).cwiseAbs().maxCoeff() < 1e-6f);
}

TEST_CASE("REINFORCE's update uses the acting masks: its loss is the one of the stored log-probabilities", "[unit]") {
  theta::OnPolicyTrainer<DiscreteEnv, theta::reinforce::Reinforce> trainer(
      {.n_steps = 10, .seed = 3}, {.actor = {.hidden = {16}, .dropout = 0.6}}, {}, DiscreteEnv(Corridor{}, 10));
  trainer.collect();
  auto& buffer = trainer.buffer();
  const theta::Index n = buffer.size();
  REQUIRE(n >= 2);
  const Eigen::VectorXd w = reinforce_weights(buffer);
  const double expected = -w.dot(buffer.log_probs().head(n).cast<double>());
  // The same loss with other masks is far off, so the check below tells them apart.
  const theta::Matrix<float> flipped = 1.0f - buffer.contexts().leftCols(n).array();
  theta::Vector<float> logp(n), ent(n);
  trainer.actor().evaluate(buffer.observations().leftCols(n), buffer.actions().leftCols(n), flipped, logp, ent);
  REQUIRE(std::abs(-w.dot(logp.cast<double>()) - expected) > 1e-3);

  const auto stats = trainer.algorithm().update(buffer.batch(), 1.0);
  CHECK(std::abs(stats.policy_loss - expected) < 1e-5);
}

TEST_CASE("Collection stores raw actions, clips only for the environment, and bootstraps truncations", "[unit]") {
  // Drift with a 3-step limit: every third step is truncated (never terminated).
  theta::OnPolicyTrainer<ContinuousEnv, theta::ppo::Ppo> trainer(
      {.n_envs = 2, .n_steps = 6}, {.batch_size = 12, .actor = small, .critic = small, .log_std_init = 1.5}, {},
      ContinuousEnv(Drift{}, 3));
  trainer.collect();
  auto& buffer = trainer.buffer();
  // With std e^1.5 = 4.5, some raw actions lie outside [-1, 1]: they are stored as sampled.
  REQUIRE(buffer.actions().cwiseAbs().maxCoeff() > 1.0f);
  int truncations = 0;
  for (theta::Index t = 0; t < 6; ++t) {
    for (theta::Index e = 0; e < 2; ++e) {
      const bool truncated = buffer.truncated(t, e);
      REQUIRE(truncated == (t % 3 == 2));
      REQUIRE_FALSE(buffer.terminated(t, e));
      if (truncated) {
        ++truncations;
        // The return of a truncated step is r + gamma * V(final observation) (lambda part 0).
        const float expected = buffer.rewards()[buffer.column(t, e)] +
                               0.99f * buffer.final_values()[buffer.column(t, e)];
        REQUIRE(buffer.returns()[buffer.column(t, e)] == Approx(expected).epsilon(1e-5));
        REQUIRE(buffer.final_values()[buffer.column(t, e)] != 0.0f);
      }
    }
  }
  REQUIRE(truncations == 4);
}

namespace {
struct Counter {
  int steps = 0, rollouts = 0, updates = 0;
  template <class T>
  bool on_step(T&) {
    ++steps;
    return true;
  }
  template <class T>
  bool on_rollout_end(T&) {
    ++rollouts;
    return true;
  }
  template <class T>
  bool on_update_end(T&, theta::LogRecord& record) {
    REQUIRE(record.contains("train/approx_kl"));
    REQUIRE(record.contains("rollout/ep_rew_mean"));
    return ++updates < 3;
  }
};
}  // namespace

TEST_CASE("Callbacks see every step and can stop training", "[unit]") {
  Counter counter;
  theta::OnPolicyTrainer<DiscreteEnv, theta::ppo::Ppo> trainer(
      {.n_envs = 2, .n_steps = 8}, {.batch_size = 16, .actor = small, .critic = small}, {}, DiscreteEnv(Corridor{}, 10));
  const auto result = trainer.learn(10'000, theta::NullLogger{}, counter);
  REQUIRE(result.stopped_by_callback);
  REQUIRE(counter.updates == 3);
  REQUIRE(counter.rollouts == 3);
  REQUIRE(counter.steps == 3 * 8);
  REQUIRE(result.steps == 3 * 16);
}

namespace {
// A user-written optimizer (sign SGD, Bernstein et al. 2018): one type with its own Config.
struct SignSgd {
  struct Config {
    double lr = 1e-3;
  };
  SignSgd(theta::Index /*size*/, const Config& config) : lr(config.lr) {}
  void step(Eigen::Ref<theta::Vector<float>> params, const Eigen::Ref<const theta::Vector<float>>& grads) {
    params.array() -= static_cast<float>(lr) * grads.array().sign();
    ++steps;
  }
  double learning_rate() const { return lr; }
  void set_learning_rate(double value) { lr = value; }
  double lr;
  int steps = 0;
};

// A user-written estimator: one-step TD errors (GAE with lambda 0), without the truncation
// bootstrap, so that it gives other advantages than the default.
struct OneStepTd {
  int calls = 0;
  void estimate(theta::RolloutBuffer<float>& buffer, const Eigen::Ref<const theta::Vector<float>>& last_values,
                float gamma) {
    ++calls;
    for (theta::Index e = 0; e < buffer.n_envs(); ++e) {
      for (theta::Index t = 0; t < buffer.used_steps(); ++t) {
        const theta::Index k = buffer.column(t, e);
        const bool last = t + 1 == buffer.used_steps();
        const float next = last ? last_values[e] : buffer.values()[buffer.column(t + 1, e)];
        const bool done = buffer.terminated(t, e) || buffer.truncated(t, e);
        buffer.advantages()[k] = buffer.rewards()[k] + (done ? 0.0f : gamma * next) - buffer.values()[k];
        buffer.returns()[k] = buffer.advantages()[k] + buffer.values()[k];
      }
    }
  }
};
}  // namespace

TEST_CASE("A user-written optimizer plugs into every on-policy algorithm", "[unit]") {
  static_assert(theta::Optimizer<SignSgd>);
  const DiscreteEnv env(Corridor{}, 10);
  const auto check_sign_steps = [](auto& trainer, double lr) {
    const theta::Vector<float> before = trainer.critic().parameters();
    trainer.learn(32);
    const theta::Vector<float> after = trainer.critic().parameters();
    // Every changed parameter moved by a multiple of the learning rate: sign SGD's steps.
    const Eigen::ArrayXf moved = (after - before).array().abs() / static_cast<float>(lr);
    REQUIRE((moved > 0.5f).any());
    REQUIRE(((moved - moved.round()).abs() < 1e-2f).all());
  };
  using D = theta::DefaultComponent;
  theta::OnPolicyTrainer<DiscreteEnv, theta::ppo::Ppo, D, D, SignSgd> ppo_trainer(
      {.n_envs = 2, .n_steps = 8}, {.batch_size = 8, .n_epochs = 1, .learning_rate = 0.01, .actor = small, .critic = small},
      {}, env);
  check_sign_steps(ppo_trainer, 0.01);
  theta::OnPolicyTrainer<DiscreteEnv, theta::a2c::A2c, D, D, SignSgd> a2c_trainer(
      {.n_envs = 2, .n_steps = 8}, {.learning_rate = 0.01, .actor = small, .critic = small}, {}, env);
  check_sign_steps(a2c_trainer, 0.01);
  theta::OnPolicyTrainer<DiscreteEnv, theta::trpo::Trpo, D, D, SignSgd> trpo_trainer(
      {.n_envs = 2, .n_steps = 8}, {.batch_size = 8, .n_critic_updates = 1, .learning_rate = 0.01, .actor = small,
                                    .critic = small}, {}, env);
  check_sign_steps(trpo_trainer, 0.01);
  theta::OnPolicyTrainer<DiscreteEnv, theta::reinforce::Reinforce, D, D, SignSgd> reinforce_trainer(
      {.n_steps = 10}, {.use_baseline = true, .baseline_learning_rate = 0.01, .actor = small, .critic = small}, {}, env);
  check_sign_steps(reinforce_trainer, 0.01);
  // A2C with Adam, SB3's use_rms_prop = false.
  theta::OnPolicyTrainer<DiscreteEnv, theta::a2c::A2c, D, D, theta::Adam<float>> a2c_adam(
      {.n_envs = 2, .n_steps = 8}, {.adam_eps = 1e-7, .actor = small, .critic = small}, {}, env);
  a2c_adam.learn(16);
  REQUIRE(a2c_adam.algorithm().actor_optimizer().config().eps == 1e-7);
}

TEST_CASE("A user-written advantage estimator and component objects are handed in", "[unit]") {
  const DiscreteEnv env(Corridor{}, 10);
  using D = theta::DefaultComponent;
  using Trainer = theta::OnPolicyTrainer<DiscreteEnv, theta::a2c::A2c, D, D, D, OneStepTd>;
  Trainer trainer({.n_envs = 2, .n_steps = 8}, {.actor = small, .critic = small}, {.estimator = OneStepTd{}}, env);
  trainer.collect();
  REQUIRE(trainer.estimator().calls == 1);
  // The advantages are the estimator's: one-step TD errors.
  auto& buffer = trainer.buffer();
  const theta::Index k = buffer.column(0, 0);
  REQUIRE(buffer.advantages()[k] ==
          Approx(buffer.rewards()[k] + 0.99f * buffer.values()[buffer.column(1, 0)] - buffer.values()[k]).epsilon(1e-6));

  // An actor built by the user replaces the default one: its parameters are the ones trained.
  theta::Rng rng(5);
  theta::CategoricalPolicy<float> actor(2, 2, {.hidden = {4}}, 2, 16, rng);
  actor.parameters().setConstant(0.25f);
  Trainer handed({.n_envs = 2, .n_steps = 8}, {.actor = small, .critic = small},
                 {.actor = std::move(actor), .estimator = OneStepTd{}}, env);
  REQUIRE(handed.actor().parameters().size() == 2 * 4 + 4 + 4 * 2 + 2);
  REQUIRE((handed.actor().parameters().array() == 0.25f).all());
  handed.learn(16);
  REQUIRE((handed.actor().parameters().array() != 0.25f).any());
  // An optimizer config handed in replaces the algorithm's default settings.
  theta::OnPolicyTrainer<DiscreteEnv, theta::ppo::Ppo> with_config(
      {.n_envs = 2, .n_steps = 8}, {.batch_size = 8, .actor = small, .critic = small},
      {.optimizer = theta::AdamConfig{.beta1 = 0.5, .eps = 1e-3}}, env);
  REQUIRE(with_config.algorithm().actor_optimizer().config().beta1 == 0.5);
  REQUIRE(with_config.algorithm().critic_optimizer().config().eps == 1e-3);
}

// theta's categorical policy under another type that is built only from an existing policy.
struct OwnActor : theta::CategoricalPolicy<float> {
  explicit OwnActor(theta::CategoricalPolicy<float> policy) : theta::CategoricalPolicy<float>(std::move(policy)) {}
};

TEST_CASE("An actor type that the trainer cannot build must be handed in, and the error says so", "[unit]") {
  const DiscreteEnv env(Corridor{}, 10);
  using Trainer = theta::OnPolicyTrainer<DiscreteEnv, theta::a2c::A2c, OwnActor>;
  const auto build = [&] { return Trainer({.n_envs = 2, .n_steps = 8}, {.actor = small, .critic = small}, {}, env); };
  REQUIRE_THROWS_AS(build(), theta::ConfigError);
  REQUIRE_THROWS_WITH(build(),
                      Catch::Contains("OnPolicyTrainer (a2c): no actor was handed in (Components::actor) and none can "
                                      "be built"));
  theta::Rng rng(5);
  Trainer handed({.n_envs = 2, .n_steps = 8}, {.actor = small, .critic = small},
                 {.actor = OwnActor(theta::CategoricalPolicy<float>(2, 2, {.hidden = {4}}, 2, 16, rng))}, env);
  const theta::Vector<float> before = handed.actor().parameters();
  handed.learn(16);
  REQUIRE(handed.actor().parameters() != before);
}

TEST_CASE("Observation statistics freeze after observation_statistics_steps (RLtools' warm-up)", "[unit]") {
  const ContinuousEnv env(Drift{}, 10);
  const auto count_after = [&](std::int64_t freeze_after, std::int64_t steps) {
    theta::OnPolicyTrainer<ContinuousEnv, theta::ppo::Ppo> trainer(
        {.n_envs = 2, .n_steps = 16, .normalize_observations = true, .observation_statistics_steps = freeze_after},
        ppo, {}, env);
    trainer.learn(steps);
    return trainer.observation_normalizer()->statistics().count();
  };
  // The observations acted on in the first 32 steps of 2 copies: the reset's 2 and those after
  // the first 15 vector steps (RunningMeanStd starts at a pseudo-count of 1e-4).
  REQUIRE(count_after(32, 32) == Approx(32 + 1e-4));
  REQUIRE(count_after(32, 96) == count_after(32, 32));
  REQUIRE(count_after(0, 96) == Approx(2 + 96 + 1e-4));  // never frozen by default
}

// Issue 13: 1e39 is a finite double but infinity as the trainer's float; before the check it
// reached the rollout buffer as inf.
TEST_CASE("OnPolicyTrainer: a reward or observation finite as a double but not as float raises EnvironmentError", "[unit]") {
  struct HugeReward : Drift {
    theta::StepResult<Observation> step(const Action& a) {
      auto r = Drift::step(a);
      r.reward = 1e39;
      return r;
    }
  };
  struct HugeObservation : Drift {
    theta::StepResult<Observation> step(const Action& a) {
      auto r = Drift::step(a);
      r.observation[1] = 1e39;
      return r;
    }
  };
  const theta::OnPolicyConfig config{.n_envs = 2, .n_steps = 4};
  theta::OnPolicyTrainer<HugeReward, theta::a2c::A2c> rewards(config, a2c);
  REQUIRE_THROWS_AS(rewards.learn(8), theta::EnvironmentError);
  theta::OnPolicyTrainer<HugeReward, theta::a2c::A2c> rewards_again(config, a2c);
  REQUIRE_THROWS_WITH(rewards_again.learn(8),
                      Catch::Contains("OnPolicyTrainer: environment 0 returned reward 1e+39 at step 2, which is not "
                                      "finite as the trainer's scalar float"));
  theta::OnPolicyTrainer<HugeObservation, theta::a2c::A2c> observations(config, a2c);
  REQUIRE_THROWS_AS(observations.learn(8), theta::EnvironmentError);
  theta::OnPolicyTrainer<HugeObservation, theta::a2c::A2c> observations_again(config, a2c);
  REQUIRE_THROWS_WITH(observations_again.learn(8),
                      Catch::Contains("environment 0 returned an observation 1e+39 (entry 1) at step 2"));
  // In double precision the same values are finite: no error.
  using DoubleA2c = theta::OnPolicyTrainer<HugeReward, theta::a2c::A2c, theta::GaussianPolicy<double>>;
  DoubleA2c in_double(config, a2c);
  REQUIRE_NOTHROW(in_double.learn(8));
}

// Issue 13: target_ += total_steps was signed overflow, and learn returned at once.
TEST_CASE("learn: step budgets that overflow int64 raise ConfigError and change nothing", "[unit]") {
  const DiscreteEnv env(Corridor{}, 10);
  theta::OnPolicyTrainer<DiscreteEnv, theta::a2c::A2c> trainer({.n_envs = 2, .n_steps = 8}, a2c, {}, env);
  trainer.learn(16);
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  REQUIRE_THROWS_MATCHES(trainer.learn(max), theta::ConfigError,
                         Catch::Matchers::Message("OnPolicyTrainer::learn: total_steps 9223372036854775807 on top of "
                                                  "the 16 already asked overflows int64"));
  REQUIRE(trainer.steps() == 16);
  REQUIRE(trainer.learn(16).steps == 32);  // the trainer goes on as before
}

// ---- The divergence guard (issue 13): a diverged run raises NumericalError naming the algorithm,
// the tensor and the update, instead of returning with NaN parameters.

namespace {

using theta::test::diverge;
using theta::test::tiny;
const ContinuousEnv drift(Drift{}, 50);

}  // namespace

TEST_CASE("PPO with log_std_init = 100 stops with a NumericalError naming the tensor and the update", "[unit]") {
  const theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 16, .seed = 1};
  const theta::ppo::Config config{.batch_size = 16, .actor = tiny, .critic = tiny, .log_std_init = 100.0};
  theta::OnPolicyTrainer<ContinuousEnv, theta::ppo::Ppo> guarded(trainer, config, {}, drift);
  const std::string message = diverge(guarded, 2000);
  INFO(message);
  CHECK_THAT(message, Catch::StartsWith("ppo: ") && Catch::Contains("after update 1"));

  // Switched off, the same run goes on with NaN parameters until the environment refuses a
  // NaN action and gets the blame: what the guard is for.
  theta::OnPolicyConfig unguarded_config = trainer;
  unguarded_config.check_numerics = false;
  theta::OnPolicyTrainer<ContinuousEnv, theta::ppo::Ppo> unguarded(unguarded_config, config, {}, drift);
  CHECK_THROWS_WITH(unguarded.learn(2000), Catch::Contains("action[0] must be finite"));
  CHECK_FALSE(unguarded.actor().parameters().allFinite());
}

TEST_CASE("A2C and REINFORCE with a learning rate of 1e3 stop with a NumericalError", "[unit]") {
  const theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 16, .seed = 2};
  theta::OnPolicyTrainer<ContinuousEnv, theta::a2c::A2c> a2c(
      trainer, {.learning_rate = 1e3, .actor = tiny, .critic = tiny}, {}, drift);
  CHECK_THAT(diverge(a2c, 20000), Catch::StartsWith("a2c: "));

  theta::reinforce::Config config{.learning_rate = 1e3, .use_baseline = true};
  config.actor = tiny;
  config.critic = tiny;
  theta::OnPolicyTrainer<ContinuousEnv, theta::reinforce::Reinforce> reinforce({.n_envs = 1, .n_steps = 50, .seed = 2},
                                                                          config, {}, drift);
  CHECK_THAT(diverge(reinforce, 20000), Catch::StartsWith("reinforce: "));
}

TEST_CASE("TRPO with log_std_init = 100 stops with a NumericalError naming it", "[unit]") {
  const theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 16, .seed = 3};
  theta::OnPolicyTrainer<ContinuousEnv, theta::trpo::Trpo> trpo(
      trainer, {.batch_size = 16, .actor = tiny, .critic = tiny, .log_std_init = 100.0}, {}, drift);
  CHECK_THAT(diverge(trpo, 2000), Catch::StartsWith("trpo: "));

}
