#pragma once
/// \file The exception hierarchy (theta/core/exceptions.hpp) and `require`, which throws one
/// with a formatted message. Every message names the thing, the value and the rule, e.g.
/// `ppo::Config::clip_range must be > 0, got -0.2`.

#include <theta/core/exceptions.hpp>

#include <fmt/format.h>

#include <string>
#include <utility>

namespace theta {

/// Throws `E` with a formatted message when `condition` is false.
///
///     require<ConfigError>(n > 0, "VectorEnv: n_envs must be > 0, got {}", n);
template <class E = Error, class... Args>
void require(bool condition, fmt::format_string<Args...> format, Args&&... args) {
  if (!condition) [[unlikely]] {
    throw E(fmt::format(format, std::forward<Args>(args)...));
  }
}

}  // namespace theta
