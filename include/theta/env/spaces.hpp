#pragma once
/// \file Action and observation spaces: `Discrete(n)`, `MultiDiscrete(nvec)` and `Box(low, high)`.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>

#include <Eigen/Core>

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>
#include <vector>

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

/// The action of a `MultiDiscrete` environment as theta's trainers hand it over by default: one
/// index per dimension. Any Eigen column vector of an integer type works as `Action` (a
/// fixed-size `Eigen::Vector2i` too); this is the one `MultiDiscrete::sample` returns.
using MultiDiscreteAction = Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>;

/// Several discrete choices made together, one per dimension: dimension d takes an index in
/// {0, ..., nvec[d] - 1} (Gymnasium's `MultiDiscrete(nvec)`, with its start at 0). A policy
/// over it is a product of independent categoricals, one per dimension, over sum(nvec) logits.
///
///     theta::MultiDiscrete space{3, 2};   // a server among 3 and a priority among 2
struct MultiDiscrete {
  std::vector<std::int64_t> nvec;  ///< choices per dimension, each >= 1

  MultiDiscrete() = default;
  /// Throws `ConfigError` for no dimension or a dimension with fewer than one choice.
  explicit MultiDiscrete(std::vector<std::int64_t> nvec_) : nvec(std::move(nvec_)) {
    require<ConfigError>(!nvec.empty(), "MultiDiscrete: nvec must have at least one dimension");
    for (std::size_t d = 0; d < nvec.size(); ++d) {
      require<ConfigError>(nvec[d] >= 1, "MultiDiscrete: nvec[{}] must be >= 1, got {}", d, nvec[d]);
    }
  }
  MultiDiscrete(std::initializer_list<std::int64_t> nvec_) : MultiDiscrete(std::vector<std::int64_t>(nvec_)) {}

  /// The number of dimensions (entries of an action).
  [[nodiscard]] Index size() const noexcept { return static_cast<Index>(nvec.size()); }
  /// sum(nvec): the logits of a categorical policy over the space and the entries of an action
  /// mask (dimension 0's nvec[0] first, then dimension 1's, ...).
  [[nodiscard]] Index total() const noexcept {
    Index sum = 0;
    for (const std::int64_t n : nvec) sum += static_cast<Index>(n);
    return sum;
  }

  /// True when `action` has one entry per dimension, each in its dimension's range.
  template <class Derived>
  [[nodiscard]] bool contains(const Eigen::MatrixBase<Derived>& action) const {
    if (action.size() != size()) return false;
    for (Index d = 0; d < size(); ++d) {
      const auto a = static_cast<std::int64_t>(action[d]);
      if (a < 0 || a >= nvec[static_cast<std::size_t>(d)]) return false;
    }
    return true;
  }

  /// A uniformly random action (each dimension independently, in dimension order), as a vector of `I`.
  template <std::integral I = std::int64_t>
  [[nodiscard]] Eigen::Matrix<I, Eigen::Dynamic, 1> sample(Rng& rng) const {
    Eigen::Matrix<I, Eigen::Dynamic, 1> action(size());
    for (Index d = 0; d < size(); ++d) {
      action[d] = static_cast<I>(rng.below(static_cast<std::uint64_t>(nvec[static_cast<std::size_t>(d)])));
    }
    return action;
  }

  friend bool operator==(const MultiDiscrete&, const MultiDiscrete&) = default;
};

/// "MultiDiscrete([3, 2])": the space as errors and checkpoints name it.
[[nodiscard]] inline std::string to_string(const MultiDiscrete& space) {
  std::string text = "MultiDiscrete([";
  for (std::size_t d = 0; d < space.nvec.size(); ++d) text += (d > 0 ? ", " : "") + std::to_string(space.nvec[d]);
  return text + "])";
}

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
