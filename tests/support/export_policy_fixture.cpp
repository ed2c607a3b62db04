// Test fixture of examples/deploy_policy (examples/CMakeLists.txt): trains PPO on CartPole-v1
// briefly, with observation normalisation, exports the policy to argv[1] and writes the line
// deploy_policy must print for it to argv[1] + ".expected": the trainer's own
// evaluate(3 episodes, seed 0), which deploy_policy --episodes 3 --seed 0 replays.
#include <theta/theta.hpp>

#include <cstdio>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: export_policy_fixture FILE\n");
    return 2;
  }
  using Env = theta::TimeLimit<theta::CartPole>;
  theta::OnPolicyTrainer<Env, theta::ppo::Ppo> trainer({.n_envs = 4, .n_steps = 128, .normalize_observations = true,
                                                        .seed = 1},
                                                       {.batch_size = 128});
  trainer.learn(8192);
  trainer.export_policy(argv[1]);
  const auto eval = trainer.evaluate(3, 0);
  char line[64];
  std::snprintf(line, sizeof line, "mean return: %.3f", eval.mean_return);
  std::ofstream(std::string(argv[1]) + ".expected") << line << '\n';
  std::printf("exported %s; trainer's %s\n", argv[1], line);
  return 0;
}
