// TRPO on Pendulum-v1: 2 environments x 1024 steps, gamma 0.9, lambda 0.95, target KL 0.01,
// 15 critic passes (Adam lr 1e-3, minibatches of 128), separate 64-64 tanh actor and critic,
// a state-independent learned std. The sb3-contrib zoo run of this task also uses
// state-dependent exploration (gSDE); theta's TRPO does not. A policy at 100k steps still
// fails to swing up from some starts, so a 20-episode evaluation spreads by about +-40 around
// the -200 threshold: seeds 0-4 end at -201, -337, -207, -162 and -183 here (the benchmark
// suite, evaluating on other episodes, counts 8 of seeds 0-9 as solved; docs/benchmarks.md).
// The test asks for better than -400 (a random policy scores about -1200).
//
//   ./build/release/examples/trpo_pendulum [--steps N] [--seed S] [--csv run.csv] [--save F] [--resume F] [--export F]
// ctest-expect: evaluation over 20 episodes: -[1-3]?[0-9]?[0-9]\.[0-9]
#include <theta/theta.hpp>

#include <fmt/core.h>

#include "command_line.hpp"
#include "training_run.hpp"

int main(int argc, char** argv) {
  // ---- 1. Configuration
  const std::int64_t total_steps = 100'000;  // the budget: the schedules' horizon
  theta::examples::TrainingFlags flags{.seed = 0};
  theta::examples::CommandLine cli("trpo_pendulum", "TRPO on Pendulum-v1");
  flags.declare(cli, total_steps);
  cli.parse(argc, argv);
  const std::int64_t steps = flags.steps.value_or(total_steps);  // trained in this invocation
  const theta::OnPolicyConfig trainer_config{
      .n_envs = 2,
      .n_steps = 1024,
      .gamma = 0.9,
      .gae_lambda = 0.95,
      .total_steps = total_steps,
      .seed = flags.seed,
  };
  const theta::trpo::Config config{
      .target_kl = 0.01,
      .n_critic_updates = 15,
      .learning_rate = 1e-3,
  };

  // ---- 2. Environment and trainer
  using Env = theta::TimeLimit<theta::Pendulum>;
  theta::OnPolicyTrainer<Env, theta::trpo::Trpo> trainer(trainer_config, config);

  // ---- 3. Train
  const theta::TrainingResult result = theta::examples::run_training(trainer, flags, steps);

  // ---- 4. Final deterministic evaluation (solved: mean >= -200)
  const theta::EvaluationResult eval = trainer.evaluate(20);
  fmt::print("trained {} steps in {:.2f} s ({:.0f} steps/s)\n", result.steps, result.seconds,
             static_cast<double>(result.steps) / result.seconds);
  fmt::print("evaluation over 20 episodes: {:.1f} +- {:.1f}\n", eval.mean_return, eval.std_return);
  fmt::print("solved: {}\n", eval.mean_return >= -200.0 ? "yes" : "no");
  return eval.mean_return >= -200.0 ? 0 : 1;
}
