#pragma once
// SAC with theta's default components, built as OffPolicyTrainer builds them, and the replay
// buffer, batch storage and replay stream the trainer would hold for it (shared by the SAC tests).
#include <theta/algo/sac.hpp>
#include <theta/buffer/replay_buffer.hpp>
#include <theta/core/rng.hpp>
#include <theta/policy/q_network.hpp>
#include <theta/policy/squashed_gaussian_policy.hpp>

#include <utility>

namespace theta::test {

template <class T>
using SacOf = sac::Sac<SquashedGaussianPolicy<T>>;

/// The actor (acting batch 1), then Q_1, then Q_2, then the rule's own stream, all from `rng`.
template <class T>
SacOf<T> make_sac(const sac::Config& config, const ReplayShape& shape, Rng& rng, double gamma = 0.99) {
  SquashedGaussianPolicy<T> actor(shape.obs_dim, shape.action_dim, config.actor, config.log_std, /*max_act_batch=*/1,
                                  shape.batch_size, rng);
  QNetwork<T> q1(shape.obs_dim, shape.action_dim, config.critic, shape.batch_size, rng);
  QNetwork<T> q2(shape.obs_dim, shape.action_dim, config.critic, shape.batch_size, rng);
  return SacOf<T>(config, std::move(actor), {std::move(q1), std::move(q2)}, SacOf<T>::optimizer_config(config), shape,
                  gamma, rng);
}

/// A SAC rule driven by hand as OffPolicyTrainer drives it: a replay buffer of `buffer_size`
/// transitions, the batch storage, and the replay stream split from `rng` where the trainer
/// splits it (after the components were drawn, key 0x5ac0).
template <class T>
struct SacWithReplay {
  SacWithReplay(const sac::Config& config, Index buffer_size, const ReplayShape& shape, Rng& rng, double gamma = 0.99)
      : sac(make_sac<T>(config, shape, rng, gamma)),
        buffer(buffer_size, shape.obs_dim, shape.action_dim),
        batch(shape.batch_size, shape.obs_dim, shape.action_dim),
        replay_rng(rng.split(0x5ac0)) {}

  /// Samples a batch of `batch.capacity()` transitions and draws the step's noise: what
  /// `update` sees, for the stage functions.
  const ReplayBatch<T>& sample() {
    buffer.sample(batch.capacity(), replay_rng, batch);
    sac.draw_noise();
    return batch;
  }

  /// Samples a batch and takes one gradient step on it.
  sac::Stats update(double progress_remaining) {
    buffer.sample(batch.capacity(), replay_rng, batch);
    return sac.update(batch, progress_remaining);
  }

  SacOf<T> sac;
  ReplayBuffer<T> buffer;
  ReplayBatch<T> batch;
  Rng replay_rng;
};

}  // namespace theta::test
