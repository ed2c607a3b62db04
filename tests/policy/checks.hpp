#pragma once
// Shared by the policy tests: random inputs and the relative error of gradients.

#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>

#include <Eigen/Core>

namespace theta::test {

/// rows x cols standard normal entries (times `scale`), drawn in column-major order.
inline theta::Matrix<double> random_matrix(Index rows, Index cols, theta::Rng& rng, double scale = 1.0) {
  theta::Matrix<double> m(rows, cols);
  for (Index k = 0; k < m.size(); ++k) m.data()[k] = scale * rng.normal();
  return m;
}

/// max over entries of |a - b| / max(|b|, 1e-3): a gradient against its finite difference.
inline double max_relative_error(const theta::Vector<double>& a, const theta::Vector<double>& b) {
  return ((a - b).array().abs() / b.array().abs().max(1e-3)).maxCoeff();
}

}  // namespace theta::test
