// TRPO on CartPole-v1 with the sb3-contrib zoo hyperparameters: 2 environments x 512 steps,
// gamma 0.99, lambda 0.98, target KL 0.01, 15 conjugate-gradient steps with damping 1e-3, a
// 10-step line search shrinking by 0.8, and a critic fitted by 20 passes of Adam (lr 1e-3) on
// minibatches of 512. The Fisher-vector product is exact (see docs/algorithms/trpo.md).
//
//   ./build/release/examples/trpo_cartpole [--steps N] [--seed S] [--csv run.csv] [--save F] [--resume F] [--export F]
// ctest-expect: solved: yes
#include <theta/theta.hpp>

#include <fmt/core.h>

#include "command_line.hpp"
#include "training_run.hpp"

int main(int argc, char** argv) {
  // ---- 1. Configuration (rl-baselines3-zoo trpo.yml, CartPole-v1)
  const std::int64_t total_steps = 100'000;  // the budget: the schedules' horizon
  theta::examples::TrainingFlags flags{.seed = 0};
  theta::examples::CommandLine cli("trpo_cartpole", "TRPO on CartPole-v1");
  flags.declare(cli, total_steps);
  cli.parse(argc, argv);
  const std::int64_t steps = flags.steps.value_or(total_steps);  // trained in this invocation
  const theta::OnPolicyConfig trainer_config{
      .n_envs = 2,
      .n_steps = 512,
      .gamma = 0.99,
      .gae_lambda = 0.98,
      .total_steps = total_steps,
      .seed = flags.seed,
  };
  const theta::trpo::Config config{
      .target_kl = 0.01,
      .cg_damping = 1e-3,
      .cg_max_steps = 15,
      .line_search_max_iter = 10,
      .line_search_shrinking_factor = 0.8,
      .batch_size = 512,
      .n_critic_updates = 20,
      .learning_rate = 1e-3,
  };

  // ---- 2. Environment and trainer
  using Env = theta::TimeLimit<theta::CartPole>;
  theta::OnPolicyTrainer<Env, theta::trpo::Trpo> trainer(trainer_config, config);

  // ---- 3. Train
  const theta::TrainingResult result = theta::examples::run_training(trainer, flags, steps);

  // ---- 4. Final deterministic evaluation
  const theta::EvaluationResult eval = trainer.evaluate(20);
  fmt::print("trained {} steps in {:.2f} s ({:.0f} steps/s)\n", result.steps, result.seconds,
             static_cast<double>(result.steps) / result.seconds);
  fmt::print("evaluation over 20 episodes: {:.1f} +- {:.1f}\n", eval.mean_return, eval.std_return);
  fmt::print("solved: {}\n", eval.mean_return >= 475.0 ? "yes" : "no");
  return eval.mean_return >= 475.0 ? 0 : 1;
}
