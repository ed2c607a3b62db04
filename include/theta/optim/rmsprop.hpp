#pragma once
/// \file RmsProp with PyTorch's semantics, or SB3's RMSpropTFLike (TensorFlow 1) variant.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>
#include <theta/io/state.hpp>
#include <theta/core/detail/config_rules.hpp>
#include <theta/optim/detail/access.hpp>

#include <Eigen/Core>

#include <array>
#include <cmath>
#include <cstdint>
#include <span>

namespace theta {

/// Hyperparameters of `RmsProp`. The defaults are torch.optim.RMSprop's; SB3's A2C uses
/// lr 7e-4, alpha 0.99, eps 1e-5.
struct RmsPropConfig {
  double lr = 1e-2;        ///< learning rate, > 0 (set_learning_rate may later set 0)
  double alpha = 0.99;     ///< decay of the squared-gradient average, in [0, 1)
  double eps = 1e-8;       ///< > 0; outside the sqrt (torch) or inside it (tf_like)
  bool tf_like = false;    ///< SB3's RMSpropTFLike: v starts at 1 and eps goes inside the sqrt
};

/// RMSprop (Tieleman and Hinton 2012). torch semantics:
///
///     v ← α v + (1-α) g²,  x ← x - lr · g / (sqrt(v) + eps)            (v starts at 0)
///
/// and with `tf_like` (TF1, SB2 and SB3's `RMSpropTFLike`, which SB3 recommends for
/// reproducing SB2's A2C results):
///
///     v ← α v + (1-α) g²,  x ← x - lr · g / sqrt(v + eps)              (v starts at 1)
///
///     theta::RmsProp<float> rms(n_params, {.lr = 7e-4, .alpha = 0.99, .eps = 1e-5});
template <Real T = Scalar>
class RmsProp {
 public:
  using Config = RmsPropConfig;
  using value_type = T;

  /// An optimizer for `size` parameters. Throws ConfigError on a bad config.
  explicit RmsProp(Index size, const Config& config = {}) : config_(config), square_avg_(size) {
    require<ConfigError>(size >= 0, "RmsProp: size must be >= 0, got {}", size);
    detail::require_positive("RmsProp::Config::lr", config.lr);
    detail::require_decay_rate("RmsProp::Config::alpha", config.alpha);
    detail::require_positive("RmsProp::Config::eps", config.eps);
    reset();
  }

  /// One update of `params` from `grads`.
  void step(Eigen::Ref<Vector<T>> params, const Eigen::Ref<const Vector<T>>& grads) {
    detail::require_step_sizes("RmsProp::step", params.size(), grads.size(), size());
    update<detail::PlainAccess>(params.data(), grads.data(), config_.lr);
  }

  /// The same update of parameters that other threads update at the same time (Hogwild!,
  /// A3C's shared RMSProp: the squared-gradient average is shared too), at learning rate `lr`.
  /// Every access to `params` and the state is a relaxed atomic: concurrent steps are defined
  /// behaviour, and one can overwrite another's change to an entry. See `HogwildOptimizer`.
  void hogwild_step(std::span<T> params, const Eigen::Ref<const Vector<T>>& grads, double lr) {
    detail::require_step_sizes("RmsProp::hogwild_step", static_cast<Index>(params.size()), grads.size(), size());
    hogwild_update(params.data(), grads.data(), lr);
  }

  /// The current learning rate.
  [[nodiscard]] double learning_rate() const noexcept { return config_.lr; }
  /// Sets the learning rate (>= 0).
  void set_learning_rate(double lr) {
    detail::require_non_negative("RmsProp::set_learning_rate: lr", lr);
    config_.lr = lr;
  }

  [[nodiscard]] const Config& config() const noexcept { return config_; }
  /// The number of parameters.
  [[nodiscard]] Index size() const noexcept { return square_avg_.size(); }
  /// Steps taken so far.
  [[nodiscard]] std::int64_t step_count() const noexcept { return step_; }
  /// The squared-gradient average v (torch's `square_avg`).
  [[nodiscard]] const Vector<T>& square_avg() const noexcept { return square_avg_; }

  /// Restores a saved state (from a checkpoint).
  void set_state(std::int64_t step_count, const Eigen::Ref<const Vector<T>>& square_avg) {
    require(step_count >= 0, "RmsProp::set_state: step_count must be >= 0, got {}", step_count);
    require(square_avg.size() == size(), "RmsProp::set_state: square_avg has {} entries, the optimizer has {}",
            square_avg.size(), size());
    require((square_avg.array() >= T(0)).all(), "RmsProp::set_state: square_avg must be >= 0");
    step_ = step_count;
    square_avg_ = square_avg;
  }

  /// Writes the state into a checkpoint section: the settings (compared at load), the learning
  /// rate, the step count and the squared-gradient average.
  void save(io::CheckpointSectionWriter& out) const {
    settings().save(out);
    out.f64(config_.lr).i64(step_).matrix(square_avg_);
  }
  /// Reads what `save` wrote; refuses other settings (alpha, eps, tf_like), another size,
  /// non-finite or negative averages. Assigns nothing on an error.
  void load(io::CheckpointSectionReader& in) {
    settings().check(in);
    const auto [lr, steps] = io::load_learning_rate_and_steps(in, "RmsProp");
    Vector<T> v = io::load_finite_vector<T>(in, "RmsProp square_avg", size(), /*non_negative=*/true);
    config_.lr = lr;
    step_ = steps;
    square_avg_ = std::move(v);
  }

  /// Back to step 0: v = 0, or 1 with `tf_like`.
  void reset() noexcept {
    step_ = 0;
    square_avg_.setConstant(config_.tf_like ? T(1) : T(0));
  }

 private:
  io::Settings settings() const {
    io::Settings s("RmsProp::Config");
    s.add("alpha", config_.alpha).add("eps", config_.eps).add("tf_like", config_.tf_like);
    return s;
  }

  template <class Access>
  void update(T* x, const T* g, double learning_rate) {
    const auto lr = static_cast<T>(learning_rate);
    const auto alpha = static_cast<T>(config_.alpha);
    const auto one_minus_alpha = static_cast<T>(1.0 - config_.alpha);
    const auto eps = static_cast<T>(config_.eps);
    T* v = square_avg_.data();
    const std::int64_t step = Access::count_step(step_);
    if (config_.tf_like) {
      Access::for_range(size(), step, [=](Index begin, Index end) {
        for (Index i = begin; i < end; ++i) {
          const T vi = alpha * Access::load(v + i) + one_minus_alpha * g[i] * g[i];
          Access::store(v + i, vi);
          Access::store(x + i, Access::load(x + i) - lr * g[i] / std::sqrt(vi + eps));
        }
      });
    } else {
      Access::for_range(size(), step, [=](Index begin, Index end) {
        for (Index i = begin; i < end; ++i) {
          const T vi = alpha * Access::load(v + i) + one_minus_alpha * g[i] * g[i];
          Access::store(v + i, vi);
          Access::store(x + i, Access::load(x + i) - lr * g[i] / (std::sqrt(vi) + eps));
        }
      });
    }
  }

  // hogwild_step: update's arithmetic on chunks of the shared buffers (RelaxedAccess::for_chunks).
  void hogwild_update(T* x, const T* g, double learning_rate) {
    const auto lr = static_cast<T>(learning_rate);
    const auto alpha = static_cast<T>(config_.alpha);
    const auto one_minus_alpha = static_cast<T>(1.0 - config_.alpha);
    const auto eps = static_cast<T>(config_.eps);
    const std::int64_t step = detail::RelaxedAccess::count_step(step_);
    const bool tf_like = config_.tf_like;
    const std::array<T*, 2> shared{x, square_avg_.data()};
    detail::RelaxedAccess::for_chunks(size(), step, shared, [=](Index begin, Index count, std::array<T*, 2> local) {
      T* xs = local[0];
      T* v = local[1];
      const T* gs = g + begin;
      if (tf_like) {
        for (Index i = 0; i < count; ++i) {
          const T vi = alpha * v[i] + one_minus_alpha * gs[i] * gs[i];
          v[i] = vi;
          xs[i] = xs[i] - lr * gs[i] / std::sqrt(vi + eps);
        }
      } else {
        for (Index i = 0; i < count; ++i) {
          const T vi = alpha * v[i] + one_minus_alpha * gs[i] * gs[i];
          v[i] = vi;
          xs[i] = xs[i] - lr * gs[i] / (std::sqrt(vi) + eps);
        }
      }
    });
  }

  Config config_;
  Vector<T> square_avg_;
  std::int64_t step_ = 0;
};

}  // namespace theta
