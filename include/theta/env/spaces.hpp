#pragma once
/// \file Action and observation spaces: `Discrete(n)` and `Box(low, high)`.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <utility>

namespace theta {

/// The actions {0, 1, ..., n - 1}.
///
///     theta::Discrete space{2};   // CartPole: push left or right
struct Discrete {
  std::int64_t n = 0;

  [[nodiscard]] constexpr bool contains(std::int64_t action) const noexcept {
    return action >= 0 && action < n;
  }
  /// A uniformly random action.
  [[nodiscard]] std::int64_t sample(Rng& rng) const { return static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(n))); }
  friend bool operator==(const Discrete&, const Discrete&) = default;
};

/// A box [low, high] in R^n. Bounds are stored in double, which holds every float bound
/// exactly; unbounded observation components use +-infinity.
///
///     theta::Box torque{{-2.0}, {2.0}};   // Pendulum's action space
struct Box {
  Eigen::VectorXd low;
  Eigen::VectorXd high;

  Box() = default;
  Box(Eigen::VectorXd low_, Eigen::VectorXd high_) : low(std::move(low_)), high(std::move(high_)) {
    require<ConfigError>(low.size() == high.size(), "Box: low has {} entries but high has {}", low.size(), high.size());
    for (Index i = 0; i < low.size(); ++i) {
      require<ConfigError>(!(low[i] > high[i]), "Box: low[{}] = {} is above high[{}] = {}", i, low[i], i, high[i]);
    }
  }
  Box(std::initializer_list<double> low_, std::initializer_list<double> high_)
      : Box(to_vector(low_), to_vector(high_)) {}

  /// The dimension n.
  [[nodiscard]] Index size() const noexcept { return low.size(); }

  /// True when every bound is finite (required of continuous action spaces).
  [[nodiscard]] bool is_bounded() const noexcept { return low.allFinite() && high.allFinite(); }

  /// True when x has the right size and lies inside the box.
  template <class Derived>
  [[nodiscard]] bool contains(const Eigen::MatrixBase<Derived>& x) const {
    if (x.size() != size()) return false;
    for (Index i = 0; i < size(); ++i) {
      const double v = static_cast<double>(x[i]);
      if (!(v >= low[i] && v <= high[i])) return false;
    }
    return true;
  }

  /// A uniformly random point of a bounded box, as a vector of `T`.
  template <Real T = Scalar>
  [[nodiscard]] Vector<T> sample(Rng& rng) const {
    require<ConfigError>(is_bounded(), "Box::sample: the box must be bounded");
    Vector<T> x(size());
    for (Index i = 0; i < size(); ++i) x[i] = static_cast<T>(rng.uniform(low[i], high[i]));
    return x;
  }

  friend bool operator==(const Box& a, const Box& b) { return a.low == b.low && a.high == b.high; }

 private:
  static Eigen::VectorXd to_vector(std::initializer_list<double> values) {
    Eigen::VectorXd v(static_cast<Index>(values.size()));
    Index i = 0;
    for (const double x : values) v[i++] = x;
    return v;
  }
};

}  // namespace theta
