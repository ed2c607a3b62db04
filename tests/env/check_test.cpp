#include <theta/env/check.hpp>
#include <theta/env/time_limit.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"

#include <cmath>
#include <limits>

using theta::check_environment;
using theta::test::Corridor;
using theta::test::Drift;

TEST_CASE("check_environment passes good environments", "[unit]") {
  Corridor corridor;
  const auto report = check_environment(corridor, 3, 500);
  REQUIRE(report.steps == 500);
  REQUIRE(report.episodes > 10);
  theta::TimeLimit<Drift> drift(Drift{}, 50);
  REQUIRE(check_environment(drift, 1, 200).episodes == 4);
}

namespace {
struct WrongSize : Corridor {
  theta::Box observation_space() const { return theta::Box({0.0, 0.0, 0.0}, {1.0, 1.0, 1.0}); }
};
struct NanObservation : Corridor {
  theta::StepResult<Observation> step(const Action& a) {
    auto r = Corridor::step(a);
    if (steps == 3) r.observation[1] = std::numeric_limits<float>::quiet_NaN();
    return r;
  }
};
struct InfiniteReward : Corridor {
  theta::StepResult<Observation> step(const Action& a) {
    auto r = Corridor::step(a);
    r.reward = std::numeric_limits<double>::infinity();
    return r;
  }
};
struct UnboundedActions : Drift {
  theta::Box action_space() const { return theta::Box({-1.0, -std::numeric_limits<double>::infinity()}, {1.0, 1.0}); }
};
struct NotReproducible : Corridor {
  int calls = 0;
  Observation reset(std::uint64_t) {
    position = ++calls == 1 ? 0 : 1;  // ignores the seed: the first run starts elsewhere than the second
    steps = 0;
    return observe();
  }
};
}  // namespace

TEST_CASE("check_environment names what is wrong", "[unit]") {
  WrongSize wrong_size;
  REQUIRE_THROWS_WITH(check_environment(wrong_size, 0),
                      Catch::Contains("observation of size 2, but observation_space() has size 3"));
  NanObservation nan_obs;
  REQUIRE_THROWS_WITH(check_environment(nan_obs, 0), Catch::Contains("non-finite observation[1]"));
  InfiniteReward inf_reward;
  REQUIRE_THROWS_WITH(check_environment(inf_reward, 0), Catch::Contains("non-finite reward inf"));
  UnboundedActions unbounded;
  REQUIRE_THROWS_WITH(check_environment(unbounded, 0), Catch::Contains("action bounds must be finite"));
  NotReproducible not_reproducible;
  REQUIRE_THROWS_WITH(check_environment(not_reproducible, 0),
                      Catch::Contains("same seed did not replay the same trajectory"));
}
