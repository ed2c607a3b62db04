#include <theta/env/classic/mountain_car.hpp>
#include <theta/env/concepts.hpp>
#include <theta/env/time_limit.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using theta::MountainCar;
using Catch::Matchers::Contains;

TEST_CASE("MountainCar satisfies DiscreteEnvironment, also under TimeLimit", "[concept]") {
  STATIC_REQUIRE(theta::DiscreteEnvironment<MountainCar>);
  STATIC_REQUIRE_FALSE(theta::ContinuousEnvironment<MountainCar>);
  STATIC_REQUIRE(theta::DiscreteEnvironment<theta::TimeLimit<MountainCar>>);
}

TEST_CASE("MountainCar: registry facts and spaces are Gymnasium's", "[unit]") {
  STATIC_REQUIRE(MountainCar::max_episode_steps == 200);
  STATIC_REQUIRE(MountainCar::reward_threshold == -110.0);
  const MountainCar env;
  REQUIRE(env.action_space() == theta::Discrete{3});
  const theta::Box space = env.observation_space();
  REQUIRE(space.low[0] == static_cast<double>(-1.2f));
  REQUIRE(space.high[0] == static_cast<double>(0.6f));
  REQUIRE(space.high[1] == static_cast<double>(0.07f));
  REQUIRE(space.low[1] == -space.high[1]);
}

TEST_CASE("MountainCar: reset starts at rest with position in [-0.6, -0.4), reproducibly", "[unit]") {
  MountainCar a, b;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    a.reset(seed);
    REQUIRE(a.state()[0] >= -0.6);
    REQUIRE(a.state()[0] < -0.4);
    REQUIRE(a.state()[1] == 0.0);
    b.reset(seed);
    REQUIRE(a.state() == b.state());
  }
  a.reset(1);
  b.reset(2);
  REQUIRE(a.state() != b.state());
}

TEST_CASE("MountainCar: invalid use throws EnvironmentError naming the env and the value", "[unit]") {
  MountainCar env;
  REQUIRE_THROWS_WITH(env.step(1), Contains("MountainCar-v0") && Contains("before reset"));
  env.reset(0);
  REQUIRE_THROWS_AS(env.step(3), theta::EnvironmentError);
  REQUIRE_THROWS_WITH(env.step(3), Contains("MountainCar-v0") && Contains("got 3"));
  REQUIRE_THROWS_WITH(env.step(-2), Contains("got -2"));
  REQUIRE_THROWS_AS(MountainCar({.goal_velocity = std::nan("")}), theta::ConfigError);
}

TEST_CASE("MountainCar: the left wall stops the car; the goal terminates with reward -1", "[unit]") {
  MountainCar env;
  env.set_state({-1.19, -0.07});
  auto r = env.step(0);
  REQUIRE(env.state()[0] == MountainCar::min_position);
  REQUIRE(env.state()[1] == 0.0);  // inelastic wall
  REQUIRE(r.reward == -1.0);
  REQUIRE_FALSE(r.terminated);

  env.set_state({0.49, 0.02});
  r = env.step(2);
  REQUIRE(r.terminated);
  REQUIRE(r.reward == -1.0);
  REQUIRE(env.state()[0] >= MountainCar::goal_position);

  // Reaching 0.5 while moving left (after the velocity update) is not the goal.
  env.set_state({0.52, -0.001});
  REQUIRE_FALSE(env.step(0).terminated);
}

TEST_CASE("MountainCar: goal_velocity raises the bar", "[unit]") {
  MountainCar strict({.goal_velocity = 0.05});
  strict.set_state({0.49, 0.02});
  REQUIRE_FALSE(strict.step(2).terminated);  // 0.5 reached, but at about 0.02
  strict.set_state({0.49, 0.06});
  REQUIRE(strict.step(2).terminated);
}

TEST_CASE("MountainCar: bang-bang reaches the goal before the 200-step limit; idling is truncated", "[unit]") {
  theta::TimeLimit<MountainCar> env;
  auto obs = env.reset(0);
  theta::StepResult<MountainCar::Observation> r;
  int steps = 0;
  do {
    r = env.step(obs[1] < 0 ? 0 : 2);  // push along the velocity
    obs = r.observation;
    ++steps;
  } while (!r.terminated && !r.truncated);
  REQUIRE(r.terminated);
  REQUIRE(steps < 200);

  env.reset(0);
  steps = 0;
  do {
    r = env.step(1);
    ++steps;
  } while (!r.terminated && !r.truncated);
  REQUIRE(r.truncated);
  REQUIRE(steps == 200);
}
