#pragma once
// The oracle of the data-parallel SAC tests: one SAC gradient step exactly as `sac::Sac::update`
// computed it before it split batches over threads (commit 7182d87), written from the public
// pieces (the components, the loss functions, Adam) in the same order, on the same noise
// stream. `Sac` with threads = 1 must match it bit for bit; with more threads, within the
// rounding of the reassociated batch sums.
#include <theta/algo/sac.hpp>
#include <theta/buffer/replay_buffer.hpp>
#include <theta/core/rng.hpp>
#include <theta/optim/adam.hpp>
#include <theta/policy/q_network.hpp>
#include <theta/policy/squashed_gaussian_policy.hpp>

#include <array>
#include <cmath>
#include <cstdint>

namespace theta::test {

template <class T>
struct SerialSac {
  /// Copies of the components a `Sac` was built with, and its noise stream: `rng` in the state
  /// the rule's constructor saw (it splits 0x5ac1 from it).
  SerialSac(const sac::Config& c, const SquashedGaussianPolicy<T>& a, const std::array<QNetwork<T>, 2>& q,
            const ReplayShape& shape, double discount, const Rng& rng)
      : config(c),
        gamma(discount),
        target_entropy(c.target_entropy.value_or(-static_cast<double>(shape.action_dim))),
        actor(a),
        critics(q),
        targets(q),
        actor_opt(actor.parameters().size(), sac::Sac<SquashedGaussianPolicy<T>>::optimizer_config(c)),
        critic_opt{Adam<T>(critics[0].parameters().size(), sac::Sac<SquashedGaussianPolicy<T>>::optimizer_config(c)),
                   Adam<T>(critics[1].parameters().size(), sac::Sac<SquashedGaussianPolicy<T>>::optimizer_config(c))},
        alpha_opt(1, sac::Sac<SquashedGaussianPolicy<T>>::optimizer_config(c)),
        log_alpha(Vector<T>::Constant(1, static_cast<T>(std::log(c.alpha)))),
        log_alpha_grad(Vector<T>::Zero(1)),
        noise_rng(rng.split(0x5ac1)),
        noise(shape.action_dim, shape.batch_size),
        next_noise(shape.action_dim, shape.batch_size),
        actions_pi(shape.action_dim, shape.batch_size),
        next_actions(shape.action_dim, shape.batch_size),
        grad_actions(shape.action_dim, shape.batch_size),
        grad_actions_scratch(shape.action_dim, shape.batch_size),
        log_prob(shape.batch_size),
        next_log_prob(shape.batch_size),
        target(shape.batch_size),
        target_q1(shape.batch_size),
        target_q2(shape.batch_size),
        grad_q1(shape.batch_size),
        grad_q2(shape.batch_size),
        grad_log_prob(shape.batch_size),
        q1(shape.batch_size),
        q2(shape.batch_size) {}

  double alpha_value() const {
    return config.learn_alpha ? std::exp(static_cast<double>(log_alpha[0])) : config.alpha;
  }

  /// One gradient step with constant learning rates (the schedules at progress 1); returns
  /// the critic and the actor loss.
  std::array<double, 2> update(const ReplayBatch<T>& batch) {
    const Index n = batch.size;
    actor_opt.set_learning_rate(config.actor_learning_rate(1.0));
    critic_opt[0].set_learning_rate(config.critic_learning_rate(1.0));
    critic_opt[1].set_learning_rate(config.critic_learning_rate(1.0));
    alpha_opt.set_learning_rate(config.alpha_learning_rate(1.0));
    for (auto* m : {&noise, &next_noise})
      for (Index b = 0; b < m->cols(); ++b)
        for (Index d = 0; d < m->rows(); ++d) (*m)(d, b) = noise_rng.normal<T>();
    actor.forward(batch.obs());
    actor.sample_with_noise(noise.leftCols(n), actions_pi.leftCols(n), log_prob.head(n), config.tanh_correction);
    const auto alpha = static_cast<T>(alpha_value());
    if (config.learn_alpha) {
      const sac::TemperatureLoss t = sac::temperature_loss<T>(static_cast<double>(log_alpha[0]), log_prob.head(n),
                                                              target_entropy);
      log_alpha_grad[0] = static_cast<T>(t.grad_log_alpha);
      alpha_opt.step(log_alpha, log_alpha_grad);
    }
    // critics
    actor.sample_no_grad(batch.next_obs(), next_noise.leftCols(n), next_actions.leftCols(n), next_log_prob.head(n),
                         config.tanh_correction);
    targets[0].predict(batch.next_obs(), next_actions.leftCols(n), target_q1.head(n));
    targets[1].predict(batch.next_obs(), next_actions.leftCols(n), target_q2.head(n));
    sac::soft_target<T>(batch.rew(), batch.done(), target_q1.head(n), target_q2.head(n), next_log_prob.head(n),
                        static_cast<T>(gamma), alpha, target.head(n));
    q1.head(n) = critics[0].forward(batch.obs(), batch.act());
    q2.head(n) = critics[1].forward(batch.obs(), batch.act());
    const double critic_loss = sac::critic_loss<T>(q1.head(n), q2.head(n), target.head(n), grad_q1.head(n),
                                                   grad_q2.head(n));
    critics[0].zero_grad();
    critics[1].zero_grad();
    critics[0].backward(grad_q1.head(n));
    critics[1].backward(grad_q2.head(n));
    critic_opt[0].step(critics[0].parameters(), critics[0].gradients());
    critic_opt[1].step(critics[1].parameters(), critics[1].gradients());
    // actor
    const Eigen::Map<const Vector<T>> policy_q1 = critics[0].forward_policy(batch.obs(), actions_pi.leftCols(n));
    const Eigen::Map<const Vector<T>> policy_q2 = critics[1].forward_policy(batch.obs(), actions_pi.leftCols(n));
    const double actor_loss = sac::actor_loss<T>(log_prob.head(n), policy_q1, policy_q2, alpha, grad_log_prob.head(n),
                                                 grad_q1.head(n), grad_q2.head(n));
    critics[0].action_gradient(grad_q1.head(n), grad_actions.leftCols(n));
    critics[1].action_gradient(grad_q2.head(n), grad_actions_scratch.leftCols(n));
    grad_actions.leftCols(n) += grad_actions_scratch.leftCols(n);
    actor.zero_grad();
    actor.backward(grad_actions.leftCols(n), grad_log_prob.head(n), config.tanh_correction);
    actor_opt.step(actor.parameters(), actor.gradients());
    // targets
    ++updates;
    if (updates % config.target_update_interval == 0) {
      const auto t = static_cast<T>(config.tau), keep = static_cast<T>(1.0 - config.tau);
      for (std::size_t i = 0; i < 2; ++i) targets[i].parameters() = keep * targets[i].parameters() + t * critics[i].parameters();
    }
    return {critic_loss, actor_loss};
  }

  sac::Config config;
  double gamma;
  double target_entropy;
  SquashedGaussianPolicy<T> actor;
  std::array<QNetwork<T>, 2> critics;
  std::array<QNetwork<T>, 2> targets;
  Adam<T> actor_opt;
  std::array<Adam<T>, 2> critic_opt;
  Adam<T> alpha_opt;
  Vector<T> log_alpha, log_alpha_grad;
  Rng noise_rng;
  Matrix<T> noise, next_noise, actions_pi, next_actions, grad_actions, grad_actions_scratch;
  Vector<T> log_prob, next_log_prob, target, target_q1, target_q2, grad_q1, grad_q2, grad_log_prob, q1, q2;
  std::int64_t updates = 0;
};

}  // namespace theta::test
