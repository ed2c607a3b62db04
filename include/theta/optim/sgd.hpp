#pragma once
/// \file Sgd: stochastic gradient descent with optional (Nesterov) momentum, PyTorch's semantics.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>
#include <theta/io/state.hpp>
#include <theta/core/detail/config_rules.hpp>
#include <theta/optim/detail/access.hpp>

#include <Eigen/Core>

#include <array>
#include <cstdint>
#include <span>
#include <type_traits>

namespace theta {

/// Hyperparameters of `Sgd`. torch.optim.SGD has no default learning rate; 0.01 is ours.
struct SgdConfig {
  double lr = 1e-2;       ///< learning rate, > 0 (set_learning_rate may later set 0)
  double momentum = 0.0;  ///< momentum μ, >= 0 (0: plain SGD)
  bool nesterov = false;  ///< Nesterov momentum (requires momentum > 0)
};

/// SGD with torch.optim.SGD's momentum (dampening 0): the first step copies g into the
/// buffer, then b ← μ b + g; the update is x ← x - lr·b, or x ← x - lr·(g + μ b) with
/// Nesterov. lr stays outside the buffer, so changing it does not rescale past momentum.
///
///     theta::Sgd<double> sgd(n_params, {.lr = 0.01, .momentum = 0.9});
///     sgd.step(params, grads);
template <Real T = Scalar>
class Sgd {
 public:
  using Config = SgdConfig;
  using value_type = T;

  /// An optimizer for `size` parameters. Throws ConfigError on a bad config.
  explicit Sgd(Index size, const Config& config = {}) : config_(config), momentum_buffer_(size) {
    require<ConfigError>(size >= 0, "Sgd: size must be >= 0, got {}", size);
    detail::require_positive("Sgd::Config::lr", config.lr);
    detail::require_non_negative("Sgd::Config::momentum", config.momentum);
    require<ConfigError>(!config.nesterov || config.momentum > 0,
                         "Sgd::Config::nesterov requires momentum > 0, got momentum {}", config.momentum);
    reset();
  }

  /// One update of `params` from `grads`.
  void step(Eigen::Ref<Vector<T>> params, const Eigen::Ref<const Vector<T>>& grads) {
    detail::require_step_sizes("Sgd::step", params.size(), grads.size(), size());
    update<detail::PlainAccess>(params.data(), grads.data(), config_.lr);
  }

  /// The same update of parameters that other threads update at the same time (Hogwild!; the
  /// momentum buffer is shared too), at learning rate `lr`. Every access to `params` and the
  /// state is a relaxed atomic. See `HogwildOptimizer`.
  void hogwild_step(std::span<T> params, const Eigen::Ref<const Vector<T>>& grads, double lr) {
    detail::require_step_sizes("Sgd::hogwild_step", static_cast<Index>(params.size()), grads.size(), size());
    update<detail::RelaxedAccess>(params.data(), grads.data(), lr);
  }

  /// The current learning rate.
  [[nodiscard]] double learning_rate() const noexcept { return config_.lr; }
  /// Sets the learning rate (>= 0).
  void set_learning_rate(double lr) {
    detail::require_non_negative("Sgd::set_learning_rate: lr", lr);
    config_.lr = lr;
  }

  [[nodiscard]] const Config& config() const noexcept { return config_; }
  /// The number of parameters.
  [[nodiscard]] Index size() const noexcept { return momentum_buffer_.size(); }
  /// Steps taken so far (0 means the momentum buffer is not yet initialised).
  [[nodiscard]] std::int64_t step_count() const noexcept { return step_; }
  /// The momentum buffer b (torch's `momentum_buffer`; zeros before the first step or
  /// without momentum).
  [[nodiscard]] const Vector<T>& momentum_buffer() const noexcept { return momentum_buffer_; }

  /// Restores a saved state (from a checkpoint).
  void set_state(std::int64_t step_count, const Eigen::Ref<const Vector<T>>& momentum_buffer) {
    require(step_count >= 0, "Sgd::set_state: step_count must be >= 0, got {}", step_count);
    require(momentum_buffer.size() == size(), "Sgd::set_state: momentum_buffer has {} entries, the optimizer has {}",
            momentum_buffer.size(), size());
    step_ = step_count;
    momentum_buffer_ = momentum_buffer;
  }

  /// Writes the state into a checkpoint section: the settings (compared at load), the learning
  /// rate, the step count and the momentum buffer.
  void save(io::CheckpointSectionWriter& out) const {
    settings().save(out);
    out.f64(config_.lr).i64(step_).matrix(momentum_buffer_);
  }
  /// Reads what `save` wrote; refuses other settings (momentum, nesterov), another size or a
  /// non-finite buffer. Assigns nothing on an error.
  void load(io::CheckpointSectionReader& in) {
    settings().check(in);
    const auto [lr, steps] = io::load_learning_rate_and_steps(in, "Sgd");
    Vector<T> b = io::load_finite_vector<T>(in, "Sgd momentum_buffer", size());
    config_.lr = lr;
    step_ = steps;
    momentum_buffer_ = std::move(b);
  }

  /// Back to step 0 with an empty momentum buffer.
  void reset() noexcept {
    step_ = 0;
    momentum_buffer_.setZero();
  }

 private:
  io::Settings settings() const {
    io::Settings s("Sgd::Config");
    s.add("momentum", config_.momentum).add("nesterov", config_.nesterov);
    return s;
  }

  template <class Access>
  void update(T* x, const T* g, double learning_rate) {
    const auto lr = static_cast<T>(learning_rate);
    const auto mu = static_cast<T>(config_.momentum);
    T* buffer = momentum_buffer_.data();
    // The step's number decides whether the momentum buffer starts here (torch: at step 1).
    const std::int64_t step = Access::count_step(step_);
    const bool first = step == 1;
    const bool plain = config_.momentum == 0.0;
    const bool nesterov = config_.nesterov;
    if constexpr (std::is_same_v<Access, detail::RelaxedAccess>) {
      // hogwild_step: the same arithmetic on chunks of the shared buffers (RelaxedAccess::for_chunks).
      if (plain) {  // no momentum buffer to copy in and out
        Access::for_chunks(size(), step, std::array<T*, 1>{x}, [=](Index begin, Index count, std::array<T*, 1> local) {
          T* xs = local[0];
          const T* gs = g + begin;
          for (Index i = 0; i < count; ++i) xs[i] = xs[i] - lr * gs[i];
        });
        return;
      }
      const std::array<T*, 2> shared{x, buffer};
      Access::for_chunks(size(), step, shared, [=](Index begin, Index count, std::array<T*, 2> local) {
        T* xs = local[0];
        T* bs = local[1];
        const T* gs = g + begin;
        if (first) {
          for (Index i = 0; i < count; ++i) {
            bs[i] = gs[i];
            xs[i] = xs[i] - lr * (nesterov ? gs[i] + mu * gs[i] : gs[i]);
          }
        } else if (nesterov) {
          for (Index i = 0; i < count; ++i) {
            const T b = mu * bs[i] + gs[i];
            bs[i] = b;
            xs[i] = xs[i] - lr * (gs[i] + mu * b);
          }
        } else {
          for (Index i = 0; i < count; ++i) {
            const T b = mu * bs[i] + gs[i];
            bs[i] = b;
            xs[i] = xs[i] - lr * b;
          }
        }
      });
    } else {
      Access::for_range(size(), step, [=](Index begin, Index end) {
        if (plain) {
          for (Index i = begin; i < end; ++i) Access::store(x + i, Access::load(x + i) - lr * g[i]);
        } else if (first) {
          for (Index i = begin; i < end; ++i) {
            Access::store(buffer + i, g[i]);
            Access::store(x + i, Access::load(x + i) - lr * (nesterov ? g[i] + mu * g[i] : g[i]));
          }
        } else if (nesterov) {
          for (Index i = begin; i < end; ++i) {
            const T b = mu * Access::load(buffer + i) + g[i];
            Access::store(buffer + i, b);
            Access::store(x + i, Access::load(x + i) - lr * (g[i] + mu * b));
          }
        } else {
          for (Index i = begin; i < end; ++i) {
            const T b = mu * Access::load(buffer + i) + g[i];
            Access::store(buffer + i, b);
            Access::store(x + i, Access::load(x + i) - lr * b);
          }
        }
      });
    }
  }

  Config config_;
  Vector<T> momentum_buffer_;
  std::int64_t step_ = 0;
};

}  // namespace theta
