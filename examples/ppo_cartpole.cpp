// PPO on CartPole-v1 with the rl-baselines3-zoo hyperparameters: 8 environments x 32 steps,
// one minibatch of 256, 20 epochs, lr 1e-3 and clip 0.2 annealed linearly to 0, gamma 0.98,
// lambda 0.8. Trains to the 500-step cap in about 100k steps, then evaluates deterministically.
//
//   ./build/release/examples/ppo_cartpole [--csv run.csv] [--steps N] [--seed S] [--save F] [--resume F] [--export F]
// ctest-expect: solved: yes
#include <theta/theta.hpp>

#include <fmt/core.h>

#include "command_line.hpp"
#include "training_run.hpp"

int main(int argc, char** argv) {
  // ---- 1. Configuration (rl-baselines3-zoo, ppo.yml, CartPole-v1)
  const std::int64_t total_steps = 100'000;  // the budget: the schedules' horizon
  theta::examples::TrainingFlags flags{.seed = 0};
  theta::examples::CommandLine cli("ppo_cartpole", "PPO on CartPole-v1 (rl-baselines3-zoo settings)");
  flags.declare(cli, total_steps);
  cli.parse(argc, argv);
  const std::int64_t steps = flags.steps.value_or(total_steps);  // trained in this invocation
  const theta::OnPolicyConfig trainer_config{
      .n_envs = 8,
      .n_steps = 32,
      .gamma = 0.98,
      .gae_lambda = 0.8,
      .total_steps = total_steps,
      .seed = flags.seed,
  };
  const theta::ppo::Config config{
      .batch_size = 256,
      .n_epochs = 20,
      .learning_rate = theta::Schedule::linear(1e-3, 0.0),
      .clip_range = theta::Schedule::linear(0.2, 0.0),
      .ent_coef = 0.0,
      .actor = {.hidden = {64, 64}, .activation = theta::nn::Activation::tanh},
      .critic = {.hidden = {64, 64}, .activation = theta::nn::Activation::tanh},
  };

  // ---- 2. Environment and trainer
  using Env = theta::TimeLimit<theta::CartPole>;  // CartPole-v1: 500-step limit
  theta::OnPolicyTrainer<Env, theta::ppo::Ppo> trainer(trainer_config, config);

  // ---- 3. Train, with a progress bar (and a CSV for plotting if asked)
  const theta::TrainingResult result = theta::examples::run_training(trainer, flags, steps);

  // ---- 4. Evaluate the deterministic policy
  const theta::EvaluationResult eval = trainer.evaluate(20);
  fmt::print("trained {} steps in {:.2f} s ({:.0f} steps/s)\n", result.steps, result.seconds,
             static_cast<double>(result.steps) / result.seconds);
  fmt::print("evaluation over 20 episodes: {:.1f} +- {:.1f}\n", eval.mean_return, eval.std_return);
  fmt::print("solved: {}\n", eval.mean_return >= 475.0 ? "yes" : "no");
  return eval.mean_return >= 475.0 ? 0 : 1;
}
