// The MuJoCo scenario of TARGETS.md (built only with theta::mujoco). The model files come
// from the folder named by THETA_MUJOCO_ASSETS (Gymnasium's gymnasium/envs/mujoco/assets).
// Results are labelled "MuJoCo 2.2.2 (Debian)" in docs/benchmarks.md.
#include "scenario.hpp"

#include <theta/mujoco.hpp>

#include <cstdlib>
#include <limits>

namespace theta::bench {
namespace {

RunResult ppo_halfcheetah(const Scenario& s, std::uint64_t seed, const RunOptions& options) {
  const char* assets = std::getenv("THETA_MUJOCO_ASSETS");
  require<ConfigError>(assets != nullptr && *assets != '\0',
                       "ppo-halfcheetah: set THETA_MUJOCO_ASSETS to Gymnasium's mujoco assets folder");
  using Env = TimeLimit<mujoco::HalfCheetah>;
  const mujoco::ModelPtr model = mujoco::load_model(std::filesystem::path(assets) / mujoco::HalfCheetah::model_file);
  const NetworkConfig tanh_64_64{.hidden = {64, 64}, .activation = nn::Activation::tanh};
  const OnPolicyConfig trainer_config{
      .n_envs = 1,                                      // 1 env
      .n_steps = 2048,                                  // x 2048 steps
      .gamma = 0.99,                                    // gamma 0.99
      .gae_lambda = 0.95,                               // lambda 0.95
      .total_steps = s.steps,                           // schedule horizon: the scenario budget
      .normalize_observations = true,                   // observation normalisation (clip 10)
      .normalize_rewards = true,                        // reward normalisation
      .reward_clip = 10.0,                              // (clip 10)
      .seed = seed,
  };
  OnPolicyTrainer<Env, ppo::Ppo> trainer(
      trainer_config,
      ppo::Config{
          .batch_size = 64,                                 // 32 minibatches
          .n_epochs = 10,                                   // 10 epochs
          .learning_rate = Schedule::linear(3e-4, 0.0),     // lr 3e-4 annealed
          .adam_eps = 1e-5,                                 // CleanRL's Adam eps
          .clip_range = 0.2,                                // clip 0.2
          .value_loss = ValueLoss::cleanrl_clipped,         // CleanRL's clipped value loss (with its 1/2)
          .clip_range_vf = 0.2,
          .ent_coef = 0.0,                                  // entropy 0
          .vf_coef = 0.5,                                   // value coef 0.5
          .max_grad_norm = 0.5,                             // grad-norm 0.5
          .actor = tanh_64_64,                              // 64-64 tanh
          .critic = tanh_64_64,
      },
      {}, [&model](std::size_t) { return Env(mujoco::HalfCheetah(model)); });
  return run_trainer(trainer, s, seed, options, 100'000);
}

const bool registered = [] {
  registry().push_back({"ppo-halfcheetah", "PPO HalfCheetah-v5, CleanRL MuJoCo settings (MuJoCo 2.2.2, Debian)",
                        1'000'000, std::numeric_limits<double>::infinity(), "1M steps in < 60 s; return reported",
                        ppo_halfcheetah});
  return true;
}();

}  // namespace
}  // namespace theta::bench
