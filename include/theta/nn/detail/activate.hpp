#pragma once
/// \file `Activation` and `activate`, with Eigen and the standard library only: the network's
/// forward pass and theta/inference.hpp apply an activation with this one function, so a
/// deployed policy computes bit for bit what `nn::Mlp` computes. Include theta/nn/activation.hpp.

#include <theta/core/scalar.hpp>

#include <Eigen/Core>

#include <span>
#include <string_view>

namespace theta::nn {

/// An element-wise nonlinearity, chosen at run time.
///
///     theta::nn::MlpConfig config{.inputs = 3, .hidden = {256, 256}, .outputs = 1,
///                                 .hidden_activation = theta::nn::Activation::relu};
enum class Activation {
  identity,  ///< f(x) = x
  tanh,      ///< f(x) = tanh(x)
  relu,      ///< f(x) = max(x, 0); f'(0) = 0 as in PyTorch
  sigmoid,   ///< f(x) = 1 / (1 + exp(-x))
  elu,       ///< f(x) = x for x > 0, exp(x) - 1 otherwise (alpha = 1)
};

/// The lower-case name of an activation (`"tanh"`), for messages and logs.
[[nodiscard]] constexpr std::string_view to_string(Activation f) noexcept {
  switch (f) {
    case Activation::identity: return "identity";
    case Activation::tanh: return "tanh";
    case Activation::relu: return "relu";
    case Activation::sigmoid: return "sigmoid";
    case Activation::elu: return "elu";
  }
  return "unknown";
}

/// Applies `f` in place: z <- f(z).
///
///     theta::nn::activate(Activation::tanh, std::span<float>(z.data(), z.size()));
template <Real T>
void activate(Activation f, std::span<T> z) {
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> x(z.data(), static_cast<Index>(z.size()));
  switch (f) {
    case Activation::identity: return;
    // Eigen's vectorised tanh: 0.14 ns per element against 13 ns for std::tanh (TARGETS.md).
    case Activation::tanh: x = x.tanh(); return;
    case Activation::relu: x = x.max(T(0)); return;
    case Activation::sigmoid: x = x.logistic(); return;
    // max(x, 0) + exp(min(x, 0)) - 1 is x for x > 0 and exp(x) - 1 otherwise, without the
    // scalar select.
    case Activation::elu: x = x.max(T(0)) + (x.min(T(0)).exp() - T(1)); return;
  }
}

}  // namespace theta::nn
