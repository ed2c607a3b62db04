// a3c: the configuration, the merged statistics, the shared state (lock-free and locked), and
// the worker update, which with one worker taking turns is A2C's update exactly.
#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"
#include "support/trainer_checks.hpp"

#include <cmath>
#include <limits>
#include <span>

namespace {

using CorridorEnv = theta::TimeLimit<theta::test::Corridor>;
using DriftEnv = theta::TimeLimit<theta::test::Drift>;
const theta::NetworkConfig a3c_small{.hidden = {16}};

using theta::test::actor_critic_parameters;

// Both optimizers of the same configuration (A2C's RMSprop is PyTorch's: tf_like off for A3C).
template <class Env, class Opt>
void require_one_worker_is_a2c(const Env& env) {
  const std::uint64_t seed = 5;
  const theta::Schedule lr = theta::Schedule::linear(3e-3, 1e-3);
  theta::a3c::Config a3c_config{.learning_rate = lr, .rms_prop_alpha = 0.95, .rms_prop_eps = 1e-3,
                                .rms_prop_tf_like = false, .adam_eps = 1e-4,
                                .ent_coef = 0.02, .vf_coef = 0.4, .max_grad_norm = 0.5, .actor = a3c_small, .critic = a3c_small};
  theta::a2c::Config a2c_config{.learning_rate = lr, .rms_prop_alpha = 0.95, .rms_prop_eps = 1e-3, .adam_eps = 1e-4,
                                .ent_coef = 0.02, .vf_coef = 0.4, .max_grad_norm = 0.5, .actor = a3c_small, .critic = a3c_small};
  theta::AsyncTrainer<Env, theta::a3c::A3c, theta::DefaultComponent, theta::DefaultComponent, Opt> a3c(
      {.workers = 1, .deterministic = true, .n_steps = 5, .gamma = 0.9, .total_steps = 2000, .seed = seed}, a3c_config,
      {}, env);
  // The worker's streams are those of an on-policy trainer seeded with stream 16 of the seed.
  theta::OnPolicyTrainer<Env, theta::a2c::A2c, theta::DefaultComponent, theta::DefaultComponent, Opt> a2c(
      {.n_envs = 1, .n_steps = 5, .gamma = 0.9, .total_steps = 2000, .seed = theta::derive_seed(seed, 16)}, a2c_config,
      {}, env);
  REQUIRE(actor_critic_parameters(a3c) == actor_critic_parameters(a2c));
  const auto r3 = a3c.learn(1000);
  const auto r2 = a2c.learn(1000);
  CHECK(r3.steps == r2.steps);
  CHECK(r3.updates == r2.updates);
  const theta::Vector<float> p3 = actor_critic_parameters(a3c), p2 = actor_critic_parameters(a2c);
  CHECK((p3 - actor_critic_parameters(a3c.worker(0))).norm() > 0);  // the worker's copy is behind by one update
  for (theta::Index i = 0; i < p3.size(); ++i) REQUIRE(p3[i] == p2[i]);
}

}  // namespace

TEST_CASE("a3c::validate names the field and the rule", "[unit]") {
  CHECK_THROWS_WITH(theta::a3c::validate({.rms_prop_eps = 0}), Catch::Contains("a3c::Config::rms_prop_eps"));
  CHECK_THROWS_WITH(theta::a3c::validate({.ent_coef = -1}), Catch::Contains("a3c::Config::ent_coef"));
  CHECK_THROWS_WITH(theta::a3c::validate({.max_grad_norm = std::nan("")}), Catch::Contains("max_grad_norm"));
  CHECK_THROWS_WITH(theta::a3c::validate({.learning_rate = -1.0}), Catch::Contains("a3c::Config::learning_rate"));
  CHECK_NOTHROW(theta::a3c::validate({}));
}

TEST_CASE("a3c::Stats::merge gives the means over all merged updates and the latest counters", "[unit]") {
  theta::a3c::Stats a{.policy_loss = 1, .value_loss = 2, .entropy = 0.5, .explained_variance = 0.2, .grad_norm = 1,
                      .learning_rate = 1e-3, .n_updates = 3};
  theta::a3c::Stats b = a;
  b.policy_loss = 4;
  b.explained_variance = std::nan("");
  b.explained = 0;
  b.learning_rate = 5e-4;
  b.n_updates = 7;
  theta::a3c::Stats c = a;
  c.policy_loss = 7;
  c.explained_variance = 0.8;
  a.merge(b);
  a.merge(c);
  CHECK(a.merged == 3);
  CHECK(a.policy_loss == Approx(4.0));
  CHECK(a.explained == 2);
  CHECK(a.explained_variance == Approx(0.5));  // b's NaN is left out
  CHECK(a.learning_rate == 1e-3);              // c's, the latest
  CHECK(a.n_updates == 3);
  double logged_ev = 0;
  a.for_each([&](const char* key, double value) {
    if (std::string_view(key) == "train/explained_variance") logged_ev = value;
  });
  CHECK(logged_ev == Approx(0.5));
  theta::a3c::Stats none{.explained_variance = std::nan(""), .explained = 0};
  none.for_each([&](const char* key, double value) {
    if (std::string_view(key) == "train/explained_variance") logged_ev = value;
  });
  CHECK(std::isnan(logged_ev));
}

TEST_CASE("a3c::Shared pulls and pushes through relaxed atomics or under a lock", "[unit]") {
  theta::Rng rng(1);
  using Actor = theta::CategoricalPolicy<float>;
  using Critic = theta::ValueFunction<float>;
  Actor actor(3, 2, a3c_small, 1, 4, rng);
  Critic critic(3, a3c_small, 1, 4, rng);
  const theta::Vector<float> actor0 = actor.parameters(), critic0 = critic.parameters();
  Actor local_actor = actor;
  Critic local_critic = critic;
  local_actor.parameters().setZero();
  local_critic.parameters().setZero();

  SECTION("Sgd: lock-free") {
    theta::a3c::Shared<Actor, Critic, theta::Sgd<float>> shared(actor, critic, {.lr = 1.0});
    STATIC_REQUIRE(decltype(shared)::lock_free);
    shared.pull(local_actor, local_critic);
    CHECK(local_actor.parameters() == actor.parameters());
    CHECK(local_critic.parameters() == critic.parameters());
    local_actor.gradients().setConstant(2.0F);
    local_critic.gradients().setConstant(-1.0F);
    CHECK(shared.push(local_actor, local_critic, 0.25) == 1);
    CHECK(shared.push(local_actor, local_critic, 0.25) == 2);
    CHECK(shared.actor().parameters().isApprox((actor0.array() - 1.0F).matrix()));
    CHECK(shared.critic().parameters().isApprox((critic0.array() + 0.5F).matrix()));
    CHECK(shared.updates() == 2);
    CHECK(shared.actor_optimizer().learning_rate() == 1.0);  // the rate is an argument, not state
  }
  SECTION("an optimizer without hogwild_step: under a lock") {
    struct Halving {
      struct Config {};
      Halving(theta::Index, const Config&) {}
      void step(Eigen::Ref<theta::Vector<float>> p, const Eigen::Ref<const theta::Vector<float>>& g) {
        p -= static_cast<float>(lr) * g;
      }
      double learning_rate() const { return lr; }
      void set_learning_rate(double value) { lr = value; }
      double lr = 0;
    };
    theta::a3c::Shared<Actor, Critic, Halving> shared(actor, critic, {});
    STATIC_REQUIRE_FALSE(decltype(shared)::lock_free);
    local_actor.gradients().setConstant(2.0F);
    local_critic.gradients().setConstant(-1.0F);
    shared.push(local_actor, local_critic, 0.5);
    CHECK(shared.actor_optimizer().learning_rate() == 0.5);
    shared.pull(local_actor, local_critic);
    CHECK(local_actor.parameters().isApprox((actor0.array() - 1.0F).matrix()));
    CHECK(local_critic.parameters().isApprox((critic0.array() + 0.5F).matrix()));
    Actor copy = actor;
    shared.copy_actor(copy);
    CHECK(copy.parameters() == local_actor.parameters());
  }
  SECTION("progress counts the steps of every worker toward the horizon") {
    theta::a3c::Shared<Actor, Critic, theta::RmsProp<float>> shared(actor, critic, {});
    CHECK(shared.progress_remaining() == 1.0);
    shared.set_horizon(1000);
    CHECK(shared.add_steps(250) == 250);
    CHECK(shared.add_steps(250) == 500);
    CHECK(shared.progress_remaining() == 0.5);
  }
}

TEST_CASE("a3c::A3c refuses to update without a shared state", "[unit]") {
  theta::Rng rng(2);
  using Actor = theta::CategoricalPolicy<float>;
  using Critic = theta::ValueFunction<float>;
  theta::a3c::A3c<Actor, Critic> rule({}, Actor(3, 2, a3c_small, 1, 4, rng), Critic(3, a3c_small, 1, 4, rng), {},
                                      {.obs_dim = 3, .size = 4}, rng);
  CHECK_THROWS_WITH(rule.pull(), Catch::Contains("no shared state"));
}

TEST_CASE("one A3C worker taking turns trains exactly as A2C with one environment", "[unit]") {
  // The same loss, the same n-step returns and truncation bootstrap, the same clipping, the
  // same optimizer arithmetic (hogwild_step is step through relaxed atomics), the same
  // learning-rate schedule over the same steps: the parameters agree bit for bit.
  SECTION("discrete, shared RMSProp") { require_one_worker_is_a2c<CorridorEnv, theta::RmsProp<float>>(CorridorEnv({}, 10)); }
  SECTION("continuous, shared Adam") { require_one_worker_is_a2c<DriftEnv, theta::Adam<float>>(DriftEnv({}, 10)); }
}
