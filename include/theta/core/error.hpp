#pragma once
/// \file The exception hierarchy. Every message names the thing, the value and the rule,
/// e.g. `ppo::Config::clip_range must be > 0, got -0.2`.

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace theta {

/// Base of every exception theta throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A configuration value breaks its rule (raised when a component is built).
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// An environment broke the contract: bad action, wrong size, non-finite value.
class EnvironmentError : public Error {
 public:
  using Error::Error;
};

/// A loss, gradient or parameter became non-finite, or a numerical routine failed.
class NumericalError : public Error {
 public:
  using Error::Error;
};

/// A checkpoint is corrupt, truncated, of another version or does not match the model.
class CheckpointError : public Error {
 public:
  using Error::Error;
};

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
