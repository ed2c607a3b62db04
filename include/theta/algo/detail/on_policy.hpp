#pragma once
/// \file Pieces shared by the on-policy update rules: the action description, policy
/// construction, minibatch storage and gathering, shuffling and the per-block optimizers.

#include <theta/buffer/rollout_buffer.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/optim/clip_grad_norm.hpp>
#include <theta/policy/categorical_policy.hpp>
#include <theta/policy/gaussian_policy.hpp>
#include <theta/policy/value_function.hpp>

#include <Eigen/Core>

#include <array>
#include <concepts>
#include <cstdint>
#include <span>
#include <vector>

namespace theta {

/// What an on-policy algorithm needs to know of an environment to build its networks.
struct SpaceInfo {
  Index obs_dim = 0;
  Index n_actions = 0;   ///< discrete: the number of actions
  Index action_dim = 0;  ///< continuous: the dimension of the action vector
};

namespace detail {

/// Builds the policy type's actor: a categorical head for discrete spaces, a Gaussian with a
/// learned log-std for continuous ones. `algorithm` names the config in errors; `keeps_masks`:
/// the algorithm recomputes its update with the dropout masks drawn when acting, so the actor
/// may have dropout.
template <class Policy>
Policy make_policy(const char* algorithm, const SpaceInfo& space, const NetworkConfig& network, double log_std_init,
                   Index act_batch, Index train_batch, Rng& rng, bool keeps_masks = false) {
  require<ConfigError>(network.dropout == 0 || keeps_masks,
                       "{}::Config::actor.dropout must be 0, got {}: only REINFORCE keeps the acting dropout masks for "
                       "its update",
                       algorithm, network.dropout);
  if constexpr (Policy::is_discrete) {
    require<ConfigError>(space.n_actions >= 1, "on-policy: a discrete policy needs n_actions >= 1, got {}", space.n_actions);
    return Policy(space.obs_dim, space.n_actions, network, act_batch, train_batch, rng);
  } else {
    require<ConfigError>(space.action_dim >= 1, "on-policy: a Gaussian policy needs action_dim >= 1, got {}",
                         space.action_dim);
    return Policy(space.obs_dim, space.action_dim, network, log_std_init, act_batch, train_batch, rng);
  }
}

/// A permutation of 0..n-1 shuffled in place by Fisher-Yates with theta's Rng (so minibatches
/// do not depend on the standard library).
inline void shuffle(std::vector<Index>& indices, Rng& rng) {
  for (std::size_t i = indices.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(rng.below(i));
    std::swap(indices[i - 1], indices[j]);
  }
}

/// Preallocated storage of one minibatch gathered from a rollout.
template <Real T>
struct Minibatch {
  Minibatch(Index capacity, Index obs_dim, Index action_rows)
      : observations(obs_dim, capacity),
        actions(action_rows, capacity),
        old_log_probs(capacity),
        advantages(capacity),
        returns(capacity),
        old_values(capacity),
        log_probs(capacity),
        entropy(capacity),
        grad_log_probs(capacity),
        grad_entropy(capacity),
        grad_values(capacity) {}

  /// Copies the transitions `indices` of `buffer` into the first |indices| columns.
  void gather(const RolloutBuffer<T>& buffer, std::span<const Index> indices) {
    size = static_cast<Index>(indices.size());
    for (Index j = 0; j < size; ++j) {
      const Index k = indices[static_cast<std::size_t>(j)];
      observations.col(j) = buffer.observations().col(k);
      actions.col(j) = buffer.actions().col(k);
      old_log_probs[j] = buffer.log_probs()[k];
      advantages[j] = buffer.advantages()[k];
      returns[j] = buffer.returns()[k];
      old_values[j] = buffer.values()[k];
    }
  }

  // Views of the filled part.
  auto obs() { return observations.leftCols(size); }
  auto act() { return actions.leftCols(size); }
  auto head(Vector<T>& v) { return v.head(size); }

  Matrix<T> observations;
  Matrix<T> actions;
  Vector<T> old_log_probs, advantages, returns, old_values;
  Vector<T> log_probs, entropy, grad_log_probs, grad_entropy, grad_values;
  Index size = 0;
};

/// One optimizer per trainable buffer of a policy (and of an optional critic). Adam, RMSprop
/// and SGD act element by element, so one instance per buffer with the same settings is the
/// same update as one optimizer over all parameters (PyTorch's param group); the gradient
/// norm is clipped over all buffers together, as `clip_grad_norm_(policy.parameters())` does.
///
/// `Optimizer` is built from (size, config) when it can be (theta's optimizers), else from
/// (size) or from nothing, and then given the config's learning rate: a user-written type
/// that satisfies the `Optimizer` concept needs no particular constructor.
template <class Optimizer>
class BlockOptimizers {
 public:
  template <class Policy, class Config>
  BlockOptimizers(Policy& policy, ValueFunction<typename Policy::Scalar>* critic, const Config& config) {
    for (std::size_t b = 0; b < Policy::num_blocks; ++b) optimizers_.push_back(make(policy.parameters(b).size(), config));
    if (critic != nullptr) optimizers_.push_back(make(critic->parameters().size(), config));
  }

  void set_learning_rate(double lr) {
    for (auto& o : optimizers_) o.set_learning_rate(lr);
  }

  /// Clips the joint gradient norm (if max_grad_norm > 0) and steps every buffer. Returns
  /// the norm before clipping.
  template <class Policy>
  double step(Policy& policy, ValueFunction<typename Policy::Scalar>* critic, double max_grad_norm) {
    using T = typename Policy::Scalar;
    std::array<Eigen::Ref<Vector<T>>, Policy::num_blocks + 1> grads = make_refs(policy, critic);
    const std::size_t n = Policy::num_blocks + (critic != nullptr ? 1 : 0);
    std::span<Eigen::Ref<Vector<T>>> used(grads.data(), n);
    double norm = 0;
    if (max_grad_norm > 0) {
      norm = static_cast<double>(clip_grad_norm(used, static_cast<T>(max_grad_norm)));
    } else {
      for (const auto& g : used) norm += static_cast<double>(g.squaredNorm());
      norm = std::sqrt(norm);
    }
    for (std::size_t b = 0; b < Policy::num_blocks; ++b) optimizers_[b].step(policy.parameters(b), policy.gradients(b));
    if (critic != nullptr) optimizers_[Policy::num_blocks].step(critic->parameters(), critic->gradients());
    return norm;
  }

  [[nodiscard]] std::vector<Optimizer>& optimizers() noexcept { return optimizers_; }

 private:
  template <class Config>
  static Optimizer make(Index size, const Config& config) {
    if constexpr (std::constructible_from<Optimizer, Index, const Config&>) {
      return Optimizer(size, config);
    } else {
      Optimizer optimizer = [&] {
        if constexpr (std::constructible_from<Optimizer, Index>) {
          return Optimizer(size);
        } else {
          return Optimizer{};
        }
      }();
      optimizer.set_learning_rate(config.lr);
      return optimizer;
    }
  }

  template <class Policy>
  static auto make_refs(Policy& policy, ValueFunction<typename Policy::Scalar>* critic) {
    using T = typename Policy::Scalar;
    // The critic slot points at the policy's first buffer when there is no critic; it is
    // then outside the span that is clipped.
    auto critic_grads = critic != nullptr ? critic->gradients() : policy.gradients(0);
    if constexpr (Policy::num_blocks == 1) {
      return std::array<Eigen::Ref<Vector<T>>, 2>{policy.gradients(0), critic_grads};
    } else {
      return std::array<Eigen::Ref<Vector<T>>, 3>{policy.gradients(0), policy.gradients(1), critic_grads};
    }
  }

  std::vector<Optimizer> optimizers_;
};

}  // namespace detail
}  // namespace theta
