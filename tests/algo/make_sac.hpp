#pragma once
// SAC with theta's default components, built as OffPolicyTrainer builds them (shared by the SAC tests).
#include <theta/algo/sac.hpp>
#include <theta/core/rng.hpp>
#include <theta/policy/q_network.hpp>
#include <theta/policy/squashed_gaussian_policy.hpp>

namespace theta::test {

template <class T>
using SacOf = sac::Sac<SquashedGaussianPolicy<T>>;

/// The actor (acting batch 1), then Q_1, then Q_2, then the rule's own streams, all from `rng`.
template <class T>
SacOf<T> make_sac(const sac::Config& config, Index obs_dim, Index act_dim, Rng& rng) {
  SquashedGaussianPolicy<T> actor(obs_dim, act_dim, config.actor, config.log_std, /*max_act_batch=*/1,
                                  config.batch_size, rng);
  QNetwork<T> q1(obs_dim, act_dim, config.critic, config.batch_size, rng);
  QNetwork<T> q2(obs_dim, act_dim, config.critic, config.batch_size, rng);
  return SacOf<T>(config, std::move(actor), {std::move(q1), std::move(q2)}, SacOf<T>::optimizer_config(config), obs_dim,
                  act_dim, rng);
}

}  // namespace theta::test
