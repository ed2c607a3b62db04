#pragma once
/// \file The trainers' divergence guard (issue 13): after every update, the statistics it
/// returned (its losses), and each component's gradients and parameters must be finite.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>

#include <Eigen/Core>
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <string_view>

namespace theta::detail {

// Index of the first non-finite entry, or -1. First one vectorised sum of 0 * x, which is 0
// exactly when every x is finite (0 * inf and 0 * NaN are NaN): Eigen's allFinite() cost A2C
// about 10 % of its steps per second (docs/benchmarks.md).
template <class V>
Index first_non_finite(const V& values) {
  using Scalar = typename V::Scalar;
  if ((values.array() * Scalar(0)).sum() == Scalar(0)) return -1;
  for (Index i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i])) return i;
  return -1;
}

/// Throws NumericalError naming the algorithm, the statistic and the update when a loss or a
/// gradient norm among the statistics `stats.for_each` reports (keys containing "loss" or
/// "grad_norm") is not finite. Other diagnostics may be NaN by definition (the explained
/// variance of constant returns).
template <class Stats>
void require_finite_statistics(const char* algorithm, const Stats& stats, std::int64_t update) {
  stats.for_each([&](const char* key, double value) {
    const std::string_view k = key;
    const bool checked = k.find("loss") != std::string_view::npos || k.find("grad_norm") != std::string_view::npos;
    if (checked && !std::isfinite(value)) [[unlikely]] {
      throw NumericalError(fmt::format("{}: {} is {} after update {}: training diverged (a learning rate or an "
                                       "initial standard deviation too large?)",
                                       algorithm, key, value, update));
    }
  });
}

/// Throws NumericalError naming the algorithm, the component (`actor`, `critic`, ...), the
/// tensor (gradient or parameters), the first bad index and the update when `component`'s
/// gradients or parameters are not finite. The gradients are checked first: a non-finite
/// gradient is the cause, non-finite parameters its effect.
template <class C>
void require_finite_component(const char* algorithm, const char* name, C& component, std::int64_t update) {
  const auto report = [&](const char* tensor, Index i, double value) {
    throw NumericalError(fmt::format("{}: the {}'s {}[{}] is {} after update {}: training diverged (a learning rate or "
                                     "an initial standard deviation too large?)",
                                     algorithm, name, tensor, i, value, update));
  };
  if (const Index i = first_non_finite(component.gradients()); i >= 0) [[unlikely]]
    report("gradient", i, static_cast<double>(component.gradients()[i]));
  if (const Index i = first_non_finite(component.parameters()); i >= 0) [[unlikely]]
    report("parameters", i, static_cast<double>(component.parameters()[i]));
}

/// Runs `update()`; a NumericalError it raises (a conjugate-gradient breakdown, a non-finite
/// loss) is rethrown naming the algorithm and the update, unless its message already starts with
/// the algorithm's name.
template <class Update>
decltype(auto) naming_numerical_errors(const char* algorithm, std::int64_t update, Update&& run) {
  try {
    return run();
  } catch (const NumericalError& e) {
    const std::string_view what = e.what();
    if (what.starts_with(std::string_view(algorithm)) && what.substr(std::string_view(algorithm).size()).starts_with(":"))
      throw;
    throw NumericalError(fmt::format("{}: update {}: {}", algorithm, update, what));
  }
}

}  // namespace theta::detail
