// SAC on MountainCarContinuous-v0: a sparse goal (+100) behind a long manoeuvre, with a
// small action cost (-0.1 a² per step) that rewards doing nothing until the goal is found.
//
// Exploration it needs: temporally correlated noise. With SAC's white noise (and SB3's
// uniform warm-up), the force changes sign every step or two, the car jiggles at the bottom
// of the valley, never reaches the flag, and the policy settles on "do nothing" (return ~0).
// The rl-baselines3-zoo solves it with gSDE (state-dependent noise held for 32 steps); here
// `exploration_correlation = 0.99` makes the exploration noise an AR(1) process that keeps
// its sign for ~100 steps, both in the uniform warm-up and in the policy's own samples, so
// the car swings up the hills and the buffer holds goal transitions early. The rest follows
// the zoo: a fixed temperature 0.1, gamma 0.9999, tau 0.01, 32 gradient steps every 32 steps.
//
//   ./build/release/examples/sac_mountain_car_continuous [--steps N] [--seed S] [--white] [--csv run.csv] [--save F] [--resume F] [--export F]
//   (--white: exploration_correlation = 0, to see it fail)
// ctest-expect: solved: yes
#include <theta/theta.hpp>

#include <fmt/core.h>

#include "command_line.hpp"
#include "training_run.hpp"

int main(int argc, char** argv) {
  // ---- 1. Configuration
  const std::int64_t total_steps = 30'000;  // the budget: the schedules' horizon
  theta::examples::TrainingFlags flags{.seed = 0};
  bool white = false;
  theta::examples::CommandLine cli("sac_mountain_car_continuous",
                                   "SAC on MountainCarContinuous-v0 with correlated exploration noise");
  flags.declare(cli, total_steps);
  cli.add("--white", white, "white exploration noise (exploration_correlation = 0), to see it fail");
  cli.parse(argc, argv);
  const std::int64_t steps = flags.steps.value_or(total_steps);  // trained in this invocation
  const theta::NetworkConfig relu_64_64{
      .hidden = {64, 64}, .activation = theta::nn::Activation::relu, .init = theta::Init::torch_default};
  const theta::OffPolicyConfig trainer_config{
      .learning_starts = 5'000,
      .train_freq = 32,
      .gradient_steps = 32,
      .exploration_correlation = white ? 0.0 : 0.99,  // the exploration this task needs (see above)
      .buffer_size = 50'000,
      .batch_size = 256,
      .gamma = 0.9999,
      .total_steps = total_steps,
      .seed = flags.seed,
  };
  const theta::sac::Config config{
      .tau = 0.01,
      .learn_alpha = false,
      .alpha = 0.1,
      .actor = relu_64_64,
      .critic = relu_64_64,
  };

  // ---- 2. Environment and trainer
  using Env = theta::TimeLimit<theta::MountainCarContinuous>;  // 999-step limit
  theta::OffPolicyTrainer<Env> trainer(trainer_config, config);

  // ---- 3. Train
  const theta::TrainingResult result = theta::examples::run_training(trainer, flags, steps);

  // ---- 4. Final deterministic evaluation (Gymnasium's threshold: 90)
  const theta::EvaluationResult eval = trainer.evaluate(20);
  fmt::print("trained {} steps in {:.2f} s ({:.0f} steps/s), {} training episodes\n", result.steps, result.seconds,
             static_cast<double>(result.steps) / result.seconds, trainer.episodes_finished());
  fmt::print("evaluation over 20 episodes: {:.1f} +- {:.1f} (mean length {:.0f})\n", eval.mean_return,
             eval.std_return, eval.mean_length);
  fmt::print("solved: {}\n", eval.mean_return >= 90.0 ? "yes" : "no");
  return eval.mean_return >= 90.0 ? 0 : 1;
}
