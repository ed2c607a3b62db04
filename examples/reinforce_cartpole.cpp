// REINFORCE on CartPole-v1 as PyTorch's example (examples/reinforcement_learning/reinforce.py):
// one environment, one episode per update, gamma 0.99, Adam lr 1e-2, one hidden layer of 128
// ReLU units with PyTorch's default initialisation and dropout 0.6, returns normalised per
// episode. Like the example, training episodes end only when the pole falls (or after 9,999
// steps, the example's loop bound): it reads `terminated` alone from Gymnasium's step. The
// evaluation plays CartPole-v1 with its 500-step limit.
//
//   ./build/release/examples/reinforce_cartpole [--steps N] [--seed S] [--csv run.csv] [--save F] [--resume F] [--export F]
// ctest-expect: solved: yes
#include <theta/theta.hpp>

#include <fmt/core.h>

#include "command_line.hpp"
#include "training_run.hpp"

int main(int argc, char** argv) {
  // ---- 1. Configuration
  const std::int64_t total_steps = 200'000;  // the budget: the schedules' horizon
  theta::examples::TrainingFlags flags{.seed = 0};
  theta::examples::CommandLine cli("reinforce_cartpole", "REINFORCE on CartPole-v1 (PyTorch's example)");
  flags.declare(cli, total_steps);
  cli.parse(argc, argv);
  const std::int64_t steps = flags.steps.value_or(total_steps);  // trained in this invocation
  const theta::OnPolicyConfig trainer_config{
      .n_steps = 9'999,  // the longest training episode
      .gamma = 0.99,
      .total_steps = total_steps,
      .seed = flags.seed,
  };
  const theta::reinforce::Config config{
      .learning_rate = 1e-2,
      .normalize_returns = true,
      .actor = {.hidden = {128},
                .activation = theta::nn::Activation::relu,
                .init = theta::Init::torch_default,
                .dropout = 0.6},  // the example's dropout, with the acting masks reused at the update
  };

  // ---- 2. Environment and trainer
  // Copy 0 trains with the example's 9,999-step bound; copy 1 (= n_envs) is the evaluation
  // copy, CartPole-v1.
  using Env = theta::TimeLimit<theta::CartPole>;
  theta::OnPolicyTrainer<Env, theta::reinforce::Reinforce> trainer(
      trainer_config, config, {}, [](std::size_t i) { return Env(theta::CartPole{}, i == 0 ? 9'999 : 500); });

  // ---- 3. Train; stop once a deterministic evaluation reaches the 500-step cap
  theta::EvalCallback eval{.every_steps = 10'000, .episodes = 20, .stop_at_reward = 500.0};
  const theta::TrainingResult result = theta::examples::run_training(trainer, flags, steps, eval);

  // ---- 4. Final deterministic evaluation
  const theta::EvaluationResult final_eval = trainer.evaluate(20);
  fmt::print("trained {} steps in {:.2f} s ({:.0f} steps/s)\n", result.steps, result.seconds,
             static_cast<double>(result.steps) / result.seconds);
  fmt::print("evaluation over 20 episodes: {:.1f} +- {:.1f}\n", final_eval.mean_return, final_eval.std_return);
  fmt::print("solved: {}\n", final_eval.mean_return >= 475.0 ? "yes" : "no");
  return final_eval.mean_return >= 475.0 ? 0 : 1;
}
