#pragma once
/// \file clip_grad_norm: rescales gradients to a maximum 2-norm, as torch.nn.utils.clip_grad_norm_.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <span>

namespace theta {

namespace detail {
template <Real T>
T clip_coefficient(T total_norm, T max_norm) {
  require<ConfigError>(max_norm > T(0), "clip_grad_norm: max_norm must be > 0, got {}", max_norm);
  // torch's coefficient: the 1e-6 keeps the division finite and makes a norm equal to (or
  // within 1e-6 below) max_norm still scale slightly. A non-finite norm propagates, as in
  // torch (error_if_nonfinite=False): callers see it in the returned norm.
  const T coef = max_norm / (total_norm + T(1e-6));
  return std::isnan(coef) ? coef : std::min(coef, T(1));
}
}  // namespace detail

/// Scales `grads` by min(1, max_norm / (‖grads‖ + 1e-6)) and returns the norm before
/// clipping (what PPO and A2C log).
///
///     const float norm = theta::clip_grad_norm(grads, 0.5f);
inline float clip_grad_norm(Eigen::Ref<Vector<float>> grads, float max_norm) {
  const float norm = grads.norm();
  const float coef = detail::clip_coefficient(norm, max_norm);
  if (coef != 1.0f) grads *= coef;
  return norm;
}
/// The double-precision overload.
inline double clip_grad_norm(Eigen::Ref<Vector<double>> grads, double max_norm) {
  const double norm = grads.norm();
  const double coef = detail::clip_coefficient(norm, max_norm);
  if (coef != 1.0) grads *= coef;
  return norm;
}

namespace detail {
template <Real T>
T clip_grad_norm_buffers(std::span<Eigen::Ref<Vector<T>>> buffers, T max_norm) {
  // torch takes the norm of the per-tensor norms.
  T sum_of_squares = 0;
  for (const auto& buffer : buffers) {
    const T norm = buffer.norm();
    sum_of_squares += norm * norm;
  }
  const T total = std::sqrt(sum_of_squares);
  const T coef = clip_coefficient(total, max_norm);
  if (coef != T(1)) {
    for (auto& buffer : buffers) buffer *= coef;
  }
  return total;
}
}  // namespace detail

/// Clips several buffers together by their joint 2-norm (e.g. one per network), and
/// returns that norm before clipping.
///
///     std::array<Eigen::Ref<theta::Vector<float>>, 2> grads{actor_grads, critic_grads};
///     theta::clip_grad_norm(std::span(grads), 0.5f);
inline float clip_grad_norm(std::span<Eigen::Ref<Vector<float>>> buffers, float max_norm) {
  return detail::clip_grad_norm_buffers(buffers, max_norm);
}
/// The double-precision overload.
inline double clip_grad_norm(std::span<Eigen::Ref<Vector<double>>> buffers, double max_norm) {
  return detail::clip_grad_norm_buffers(buffers, max_norm);
}

}  // namespace theta
