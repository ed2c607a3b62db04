// SAC on HalfCheetah-v5 with Stable-Baselines3's defaults and the zoo's HalfCheetah settings:
// 256-256 ReLU actor and twin critics, batch 256, Adam lr 3e-4, buffer 1M, 10k uniform random
// steps before learning, one gradient step per environment step, gamma 0.99, tau 0.005,
// automatic temperature toward entropy -6 (minus the action dimension).
//
// The model file is Gymnasium's: pass its assets folder (gymnasium/envs/mujoco/assets at
// v1.3.0, see docs/mujoco.md). One gradient step of the 256-wide networks costs about 5 ms
// here, so the default 200k steps take roughly 20 minutes; the papers' 1M take 1.5 hours.
//
//   ./build/release/examples/sac_halfcheetah <assets> [--steps N] [--seed S] [--csv run.csv] [--save F] [--resume F] [--export F]
// theta-requires: mujoco
#include <theta/mujoco.hpp>
#include <theta/theta.hpp>

#include <fmt/core.h>

#include "command_line.hpp"
#include "training_run.hpp"

#include <filesystem>

int main(int argc, char** argv) {
  // ---- 1. Configuration
  const std::int64_t total_steps = 200'000;  // the budget: the schedules' horizon
  theta::examples::TrainingFlags flags{.seed = 0};
  theta::examples::CommandLine cli("sac_halfcheetah", "SAC on HalfCheetah-v5");
  std::filesystem::path assets;
  cli.add_positional("ASSETS", assets, "Gymnasium's MuJoCo assets folder (gymnasium/envs/mujoco/assets)");
  flags.declare(cli, total_steps);
  cli.parse(argc, argv);
  if (!std::filesystem::is_directory(assets)) cli.fail(fmt::format("ASSETS: '{}' is not a folder", assets.string()));
  const std::int64_t steps = flags.steps.value_or(total_steps);  // trained in this invocation
  const theta::OffPolicyConfig trainer_config{
      .learning_starts = 10'000,  // rl-baselines3-zoo sac.yml, HalfCheetah
      .buffer_size = 1'000'000,
      .batch_size = 256,
      .gamma = 0.99,
      .total_steps = total_steps,
      .seed = flags.seed,
  };
  const theta::sac::Config config{
      .tau = 0.005,
      .actor_learning_rate = 3e-4,
      .critic_learning_rate = 3e-4,
      .alpha_learning_rate = 3e-4,
      .learn_alpha = true,  // target entropy: -action_dim = -6 by default
  };

  // ---- 2. Environment and trainer: one model shared by the training and evaluation copies
  using Env = theta::TimeLimit<theta::mujoco::HalfCheetah>;  // HalfCheetah-v5: 1000-step limit
  const theta::mujoco::ModelPtr model = theta::mujoco::load_model(assets / theta::mujoco::HalfCheetah::model_file);
  theta::OffPolicyTrainer<Env> trainer(trainer_config, config, {},
                                       [&model](std::size_t) { return Env(theta::mujoco::HalfCheetah(model)); });

  // ---- 3. Train
  const theta::TrainingResult result = theta::examples::run_training(trainer, flags, steps);

  // ---- 4. Result
  const theta::EvaluationResult eval = trainer.evaluate(10);
  fmt::print("MuJoCo {}{}, HalfCheetah-v5\n", mj_versionString(),
             std::filesystem::exists("/etc/debian_version") ? " (Debian)" : "");
  fmt::print("trained {} steps in {:.1f} s ({:.0f} steps/s)\n", result.steps, result.seconds,
             static_cast<double>(result.steps) / result.seconds);
  fmt::print("mean training return over the last 10 episodes: {:.1f}\n", trainer.recent_mean_return(10));
  fmt::print("deterministic evaluation over 10 episodes: {:.1f} +- {:.1f}\n", eval.mean_return, eval.std_return);
  return 0;
}
