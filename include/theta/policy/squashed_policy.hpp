#pragma once
/// \file SquashedPolicy: SAC's actor, as a concept.

#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/distributions/squashed_gaussian.hpp>
#include <theta/nn/trainable.hpp>

#include <Eigen/Core>

namespace theta {

/// A reparameterised policy with actions in (-1, 1)^D (tanh-squashed; the trainer rescales
/// them to the bounds), as SAC needs it. All batches are obs_dim x B, actions act_dim x B:
///
/// - `act(obs, rng, deterministic, actions)` and `act_with_noise(obs, noise, actions)`:
///   collection (noise ε ~ N(0, 1) given, for correlated exploration) and evaluation;
/// - `forward(obs)` then `sample_with_noise(noise, actions, log_probs, correction)` then
///   `backward(grad_actions, grad_log_probs, correction)`: a reparameterised sample
///   a = tanh(mu + sigma ε) and its log-probability, differentiated through both;
/// - `sample_no_grad(obs, noise, actions, log_probs, correction)`: the same without a tape
///   (the soft target's a' ~ pi(.|s'));
/// - and `Trainable`.
template <class P>
concept SquashedPolicy =
    Trainable<P> && requires(P& policy, const Eigen::Ref<const Matrix<typename P::Scalar>>& obs,
                             const Eigen::Ref<const Matrix<typename P::Scalar>>& noise, Rng& rng, bool deterministic,
                             Eigen::Ref<Matrix<typename P::Scalar>> actions,
                             Eigen::Ref<Vector<typename P::Scalar>> log_probs,
                             const Eigen::Ref<const Matrix<typename P::Scalar>>& grad_actions,
                             const Eigen::Ref<const Vector<typename P::Scalar>>& grad_log_probs,
                             TanhCorrection correction) {
      policy.act(obs, rng, deterministic, actions);
      policy.act_with_noise(obs, noise, actions);
      policy.forward(obs);
      policy.sample_with_noise(noise, actions, log_probs, correction);
      policy.sample_no_grad(obs, noise, actions, log_probs, correction);
      policy.backward(grad_actions, grad_log_probs, correction);
    };

}  // namespace theta
