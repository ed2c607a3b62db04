#pragma once
/// \file Element-wise activations chosen at run time, and their derivatives written in terms of
/// the activation's *output*, so a network only has to keep post-activation values for
/// backward and forward-mode passes.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>
#include <theta/nn/detail/activate.hpp>

#include <Eigen/Core>

#include <span>

namespace theta::nn {

/// g <- g * f'(x), where `a = f(x)` is the activation's output (same length as `g`). This is
/// both the backward step (g a cotangent) and the forward-mode step (g a tangent).
template <Real T>
void multiply_derivative(Activation f, std::span<const T> a, std::span<T> g) {
  require(a.size() == g.size(), "nn::multiply_derivative: output has {} elements, gradient {}", a.size(),
          g.size());
  const auto n = static_cast<Index>(g.size());
  Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>> y(a.data(), n);
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> d(g.data(), n);
  T* gp = g.data();
  const T* ap = a.data();
  switch (f) {
    case Activation::identity: return;
    case Activation::tanh: d *= T(1) - y.square(); return;
    // Plain loops: Eigen's select() is not vectorised and is 3.5x slower here (TARGETS.md);
    // the compiler turns these into masked blends.
    case Activation::relu:
      for (Index i = 0; i < n; ++i) gp[i] = ap[i] > T(0) ? gp[i] : T(0);
      return;
    case Activation::sigmoid: d *= y * (T(1) - y); return;
    // For x <= 0, d/dx (exp(x) - 1) = exp(x) = y + 1.
    case Activation::elu:
      for (Index i = 0; i < n; ++i) gp[i] = ap[i] > T(0) ? gp[i] : gp[i] * (ap[i] + T(1));
      return;
  }
}

}  // namespace theta::nn
