#pragma once
/// \file Private: the advantage actor-critic loss and its gradients, shared by A2C (one
/// synchronous step per rollout) and A3C (each worker's step on the shared parameters).

#include <theta/algo/detail/on_policy.hpp>
#include <theta/algo/losses.hpp>
#include <theta/buffer/rollout_buffer.hpp>
#include <theta/core/scalar.hpp>
#include <theta/policy/stochastic_policy.hpp>

#include <numeric>
#include <span>
#include <vector>

namespace theta::detail {

/// The two losses of one actor-critic step, for the statistics.
struct ActorCriticLoss {
  double policy_loss = 0;
  double value_loss = 0;
};

/// The weights of the actor-critic loss.
struct ActorCriticWeights {
  bool normalize_advantage = false;  ///< over the whole rollout, unbiased std
  double ent_coef = 0;
  double vf_coef = 0.5;
};

/// Gathers the whole rollout into `b` and leaves in the actor's and the critic's gradient
/// buffers (zeroed first) the gradient of
///
///     loss = -mean(A log pi) - ent_coef mean(H) + vf_coef mean((R - V)^2)
///
/// (Mnih et al. 2016, algorithm S3, with means over the rollout as Stable-Baselines3's A2C).
/// `b.entropy` holds the policy's entropies afterwards. A recurrent actor or critic
/// (`trains_sequences`) replays the rollout as `n_envs` sequences, each environment's steps
/// from the state stored at its first one, back through time over the whole rollout.
template <class Actor, class Critic, Real T>
ActorCriticLoss actor_critic_gradients(Actor& actor, Critic& critic, const RolloutBatch<T>& batch, Minibatch<T>& b,
                                       std::vector<Index>& indices, const ActorCriticWeights& weights,
                                       Index n_envs = 0) {
  const Index n = batch.size();
  if constexpr (trains_sequences<Actor, Critic>) {
    // The rollout is time-major, one column per environment and step: its order is already
    // the sequences' layout (chunk e = environment e, of all used steps).
    require(n_envs >= 1 && n % n_envs == 0,
            "actor-critic update: a recurrent actor or critic needs the rollout's n_envs (RolloutShape::n_envs), got {}",
            n_envs);
    std::iota(indices.begin(), indices.begin() + n_envs, Index{0});
    b.gather_sequences(batch, std::span<const Index>(indices.data(), static_cast<std::size_t>(n_envs)), n / n_envs,
                       n_envs, b.scratch);
  } else {
    std::iota(indices.begin(), indices.begin() + n, Index{0});
    b.gather(batch, std::span<const Index>(indices.data(), static_cast<std::size_t>(n)));
  }
  auto adv = b.head(b.advantages);
  if (weights.normalize_advantage) normalize_advantages(adv);

  const Eigen::Map<const Vector<T>> values = forward_minibatch(actor, critic, b);

  // policy loss -mean(A log pi): d/dlog pi = -A / n
  const T inv_n = T(1) / static_cast<T>(n);
  ActorCriticLoss loss;
  loss.policy_loss = -static_cast<double>(adv.dot(b.head(b.log_probs))) / static_cast<double>(n);
  b.head(b.grad_log_probs) = -adv * inv_n;
  loss.value_loss = value_loss<T>(ValueLoss::mse, values, b.head(b.old_values), b.head(b.returns), T(0),
                                  b.head(b.grad_values));
  b.head(b.grad_values) *= static_cast<T>(weights.vf_coef);
  b.head(b.grad_entropy).setConstant(static_cast<T>(-weights.ent_coef) * inv_n);

  actor.zero_grad();
  critic.zero_grad();
  actor.backward(b.head(b.grad_log_probs), b.head(b.grad_entropy));
  critic.backward(b.head(b.grad_values));
  return loss;
}

}  // namespace theta::detail
