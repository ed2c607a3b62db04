// The on-policy scenarios of TARGETS.md, each with exactly its listed hyperparameters; every
// value is commented where it is set. Values TARGETS.md does not list keep theta's defaults,
// which are Stable-Baselines3's (documented in docs/algorithms/).
#include "scenario.hpp"

#include <cmath>

namespace theta::bench {
namespace {

using CartPoleV1 = TimeLimit<CartPole>;
using PendulumV1 = TimeLimit<Pendulum>;

const NetworkConfig tanh_64_64{.hidden = {64, 64}, .activation = nn::Activation::tanh, .init = Init::orthogonal};

RunResult ppo_cartpole_zoo(const Scenario& s, std::uint64_t seed, const RunOptions& options) {
  const OnPolicyConfig trainer_config{
      .n_envs = 8,                                      // 8 envs
      .n_steps = 32,                                    // x 32 steps
      .gamma = 0.98,                                    // gamma 0.98
      .gae_lambda = 0.8,                                // lambda 0.8
      .total_steps = s.steps,                           // schedule horizon: the scenario budget
      .seed = seed,
  };
  OnPolicyTrainer<CartPoleV1, ppo::Ppo> trainer(trainer_config, ppo::Config{
      .batch_size = 256,                                // one minibatch of 256
      .n_epochs = 20,                                   // 20 epochs
      .learning_rate = Schedule::linear(1e-3, 0.0),     // lr 1e-3 annealed linearly to 0
      .clip_range = Schedule::linear(0.2, 0.0),         // clip 0.2 annealed linearly to 0
      .ent_coef = 0.0,                                  // entropy 0
      .vf_coef = 0.5,                                   // value coef 0.5
      .max_grad_norm = 0.5,                             // grad-norm 0.5
      .actor = tanh_64_64,                              // separate 64-64 tanh actor,
      .critic = tanh_64_64,                             // and critic, orthogonal init
  });
  return run_trainer(trainer, s, seed, options, 10'000);
}

RunResult ppo_cartpole_cleanrl(const Scenario& s, std::uint64_t seed, const RunOptions& options) {
  const OnPolicyConfig trainer_config{
      .n_envs = 4,                                      // 4 envs
      .n_steps = 128,                                   // x 128 steps
      .gamma = 0.99,                                    // gamma 0.99
      .gae_lambda = 0.95,                               // lambda 0.95
      .total_steps = s.steps,                           // schedule horizon: the scenario budget
      .seed = seed,
  };
  OnPolicyTrainer<CartPoleV1, ppo::Ppo> trainer(trainer_config, ppo::Config{
      .batch_size = 128,                                // 4 minibatches of 512 / 4
      .n_epochs = 4,                                    // 4 epochs
      .learning_rate = Schedule::linear(2.5e-4, 0.0),   // lr 2.5e-4 annealed
      .adam_eps = 1e-5,                                 // CleanRL's Adam eps
      .clip_range = 0.2,                                // clip 0.2
      .value_loss = ValueLoss::cleanrl_clipped,         // clipped value loss (with CleanRL's 1/2)
      .clip_range_vf = 0.2,                             // value clip = clip_coef
      .normalize_advantage = true,                      // CleanRL norm_adv
      .ent_coef = 0.01,                                 // entropy 0.01
      .vf_coef = 0.5,                                   // value coef 0.5
      .max_grad_norm = 0.5,                             // grad-norm 0.5
      .actor = tanh_64_64,                              // CleanRL's 64-64 tanh agent,
      .critic = tanh_64_64,                             // orthogonal init sqrt(2) / 0.01 / 1
  });
  return run_trainer(trainer, s, seed, options, 25'000);
}

RunResult ppo_pendulum_rltools(const Scenario& s, std::uint64_t seed, const RunOptions& options) {
  const NetworkConfig relu_64_64{.hidden = {64, 64}, .activation = nn::Activation::relu,
                                 .init = Init::torch_default};  // 64-64 ReLU (RLtools' default init)
  const OnPolicyConfig trainer_config{
      .n_envs = 4,                    // 4 envs
      .n_steps = 1024,                // x 1024 steps
      .gamma = 0.9,                   // gamma 0.9
      .gae_lambda = 0.95,             // lambda 0.95
      .total_steps = s.steps,         // schedule horizon: the scenario budget
      .normalize_observations = true, // observation normalisation,
      .observation_statistics_steps = 4 * 1024,  // frozen after the first rollout, as RLtools' warm-up
      .seed = seed,
  };
  OnPolicyTrainer<PendulumV1, ppo::Ppo> trainer(trainer_config, ppo::Config{
      .batch_size = 256,              // minibatch 256
      .n_epochs = 2,                  // 2 epochs
      .learning_rate = 1e-3,          // Adam lr 1e-3
      .adam_eps = 1e-8,               // RLtools' PPO Adam epsilon (its SAC uses 1e-7)
      .clip_range = 0.2,              // clip 0.2
      .normalize_advantage = true,    // advantage normalisation
      .ent_coef = 0.0,                // entropy 0
      .max_grad_norm = 0.0,           // RLtools does not clip gradients
      .actor = relu_64_64,
      .critic = relu_64_64,
      // RLtools' std starts at 2.0 in normalised actions ([-1, 1]); theta's Gaussian acts in
      // torque units and Pendulum's bound is 2 N m, so the same std is 4.0 here.
      .log_std_init = std::log(4.0),
  });
  return run_trainer(trainer, s, seed, options, 20'480);
}

RunResult a2c_cartpole_zoo(const Scenario& s, std::uint64_t seed, const RunOptions& options) {
  const OnPolicyConfig trainer_config{
      .n_envs = 8,              // 8 envs
      .n_steps = 5,             // x 5 steps
      .gamma = 0.99,            // gamma 0.99
      .gae_lambda = 1.0,        // lambda 1
      .total_steps = s.steps,   // schedule horizon: the scenario budget
      .seed = seed,
  };
  // RMSprop is A2C's default optimizer.
  OnPolicyTrainer<CartPoleV1, a2c::A2c> trainer(trainer_config, a2c::Config{
      .learning_rate = 7e-4,    // RMSprop lr 7e-4
      .rms_prop_alpha = 0.99,   // alpha 0.99
      .rms_prop_eps = 1e-5,     // eps 1e-5
      .ent_coef = 0.0,          // entropy 0
      .vf_coef = 0.5,           // value coef 0.5
      .max_grad_norm = 0.5,     // grad-norm 0.5
      .actor = tanh_64_64,      // 64-64 tanh
      .critic = tanh_64_64,
  });
  return run_trainer(trainer, s, seed, options, 25'000);
}

RunResult trpo_cartpole_zoo(const Scenario& s, std::uint64_t seed, const RunOptions& options) {
  const OnPolicyConfig trainer_config{
      .n_envs = 2,                          // 2 envs
      .n_steps = 512,                       // x 512 steps
      .gamma = 0.99,                        // gamma 0.99
      .gae_lambda = 0.98,                   // lambda 0.98
      .total_steps = s.steps,               // schedule horizon: the scenario budget
      .seed = seed,
  };
  OnPolicyTrainer<CartPoleV1, trpo::Trpo> trainer(trainer_config, trpo::Config{
      .target_kl = 0.01,                    // target KL 0.01
      .cg_damping = 1e-3,                   // CG damping 1e-3
      .cg_max_steps = 15,                   // 15 CG steps
      .line_search_max_iter = 10,           // line search 10 steps
      .line_search_shrinking_factor = 0.8,  // x 0.8
      .batch_size = 512,                    // critic minibatch 512
      .n_critic_updates = 20,               // 20 critic updates
      .learning_rate = 1e-3,                // at lr 1e-3
      .actor = tanh_64_64,                  // 64-64 tanh
      .critic = tanh_64_64,
  });
  return run_trainer(trainer, s, seed, options, 10'240);
}

RunResult trpo_pendulum(const Scenario& s, std::uint64_t seed, const RunOptions& options) {
  const OnPolicyConfig trainer_config{
      .n_envs = 2,              // 2 envs
      .n_steps = 1024,          // x 1024 steps
      .gamma = 0.9,             // gamma 0.9
      .gae_lambda = 0.95,       // lambda 0.95
      .total_steps = s.steps,   // schedule horizon: the scenario budget
      .seed = seed,
  };
  OnPolicyTrainer<PendulumV1, trpo::Trpo> trainer(trainer_config, trpo::Config{
      .target_kl = 0.01,        // target KL 0.01
      .n_critic_updates = 15,   // 15 critic updates
      .actor = tanh_64_64,      // 64-64 tanh, no state-dependent exploration
      .critic = tanh_64_64,
  });
  return run_trainer(trainer, s, seed, options, 10'240);
}

RunResult reinforce_cartpole(const Scenario& s, std::uint64_t seed, const RunOptions& options) {
  // The example reads only `terminated` from Gymnasium's step, so its training episodes run
  // past CartPole-v1's 500-step limit until the pole falls or its loop ends at 9,999 steps.
  // Training copy 0 has that limit; the evaluation copy (index n_envs = 1) is CartPole-v1.
  const auto make = [](std::size_t i) { return CartPoleV1(CartPole{}, i == 0 ? 9'999 : 500); };
  const OnPolicyConfig trainer_config{
      .n_steps = 9'999,          // one env; an update per episode (up to 9,999 steps)
      .gamma = 0.99,             // gamma 0.99 (Monte-Carlo returns: REINFORCE's estimator)
      .total_steps = s.steps,    // schedule horizon: the scenario budget
      .seed = seed,
  };
  OnPolicyTrainer<CartPoleV1, reinforce::Reinforce> trainer(trainer_config, reinforce::Config{
      .learning_rate = 1e-2,     // Adam lr 1e-2
      .normalize_returns = true, // returns normalised per episode
      .actor = {.hidden = {128}, .activation = nn::Activation::relu,
                .init = Init::torch_default,
                .dropout = 0.6},           // one 128-unit hidden layer, dropout 0.6, PyTorch init
  }, {}, make);
  return run_trainer(trainer, s, seed, options, 10'000);
}

const bool registered = [] {
  auto& r = registry();
  r.push_back({"ppo-cartpole-zoo", "PPO CartPole-v1, rl-baselines3-zoo settings (8x32, 20 epochs)", 100'000, 475.0,
               "solved 5/5; >= 60k steps/s", ppo_cartpole_zoo});
  r.push_back({"ppo-cartpole-cleanrl", "PPO CartPole-v1, CleanRL ppo.py settings (4x128, 4x4 minibatches)", 500'000,
               475.0, "solved 5/5; >= 300k steps/s", ppo_cartpole_cleanrl});
  r.push_back({"ppo-pendulum-rltools", "PPO Pendulum-v1, RLtools benchmark settings (4x1024, 2 epochs)", 300'000,
               -200.0, "solved 5/5; faster than RLtools (goal <= 0.5 s)", ppo_pendulum_rltools});
  r.push_back({"a2c-cartpole-zoo", "A2C CartPole-v1, SB3 defaults with 8 envs (RMSprop)", 500'000, 475.0,
               "solved >= 4/5; >= 400k steps/s", a2c_cartpole_zoo});
  r.push_back({"trpo-cartpole-zoo", "TRPO CartPole-v1, sb3-contrib zoo settings (2x512)", 100'000, 475.0,
               "solved 5/5; >= 100k steps/s", trpo_cartpole_zoo});
  r.push_back({"trpo-pendulum", "TRPO Pendulum-v1 (2x1024, 15 critic updates, no gSDE)", 100'000, -200.0,
               "solved >= 4/5; >= 100k steps/s", trpo_pendulum});
  r.push_back({"reinforce-cartpole", "REINFORCE CartPole-v1, PyTorch example settings", 200'000, 475.0,
               "solved >= 4/5; >= 300k steps/s", reinforce_cartpole});
  return true;
}();

}  // namespace
}  // namespace theta::bench
