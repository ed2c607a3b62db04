#pragma once
// Small environments for testing the contract machinery independently of the built-ins.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/env/spaces.hpp>
#include <theta/env/step_result.hpp>

#include <Eigen/Core>

#include <cstdint>

namespace theta::test {

/// A walk on a line: action 1 moves right, 0 left; terminates at |position| >= 4.
/// The start is drawn from the seed, so trajectories depend on it.
struct Corridor {
  using Observation = Eigen::Vector2f;
  using Action = int;

  Box observation_space() const { return Box({-4.0, 0.0}, {4.0, 1000.0}); }
  Discrete action_space() const { return Discrete{2}; }

  Observation reset(std::uint64_t seed) {
    Rng rng(seed);
    position = static_cast<int>(rng.below(3)) - 1;
    steps = 0;
    return observe();
  }
  StepResult<Observation> step(const Action& action) {
    require<EnvironmentError>(action == 0 || action == 1, "Corridor: action must be 0 or 1, got {}", action);
    position += action == 1 ? 1 : -1;
    ++steps;
    const bool done = position >= 4 || position <= -4;
    return {observe(), done ? 10.0 : -1.0, done, false};
  }
  Observation observe() const { return {static_cast<float>(position), static_cast<float>(steps)}; }

  int position = 0;
  int steps = 0;
};

/// A point pushed by a bounded continuous force; never terminates by itself.
struct Drift {
  using Observation = Eigen::VectorXd;  // dynamic size on purpose
  using Action = Eigen::Vector2f;

  Box observation_space() const { return Box({-1e9, -1e9}, {1e9, 1e9}); }
  Box action_space() const { return Box({-1.0, -1.0}, {1.0, 1.0}); }

  Observation reset(std::uint64_t seed) {
    Rng rng(seed);
    x = Eigen::VectorXd(2);
    x << rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0);
    return x;
  }
  StepResult<Observation> step(const Action& action) {
    x += action.cast<double>().cwiseMax(-1.0).cwiseMin(1.0);
    return {x, -x.squaredNorm(), false, false};
  }

  Eigen::VectorXd x;
};

}  // namespace theta::test
