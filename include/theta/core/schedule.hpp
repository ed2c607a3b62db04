#pragma once
/// \file Schedule: a hyperparameter as a function of the remaining training progress.

#include <theta/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

namespace theta {

/// A value (learning rate, clip range, ...) as a function of the remaining progress, SB3's
/// convention: 1 at the start of training, 0 at the end. Constant and linear schedules are
/// stored as numbers; any other callable `double(double)` is type-erased.
///
/// The progress is clamped to [0, 1] before the call: the last rollout of an on-policy run
/// can overshoot the step budget (SB3 computes 1 - steps/total there and gets a negative
/// value), and a linear schedule must not extrapolate past its end value.
///
///     theta::Schedule lr = 3e-4;                                   // constant
///     theta::Schedule clip = theta::Schedule::linear(0.2, 0.0);    // 0.2 → 0
///     theta::Schedule custom = [](double p) { return 1e-3 * p * p; };
///     optimizer.set_learning_rate(lr(progress_remaining));
class Schedule {
 public:
  /// A constant schedule (implicit, so a config field can be written `= 3e-4`).
  Schedule(double value = 0.0) : kind_(Kind::constant), start_(value), end_(value) {}

  /// Any callable of the remaining progress.
  template <class F>
    requires(!std::convertible_to<F, double>) && std::invocable<const F&, double> &&
            std::convertible_to<std::invoke_result_t<const F&, double>, double>
  Schedule(F function)
      : kind_(Kind::custom), function_([f = std::move(function)](double p) { return static_cast<double>(f(p)); }) {}

  /// value at every progress.
  [[nodiscard]] static Schedule constant(double value) { return Schedule(value); }

  /// start at progress 1, end at progress 0, linear in between: end + p·(start - end).
  /// With end = 0 this is p·start, exactly the zoo's `linear_schedule`.
  [[nodiscard]] static Schedule linear(double start, double end) {
    Schedule s(start);
    s.kind_ = Kind::linear;
    s.end_ = end;
    return s;
  }

  /// The value at `progress_remaining` (clamped to [0, 1]; NaN is an error).
  [[nodiscard]] double operator()(double progress_remaining) const {
    require(!std::isnan(progress_remaining), "Schedule: progress_remaining is NaN");
    const double p = std::clamp(progress_remaining, 0.0, 1.0);
    switch (kind_) {
      case Kind::constant: return start_;
      case Kind::linear: return end_ + p * (start_ - end_);
      case Kind::custom: break;
    }
    return function_(p);
  }

  /// Checks the schedule of a config field that must start > 0 and never go below 0 (a
  /// learning rate, a clip range), naming `field`: a constant or linear schedule at both ends
  /// (so `linear(1e-3, -1e-3)` is rejected when the config is validated, not hundreds of
  /// steps later), a custom one at the start; `checked` checks a custom one at every use.
  void require_positive_start(const char* field) const {
    const double first = (*this)(1.0);
    require<ConfigError>(std::isfinite(first) && first > 0, "{} must be > 0 at the start (progress 1), got {}", field,
                         first);
    if (kind_ != Kind::custom) {
      require<ConfigError>(std::isfinite(end_) && end_ >= 0, "{} must stay >= 0, but its end value (progress 0) is {}",
                           field, end_);
    }
  }

  /// The value at `progress_remaining`, which must be finite and >= 0 (for a custom schedule;
  /// a built-in one was checked by `require_positive_start`).
  [[nodiscard]] double checked(double progress_remaining, const char* field) const {
    const double value = (*this)(progress_remaining);
    if (kind_ == Kind::custom) {
      require<ConfigError>(std::isfinite(value) && value >= 0, "{} must stay >= 0 and finite, got {} at progress {}",
                           field, value, progress_remaining);
    }
    return value;
  }

  /// "constant 0.0003", "linear 0.001 -> 0" or "custom" (what a checkpoint records of it;
  /// numbers in the shortest form that reads back exactly).
  [[nodiscard]] std::string describe() const {
    switch (kind_) {
      case Kind::constant: return fmt::format("constant {}", start_);
      case Kind::linear: return fmt::format("linear {} -> {}", start_, end_);
      case Kind::custom: break;
    }
    return "custom";
  }

  /// True for a schedule that never changes.
  [[nodiscard]] bool is_constant() const noexcept { return kind_ == Kind::constant; }

 private:
  enum class Kind { constant, linear, custom };
  Kind kind_;
  double start_ = 0.0;
  double end_ = 0.0;
  std::function<double(double)> function_;
};

}  // namespace theta
