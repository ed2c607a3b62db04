#include <theta/env/classic/acrobot.hpp>
#include <theta/env/concepts.hpp>
#include <theta/env/time_limit.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

using theta::Acrobot;
using Catch::Matchers::Contains;

TEST_CASE("Acrobot satisfies DiscreteEnvironment, also under TimeLimit", "[concept]") {
  STATIC_REQUIRE(theta::DiscreteEnvironment<Acrobot>);
  STATIC_REQUIRE_FALSE(theta::ContinuousEnvironment<Acrobot>);
  STATIC_REQUIRE(theta::DiscreteEnvironment<theta::TimeLimit<Acrobot>>);
}

TEST_CASE("Acrobot: registry facts and spaces are Gymnasium's", "[unit]") {
  STATIC_REQUIRE(Acrobot::max_episode_steps == 500);
  STATIC_REQUIRE(Acrobot::reward_threshold == -100.0);
  const Acrobot env;
  REQUIRE(env.action_space() == theta::Discrete{3});
  const theta::Box space = env.observation_space();
  REQUIRE(space.size() == 6);
  REQUIRE(space.high[3] == 1.0);
  REQUIRE(space.high[4] == static_cast<double>(static_cast<float>(4 * std::numbers::pi)));
  REQUIRE(space.high[5] == static_cast<double>(static_cast<float>(9 * std::numbers::pi)));
  REQUIRE(space.low == -space.high);
}

TEST_CASE("Acrobot: reset draws float-valued components in [-0.1, 0.1], reproducibly", "[unit]") {
  Acrobot a, b;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    const auto obs = a.reset(seed);
    for (const double s : a.state()) {
      // Gymnasium rounds the uniform draw to float32; float(0.1) is just above 0.1.
      REQUIRE(std::abs(s) <= static_cast<double>(0.1f));
      REQUIRE(static_cast<double>(static_cast<float>(s)) == s);
    }
    REQUIRE(obs[0] == static_cast<float>(std::cos(a.state()[0])));
    REQUIRE(obs[5] == static_cast<float>(a.state()[3]));
    b.reset(seed);
    REQUIRE(a.state() == b.state());
  }
  a.reset(1);
  b.reset(2);
  REQUIRE(a.state() != b.state());
}

TEST_CASE("Acrobot: actions outside {0, 1, 2} throw (Gymnasium would index its list with -1)", "[unit]") {
  Acrobot env;
  REQUIRE_THROWS_WITH(env.step(1), Contains("Acrobot-v1") && Contains("before reset"));
  env.reset(0);
  REQUIRE_THROWS_AS(env.step(3), theta::EnvironmentError);
  REQUIRE_THROWS_WITH(env.step(3), Contains("Acrobot-v1") && Contains("got 3"));
  REQUIRE_THROWS_WITH(env.step(-1), Contains("got -1"));
  REQUIRE_NOTHROW(env.step(2));
}

TEST_CASE("Acrobot: hanging at rest with no torque stays put; torque moves the second link", "[unit]") {
  Acrobot env;
  env.set_state({0.0, 0.0, 0.0, 0.0});
  const auto r = env.step(1);
  REQUIRE(r.reward == -1.0);
  REQUIRE_FALSE(r.terminated);
  // cos(-pi/2) is 6e-17, not 0, in Gymnasium's formula too: it stays put up to rounding.
  for (const double s : env.state()) REQUIRE(std::abs(s) < 1e-15);
  env.step(2);
  REQUIRE(env.state()[3] > 0.0);  // +1 torque spins link 2 forward relative to link 1
  REQUIRE(env.state()[2] < 0.0);  // and link 1 back
}

TEST_CASE("Acrobot: the goal terminates with reward 0, and stays terminal with reward 0", "[unit]") {
  Acrobot env;
  // Both links straight up: the tip is 2 link lengths above the pivot (> 1).
  env.set_state({std::numbers::pi - 0.01, 0.0, 0.0, 0.0});
  auto r = env.step(1);
  REQUIRE(r.terminated);
  REQUIRE(r.reward == 0.0);
  r = env.step(1);
  REQUIRE(r.terminated);
  REQUIRE(r.reward == 0.0);
}

TEST_CASE("Acrobot: angles are wrapped to [-pi, pi] and velocities clipped", "[unit]") {
  Acrobot env;
  env.set_state({3.1, -3.1, 4 * std::numbers::pi, -9 * std::numbers::pi});
  for (int i = 0; i < 50; ++i) {
    env.step(i % 3);
    const auto& s = env.state();
    REQUIRE(std::abs(s[0]) <= std::numbers::pi);
    REQUIRE(std::abs(s[1]) <= std::numbers::pi);
    REQUIRE(std::abs(s[2]) <= Acrobot::max_vel_1);
    REQUIRE(std::abs(s[3]) <= Acrobot::max_vel_2);
  }
}

TEST_CASE("Acrobot: TimeLimit truncates a constant-torque episode at step 500", "[unit]") {
  theta::TimeLimit<Acrobot> env;
  env.reset(0);
  int steps = 0;
  theta::StepResult<Acrobot::Observation> r;
  do {
    r = env.step(1);
    ++steps;
  } while (!r.terminated && !r.truncated);
  REQUIRE(r.truncated);
  REQUIRE_FALSE(r.terminated);
  REQUIRE(steps == 500);
}
