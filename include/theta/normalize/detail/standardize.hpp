#pragma once
/// \file The arithmetic of `ObservationNormalizer::normalize`, with Eigen and the standard
/// library only, so that theta/inference.hpp normalises an observation bit for bit as the
/// trainer did. Include theta/normalize/observation_normalizer.hpp.

#include <Eigen/Core>

#include <algorithm>

namespace theta::detail {

/// 1 / sqrt(var + epsilon) per component, into `out` (sized like `var`; no allocation then).
inline void inverse_std(const Eigen::VectorXd& var, double epsilon, Eigen::VectorXd& out) {
  out = (var.array() + epsilon).rsqrt().matrix();
}

/// clip((x - mean) * inv_std, -clip, clip), computed in double and rounded to T before the clip.
template <class T>
[[nodiscard]] T standardize(double x, double mean, double inv_std, T clip) noexcept {
  const T z = static_cast<T>((x - mean) * inv_std);
  return std::min(std::max(z, -clip), clip);
}

}  // namespace theta::detail
