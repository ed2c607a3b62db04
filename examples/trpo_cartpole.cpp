// TRPO on CartPole-v1 with the sb3-contrib zoo hyperparameters: 2 environments x 512 steps,
// gamma 0.99, lambda 0.98, target KL 0.01, 15 conjugate-gradient steps with damping 1e-3, a
// 10-step line search shrinking by 0.8, and a critic fitted by 20 passes of Adam (lr 1e-3) on
// minibatches of 512. The Fisher-vector product is exact (see docs/algorithms/trpo.md).
//
//   ./build/release/examples/trpo_cartpole [--steps N] [--seed S] [--csv run.csv]
// ctest-expect: solved: yes
#include <theta/theta.hpp>

#include <fmt/core.h>

#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  // ---- 1. Configuration (rl-baselines3-zoo trpo.yml, CartPole-v1)
  std::int64_t total_steps = 100'000;
  std::uint64_t seed = 0;
  std::string csv_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--steps")) total_steps = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--csv")) csv_path = argv[i + 1];
  }
  const theta::OnPolicyConfig trainer_config{
      .n_envs = 2,
      .n_steps = 512,
      .gamma = 0.99,
      .gae_lambda = 0.98,
      .total_steps = total_steps,
      .seed = seed,
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
  theta::TrainingResult result;
  if (csv_path.empty()) {
    result = trainer.learn(total_steps, theta::ProgressBar(total_steps));
  } else {
    result = trainer.learn(total_steps, theta::MultiLogger(theta::ProgressBar(total_steps), theta::CsvLogger(csv_path)));
  }

  // ---- 4. Final deterministic evaluation
  const theta::EvaluationResult eval = trainer.evaluate(20);
  fmt::print("trained {} steps in {:.2f} s ({:.0f} steps/s)\n", result.steps, result.seconds,
             static_cast<double>(result.steps) / result.seconds);
  fmt::print("evaluation over 20 episodes: {:.1f} +- {:.1f}\n", eval.mean_return, eval.std_return);
  fmt::print("solved: {}\n", eval.mean_return >= 475.0 ? "yes" : "no");
  return eval.mean_return >= 475.0 ? 0 : 1;
}
