#pragma once
/// \file require_representable: values an environment returned, finite as its own scalar, must
/// stay finite in the trainer's scalar (1e39 is a finite double but infinity as a float).

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

namespace theta::detail {

/// Throws `EnvironmentError` when a column of `values` (one column per environment copy) holds a
/// value that overflows to infinity when converted to `T`. VectorEnv has already checked that
/// every value is finite in the environment's own scalar; this is the trainer's side, checked
/// on the converted values (a lazy cast: nothing is allocated). `what` names the value
/// ("reward", "observation"), `step` the trainer's environment steps so far, `first_env` the copy
/// of the first column.
///
///     detail::require_representable<float>(envs.rewards().transpose(), "OnPolicyTrainer", "reward", steps);
template <class T, class Derived>
void require_representable(const Eigen::MatrixBase<Derived>& values, const char* trainer, const char* what,
                           std::int64_t step, Index first_env = 0) {
  using From = typename Derived::Scalar;
  if constexpr (!std::is_same_v<From, T>) {
    if (values.template cast<T>().allFinite()) [[likely]] return;
    for (Index e = 0; e < values.cols(); ++e) {
      for (Index r = 0; r < values.rows(); ++r) {
        const From value = values(r, e);
        if (!std::isfinite(static_cast<T>(value))) {
          const std::string where = values.rows() > 1 ? fmt::format(" (entry {})", r) : std::string();
          throw EnvironmentError(fmt::format(
              "{}: environment {} returned {} {}{} at step {}, which is not finite as the trainer's scalar {} "
              "(largest {})",
              trainer, first_env + e, what, static_cast<double>(value), where, step,
              std::is_same_v<T, float> ? "float" : "T", static_cast<double>(std::numeric_limits<T>::max())));
        }
      }
    }
  }
}

}  // namespace theta::detail
