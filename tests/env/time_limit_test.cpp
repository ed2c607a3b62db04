#include <theta/env/time_limit.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"

using theta::TimeLimit;
using theta::test::Corridor;

namespace {
struct Limited : Corridor {
  static constexpr std::int64_t max_episode_steps = 7;
};
}  // namespace

TEST_CASE("TimeLimit truncates when the elapsed steps reach the limit", "[unit]") {
  TimeLimit<Corridor> env(Corridor{}, 3);
  env.reset(0);
  env.env().position = 0;
  // Alternate so the corridor never terminates.
  REQUIRE_FALSE(env.step(1).truncated);
  REQUIRE_FALSE(env.step(0).truncated);
  const auto last = env.step(1);
  REQUIRE(last.truncated);
  REQUIRE_FALSE(last.terminated);
  // Stepping on keeps truncated set, as Gymnasium does.
  REQUIRE(env.step(0).truncated);
  REQUIRE(env.elapsed_steps() == 4);
  env.reset(1);
  REQUIRE(env.elapsed_steps() == 0);
  REQUIRE_FALSE(env.step(1).truncated);
}

TEST_CASE("TimeLimit: terminated and truncated can both be true", "[unit]") {
  TimeLimit<Corridor> env(Corridor{}, 4);
  env.reset(0);
  env.env().position = 0;
  for (int i = 0; i < 3; ++i) REQUIRE_FALSE(env.step(1).terminated);
  const auto last = env.step(1);  // position 4: terminal, and the 4th step
  REQUIRE(last.terminated);
  REQUIRE(last.truncated);
}

TEST_CASE("TimeLimit rejects a non-positive limit and uses Env::max_episode_steps by default", "[unit]") {
  REQUIRE_THROWS_WITH(TimeLimit<Corridor>(Corridor{}, 0), Catch::Contains("max_episode_steps must be > 0, got 0"));
  TimeLimit<Limited> env;
  REQUIRE(env.max_episode_steps() == 7);
  REQUIRE_THROWS_WITH(TimeLimit<Corridor>(), Catch::Contains("max_episode_steps must be > 0"));
}
