#pragma once
/// \file The exception classes alone, with the standard library only (no fmt), so that
/// theta/inference.hpp can throw `CheckpointError` too. Most code includes
/// theta/core/error.hpp, which adds `require`.

#include <stdexcept>

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

}  // namespace theta
