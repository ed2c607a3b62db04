#include <theta/env/time_limit.hpp>
#include <theta/env/vector_env.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

using theta::TimeLimit;
using theta::VectorEnv;
using theta::test::Corridor;
using theta::test::Drift;

TEST_CASE("VectorEnv: observations are obs_dim x N, copies get different seeds", "[unit]") {
  VectorEnv<Corridor> envs(16, 5);
  const auto& obs = envs.reset();
  REQUIRE(obs.rows() == 2);
  REQUIRE(obs.cols() == 16);
  bool any_different = false;
  for (int i = 1; i < 16; ++i) any_different |= obs(0, i) != obs(0, 0);
  REQUIRE(any_different);
  // The same seed gives the same start; another seed another one.
  VectorEnv<Corridor> same(16, 5), other(16, 6);
  REQUIRE(same.reset() == obs);
  REQUIRE(other.reset() != obs);
}

TEST_CASE("VectorEnv: auto-reset keeps the true final observation and records the episode", "[unit]") {
  VectorEnv<Corridor> envs(2, 0);
  envs.reset();
  envs.env(0).position = 3;  // one step from the right end
  envs.env(1).position = 0;
  const std::vector<int> right{1, 1};
  envs.step(right);
  REQUIRE(envs.terminated(0));
  REQUIRE(envs.done(0));
  REQUIRE_FALSE(envs.done(1));
  REQUIRE(envs.final_observations()(0, 0) == 4.0f);     // the terminal position
  REQUIRE(envs.observations()(1, 0) == 0.0f);           // step counter of the fresh episode
  REQUIRE(std::abs(envs.observations()(0, 0)) <= 1.0f);  // a fresh start in {-1, 0, 1}
  REQUIRE(envs.rewards()[0] == 10.0);
  REQUIRE(envs.rewards()[1] == -1.0);
  REQUIRE(envs.finished_episodes().size() == 1);
  const auto record = envs.finished_episodes()[0];
  REQUIRE(record.env == 0);
  REQUIRE(record.terminated);
  REQUIRE(record.length == 1);
  REQUIRE(record.episode_return == 10.0);
  envs.step(right);
  REQUIRE(envs.finished_episodes().empty());
}

TEST_CASE("VectorEnv: truncation is reported with the final observation", "[unit]") {
  VectorEnv<TimeLimit<Corridor>> envs(1, 0, TimeLimit<Corridor>(Corridor{}, 2));
  envs.reset();
  envs.env(0).env().position = 0;
  const std::vector<int> right{1};
  envs.step(right);
  envs.step(right);
  REQUIRE(envs.truncated(0));
  REQUIRE_FALSE(envs.terminated(0));
  REQUIRE(envs.final_observations()(0, 0) == 2.0f);
  REQUIRE(envs.final_observations()(1, 0) == 2.0f);
  REQUIRE(envs.observations()(1, 0) == 0.0f);
  REQUIRE(envs.finished_episodes()[0].episode_return == -2.0);
}

TEST_CASE("VectorEnv: continuous actions from a matrix, dynamic observations", "[unit]") {
  VectorEnv<Drift> envs(3, 1);
  const auto start = envs.reset();
  Eigen::MatrixXf actions(2, 3);
  actions << 0.5f, -0.5f, 2.0f, 0.25f, 0.0f, -2.0f;
  envs.step(actions);
  REQUIRE(envs.observations().rows() == 2);
  REQUIRE(envs.observations()(0, 0) == Approx(start(0, 0) + 0.5));
  REQUIRE(envs.observations()(0, 2) == Approx(start(0, 2) + 1.0));  // clipped by the env
  Eigen::MatrixXf wrong(2, 2);
  REQUIRE_THROWS_WITH(envs.step(wrong), Catch::Contains("action matrix is 2x2, expected 2x3"));
}

TEST_CASE("VectorEnv: bad input and bad environments give clear errors", "[unit]") {
  VectorEnv<Corridor> envs(2, 0);
  const std::vector<int> two{1, 1};
  REQUIRE_THROWS_WITH(envs.step(two), Catch::Contains("before reset"));
  envs.reset();
  const std::vector<int> one{1};
  REQUIRE_THROWS_WITH(envs.step(one), Catch::Contains("got 1 actions for 2 environments"));
  const std::vector<int> bad{1, 7};
  REQUIRE_THROWS_WITH(envs.step(bad), Catch::Contains("action must be 0 or 1, got 7"));
  REQUIRE_THROWS_WITH(VectorEnv<Corridor>(0, 0), Catch::Contains("must be > 0, got 0"));

  struct NanReward : Corridor {
    theta::StepResult<Observation> step(const Action& a) {
      auto r = Corridor::step(a);
      r.reward = std::numeric_limits<double>::quiet_NaN();
      return r;
    }
  };
  VectorEnv<NanReward> nan_envs(3, 0);
  nan_envs.reset();
  const std::vector<int> three{1, 1, 1};
  REQUIRE_THROWS_WITH(nan_envs.step(three), Catch::Contains("environment 0 returned a non-finite reward"));
}

TEST_CASE("VectorEnv: stepping on threads gives the same results as the sequential path", "[unit]") {
  const std::size_t n = 7;
  VectorEnv<TimeLimit<Corridor>> serial(n, 42, TimeLimit<Corridor>(Corridor{}, 5));
  VectorEnv<TimeLimit<Corridor>> threaded(n, 42, TimeLimit<Corridor>(Corridor{}, 5), {.threads = 3});
  REQUIRE(serial.reset() == threaded.reset());
  theta::Rng rng(9);
  std::vector<int> actions(n);
  std::size_t episodes = 0;
  for (int t = 0; t < 200; ++t) {
    for (auto& a : actions) a = static_cast<int>(rng.below(2));
    serial.step(actions);
    threaded.step(actions);
    REQUIRE(serial.observations() == threaded.observations());
    REQUIRE(serial.rewards() == threaded.rewards());
    REQUIRE(serial.finished_episodes().size() == threaded.finished_episodes().size());
    for (std::size_t k = 0; k < serial.finished_episodes().size(); ++k) {
      REQUIRE(serial.finished_episodes()[k].env == threaded.finished_episodes()[k].env);
      REQUIRE(serial.finished_episodes()[k].episode_return == threaded.finished_episodes()[k].episode_return);
    }
    episodes += serial.finished_episodes().size();
  }
  REQUIRE(episodes > 100);
  // An exception thrown on a worker reaches the caller.
  std::vector<int> bad(n, 1);
  bad[n - 1] = 5;
  REQUIRE_THROWS_WITH(threaded.step(bad), Catch::Contains("got 5"));
}

// Issue 13: bad actions were handed to the user's environment unchecked.
TEST_CASE("VectorEnv: out-of-range, non-finite and wrong-size actions raise before any copy steps", "[unit]") {
  // Records every action it receives and accepts anything.
  struct Lenient {
    using Observation = Eigen::Vector2f;
    using Action = int;
    theta::Box observation_space() const { return theta::Box({-10.0, -10.0}, {10.0, 10.0}); }
    theta::Discrete action_space() const { return theta::Discrete{3}; }
    Observation reset(std::uint64_t) { return Observation::Zero(); }
    theta::StepResult<Observation> step(const Action& a) {
      ++steps;
      return {Observation::Constant(static_cast<float>(a)), 0.0, false, false};
    }
    int steps = 0;
  };
  VectorEnv<Lenient> envs(2, 0);
  envs.reset();
  envs.step(std::vector<int>{0, 2});
  REQUIRE_THROWS_AS(envs.step(std::vector<int>{1, 3}), theta::EnvironmentError);
  REQUIRE_THROWS_WITH(envs.step(std::vector<int>{1, 3}),
                      "VectorEnv: environment 1 at step 2 of episode 0: action must be in {0, ..., 2}, got 3 "
                      "(action_space() is Discrete(3))");
  REQUIRE_THROWS_WITH(envs.step(std::vector<int>{-1, 0}), Catch::Contains("environment 0 at step 2"));
  REQUIRE(envs.env(0).steps == 1);  // no copy stepped on a bad action
  REQUIRE(envs.env(1).steps == 1);

  VectorEnv<Drift> drift(2, 0);
  drift.reset();
  Eigen::MatrixXf actions = Eigen::MatrixXf::Zero(2, 2);
  const Eigen::VectorXd x0 = drift.env(0).x;
  actions(1, 1) = std::numeric_limits<float>::quiet_NaN();
  REQUIRE_THROWS_WITH(drift.step(actions),
                      "VectorEnv: environment 1 at step 1 of episode 0: action[1] must be finite, got nan");
  actions(1, 1) = std::numeric_limits<float>::infinity();
  REQUIRE_THROWS_AS(drift.step(actions), theta::EnvironmentError);
  REQUIRE(drift.env(0).x == x0);  // copy 0's action was fine, but nothing stepped
  // The span form: wrong size and non-finite entries.
  std::vector<Drift::Action> span_actions(2, Drift::Action::Zero());
  span_actions[0][0] = -std::numeric_limits<float>::infinity();
  REQUIRE_THROWS_WITH(drift.step(std::span<const Drift::Action>(span_actions)),
                      "VectorEnv: environment 0 at step 1 of episode 0: action[0] must be finite, got -inf");
}
