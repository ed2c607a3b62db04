#pragma once
/// \file Validation of configuration fields (private). Messages name the field, the
/// rule and the value: "Adam::Config::lr must be > 0, got -1".

#include <theta/core/error.hpp>

#include <cmath>

namespace theta::detail {

inline void require_finite(const char* field, double value) {
  require<ConfigError>(std::isfinite(value), "{} must be finite, got {}", field, value);
}

/// value > 0 and finite.
inline void require_positive(const char* field, double value) {
  require_finite(field, value);
  require<ConfigError>(value > 0, "{} must be > 0, got {}", field, value);
}

/// value >= 0 and finite.
inline void require_non_negative(const char* field, double value) {
  require_finite(field, value);
  require<ConfigError>(value >= 0, "{} must be >= 0, got {}", field, value);
}

/// 0 <= value < 1 (a decay rate: 1 would never forget the initial state).
inline void require_decay_rate(const char* field, double value) {
  require_finite(field, value);
  require<ConfigError>(value >= 0 && value < 1, "{} must be in [0, 1), got {}", field, value);
}

/// value in [low, high] (and not NaN).
inline void require_in(const char* field, double value, double low, double high) {
  require<ConfigError>(value >= low && value <= high, "{} must be in [{}, {}], got {}", field, low, high, value);
}

/// A count >= `low`.
inline void require_at_least(const char* field, long long value, long long low) {
  require<ConfigError>(value >= low, "{} must be >= {}, got {}", field, low, value);
}

/// The size checks every `step` makes: the buffers must match the optimizer's size.
inline void require_step_sizes(const char* where, long params, long grads, long size) {
  require(params == size && grads == size, "{}: params has {} entries and grads {}, the optimizer was built for {}",
          where, params, grads, size);
}

}  // namespace theta::detail
