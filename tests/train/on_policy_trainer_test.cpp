#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"

#include <cmath>
#include <limits>

using theta::test::Corridor;
using theta::test::Drift;
using DiscreteEnv = theta::TimeLimit<Corridor>;
using ContinuousEnv = theta::TimeLimit<Drift>;

namespace {

const theta::NetworkConfig small{.hidden = {16}};

// Trains `steps` and returns every trainable parameter (policy then critic) in one vector.
template <template <class...> class Algo, class Env, class Config>
theta::Vector<float> train(Config config, std::uint64_t seed, std::int64_t steps, const Env& env) {
  config.seed = seed;
  theta::OnPolicyTrainer<Env, Algo> trainer(config, env);
  const auto result = trainer.learn(steps);
  REQUIRE(result.steps >= steps);
  REQUIRE(result.updates >= 1);
  auto& policy = trainer.algorithm().policy();
  auto critic = trainer.algorithm().critic().parameters();
  theta::Vector<float> params(policy.num_parameters() + critic.size());
  policy.get_parameters(params.head(policy.num_parameters()));
  params.tail(critic.size()) = critic;
  REQUIRE(params.allFinite());
  return params;
}

template <template <class...> class Algo, class Env, class Config>
void check_reproducible(const Config& config, const Env& env, std::int64_t steps) {
  const auto a = train<Algo>(config, 1, steps, env);
  const auto b = train<Algo>(config, 1, steps, env);
  const auto c = train<Algo>(config, 2, steps, env);
  REQUIRE(a == b);  // bit for bit
  REQUIRE(a != c);
}

}  // namespace

TEST_CASE("PPO, A2C, TRPO and REINFORCE train on user environments and are bit-reproducible", "[unit]") {
  const DiscreteEnv discrete(Corridor{}, 10);
  const ContinuousEnv continuous(Drift{}, 10);
  const theta::ppo::Config ppo{.n_envs = 2, .n_steps = 16, .batch_size = 8, .n_epochs = 2, .actor = small,
                               .critic = small};
  const theta::a2c::Config a2c{.n_envs = 2, .n_steps = 5, .actor = small, .critic = small};
  const theta::trpo::Config trpo{.n_envs = 2, .n_steps = 16, .batch_size = 8, .n_critic_updates = 2, .actor = small,
                                 .critic = small};
  const theta::reinforce::Config reinforce{.n_steps = 10, .use_baseline = true, .actor = small, .critic = small};
  theta::NetworkConfig small_dropout = small;
  small_dropout.dropout = 0.5;
  const theta::reinforce::Config reinforce_dropout{.n_steps = 10, .actor = small_dropout};
  SECTION("REINFORCE with dropout") {
    check_reproducible<theta::reinforce::Reinforce>(reinforce_dropout, discrete, 60);
    check_reproducible<theta::reinforce::Reinforce>(reinforce_dropout, continuous, 60);
  }
  SECTION("discrete actions") {
    check_reproducible<theta::ppo::Ppo>(ppo, discrete, 96);
    check_reproducible<theta::a2c::A2c>(a2c, discrete, 60);
    check_reproducible<theta::trpo::Trpo>(trpo, discrete, 96);
    check_reproducible<theta::reinforce::Reinforce>(reinforce, discrete, 60);
  }
  SECTION("continuous actions") {
    check_reproducible<theta::ppo::Ppo>(ppo, continuous, 96);
    check_reproducible<theta::a2c::A2c>(a2c, continuous, 60);
    check_reproducible<theta::trpo::Trpo>(trpo, continuous, 96);
    check_reproducible<theta::reinforce::Reinforce>(reinforce, continuous, 60);
  }
}

TEST_CASE("The trainer also instantiates in double precision", "[unit]") {
  theta::OnPolicyTrainer<DiscreteEnv, theta::ppo::Ppo, double> trainer(
      {.n_envs = 2, .n_steps = 8, .batch_size = 8, .actor = small, .critic = small}, DiscreteEnv(Corridor{}, 10));
  trainer.learn(32);
  REQUIRE(trainer.algorithm().policy().network().parameters().allFinite());
}

TEST_CASE("Configs are validated with messages that name the field", "[unit]") {
  const DiscreteEnv env(Corridor{}, 10);
  using Ppo = theta::OnPolicyTrainer<DiscreteEnv, theta::ppo::Ppo>;
  REQUIRE_THROWS_WITH(Ppo({.clip_range = -0.2}, env), Catch::Contains("ppo::Config::clip_range must be > 0, got -0.2"));
  REQUIRE_THROWS_WITH(Ppo({.n_envs = 2, .n_steps = 4, .batch_size = 9}, env),
                      Catch::Contains("ppo::Config::batch_size must be in [1, n_steps * n_envs = 8], got 9"));
  REQUIRE_THROWS_WITH(Ppo({.gamma = 1.5}, env), Catch::Contains("ppo::Config::gamma must be in [0, 1], got 1.5"));
  using A2c = theta::OnPolicyTrainer<DiscreteEnv, theta::a2c::A2c>;
  REQUIRE_THROWS_WITH(A2c({.vf_coef = -1}, env), Catch::Contains("a2c::Config::vf_coef must be >= 0, got -1"));
  using Trpo = theta::OnPolicyTrainer<DiscreteEnv, theta::trpo::Trpo>;
  REQUIRE_THROWS_WITH(Trpo({.target_kl = 0}, env), Catch::Contains("trpo::Config::target_kl must be > 0, got 0"));
  using Reinforce = theta::OnPolicyTrainer<DiscreteEnv, theta::reinforce::Reinforce>;
  REQUIRE_THROWS_WITH(Reinforce({.n_envs = 4}, env), Catch::Contains("reinforce::Config::n_envs must be 1"));
  // Only REINFORCE keeps the acting dropout masks for its update.
  const theta::NetworkConfig dropout{.hidden = {8}, .dropout = 0.5};
  REQUIRE_THROWS_WITH(Ppo({.actor = dropout}, env), Catch::Contains("ppo::Config::actor.dropout must be 0, got 0.5"));
  REQUIRE_THROWS_WITH(Trpo({.actor = dropout}, env), Catch::Contains("trpo::Config::actor.dropout must be 0, got 0.5"));
  REQUIRE_THROWS_WITH(A2c({.actor = dropout}, env), Catch::Contains("a2c::Config::actor.dropout must be 0, got 0.5"));
  REQUIRE_THROWS_WITH(A2c({.critic = dropout}, env), Catch::Contains("ValueFunction: dropout is not supported"));
}

TEST_CASE("REINFORCE with dropout differentiates the policy that acted: its acting masks", "[unit]") {
  theta::OnPolicyTrainer<DiscreteEnv, theta::reinforce::Reinforce> trainer(
      {.n_steps = 10, .actor = {.hidden = {16}, .dropout = 0.6}}, DiscreteEnv(Corridor{}, 10));
  trainer.collect();
  auto& algo = trainer.algorithm();
  auto& buffer = algo.buffer();
  auto& policy = algo.policy();
  const theta::Index n = buffer.size();
  REQUIRE(buffer.masks().rows() == 16);
  const auto masks = buffer.masks().leftCols(n);
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
      {.n_steps = 10, .actor = {.hidden = {16}, .dropout = 0.6}, .seed = 3}, DiscreteEnv(Corridor{}, 10));
  trainer.collect();
  auto& algo = trainer.algorithm();
  auto& buffer = algo.buffer();
  const theta::Index n = buffer.size();
  REQUIRE(n >= 2);
  // The example's weights: returns normalised by their unbiased std plus float's epsilon.
  Eigen::VectorXd w = buffer.advantages().head(n).cast<double>();
  const double mean = w.mean();
  const double std = std::sqrt((w.array() - mean).square().sum() / static_cast<double>(n - 1));
  w = (w.array() - mean) / (std + std::numeric_limits<float>::epsilon());
  const double expected = -w.dot(buffer.log_probs().head(n).cast<double>());
  // The same loss with other masks is far off, so the check below tells them apart.
  const theta::Matrix<float> flipped = 1.0f - buffer.masks().leftCols(n).array();
  theta::Vector<float> logp(n), ent(n);
  algo.policy().evaluate(buffer.observations().leftCols(n), buffer.actions().leftCols(n), flipped, logp, ent);
  REQUIRE(std::abs(-w.dot(logp.cast<double>()) - expected) > 1e-3);

  theta::LogRecord record;
  algo.update(1.0, record);
  CHECK(std::abs(record.get("train/policy_loss") - expected) < 1e-5);
}

TEST_CASE("Collection stores raw actions, clips only for the environment, and bootstraps truncations", "[unit]") {
  // Drift with a 3-step limit: every third step is truncated (never terminated).
  theta::OnPolicyTrainer<ContinuousEnv, theta::ppo::Ppo> trainer(
      {.n_envs = 2, .n_steps = 6, .batch_size = 12, .actor = small, .critic = small, .log_std_init = 1.5},
      ContinuousEnv(Drift{}, 3));
  trainer.collect();
  auto& algo = trainer.algorithm();
  auto& buffer = algo.buffer();
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
    return ++updates < 3;
  }
};
}  // namespace

TEST_CASE("Callbacks see every step and can stop training", "[unit]") {
  Counter counter;
  theta::OnPolicyTrainer<DiscreteEnv, theta::ppo::Ppo> trainer(
      {.n_envs = 2, .n_steps = 8, .batch_size = 16, .actor = small, .critic = small}, DiscreteEnv(Corridor{}, 10));
  const auto result = trainer.learn(10'000, theta::NullLogger{}, counter);
  REQUIRE(result.stopped_by_callback);
  REQUIRE(counter.updates == 3);
  REQUIRE(counter.rollouts == 3);
  REQUIRE(counter.steps == 3 * 8);
  REQUIRE(result.steps == 3 * 16);
}

namespace {
// A user-written optimizer (sign SGD, Bernstein et al. 2018): one type, no constructor needed.
struct SignSgd {
  double lr = 1e-3;
  int steps = 0;
  void step(Eigen::Ref<theta::Vector<float>> params, const Eigen::Ref<const theta::Vector<float>>& grads) {
    params.array() -= static_cast<float>(lr) * grads.array().sign();
    ++steps;
  }
  double learning_rate() const { return lr; }
  void set_learning_rate(double value) { lr = value; }
};
template <class Policy>
using SignSgdPpo = theta::ppo::Ppo<Policy, SignSgd>;
}  // namespace

TEST_CASE("A user-written optimizer plugs into PPO through an alias template", "[unit]") {
  static_assert(theta::Optimizer<SignSgd>);
  theta::OnPolicyTrainer<DiscreteEnv, SignSgdPpo> trainer(
      {.n_envs = 2, .n_steps = 8, .batch_size = 8, .n_epochs = 1, .learning_rate = 0.01, .actor = small,
       .critic = small},
      DiscreteEnv(Corridor{}, 10));
  const theta::Vector<float> before = trainer.algorithm().critic().parameters();
  trainer.learn(32);
  const theta::Vector<float> after = trainer.algorithm().critic().parameters();
  // Every changed parameter moved by a multiple of the learning rate 0.01: sign SGD's steps.
  const Eigen::ArrayXf moved = (after - before).array().abs() / 0.01f;
  REQUIRE((moved > 0.5f).any());
  REQUIRE(((moved - moved.round()).abs() < 1e-2f).all());
}
