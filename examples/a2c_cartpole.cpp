// A2C on CartPole-v1 with Stable-Baselines3's defaults and the zoo's 8 environments:
// 8 x 5 steps per update, RMSprop lr 7e-4 (alpha 0.99, eps 1e-5), gamma 0.99, n-step returns
// (lambda 1), value coefficient 0.5, gradient norm 0.5, separate 64-64 tanh actor and critic.
//
//   ./build/release/examples/a2c_cartpole [--steps N] [--seed S] [--csv run.csv] [--save F] [--resume F] [--export F]
// ctest-expect: solved: yes
#include <theta/theta.hpp>

#include <fmt/core.h>

#include "command_line.hpp"
#include "training_run.hpp"

int main(int argc, char** argv) {
  // ---- 1. Configuration (rl-baselines3-zoo a2c.yml, CartPole-v1: n_envs 8, ent_coef 0)
  const std::int64_t total_steps = 500'000;  // the budget: the schedules' horizon
  theta::examples::TrainingFlags flags{.seed = 0};
  theta::examples::CommandLine cli("a2c_cartpole", "A2C on CartPole-v1 (Stable-Baselines3 defaults, 8 environments)");
  flags.declare(cli, total_steps);
  cli.parse(argc, argv);
  const std::int64_t steps = flags.steps.value_or(total_steps);  // trained in this invocation
  const theta::OnPolicyConfig trainer_config{
      .n_envs = 8,
      .n_steps = 5,
      .gamma = 0.99,
      .gae_lambda = 1.0,
      .total_steps = total_steps,
      .seed = flags.seed,
  };
  const theta::a2c::Config config{
      .learning_rate = 7e-4,
      .ent_coef = 0.0,
      .vf_coef = 0.5,
      .max_grad_norm = 0.5,
  };

  // ---- 2. Environment and trainer
  using Env = theta::TimeLimit<theta::CartPole>;
  theta::OnPolicyTrainer<Env, theta::a2c::A2c> trainer(trainer_config, config);

  // ---- 3. Train (stop early once a deterministic evaluation reaches the 500 cap)
  theta::EvalCallback eval{.every_steps = 25'000, .episodes = 20, .stop_at_reward = 500.0};
  const theta::TrainingResult result = theta::examples::run_training(trainer, flags, steps, eval);

  // ---- 4. Final deterministic evaluation
  const theta::EvaluationResult final_eval = trainer.evaluate(20);
  fmt::print("trained {} steps in {:.2f} s ({:.0f} steps/s)\n", result.steps, result.seconds,
             static_cast<double>(result.steps) / result.seconds);
  fmt::print("evaluation over 20 episodes: {:.1f} +- {:.1f}\n", final_eval.mean_return, final_eval.std_return);
  fmt::print("solved: {}\n", final_eval.mean_return >= 475.0 ? "yes" : "no");
  return final_eval.mean_return >= 475.0 ? 0 : 1;
}
