#include <theta/env/concepts.hpp>
#include <theta/env/time_limit.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"

namespace {

struct NoObservation {
  using Action = int;
};
struct NotAVector {
  using Observation = float;
  using Action = int;
  theta::Box observation_space() const { return {}; }
  theta::Discrete action_space() const { return {2}; }
  Observation reset(std::uint64_t) { return 0; }
  theta::StepResult<Observation> step(const Action&) { return {}; }
};
struct WrongStepResult {
  using Observation = Eigen::Vector2f;
  using Action = int;
  theta::Box observation_space() const { return {}; }
  theta::Discrete action_space() const { return {2}; }
  Observation reset(std::uint64_t) { return {}; }
  double step(const Action&) { return 0; }
};
struct FloatActionWithDiscreteSpace {
  using Observation = Eigen::Vector2f;
  using Action = float;
  theta::Box observation_space() const { return {}; }
  theta::Discrete action_space() const { return {2}; }
  Observation reset(std::uint64_t) { return {}; }
  theta::StepResult<Observation> step(const Action&) { return {}; }
};

}  // namespace

TEST_CASE("Environment concepts accept good types", "[concept]") {
  using theta::test::Corridor;
  using theta::test::Drift;
  STATIC_REQUIRE(theta::Environment<Corridor>);
  STATIC_REQUIRE(theta::DiscreteEnvironment<Corridor>);
  STATIC_REQUIRE_FALSE(theta::ContinuousEnvironment<Corridor>);
  STATIC_REQUIRE(theta::ContinuousEnvironment<Drift>);
  STATIC_REQUIRE_FALSE(theta::DiscreteEnvironment<Drift>);
  STATIC_REQUIRE(theta::DiscreteEnvironment<theta::TimeLimit<Corridor>>);
  STATIC_REQUIRE(theta::ContinuousEnvironment<theta::TimeLimit<Drift>>);
  STATIC_REQUIRE(theta::diagnose_environment<Corridor>());
}

TEST_CASE("Environment concepts reject incomplete types, naming the missing piece", "[concept]") {
  STATIC_REQUIRE_FALSE(theta::Environment<NoObservation>);
  STATIC_REQUIRE_FALSE(theta::HasObservationType<NoObservation>);
  STATIC_REQUIRE(theta::HasActionType<NoObservation>);
  STATIC_REQUIRE_FALSE(theta::Environment<NotAVector>);
  STATIC_REQUIRE_FALSE(theta::HasVectorObservation<NotAVector>);
  STATIC_REQUIRE_FALSE(theta::Environment<WrongStepResult>);
  STATIC_REQUIRE_FALSE(theta::HasStep<WrongStepResult>);
  STATIC_REQUIRE(theta::HasReset<WrongStepResult>);
  STATIC_REQUIRE(theta::Environment<FloatActionWithDiscreteSpace>);
  STATIC_REQUIRE_FALSE(theta::DiscreteEnvironment<FloatActionWithDiscreteSpace>);
  STATIC_REQUIRE_FALSE(theta::ContinuousEnvironment<FloatActionWithDiscreteSpace>);
  STATIC_REQUIRE_FALSE(theta::Environment<int>);
}

TEST_CASE("Spaces: Discrete and Box", "[unit]") {
  theta::Discrete d{3};
  REQUIRE(d.contains(0));
  REQUIRE(d.contains(2));
  REQUIRE_FALSE(d.contains(3));
  REQUIRE_FALSE(d.contains(-1));
  theta::Box box({-1.0, 0.0}, {1.0, 2.0});
  REQUIRE(box.size() == 2);
  REQUIRE(box.is_bounded());
  REQUIRE(box.contains(Eigen::Vector2f(0.5f, 2.0f)));
  REQUIRE_FALSE(box.contains(Eigen::Vector2f(0.5f, 2.5f)));
  REQUIRE_FALSE(box.contains(Eigen::Vector3f(0, 0, 0)));
  theta::Rng rng(3);
  for (int i = 0; i < 100; ++i) {
    REQUIRE(box.contains(box.sample<float>(rng)));
    REQUIRE(d.contains(d.sample(rng)));
  }
  constexpr double inf = std::numeric_limits<double>::infinity();
  REQUIRE_FALSE(theta::Box({-inf}, {1.0}).is_bounded());
  REQUIRE_THROWS_WITH(theta::Box({1.0}, {0.0}), Catch::Contains("low[0] = 1 is above high[0] = 0"));
  REQUIRE_THROWS_WITH(theta::Box({1.0}, {2.0, 3.0}), Catch::Contains("low has 1 entries but high has 2"));
}
