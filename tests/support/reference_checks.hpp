#pragma once
// The error metric and tolerances of the PyTorch reference data (tests/data/torch/README.md),
// shared by every test that compares with it.

#include <Eigen/Core>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>

namespace theta::test {

/// The README's tolerance: 1e-12 in double, 1e-5 in float (inputs rounded to float, all
/// arithmetic in float).
template <class T>
constexpr double reference_tolerance = std::is_same_v<T, double> ? 1e-12 : 1e-5;

/// max over entries of |x - ref| / max(1, |ref|) (the README's metric); NaN counts as infinite.
inline double max_err(const Eigen::MatrixXd& actual, const Eigen::MatrixXd& expected) {
  double err = 0;
  for (Eigen::Index i = 0; i < expected.size(); ++i) {
    const double e = std::abs(actual(i) - expected(i)) / std::max(1.0, std::abs(expected(i)));
    err = std::isnan(e) ? INFINITY : std::max(err, e);
  }
  return err;
}

/// The same metric for one value: |x - ref| / max(1, |ref|) (NaN stays NaN and fails any `<=`).
inline double rel_err(double x, double ref) { return std::abs(x - ref) / std::max(1.0, std::abs(ref)); }

/// max_err of a vector of any scalar type against the reference; the sizes must agree.
template <class T>
double max_err(const Eigen::Matrix<T, Eigen::Dynamic, 1>& actual, const Eigen::VectorXd& expected) {
  REQUIRE(actual.size() == expected.size());
  return max_err(Eigen::MatrixXd(actual.template cast<double>()), Eigen::MatrixXd(expected));
}

/// Compares one field with the reference and reports the field and the error on failure.
template <class Actual>
void check_field(const std::string& field, const Actual& actual, const Eigen::MatrixXd& expected, double tolerance) {
  const Eigen::MatrixXd a = actual.template cast<double>();
  INFO("field " << field << ": " << a.rows() << " x " << a.cols() << " against " << expected.rows() << " x "
                << expected.cols());
  REQUIRE(a.rows() == expected.rows());
  REQUIRE(a.cols() == expected.cols());
  const double err = max_err(a, expected);
  INFO("field " << field << ": err " << err << ", tolerance " << tolerance);
  CHECK(err <= tolerance);
}

}  // namespace theta::test
