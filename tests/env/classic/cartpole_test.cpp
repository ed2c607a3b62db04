#include <theta/env/classic/cartpole.hpp>
#include <theta/env/concepts.hpp>
#include <theta/env/time_limit.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numbers>

using theta::CartPole;
using Catch::Matchers::Contains;

TEST_CASE("CartPole satisfies DiscreteEnvironment, also under TimeLimit", "[concept]") {
  STATIC_REQUIRE(theta::DiscreteEnvironment<CartPole>);
  STATIC_REQUIRE_FALSE(theta::ContinuousEnvironment<CartPole>);
  STATIC_REQUIRE(theta::DiscreteEnvironment<theta::TimeLimit<CartPole>>);
  STATIC_REQUIRE(theta::diagnose_environment<CartPole>());
}

TEST_CASE("CartPole: registry facts and spaces are Gymnasium's", "[unit]") {
  STATIC_REQUIRE(CartPole::max_episode_steps == 500);
  STATIC_REQUIRE(CartPole::reward_threshold == 475.0);
  STATIC_REQUIRE(CartPole::id == "CartPole-v1");
  const CartPole env;
  REQUIRE(env.action_space() == theta::Discrete{2});
  const theta::Box space = env.observation_space();
  REQUIRE(space.size() == 4);
  // Gymnasium's bounds are float32: 4.8f and float(2 * 12 degrees).
  REQUIRE(space.high[0] == static_cast<double>(4.8f));
  REQUIRE(space.high[2] == static_cast<double>(static_cast<float>(12 * 2 * std::numbers::pi / 360 * 2)));
  REQUIRE(space.high[1] == std::numeric_limits<double>::infinity());
  REQUIRE(space.low == -space.high);
  REQUIRE(theta::TimeLimit<CartPole>().max_episode_steps() == 500);
}

TEST_CASE("CartPole: reset draws every component in [-0.05, 0.05), reproducibly", "[unit]") {
  CartPole a, b;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    const auto obs = a.reset(seed);
    for (const double s : a.state()) {
      REQUIRE(s >= -0.05);
      REQUIRE(s < 0.05);
    }
    for (int i = 0; i < 4; ++i) REQUIRE(obs[i] == static_cast<float>(a.state()[static_cast<std::size_t>(i)]));
    b.reset(seed);
    REQUIRE(a.state() == b.state());
  }
  a.reset(1);
  b.reset(2);
  REQUIRE(a.state() != b.state());
}

TEST_CASE("CartPole: invalid use throws EnvironmentError naming the env and the value", "[unit]") {
  CartPole env;
  REQUIRE_THROWS_AS(env.step(0), theta::EnvironmentError);
  REQUIRE_THROWS_WITH(env.step(0), Contains("CartPole-v1") && Contains("before reset"));
  env.reset(0);
  REQUIRE_THROWS_AS(env.step(2), theta::EnvironmentError);
  REQUIRE_THROWS_WITH(env.step(2), Contains("CartPole-v1") && Contains("got 2"));
  REQUIRE_THROWS_WITH(env.step(-1), Contains("got -1"));
  REQUIRE_THROWS_WITH(env.set_state({0.0, std::nan(""), 0.0, 0.0}), Contains("state[1]"));
  REQUIRE_NOTHROW(env.step(1));
}

TEST_CASE("CartPole: action 1 pushes toward +x and lowers the pole's angular acceleration", "[unit]") {
  CartPole left, right;
  left.set_state({0.0, 0.0, 0.0, 0.0});
  right.set_state({0.0, 0.0, 0.0, 0.0});
  left.step(0);
  right.step(1);
  left.step(0);
  right.step(1);
  REQUIRE(right.state()[1] > 0.0);
  REQUIRE(left.state()[1] < 0.0);
  REQUIRE(right.state()[3] < 0.0);  // pushing right makes the pole lean left
  REQUIRE(left.state()[3] > 0.0);
}

TEST_CASE("CartPole: termination, then reward 0 while out of bounds and 1 once back inside", "[unit]") {
  CartPole env;
  // The pole at 11.7 degrees, falling to the right at 0.5 rad/s: past 12 degrees after one
  // step of 0.02 s. Pushing right swings it back inside within a few steps.
  env.set_state({0.0, 0.0, 0.205, 0.5});
  auto r = env.step(1);
  REQUIRE(r.terminated);
  REQUIRE_FALSE(r.truncated);  // step never truncates; TimeLimit does
  REQUIRE(r.reward == 1.0);    // the terminating step still earns 1
  int beyond = 0;
  while ((r = env.step(1)).terminated) {
    REQUIRE(r.reward == 0.0);  // Gymnasium: steps beyond termination earn 0
    REQUIRE(++beyond < 100);
  }
  REQUIRE(beyond > 0);
  REQUIRE(env.state()[2] <= CartPole::theta_threshold);  // back inside: the physics never stopped
  REQUIRE(r.reward == 1.0);
  // set_state starts afresh: the next terminal step is a first one again. Moving right at
  // 1 m/s from x = 2.39, the cart is at 2.41 after one step.
  env.set_state({2.39, 1.0, 0.0, 0.0});
  r = env.step(0);
  REQUIRE(r.terminated);
  REQUIRE(r.reward == 1.0);
  // The thresholds are strict: a pole at exactly 12 degrees (theta_dot = 0 keeps it there
  // for one step) is not terminal, a hair beyond is.
  env.set_state({0.0, 0.0, CartPole::theta_threshold, 0.0});
  r = env.step(0);
  REQUIRE(env.state()[2] == CartPole::theta_threshold);
  REQUIRE_FALSE(r.terminated);
  env.set_state({0.0, 0.0, std::nextafter(CartPole::theta_threshold, 1.0), 0.0});
  REQUIRE(env.step(0).terminated);
}

TEST_CASE("CartPole: the Sutton-Barto reward is 0 per step and -1 on and after termination", "[unit]") {
  CartPole env({.sutton_barto_reward = true});
  env.set_state({0.0, 0.0, 0.0, 0.0});
  REQUIRE(env.step(1).reward == 0.0);
  env.set_state({0.0, 0.0, 0.2, 1.0});
  const auto r = env.step(1);
  REQUIRE(r.terminated);
  REQUIRE(r.reward == -1.0);
  REQUIRE(env.step(1).reward == -1.0);
}

TEST_CASE("CartPole: TimeLimit truncates at step 500 of a balanced episode", "[unit]") {
  theta::TimeLimit<CartPole> env;
  auto obs = env.reset(3);
  int steps = 0;
  theta::StepResult<CartPole::Observation> r;
  do {
    // A linear controller that keeps the pole up and the cart near the centre.
    const double u = 0.1 * obs[0] + 0.5 * obs[1] + 10.0 * obs[2] + 2.0 * obs[3];
    r = env.step(u > 0 ? 1 : 0);
    obs = r.observation;
    ++steps;
  } while (!r.terminated && !r.truncated);
  REQUIRE_FALSE(r.terminated);
  REQUIRE(r.truncated);
  REQUIRE(steps == 500);
}
