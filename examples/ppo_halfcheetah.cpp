// PPO on HalfCheetah-v5 with CleanRL's MuJoCo settings (ppo_continuous_action.py): 1
// environment x 2048 steps, 32 minibatches (batch 64), 10 epochs, Adam lr 3e-4 annealed
// linearly to 0, gamma 0.99, lambda 0.95, clip 0.2, CleanRL's clipped value loss with vf_coef
// 0.5, no entropy bonus, gradient-norm clip 0.5, observation and reward normalisation clipped
// at 10, separate 64-64 tanh actor and critic. Actions are stored raw and clipped to [-1, 1]
// when the environment is stepped, as CleanRL's ClipAction wrapper does.
//
// The model file is Gymnasium's: pass its assets folder (gymnasium/envs/mujoco/assets at
// v1.3.0, see docs/mujoco.md).
//
//   ./build/release/examples/ppo_halfcheetah <assets> [--steps N] [--seed S] [--csv run.csv] [--save F] [--resume F] [--export F]
// theta-requires: mujoco
#include <theta/mujoco.hpp>
#include <theta/theta.hpp>

#include <fmt/core.h>

#include "command_line.hpp"
#include "training_run.hpp"

#include <filesystem>

int main(int argc, char** argv) {
  // ---- 1. Configuration
  const std::int64_t total_steps = 1'000'000;  // the budget: the schedules' horizon
  theta::examples::TrainingFlags flags{.seed = 1};
  theta::examples::CommandLine cli("ppo_halfcheetah", "PPO on HalfCheetah-v5 (CleanRL's MuJoCo settings)");
  std::filesystem::path assets;
  cli.add_positional("ASSETS", assets, "Gymnasium's MuJoCo assets folder (gymnasium/envs/mujoco/assets)");
  flags.declare(cli, total_steps);
  cli.parse(argc, argv);
  if (!std::filesystem::is_directory(assets)) cli.fail(fmt::format("ASSETS: '{}' is not a folder", assets.string()));
  const std::int64_t steps = flags.steps.value_or(total_steps);  // trained in this invocation
  const theta::NetworkConfig tanh_64_64{.hidden = {64, 64}, .activation = theta::nn::Activation::tanh};
  const theta::OnPolicyConfig trainer_config{
      .n_envs = 1,
      .n_steps = 2048,
      .gamma = 0.99,
      .gae_lambda = 0.95,
      .total_steps = total_steps,
      .normalize_observations = true,  // clipped at 10
      .normalize_rewards = true,
      .reward_clip = 10.0,
      .seed = flags.seed,
  };
  const theta::ppo::Config config{
      .batch_size = 64,  // 2048 / 32 minibatches
      .n_epochs = 10,
      .learning_rate = theta::Schedule::linear(3e-4, 0.0),
      .adam_eps = 1e-5,
      .clip_range = 0.2,
      // CleanRL's clip_vloss: 1/2 mean(max(unclipped, clipped)), the 1/2 inside the loss, so
      // vf_coef stays CleanRL's 0.5 (with ValueLoss::mse, which has no 1/2, it would be 0.25).
      .value_loss = theta::ValueLoss::cleanrl_clipped,
      .clip_range_vf = 0.2,
      .normalize_advantage = true,
      .ent_coef = 0.0,
      .vf_coef = 0.5,
      .max_grad_norm = 0.5,
      .actor = tanh_64_64,
      .critic = tanh_64_64,
      .log_std_init = 0.0,
  };

  // ---- 2. Environment and trainer: one model shared by the training and evaluation copies
  using Env = theta::TimeLimit<theta::mujoco::HalfCheetah>;  // HalfCheetah-v5: 1000-step limit
  const theta::mujoco::ModelPtr model = theta::mujoco::load_model(assets / theta::mujoco::HalfCheetah::model_file);
  theta::OnPolicyTrainer<Env, theta::ppo::Ppo> trainer(
      trainer_config, config, {}, [&model](std::size_t) { return Env(theta::mujoco::HalfCheetah(model)); });

  // ---- 3. Train
  const theta::TrainingResult result = theta::examples::run_training(trainer, flags, steps);

  // ---- 4. Result: the training return CleanRL reports, and a deterministic evaluation
  const theta::EvaluationResult eval = trainer.evaluate(10);
  fmt::print("MuJoCo {}{}, HalfCheetah-v5\n", mj_versionString(),
             std::filesystem::exists("/etc/debian_version") ? " (Debian)" : "");
  fmt::print("trained {} steps in {:.1f} s ({:.0f} steps/s)\n", result.steps, result.seconds,
             static_cast<double>(result.steps) / result.seconds);
  fmt::print("mean training return over the last 10 episodes: {:.1f}\n", trainer.recent_mean_return(10));
  fmt::print("deterministic evaluation over 10 episodes: {:.1f} +- {:.1f}\n", eval.mean_return, eval.std_return);
  return 0;
}
