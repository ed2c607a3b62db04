#pragma once
/// \file Step-counter arithmetic that cannot overflow silently: `checked_add` (or nothing) and
/// `saturating_add` (clamped to the largest value).

#include <limits>
#include <optional>
#include <type_traits>

namespace theta {

/// `a + b`, or nothing when the sum overflows `I` (signed overflow would be undefined).
///
///     if (!checked_add(target, total_steps)) throw ConfigError("... overflows int64");
template <class I>
  requires std::is_integral_v<I>
[[nodiscard]] constexpr std::optional<I> checked_add(I a, I b) noexcept {
  I sum{};
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

/// `a + b` clamped to `I`'s range: for a deadline past every reachable value ("never before the
/// end"), where the largest value means the same as the true sum.
template <class I>
  requires std::is_integral_v<I>
[[nodiscard]] constexpr I saturating_add(I a, I b) noexcept {
  if (const std::optional<I> sum = checked_add(a, b)) return *sum;
  return b > 0 ? std::numeric_limits<I>::max() : std::numeric_limits<I>::min();
}

}  // namespace theta
