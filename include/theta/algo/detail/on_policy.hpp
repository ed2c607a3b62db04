#pragma once
/// \file Pieces shared by the on-policy update rules: the action description, the default
/// components, minibatch storage and gathering, shuffling and the optimizer step over
/// components' flat views.

#include <theta/buffer/rollout_buffer.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/env/spaces.hpp>
#include <theta/nn/trainable.hpp>
#include <theta/optim/clip_grad_norm.hpp>
#include <theta/optim/concepts.hpp>
#include <theta/policy/network.hpp>
#include <theta/policy/state_value_function.hpp>
#include <theta/policy/stochastic_policy.hpp>
#include <theta/policy/value_function.hpp>

#include <Eigen/Core>

#include <array>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

namespace theta {

/// What an on-policy algorithm needs to know of an environment to build its default networks.
struct SpaceInfo {
  Index obs_dim = 0;
  Index n_actions = 0;   ///< discrete: the number of actions; multi-discrete: sum(nvec), the logits
  Index action_dim = 0;  ///< continuous: the dimension of the action vector
  /// multi-discrete: the number of actions of each dimension (empty otherwise)
  std::vector<std::int64_t> nvec = {};
};

/// The largest batches the default components are built for: acting (the trainer's n_envs)
/// and the training passes of the actor and the critic (a rule's minibatch or its rollout).
struct BatchCapacities {
  Index act = 1;
  Index actor_train = 1;
  Index critic_train = 1;
};

/// The size of the rollouts an update rule will see: obs_dim x (n_steps * n_envs).
struct RolloutShape {
  Index obs_dim = 0;
  Index size = 0;  ///< transitions per rollout, n_steps * n_envs
  Index action_mask_rows = 0;  ///< rows of the rollout's action masks (n_actions, or sum(nvec), of a MaskedEnvironment; 0: none)
  Index n_envs = 0;            ///< environment copies (columns per step); needed to cut sequences (0: unknown)
};

namespace detail {

/// Builds theta's actor for the action space from a network description: a categorical head
/// for discrete spaces (one per dimension of a multi-discrete space, `MultiCategoricalPolicy`),
/// a Gaussian with a learned log-std for continuous ones.
template <class Policy>
Policy make_policy(const SpaceInfo& space, const NetworkConfig& network, double log_std_init, Index act_batch,
                   Index train_batch, Rng& rng) {
  if constexpr (std::constructible_from<Policy, Index, const MultiDiscrete&, const NetworkConfig&, Index, Index, Rng&>) {
    require<ConfigError>(!space.nvec.empty(), "on-policy: a multi-discrete policy needs a MultiDiscrete action space");
    return Policy(space.obs_dim, MultiDiscrete(space.nvec), network, act_batch, train_batch, rng);
  } else if constexpr (Policy::is_discrete) {
    require<ConfigError>(space.nvec.empty(), "on-policy: the action space is multi-discrete ({} dimensions) but the "
                         "policy is built from a number of actions; use theta::MultiCategoricalPolicy",
                         space.nvec.size());
    require<ConfigError>(space.n_actions >= 1, "on-policy: a discrete policy needs n_actions >= 1, got {}", space.n_actions);
    return Policy(space.obs_dim, space.n_actions, network, act_batch, train_batch, rng);
  } else {
    require<ConfigError>(space.action_dim >= 1, "on-policy: a Gaussian policy needs action_dim >= 1, got {}",
                         space.action_dim);
    return Policy(space.obs_dim, space.action_dim, network, log_std_init, act_batch, train_batch, rng);
  }
}

/// True when `Policy` is built from a network description (theta's policies), as `make_policy` builds it.
template <class Policy>
concept BuildablePolicy =
    (Policy::is_discrete && std::constructible_from<Policy, Index, Index, const NetworkConfig&, Index, Index, Rng&>) ||
    (Policy::is_discrete &&
     std::constructible_from<Policy, Index, const MultiDiscrete&, const NetworkConfig&, Index, Index, Rng&>) ||
    (!Policy::is_discrete &&
     std::constructible_from<Policy, Index, Index, const NetworkConfig&, double, Index, Index, Rng&>);

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
  Minibatch(Index capacity, Index obs_dim, Index action_rows, Index context_rows, Index action_mask_rows = 0,
            Index critic_context_rows = 0, bool sequences = false)
      : observations(obs_dim, capacity),
        actions(action_rows, capacity),
        contexts(context_rows, capacity),
        action_masks(action_mask_rows, capacity),
        critic_contexts(critic_context_rows, capacity),
        starts(sequences ? capacity : 0),
        old_log_probs(capacity),
        advantages(capacity),
        returns(capacity),
        old_values(capacity),
        log_probs(capacity),
        entropy(capacity),
        grad_log_probs(capacity),
        grad_entropy(capacity),
        grad_values(capacity) {}

  /// Copies the transitions `indices` of `batch` into the first |indices| columns.
  void gather(const RolloutBatch<T>& batch, std::span<const Index> indices) {
    require(batch.action_masks.rows() == action_masks.rows(),
            "on-policy update: the rollout has {} rows of action masks, the update rule was built for {} "
            "(RolloutShape::action_mask_rows)",
            batch.action_masks.rows(), action_masks.rows());
    require(batch.critic_contexts.rows() == critic_contexts.rows(),
            "on-policy update: the rollout has {} rows of critic states, the update rule was built for {}",
            batch.critic_contexts.rows(), critic_contexts.rows());
    size = static_cast<Index>(indices.size());
    sequences = 0;
    for (Index j = 0; j < size; ++j) {
      const Index k = indices[static_cast<std::size_t>(j)];
      observations.col(j) = batch.observations.col(k);
      actions.col(j) = batch.actions.col(k);
      old_log_probs[j] = batch.log_probs[k];
      advantages[j] = batch.advantages[k];
      returns[j] = batch.returns[k];
      old_values[j] = batch.values[k];
    }
    // The rows most policies do not keep (0 rows: no loop at all).
    const auto copy_rows = [&](Matrix<T>& to, const Eigen::Ref<const Matrix<T>>& from) {
      if (to.rows() == 0) return;
      for (Index j = 0; j < size; ++j) to.col(j) = from.col(indices[static_cast<std::size_t>(j)]);
    };
    copy_rows(contexts, batch.contexts);
    copy_rows(action_masks, batch.action_masks);
    copy_rows(critic_contexts, batch.critic_contexts);
  }

  /// Gathers S = |chunks| sequences of `length` consecutive steps of one environment each:
  /// chunk k holds steps [c L, (c + 1) L) of environment e, k = c n_envs + e; step t of
  /// sequence s goes to column t S + s (time-major, `SequencePolicy`'s layout), and the
  /// rollout's episode-start flags to `seq_starts()` (S x L).
  void gather_sequences(const RolloutBatch<T>& batch, std::span<const Index> chunks, Index length, Index n_envs,
                        std::vector<Index>& scratch) {
    require(batch.episode_starts.size() == batch.size(),
            "on-policy update: sequences need the rollout's episode starts (a RolloutBuffer built with episode_starts)");
    const auto s_count = static_cast<Index>(chunks.size());
    scratch.resize(static_cast<std::size_t>(s_count * length));  // no-op after the first call
    for (Index t = 0; t < length; ++t) {
      for (Index s = 0; s < s_count; ++s) {
        const Index k = chunks[static_cast<std::size_t>(s)], e = k % n_envs, c = k / n_envs;
        scratch[static_cast<std::size_t>(t * s_count + s)] = (c * length + t) * n_envs + e;
      }
    }
    gather(batch, std::span<const Index>(scratch.data(), scratch.size()));
    sequences = s_count;
    for (Index j = 0; j < size; ++j) starts[j] = batch.episode_starts[scratch[static_cast<std::size_t>(j)]];
  }

  /// The episode starts of the gathered sequences, S x L (valid after `gather_sequences`).
  [[nodiscard]] Eigen::Map<const Matrix<T>> seq_starts() const {
    // Column t S + s of the minibatch is step t of sequence s: read as S x L, column-major.
    return {starts.data(), sequences, sequences > 0 ? size / sequences : 0};
  }

  // Views of the filled part.
  auto obs() { return observations.leftCols(size); }
  auto act() { return actions.leftCols(size); }
  auto ctx() { return contexts.leftCols(size); }
  auto masks() { return action_masks.leftCols(size); }
  auto critic_ctx() { return critic_contexts.leftCols(size); }
  auto head(Vector<T>& v) { return v.head(size); }

  Matrix<T> observations;
  Matrix<T> actions;
  Matrix<T> contexts;
  Matrix<T> action_masks;  // mask rows x capacity for a masked environment, else 0 rows
  Matrix<T> critic_contexts;  // a recurrent critic's states, else 0 rows
  Vector<T> starts;           // episode starts of gathered sequences (capacity entries when built for sequences)
  Vector<T> old_log_probs, advantages, returns, old_values;
  Vector<T> log_probs, entropy, grad_log_probs, grad_entropy, grad_values;
  Index size = 0;
  Index sequences = 0;  // S after gather_sequences, 0 after gather
  std::vector<Index> scratch;  // the transitions of gathered sequences
};

/// True when an update over `Actor` and `Critic` replays sequences (a recurrent actor or critic
/// that trains on them) rather than independent transitions.
template <class Actor, class Critic>
inline constexpr bool trains_sequences = SequencePolicy<Actor> || SequenceValueFunction<Critic>;

/// Rows of the recurrent critic's state per transition (0 for other critics).
template <class Critic>
Index critic_context_rows(const Critic& critic) {
  if constexpr (SequenceValueFunction<Critic>) {
    return critic.context_rows();
  } else {
    return 0;
  }
}

/// The forward passes of an update on a gathered minibatch: the actor's log-probabilities and
/// entropies into `mb.log_probs` / `mb.entropy` and the critic's values (returned), as
/// sequences when the minibatch holds them and the component trains on them, else per
/// transition (with the stored masks and context).
template <class Actor, class Critic, Real T>
Eigen::Map<const Vector<T>> forward_minibatch(Actor& actor, Critic& critic, Minibatch<T>& mb) {
  if constexpr (SequencePolicy<Actor>) {
    require(mb.sequences > 0, "on-policy update: a recurrent policy trains on sequences; the minibatch has none");
    const auto initial = mb.ctx().leftCols(mb.sequences);
    evaluate_sequences(actor, mb.obs(), mb.act(), mb.masks(), initial, mb.seq_starts(), mb.head(mb.log_probs),
                       mb.head(mb.entropy));
  } else {
    evaluate_with_context(actor, mb.obs(), mb.act(), mb.masks(), mb.ctx(), mb.head(mb.log_probs), mb.head(mb.entropy));
  }
  if constexpr (SequenceValueFunction<Critic>) {
    require(mb.sequences > 0, "on-policy update: a recurrent critic trains on sequences; the minibatch has none");
    return critic.forward_sequences(mb.obs(), mb.critic_ctx().leftCols(mb.sequences), mb.seq_starts());
  } else {
    return critic.forward(mb.obs());
  }
}


/// Clips the joint gradient norm of `components` (if max_grad_norm > 0, as torch's
/// `clip_grad_norm_` over their parameters) and steps each with its optimizer. Returns the
/// norm before clipping.
template <class Opt, Trainable... C>
double clip_and_step(double max_grad_norm, std::array<Opt*, sizeof...(C)> optimizers, C&... components) {
  using T = typename std::common_type_t<typename C::Scalar...>;
  std::array<Eigen::Ref<Vector<T>>, sizeof...(C)> grads{Eigen::Ref<Vector<T>>(components.gradients())...};
  double norm = 0;
  if (max_grad_norm > 0) {
    norm = static_cast<double>(clip_grad_norm(std::span<Eigen::Ref<Vector<T>>>(grads), static_cast<T>(max_grad_norm)));
  } else {
    for (const auto& g : grads) norm += static_cast<double>(g.squaredNorm());
    norm = std::sqrt(norm);
  }
  std::size_t i = 0;
  ((optimizers[i++]->step(components.parameters(), components.gradients())), ...);
  return norm;
}

/// The mean standard deviation of a Gaussian policy (logged as train/std), if it has one.
template <class Policy>
std::optional<double> mean_std(const Policy& policy) {
  if constexpr (requires { policy.log_std(); }) {
    return static_cast<double>(policy.log_std().array().exp().mean());
  } else {
    return std::nullopt;
  }
}

}  // namespace detail
}  // namespace theta
