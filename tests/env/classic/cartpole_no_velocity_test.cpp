// CartPoleNoVelocity: CartPole-v1 seen through x and theta only; the same episode as CartPole
// step for step, its own bounds. Its checkpoint round trip: tests/env/savable_test.cpp.
#include <theta/core/rng.hpp>
#include <theta/env/check.hpp>
#include <theta/env/classic/cartpole.hpp>
#include <theta/env/classic/cartpole_no_velocity.hpp>
#include <theta/env/savable.hpp>
#include <theta/env/time_limit.hpp>

#include <catch2/catch.hpp>

#include <cstdint>

using theta::CartPoleNoVelocity;

TEST_CASE("CartPoleNoVelocity satisfies DiscreteEnvironment and SavableEnvironment, also under TimeLimit",
          "[concept]") {
  STATIC_REQUIRE(theta::DiscreteEnvironment<CartPoleNoVelocity>);
  STATIC_REQUIRE(theta::SavableEnvironment<CartPoleNoVelocity>);
  STATIC_REQUIRE(theta::SavableEnvironment<theta::TimeLimit<CartPoleNoVelocity>>);
  STATIC_REQUIRE(CartPoleNoVelocity::Observation::RowsAtCompileTime == 2);
  STATIC_REQUIRE(CartPoleNoVelocity::max_episode_steps == 500);
  STATIC_REQUIRE(CartPoleNoVelocity::reward_threshold == 475.0);
  STATIC_REQUIRE(CartPoleNoVelocity::id == "CartPoleNoVel-v1");
}

TEST_CASE("CartPoleNoVelocity: bounds are CartPole's of x and theta, 2 x_threshold and 2 theta_threshold", "[unit]") {
  const theta::Box space = CartPoleNoVelocity{}.observation_space();
  REQUIRE(space.size() == 2);
  REQUIRE(space.high[0] == static_cast<double>(static_cast<float>(2 * theta::CartPole::x_threshold)));
  REQUIRE(space.high[1] == static_cast<double>(static_cast<float>(2 * theta::CartPole::theta_threshold)));
  REQUIRE(space.low == -space.high);
  REQUIRE(CartPoleNoVelocity{}.action_space() == theta::Discrete{2});
  REQUIRE(theta::TimeLimit<CartPoleNoVelocity>().max_episode_steps() == 500);
}

TEST_CASE("CartPoleNoVelocity observes components 0 and 2 of CartPole's episode, step for step", "[unit]") {
  theta::TimeLimit<theta::CartPole> full;
  theta::TimeLimit<CartPoleNoVelocity> hidden;
  theta::Rng rng(3);
  int episodes = 0, steps = 0, truncations = 0;
  for (std::uint64_t seed = 10; episodes < 20; ++seed, ++episodes) {
    auto f = full.reset(seed);
    auto h = hidden.reset(seed);
    REQUIRE(h == CartPoleNoVelocity::Observation(f[0], f[2]));
    for (bool done = false; !done; ++steps) {
      // Mostly the action that holds the pole up, so that some episodes reach the limit.
      const int action = rng.uniform(0.0, 1.0) < 0.2 ? static_cast<int>(rng.below(2)) : (f[2] + f[3] > 0 ? 1 : 0);
      const auto a = full.step(action);
      const auto b = hidden.step(action);
      REQUIRE(b.observation == CartPoleNoVelocity::Observation(a.observation[0], a.observation[2]));
      REQUIRE(b.reward == a.reward);
      REQUIRE(b.terminated == a.terminated);
      REQUIRE(b.truncated == a.truncated);
      REQUIRE(hidden.env().state() == full.env().state());
      f = a.observation;
      done = a.terminated || a.truncated;
      truncations += a.truncated ? 1 : 0;
    }
  }
  CHECK(truncations > 0);  // episodes cut at 500 steps as well as falls
  CHECK(truncations < episodes);
  // A step after termination earns CartPole's 0 too, and bad input raises CartPole's errors.
  CartPoleNoVelocity env;
  REQUIRE_THROWS_AS(env.step(0), theta::EnvironmentError);
  env.reset(0);
  REQUIRE_THROWS_WITH(env.step(2), Catch::Contains("CartPole-v1") && Catch::Contains("got 2"));
}

TEST_CASE("CartPoleNoVelocity passes check_environment", "[unit]") {
  theta::TimeLimit<CartPoleNoVelocity> env;
  const auto report = theta::check_environment(env, 5, 2'000);
  REQUIRE(report.steps == 2'000);
  REQUIRE(report.episodes > 10);
}
