// SAC on Pendulum-v1, in the two benchmark settings of TARGETS.md:
//
//   --preset rltools (default)  RLtools' benchmark: 64-64 ReLU actor and twin critics, batch
//                               100, one gradient step per env step, gamma 0.99, tau 0.005,
//                               learned temperature from 0.5 toward entropy -1, log-std
//                               clamped to [-20, 2], Adam lr 1e-3, 10k steps.
//   --preset zoo                Stable-Baselines3's SAC defaults with the zoo's lr 1e-3:
//                               256-256 ReLU, batch 256, buffer 1M, learning starts 100,
//                               automatic temperature from 1.0, target entropy -1, 20k steps.
//
// Exploration: none beyond SAC's own. The first 100 steps are uniform random actions, then
// the entropy bonus (alpha learned toward entropy -1) keeps the squashed Gaussian wide
// enough to find the swing-up; Pendulum's dense reward does the rest.
//
//   ./build/release/examples/sac_pendulum [--preset rltools|zoo] [--steps N] [--seed S] [--csv run.csv] [--save F] [--resume F] [--export F]
// ctest-expect: solved: yes
#include <theta/theta.hpp>

#include <fmt/core.h>

#include "command_line.hpp"
#include "training_run.hpp"

#include <string>

int main(int argc, char** argv) {
  // ---- 1. Configuration
  std::string preset = "rltools";
  theta::examples::TrainingFlags flags{.seed = 0};
  theta::examples::CommandLine cli("sac_pendulum", "SAC on Pendulum-v1, in RLtools' or the zoo's settings");
  cli.add("--preset", preset, "NAME", "rltools (10k steps) or zoo (20k steps)");
  flags.declare(cli);
  cli.parse(argc, argv);
  if (preset != "rltools" && preset != "zoo")
    cli.fail(fmt::format("--preset: expected rltools or zoo, got '{}'", preset));
  std::int64_t total_steps = 0;  // the budget: the schedules' horizon (the preset's)
  theta::OffPolicyConfig trainer_config{.learning_starts = 100, .seed = flags.seed};
  theta::sac::Config config;
  if (preset == "rltools") {
    const theta::NetworkConfig relu_64_64{
        .hidden = {64, 64}, .activation = theta::nn::Activation::relu, .init = theta::Init::torch_default};
    trainer_config.buffer_size = 10'000;
    trainer_config.batch_size = 100;
    trainer_config.gamma = 0.99;
    config = theta::sac::Config{
        .tau = 0.005,
        .actor_learning_rate = 1e-3,
        .critic_learning_rate = 1e-3,
        .alpha_learning_rate = 1e-3,
        .alpha = 0.5,
        .target_entropy = -1.0,
        .actor = relu_64_64,
        .critic = relu_64_64,
        .log_std = {.bound = theta::LogStdBound::clamp, .min = -20.0, .max = 2.0},
    };
    total_steps = 10'000;
  } else {  // zoo
    config = theta::sac::Config{
        // every other field, here and in trainer_config: SB3's default (256-256 ReLU, batch
        // 256, buffer 1M, tau 0.005, gamma 0.99, learning starts 100, alpha "auto" from 1.0,
        // target entropy -1)
        .actor_learning_rate = 1e-3,
        .critic_learning_rate = 1e-3,
        .alpha_learning_rate = 1e-3,
    };
    total_steps = 20'000;
  }
  trainer_config.total_steps = total_steps;
  const std::int64_t steps = flags.steps.value_or(total_steps);  // trained in this invocation

  // ---- 2. Environment and trainer
  using Env = theta::TimeLimit<theta::Pendulum>;  // Pendulum-v1: 200-step limit, never terminates
  theta::OffPolicyTrainer<Env> trainer(trainer_config, config);

  // ---- 3. Train
  const theta::TrainingResult result = theta::examples::run_training(trainer, flags, steps);

  // ---- 4. Final deterministic evaluation (solved: mean >= -200)
  const theta::EvaluationResult eval = trainer.evaluate(20);
  fmt::print("preset {}: trained {} steps ({} gradient steps) in {:.2f} s ({:.0f} steps/s)\n", preset, result.steps,
             result.updates, result.seconds, static_cast<double>(result.steps) / result.seconds);
  fmt::print("evaluation over 20 episodes: {:.1f} +- {:.1f}\n", eval.mean_return, eval.std_return);
  fmt::print("solved: {}\n", eval.mean_return >= -200.0 ? "yes" : "no");
  return eval.mean_return >= -200.0 ? 0 : 1;
}
