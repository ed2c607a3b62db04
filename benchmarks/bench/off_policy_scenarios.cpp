// The SAC scenarios of TARGETS.md, each with exactly its listed hyperparameters; every value is
// commented where it is set. Values TARGETS.md does not list keep theta's defaults, which are
// Stable-Baselines3's (docs/algorithms/sac.md).
#include "scenario.hpp"

namespace theta::bench {
namespace {

using PendulumV1 = TimeLimit<Pendulum>;

RunResult sac_pendulum_rltools(const Scenario& s, std::uint64_t seed, const RunOptions& options) {
  const NetworkConfig relu_64_64{.hidden = {64, 64}, .activation = nn::Activation::relu,
                                 .init = Init::torch_default};  // 64-64 ReLU actor and twin critics
  const OffPolicyConfig trainer_config{
      .train_freq = 1,               // one gradient step
      .gradient_steps = 1,           // per env step
      .buffer_size = 10'000,         // holds the whole run
      .batch_size = 100,             // batch 100
      .gamma = 0.99,                 // gamma 0.99
      .total_steps = s.steps,        // schedule horizon: the scenario budget
      .seed = seed,
  };
  OffPolicyTrainer<PendulumV1> trainer(trainer_config, sac::Config{
      .tau = 0.005,                  // tau 0.005
      .actor_learning_rate = 1e-3,   // RLtools' Adam default
      .critic_learning_rate = 1e-3,
      .alpha_learning_rate = 1e-3,
      .adam_eps = 1e-7,              // RLtools' SAC Adam epsilon (its PPO uses 1e-8)
      .learn_alpha = true,           // learned temperature
      .alpha = 0.5,                  // starting at 0.5
      .target_entropy = -1.0,        // target entropy -1
      .actor = relu_64_64,
      .critic = relu_64_64,
      .log_std = {.bound = LogStdBound::clamp, .min = -20.0, .max = 2.0},  // log-std in [-20, 2]
  });
  return run_trainer(trainer, s, seed, options, 2'000);
}

RunResult sac_pendulum_zoo(const Scenario& s, std::uint64_t seed, const RunOptions& options) {
  const OffPolicyConfig trainer_config{
      .learning_starts = 100,        // learning starts 100
      .buffer_size = 1'000'000,      // buffer 1M
      .batch_size = 256,             // batch 256
      .gamma = 0.99,                 // gamma 0.99
      .total_steps = s.steps,        // schedule horizon: the scenario budget
      .seed = seed,
  };
  OffPolicyTrainer<PendulumV1> trainer(trainer_config, sac::Config{
      .tau = 0.005,                  // tau 0.005
      .actor_learning_rate = 1e-3,   // lr 1e-3 (zoo)
      .critic_learning_rate = 1e-3,
      .alpha_learning_rate = 1e-3,
      .learn_alpha = true,           // automatic temperature (SB3 starts it at 1)
      .target_entropy = -1.0,        // target entropy -1
      .actor = {.hidden = {256, 256}, .activation = nn::Activation::relu, .init = Init::torch_default},   // 256-256
      .critic = {.hidden = {256, 256}, .activation = nn::Activation::relu, .init = Init::torch_default},  // ReLU
  });
  return run_trainer(trainer, s, seed, options, 2'000);
}

const bool registered = [] {
  auto& r = registry();
  r.push_back({"sac-pendulum-rltools", "SAC Pendulum-v1, RLtools benchmark settings (64-64, batch 100)", 10'000, -200.0,
               "faster than RLtools (goal <= 2.0 s)", sac_pendulum_rltools});
  r.push_back({"sac-pendulum-zoo", "SAC Pendulum-v1, SB3 defaults (256-256, batch 256, lr 1e-3)", 20'000, -200.0,
               "solved 5/5; >= 180 steps/s", sac_pendulum_zoo});
  return true;
}();

}  // namespace
}  // namespace theta::bench
