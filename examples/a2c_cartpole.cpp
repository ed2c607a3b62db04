// A2C on CartPole-v1 with Stable-Baselines3's defaults and the zoo's 8 environments:
// 8 x 5 steps per update, RMSprop lr 7e-4 (alpha 0.99, eps 1e-5), gamma 0.99, n-step returns
// (lambda 1), value coefficient 0.5, gradient norm 0.5, separate 64-64 tanh actor and critic.
//
//   ./build/release/examples/a2c_cartpole [--steps N] [--seed S] [--csv run.csv]
// ctest-expect: solved: yes
#include <theta/theta.hpp>

#include <fmt/core.h>

#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  // ---- 1. Configuration (rl-baselines3-zoo a2c.yml, CartPole-v1: n_envs 8, ent_coef 0)
  std::int64_t total_steps = 500'000;
  std::uint64_t seed = 0;
  std::string csv_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--steps")) total_steps = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--csv")) csv_path = argv[i + 1];
  }
  const theta::OnPolicyConfig trainer_config{
      .n_envs = 8,
      .n_steps = 5,
      .gamma = 0.99,
      .gae_lambda = 1.0,
      .total_steps = total_steps,
      .seed = seed,
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
  theta::TrainingResult result;
  if (csv_path.empty()) {
    result = trainer.learn(total_steps, theta::ProgressBar(total_steps), eval);
  } else {
    result = trainer.learn(total_steps, theta::MultiLogger(theta::ProgressBar(total_steps), theta::CsvLogger(csv_path)),
                           eval);
  }

  // ---- 4. Final deterministic evaluation
  const theta::EvaluationResult final_eval = trainer.evaluate(20);
  fmt::print("trained {} steps in {:.2f} s ({:.0f} steps/s)\n", result.steps, result.seconds,
             static_cast<double>(result.steps) / result.seconds);
  fmt::print("evaluation over 20 episodes: {:.1f} +- {:.1f}\n", final_eval.mean_return, final_eval.std_return);
  fmt::print("solved: {}\n", final_eval.mean_return >= 475.0 ? "yes" : "no");
  return final_eval.mean_return >= 475.0 ? 0 : 1;
}
