#include <theta/env/classic/mountain_car_continuous.hpp>
#include <theta/env/concepts.hpp>
#include <theta/env/time_limit.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using theta::MountainCarContinuous;
using Action = MountainCarContinuous::Action;
using Catch::Matchers::Contains;

TEST_CASE("MountainCarContinuous satisfies ContinuousEnvironment, also under TimeLimit", "[concept]") {
  STATIC_REQUIRE(theta::ContinuousEnvironment<MountainCarContinuous>);
  STATIC_REQUIRE_FALSE(theta::DiscreteEnvironment<MountainCarContinuous>);
  STATIC_REQUIRE(theta::ContinuousEnvironment<theta::TimeLimit<MountainCarContinuous>>);
}

TEST_CASE("MountainCarContinuous: registry facts and spaces are Gymnasium's", "[unit]") {
  STATIC_REQUIRE(MountainCarContinuous::max_episode_steps == 999);
  STATIC_REQUIRE(MountainCarContinuous::reward_threshold == 90.0);
  const MountainCarContinuous env;
  REQUIRE(env.action_space() == theta::Box({-1.0}, {1.0}));
  REQUIRE(env.action_space().is_bounded());
  const theta::Box space = env.observation_space();
  REQUIRE(space.low[0] == static_cast<double>(-1.2f));
  REQUIRE(space.high[1] == static_cast<double>(0.07f));
}

TEST_CASE("MountainCarContinuous: reset starts at rest with position in [-0.6, -0.4), in double", "[unit]") {
  MountainCarContinuous a, b;
  bool some_not_float = false;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    a.reset(seed);
    REQUIRE(a.state()[0] >= -0.6);
    REQUIRE(a.state()[0] < -0.4);
    REQUIRE(a.state()[1] == 0.0);
    some_not_float = some_not_float || static_cast<double>(static_cast<float>(a.state()[0])) != a.state()[0];
    b.reset(seed);
    REQUIRE(a.state() == b.state());
  }
  REQUIRE(some_not_float);  // reset leaves the state in float64, as Gymnasium's does
  a.reset(1);
  b.reset(2);
  REQUIRE(a.state() != b.state());
}

TEST_CASE("MountainCarContinuous: invalid use throws; out-of-range finite actions are clipped", "[unit]") {
  MountainCarContinuous env;
  REQUIRE_THROWS_WITH(env.step(Action{0.0f}), Contains("MountainCarContinuous-v0") && Contains("before reset"));
  env.reset(0);
  REQUIRE_THROWS_AS(env.step(Action{std::numeric_limits<float>::quiet_NaN()}), theta::EnvironmentError);
  REQUIRE_THROWS_WITH(env.step(Action{std::numeric_limits<float>::infinity()}),
                      Contains("MountainCarContinuous-v0") && Contains("inf"));
  REQUIRE_NOTHROW(env.step(Action{5.0f}));
}

TEST_CASE("MountainCarContinuous: the force is clipped but the cost uses the unclipped action", "[unit]") {
  MountainCarContinuous clipped, unit;
  clipped.set_state({-0.5, 0.0});
  unit.set_state({-0.5, 0.0});
  const auto r5 = clipped.step(Action{5.0f});
  const auto r1 = unit.step(Action{1.0f});
  REQUIRE(clipped.state() == unit.state());
  REQUIRE(r5.reward == -std::pow(5.0, 2) * 0.1);  // -2.5
  REQUIRE(r1.reward == -0.1);
}

TEST_CASE("MountainCarContinuous: the state is stored as float after a step", "[unit]") {
  MountainCarContinuous env;
  env.set_state({-0.5123456789, 0.0012345678});
  const auto r = env.step(Action{0.3f});
  for (int i = 0; i < 2; ++i) {
    const double s = env.state()[static_cast<std::size_t>(i)];
    REQUIRE(static_cast<double>(static_cast<float>(s)) == s);
    REQUIRE(r.observation[i] == static_cast<float>(s));
  }
  // At the wall the stored position is float(-1.2), just below -1.2, and is clamped again.
  env.set_state({-1.19, -0.07});
  env.step(Action{-1.0f});
  REQUIRE(env.state()[0] == static_cast<double>(-1.2f));
  REQUIRE(env.state()[1] == 0.0);
  REQUIRE(env.observation_space().contains(env.observation()));
}

TEST_CASE("MountainCarContinuous: every step at the goal earns 100 minus the action cost", "[unit]") {
  MountainCarContinuous env;
  env.set_state({0.44, 0.02});
  auto r = env.step(Action{0.5f});
  REQUIRE(r.terminated);
  REQUIRE(r.reward == 100.0 - 0.25 * 0.1);
  r = env.step(Action{0.0f});  // nothing special after termination: still at the goal
  REQUIRE(r.terminated);
  REQUIRE(r.reward == 100.0);
}

TEST_CASE("MountainCarContinuous: TimeLimit truncates at step 999", "[unit]") {
  theta::TimeLimit<MountainCarContinuous> env;
  env.reset(4);
  int steps = 0;
  theta::StepResult<MountainCarContinuous::Observation> r;
  do {
    r = env.step(Action{0.0f});
    ++steps;
  } while (!r.terminated && !r.truncated);
  REQUIRE(r.truncated);
  REQUIRE(steps == 999);
}
