#pragma once
// Shared by the distribution tests: the reference error metric, the per-type tolerances of
// tests/data/torch/README.md, the finite-difference step and tolerance, and random inputs.

#include <theta/core/exceptions.hpp>
#include <theta/core/rng.hpp>

#include "support/data_dir.hpp"
#include "support/finite_difference.hpp"
#include "support/json.hpp"
#include "support/reference_checks.hpp"

#include <Eigen/Core>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <type_traits>

namespace theta::test {

/// The PyTorch reference cases of every distribution (distributions.json), read once.
inline const Json& distributions_reference() {
  static const Json json = Json::load((data_dir("THETA_TORCH_REFERENCE", "torch") / "distributions.json").string());
  return json;
}

/// Fails when a reference case has a field the test does not know: a new output in the
/// data must get a check, not be skipped silently.
inline void require_known_fields(const Json& reference_case, const std::set<std::string>& known) {
  for (const auto& [key, value] : reference_case.object()) {
    INFO("reference case " << reference_case["name"].string() << " has field '" << key << "' that no check covers");
    CHECK(known.count(key) == 1);
  }
}

/// The step of the finite-difference checks: three points, h = 1e-5 (numerical_gradient in
/// support/finite_difference.hpp).
constexpr Stencil fd_stencil{.step = 1e-5};

/// Tolerance of a finite-difference check in double with fd_stencil: truncation and rounding
/// stay below 1e-8 for these smooth, O(1)-scaled functions; a wrong formula is off by O(1).
constexpr double fd_tolerance = 1e-6;

/// A rows x cols matrix of uniform entries in [low, high).
inline Eigen::MatrixXd random_uniform(Rng& rng, Eigen::Index rows, Eigen::Index cols, double low, double high) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m(i) = rng.uniform(low, high);
  return m;
}

/// A rows x cols matrix of standard normal entries.
inline Eigen::MatrixXd random_normal(Rng& rng, Eigen::Index rows, Eigen::Index cols) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m(i) = rng.normal();
  return m;
}

/// (H v) by central differences, H the Hessian of `f` at `x`, a function whose gradient at x is
/// 0 (a KL at p_new = p_old), so that no first-order terms are needed: entry i from f along
/// e_i and v with step h. What the Fisher-vector products are held against.
template <class F>
Eigen::MatrixXd hessian_times(F&& f, const Eigen::MatrixXd& x, const Eigen::MatrixXd& v, double h = 1e-4) {
  Eigen::MatrixXd hv(x.rows(), x.cols());
  for (Eigen::Index i = 0; i < hv.size(); ++i) {
    Eigen::MatrixXd e = Eigen::MatrixXd::Zero(x.rows(), x.cols());
    e(i) = h;
    hv(i) = (f(x + e + h * v) - f(x + e - h * v) - f(x - e + h * v) + f(x - e - h * v)) / (4 * h * h);
  }
  return hv;
}

/// What `f()` threw (any theta::Error), or "(no exception)".
template <class F>
std::string error_message_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no exception)";
}

}  // namespace theta::test
