#pragma once
/// \file backtracking_line_search: TRPO's search along a proposed step.

#include <theta/core/error.hpp>

#include <concepts>
#include <optional>

namespace theta {

/// The step a line search accepted.
struct LineSearchStep {
  int index = 0;          ///< k: the k-th fraction tried, from 0
  double fraction = 1.0;  ///< shrink^k, the fraction of the full step that was accepted
};

/// Tries the fractions 1, shrink, shrink², ... of a full step (k < max_steps) and returns
/// the first one `accept(fraction)` approves, or nothing if none is (sb3_contrib TRPO: 10
/// steps of 0.8). The caller's predicate moves the parameters to old + fraction · step and
/// tests its conditions (KL below the target, surrogate improved); on failure the caller
/// restores the old parameters.
///
///     auto accepted = theta::backtracking_line_search([&](double fraction) {
///       params = old_params + fraction * full_step;
///       return kl(params) <= target_kl && surrogate(params) > old_surrogate;
///     }, 10);
///     if (!accepted) params = old_params;
template <class Accept>
  requires std::predicate<Accept&, double>
std::optional<LineSearchStep> backtracking_line_search(Accept&& accept, int max_steps, double shrink = 0.8) {
  require<ConfigError>(max_steps >= 1, "backtracking_line_search: max_steps must be >= 1, got {}", max_steps);
  require<ConfigError>(shrink > 0.0 && shrink < 1.0, "backtracking_line_search: shrink must be in (0, 1), got {}", shrink);
  double fraction = 1.0;
  for (int k = 0; k < max_steps; ++k) {
    if (accept(fraction)) return LineSearchStep{k, fraction};
    fraction *= shrink;  // repeated products, like sb3_contrib, not pow()
  }
  return std::nullopt;
}

}  // namespace theta
