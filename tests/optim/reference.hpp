#pragma once
// Shared by the optimizer tests: optimizers.json, the README's error metric and tolerances,
// and the open- and closed-loop replays of a recorded run.

#include <theta/core/scalar.hpp>

#include "support/data_dir.hpp"
#include "support/json.hpp"
#include "support/reference_checks.hpp"

#include <Eigen/Core>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

namespace theta::test {

/// optimizers.json from THETA_TORCH_REFERENCE, or tests/data/torch.
inline const Json& optimizers_reference() {
  static const Json json = Json::load((data_dir("THETA_TORCH_REFERENCE", "torch") / "optimizers.json").string());
  return json;
}

/// The runs of the given torch/SB3 optimizer classes.
inline std::vector<const Json*> runs_of(std::initializer_list<std::string> optimizers) {
  std::vector<const Json*> runs;
  const Json& all = optimizers_reference()["runs"];
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (std::find(optimizers.begin(), optimizers.end(), all[i]["optimizer"].string()) != optimizers.end()) {
      runs.push_back(&all[i]);
    }
  }
  return runs;
}

/// Feeds the recorded gradients to `optimizer` (open loop) and compares the parameters
/// after every step.
template <class T, class Optimizer>
void replay_open_loop(const Json& run, Optimizer& optimizer) {
  const Json& problem = optimizers_reference()["problem"];
  Vector<T> x = problem["x0"].vector<double>().cast<T>();
  const Eigen::MatrixXd grads = run["grads"].matrix<double>();
  const Eigen::MatrixXd params = run["params"].matrix<double>();
  REQUIRE(grads.rows() == problem["steps"].integer());
  for (Index k = 0; k < grads.rows(); ++k) {
    const Vector<T> g = grads.row(k).transpose().cast<T>();
    optimizer.step(x, g);
    check_field("params after step " + std::to_string(k + 1), x, params.row(k).transpose(), reference_tolerance<T>);
  }
}

/// Recomputes g_k = A (x_k - c) + s[k] from the optimizer's own parameters (closed loop,
/// double), so an error would compound instead of being reset by the recorded gradients.
template <class Optimizer>
void replay_closed_loop(const Json& run, Optimizer& optimizer) {
  const Json& problem = optimizers_reference()["problem"];
  const Eigen::MatrixXd A = problem["A"].matrix<double>();
  const Eigen::VectorXd c = problem["c"].vector<double>();
  const Eigen::MatrixXd s = problem["s"].matrix<double>();
  const Eigen::MatrixXd params = run["params"].matrix<double>();
  Eigen::VectorXd x = problem["x0"].vector<double>();
  for (Index k = 0; k < params.rows(); ++k) {
    const Eigen::VectorXd g = A * (x - c) + s.row(k).transpose();
    optimizer.step(x, g);
    check_field("closed-loop params after step " + std::to_string(k + 1), x, params.row(k).transpose(), 1e-12);
  }
}

}  // namespace theta::test
