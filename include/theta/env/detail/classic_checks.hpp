#pragma once
/// \file Argument checks shared by the classic-control environments, so that every one of them
/// words the same mistake the same way: the environment id, the value and the rule. The test
/// is inline and the message is built out of line, so a step pays one predictable branch.

#include <theta/core/error.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace theta::detail {

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_not_started(std::string_view id) {
  throw EnvironmentError(fmt::format("{}: step() was called before reset() (or set_state())", id));
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_bad_discrete_action(std::int64_t action, std::int64_t n,
                                                                             std::string_view id) {
  throw EnvironmentError(
      fmt::format("{}: action must be in {{0, ..., {}}} (Discrete({})), got {}", id, n - 1, n, action));
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_non_finite_action(float action, std::string_view id) {
  throw EnvironmentError(fmt::format("{}: action[0] must be finite, got {}", id, action));
}

/// step() needs a state: from reset() or set_state(). Gymnasium's OrderEnforcing raises too.
inline void require_started(bool started, std::string_view id) {
  if (!started) [[unlikely]] throw_not_started(id);
}

/// A discrete action must lie in {0, ..., n - 1}.
inline void require_discrete_action(std::int64_t action, std::int64_t n, std::string_view id) {
  if (action < 0 || action >= n) [[unlikely]] throw_bad_discrete_action(action, n, id);
}

/// A continuous action must be finite; out-of-range finite values are clipped, as in Gymnasium.
inline void require_finite_action(float action, std::string_view id) {
  if (!std::isfinite(action)) [[unlikely]] throw_non_finite_action(action, id);
}

/// A state given to set_state() must be finite.
template <class State>
void require_finite_state(const State& state, std::string_view id) {
  for (std::size_t i = 0; i < state.size(); ++i) {
    require<EnvironmentError>(std::isfinite(state[i]), "{}: set_state: state[{}] must be finite, got {}", id, i,
                              state[i]);
  }
}

}  // namespace theta::detail
