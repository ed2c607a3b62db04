// PPO on CartPole-v1 with the rl-baselines3-zoo hyperparameters: 8 environments x 32 steps,
// one minibatch of 256, 20 epochs, lr 1e-3 and clip 0.2 annealed linearly to 0, gamma 0.98,
// lambda 0.8. Trains to the 500-step cap in about 100k steps, then evaluates deterministically.
//
//   ./build/release/examples/ppo_cartpole [--csv run.csv] [--steps N] [--seed S]
// ctest-expect: solved: yes
#include <theta/theta.hpp>

#include <fmt/core.h>

#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  // ---- 1. Configuration (rl-baselines3-zoo, ppo.yml, CartPole-v1)
  std::int64_t total_steps = 100'000;
  std::uint64_t seed = 0;
  std::string csv_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--steps")) total_steps = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--csv")) csv_path = argv[i + 1];
  }
  const theta::OnPolicyConfig trainer_config{
      .n_envs = 8,
      .n_steps = 32,
      .gamma = 0.98,
      .gae_lambda = 0.8,
      .total_steps = total_steps,
      .seed = seed,
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
  theta::ProgressBar bar(total_steps);
  theta::TrainingResult result;
  if (csv_path.empty()) {
    result = trainer.learn(total_steps, bar);
  } else {
    result = trainer.learn(total_steps, theta::MultiLogger(theta::ProgressBar(total_steps), theta::CsvLogger(csv_path)));
  }

  // ---- 4. Evaluate the deterministic policy
  const theta::EvaluationResult eval = trainer.evaluate(20);
  fmt::print("trained {} steps in {:.2f} s ({:.0f} steps/s)\n", result.steps, result.seconds,
             static_cast<double>(result.steps) / result.seconds);
  fmt::print("evaluation over 20 episodes: {:.1f} +- {:.1f}\n", eval.mean_return, eval.std_return);
  fmt::print("solved: {}\n", eval.mean_return >= 475.0 ? "yes" : "no");
  return eval.mean_return >= 475.0 ? 0 : 1;
}
