#include <theta/env/classic/pendulum.hpp>
#include <theta/env/concepts.hpp>
#include <theta/env/time_limit.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

using theta::Pendulum;
using Action = Pendulum::Action;
using Catch::Matchers::Contains;
constexpr double pi = std::numbers::pi;

TEST_CASE("Pendulum satisfies ContinuousEnvironment, also under TimeLimit", "[concept]") {
  STATIC_REQUIRE(theta::ContinuousEnvironment<Pendulum>);
  STATIC_REQUIRE_FALSE(theta::DiscreteEnvironment<Pendulum>);
  STATIC_REQUIRE(theta::ContinuousEnvironment<theta::TimeLimit<Pendulum>>);
}

TEST_CASE("Pendulum: registry facts and spaces are Gymnasium's", "[unit]") {
  STATIC_REQUIRE(Pendulum::max_episode_steps == 200);
  STATIC_REQUIRE_FALSE(Pendulum::reward_threshold.has_value());
  const Pendulum env;
  REQUIRE(env.action_space() == theta::Box({-2.0}, {2.0}));
  REQUIRE(env.observation_space() == theta::Box({-1.0, -1.0, -8.0}, {1.0, 1.0, 8.0}));
  REQUIRE(env.g() == 10.0);
}

TEST_CASE("Pendulum: reset draws theta in [-pi, pi) and theta_dot in [-1, 1), reproducibly", "[unit]") {
  Pendulum a, b;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    const auto obs = a.reset(seed);
    REQUIRE(a.state()[0] >= -pi);
    REQUIRE(a.state()[0] < pi);
    REQUIRE(a.state()[1] >= -1.0);
    REQUIRE(a.state()[1] < 1.0);
    REQUIRE(obs[0] == static_cast<float>(std::cos(a.state()[0])));
    REQUIRE(obs[1] == static_cast<float>(std::sin(a.state()[0])));
    b.reset(seed);
    REQUIRE(a.state() == b.state());
  }
  a.reset(1);
  b.reset(2);
  REQUIRE(a.state() != b.state());
}

TEST_CASE("Pendulum: invalid use throws; out-of-range finite torques are clipped", "[unit]") {
  Pendulum env;
  REQUIRE_THROWS_WITH(env.step(Action{0.0f}), Contains("Pendulum-v1") && Contains("before reset"));
  env.reset(0);
  REQUIRE_THROWS_AS(env.step(Action{std::numeric_limits<float>::quiet_NaN()}), theta::EnvironmentError);
  REQUIRE_THROWS_WITH(env.step(Action{-std::numeric_limits<float>::infinity()}),
                      Contains("Pendulum-v1") && Contains("-inf"));
  REQUIRE_THROWS_AS(Pendulum({.g = std::numeric_limits<double>::infinity()}), theta::ConfigError);

  Pendulum clipped, at_bound;
  clipped.set_state({1.0, 0.5});
  at_bound.set_state({1.0, 0.5});
  const auto r_big = clipped.step(Action{5.0f});
  const auto r_two = at_bound.step(Action{2.0f});
  REQUIRE(clipped.state() == at_bound.state());
  REQUIRE(r_big.reward == r_two.reward);  // the clipped torque enters the cost too
}

TEST_CASE("Pendulum: the cost is taken on the state before the step", "[unit]") {
  Pendulum env;
  env.set_state({0.0, 0.0});
  const auto r = env.step(Action{1.0f});
  REQUIRE(r.reward == -0.001);  // upright and still: only the torque costs
  REQUIRE_FALSE(r.terminated);
  REQUIRE_FALSE(r.truncated);
  env.set_state({pi, 0.0});
  REQUIRE(env.step(Action{0.0f}).reward == Approx(-pi * pi));  // hanging down: angle pi
}

TEST_CASE("Pendulum: angle_normalize is Python's floor modulo into [-pi, pi)", "[unit]") {
  REQUIRE(Pendulum::angle_normalize(0.0) == 0.0);
  REQUIRE(Pendulum::angle_normalize(pi) == -pi);
  REQUIRE(Pendulum::angle_normalize(-pi) == -pi);
  REQUIRE(Pendulum::angle_normalize(2 * pi + 0.5) == Approx(0.5));
  REQUIRE(Pendulum::angle_normalize(-2 * pi - 0.5) == Approx(-0.5));
  for (double x = -1000.0; x < 1000.0; x += 0.37) {
    const double y = Pendulum::angle_normalize(x);
    REQUIRE(y >= -pi);
    REQUIRE(y < pi);
  }
}

TEST_CASE("Pendulum: theta is not wrapped and theta_dot is clipped to 8", "[unit]") {
  Pendulum env;
  env.set_state({0.0, 7.9});
  double fastest = 0.0;
  for (int i = 0; i < 200; ++i) {
    env.step(Action{2.0f});
    REQUIRE(std::abs(env.state()[1]) <= 8.0);
    fastest = std::max(fastest, env.state()[1]);
  }
  REQUIRE(fastest == 8.0);            // the clip was reached
  REQUIRE(env.state()[0] > 10 * pi);  // many turns, never wrapped
}

TEST_CASE("Pendulum: g is a parameter; without gravity a still pendulum stays still", "[unit]") {
  Pendulum env({.g = 0.0});
  env.set_state({1.0, 0.0});
  env.step(Action{0.0f});
  REQUIRE(env.state() == Pendulum::State{1.0, 0.0});
  Pendulum earth;
  earth.set_state({1.0, 0.0});
  earth.step(Action{0.0f});
  REQUIRE(earth.state()[1] > 0.0);  // gravity pulls it further from upright
}

TEST_CASE("Pendulum: TimeLimit truncates at step 200 and it never terminates", "[unit]") {
  theta::TimeLimit<Pendulum> env;
  env.reset(9);
  int steps = 0;
  theta::StepResult<Pendulum::Observation> r;
  do {
    r = env.step(Action{2.0f});
    ++steps;
  } while (!r.terminated && !r.truncated);
  REQUIRE(r.truncated);
  REQUIRE_FALSE(r.terminated);
  REQUIRE(steps == 200);
}
