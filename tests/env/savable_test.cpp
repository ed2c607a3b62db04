// SavableEnvironment: every classic-control environment (inside TimeLimit) continues its
// episode bit for bit after save and load into a fresh copy, and refuses what it cannot load
// without changing.
#include <theta/core/rng.hpp>
#include <theta/env/classic.hpp>
#include <theta/env/savable.hpp>
#include <theta/env/time_limit.hpp>
#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>

#include "support/env_checkpoint.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

static_assert(theta::SavableEnvironment<theta::CartPole>);
static_assert(theta::SavableEnvironment<theta::Acrobot>);
static_assert(theta::SavableEnvironment<theta::MountainCar>);
static_assert(theta::SavableEnvironment<theta::MountainCarContinuous>);
static_assert(theta::SavableEnvironment<theta::Pendulum>);
static_assert(theta::SavableEnvironment<theta::TimeLimit<theta::CartPole>>);
static_assert(theta::SavableEnvironment<theta::CartPoleNoVelocity>);

// An environment without save/load is an Environment but not a SavableEnvironment, and
// TimeLimit over it is not savable either.
struct Plain {
  using Observation = Eigen::VectorXf;
  using Action = std::int64_t;
  [[nodiscard]] theta::Box observation_space() const { return theta::Box{{-1.0}, {1.0}}; }
  [[nodiscard]] theta::Discrete action_space() const { return theta::Discrete{2}; }
  Observation reset(std::uint64_t) { return Observation::Zero(1); }
  theta::StepResult<Observation> step(const Action&) { return {Observation::Zero(1), 0.0, false, false}; }
};
static_assert(theta::Environment<Plain>);
static_assert(!theta::SavableEnvironment<Plain>);
static_assert(!theta::SavableEnvironment<theta::TimeLimit<Plain>>);

template <class Env>
typename Env::Action random_action(const Env& env, theta::Rng& rng) {
  if constexpr (theta::DiscreteEnvironment<Env>) {
    return static_cast<typename Env::Action>(env.action_space().sample(rng));
  } else {
    return env.action_space().template sample<typename Env::Action::Scalar>(rng);
  }
}

struct Step {
  Eigen::VectorXf obs;
  double reward;
  bool terminated, truncated;
  bool operator==(const Step&) const = default;
};

// Steps `n` times from the current state with actions from `rng`, resetting finished episodes
// with seeds from `rng`, and records every step.
template <class Env>
std::vector<Step> run(Env& env, theta::Rng& rng, int n) {
  std::vector<Step> steps;
  for (int i = 0; i < n; ++i) {
    auto r = env.step(random_action(env, rng));
    steps.push_back({r.observation.template cast<float>(), r.reward, r.terminated, r.truncated});
    if (r.terminated || r.truncated) env.reset(rng.next());
  }
  return steps;
}

using theta::test::load_env;
using theta::test::save_env;

template <class Env>
void check_resume(Env prototype, std::int64_t limit) {
  theta::TimeLimit<Env> a(prototype, limit);
  theta::Rng rng(7);
  a.reset(11);
  run(a, rng, 37);  // mid-episode (and across resets for the short limits)
  const auto bytes = save_env(a);
  const std::int64_t a_elapsed = a.elapsed_steps();
  theta::Rng rng_b = rng;
  const std::vector<Step> straight = run(a, rng, 300);

  theta::TimeLimit<Env> b(prototype, limit);
  b.reset(999);  // another episode, overwritten by the load
  load_env(b, bytes);
  REQUIRE(b.elapsed_steps() == a_elapsed);
  const std::vector<Step> resumed = run(b, rng_b, 300);
  REQUIRE(resumed == straight);
  REQUIRE(save_env(a) == save_env(b));  // equal states give equal bytes
}

}  // namespace

TEST_CASE("Every classic environment continues its episode exactly after save and load", "[unit]") {
  check_resume(theta::CartPole{}, 500);
  check_resume(theta::CartPole{}, 20);
  check_resume(theta::CartPoleNoVelocity{}, 500);
  check_resume(theta::CartPoleNoVelocity{}, 20);
  check_resume(theta::Acrobot{}, 500);
  check_resume(theta::MountainCar{}, 200);
  check_resume(theta::MountainCarContinuous{}, 999);
  check_resume(theta::Pendulum{}, 200);
  check_resume(theta::Pendulum{}, 15);
}

TEST_CASE("An environment refuses another environment's or other parameters' state and stays unchanged", "[unit]") {
  theta::TimeLimit<theta::Pendulum> pendulum(theta::Pendulum{}, 200);
  pendulum.reset(3);
  theta::TimeLimit<theta::CartPole> cartpole(theta::CartPole{}, 200);
  cartpole.reset(4);
  cartpole.step(1);
  const auto cart_bytes = save_env(cartpole);
  const auto before = save_env(pendulum);
  REQUIRE_THROWS_WITH(load_env(pendulum, cart_bytes),
                      Catch::Contains("the state of CartPole-v1, this environment is Pendulum-v1"));
  REQUIRE(save_env(pendulum) == before);

  theta::TimeLimit<theta::CartPole> other_limit(theta::CartPole{}, 100);
  REQUIRE_THROWS_WITH(load_env(other_limit, cart_bytes),
                      Catch::Contains("TimeLimit was saved with max_episode_steps = 200, this one has 100"));

  theta::TimeLimit<theta::Pendulum> heavy(theta::Pendulum({.g = 9.81}), 200);
  REQUIRE_THROWS_WITH(load_env(heavy, before), Catch::Contains("Pendulum-v1 was saved with g = 10, this one has 9.81"));

  // CartPoleNoVelocity holds a CartPole: each refuses the other's state.
  theta::TimeLimit<theta::CartPoleNoVelocity> no_velocity(theta::CartPoleNoVelocity{}, 200);
  no_velocity.reset(5);
  const auto no_velocity_bytes = save_env(no_velocity);
  REQUIRE_THROWS_WITH(load_env(no_velocity, cart_bytes),
                      Catch::Contains("the state of CartPole-v1, this environment is CartPoleNoVel-v1"));
  REQUIRE(save_env(no_velocity) == no_velocity_bytes);
  REQUIRE_THROWS_WITH(load_env(cartpole, no_velocity_bytes),
                      Catch::Contains("the state of CartPoleNoVel-v1, this environment is CartPole-v1"));
  theta::TimeLimit<theta::CartPoleNoVelocity> sutton_barto(theta::CartPoleNoVelocity({.sutton_barto_reward = true}), 200);
  REQUIRE_THROWS_WITH(load_env(sutton_barto, no_velocity_bytes), Catch::Contains("sutton_barto_reward"));
}

TEST_CASE("A truncated environment section raises CheckpointError at every length and changes nothing", "[unit]") {
  theta::TimeLimit<theta::CartPole> source(theta::CartPole{}, 500);
  source.reset(5);
  source.step(0);
  theta::io::CheckpointWriter writer("env-test", "float64", "none");
  auto& section = writer.section("env");
  source.save(section);
  const std::vector<std::uint8_t> payload = section.payload();  // what save wrote
  for (std::size_t n = 0; n < payload.size(); ++n) {
    INFO("payload cut to " << n << " of " << payload.size() << " bytes");
    theta::io::CheckpointSectionReader cut("test", "env", std::span<const std::uint8_t>(payload.data(), n));
    theta::TimeLimit<theta::CartPole> target(theta::CartPole{}, 500);
    target.reset(6);
    const auto before = save_env(target);
    REQUIRE_THROWS_AS(target.load(cut), theta::CheckpointError);
    REQUIRE(save_env(target) == before);
  }
}
