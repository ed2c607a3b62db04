// Recurrent PPO against feed-forward PPO on CartPole with the velocities hidden (issue 15):
// rl-baselines3-zoo's RecurrentPPO entry for CartPoleNoVel-v1 (hyperparams/ppo_lstm.yml), and
// the same PPO settings, budget and environment with SB3's feed-forward MlpPolicy defaults.
//
// The zoo's entry: normalize True, n_envs 8, n_timesteps 1e5, MlpLstmPolicy, n_steps 32,
// batch_size 256, gae_lambda 0.8, gamma 0.98, n_epochs 20, ent_coef 0.0, learning_rate
// lin_0.001, clip_range lin_0.2, policy_kwargs ortho_init=False, activation_fn=nn.ReLU,
// lstm_hidden_size=64, enable_critic_lstm=True, net_arch=dict(pi=[64], vf=[64]). Everything
// else is sb3-contrib's RecurrentPPO default: vf_coef 0.5, max_grad_norm 0.5, clip_range_vf
// None, normalize_advantage True, Adam eps 1e-5, one LSTM layer. `normalize: True` is
// VecNormalize with its defaults (observations and rewards, clip 10, epsilon 1e-8) and the
// algorithm's gamma (rl_zoo3/exp_manager.py, _preprocess_normalization and _maybe_normalize);
// the evaluation environment normalises observations with frozen statistics and returns raw
// rewards, as theta's evaluate does.
#include "scenario.hpp"

namespace theta::bench {
namespace {

using CartPoleNoVel = TimeLimit<CartPoleNoVelocity>;

// The zoo's settings shared by both scenarios.
OnPolicyConfig novel_trainer_config(const Scenario& s, std::uint64_t seed) {
  return {
      .n_envs = 8,                     // 8 envs
      .n_steps = 32,                   // x 32 steps
      .gamma = 0.98,                   // gamma 0.98
      .gae_lambda = 0.8,               // lambda 0.8
      .total_steps = s.steps,          // schedule horizon: the scenario budget (n_timesteps 1e5)
      .normalize_observations = true,  // normalize: True (VecNormalize: observations,
      .normalize_rewards = true,       // and rewards, with the algorithm's gamma)
      .seed = seed,
  };
}

ppo::Config novel_ppo_config() {
  return {
      .batch_size = 256,                             // one minibatch of 256 (8 sequences of 32)
      .n_epochs = 20,                                // 20 epochs
      .learning_rate = Schedule::linear(1e-3, 0.0),  // lin_0.001
      .adam_eps = 1e-5,                              // sb3-contrib's default
      .clip_range = Schedule::linear(0.2, 0.0),      // lin_0.2
      .normalize_advantage = true,                   // default
      .ent_coef = 0.0,                               // entropy 0
      .vf_coef = 0.5,                                // default
      .max_grad_norm = 0.5,                          // default
      // sb3-contrib replays each environment's 32 steps as sequences split at episode
      // starts; theta replays them as one sequence and resets the state at those starts.
      // sb3-contrib also cuts one environment's steps at a random index every epoch
      // (RecurrentRolloutBuffer.get, split_index), the later piece starting from the stored
      // state; theta does not (measured without effect beyond the seed spread:
      // docs/benchmarks.md, "seeds 5-9, and sb3-contrib's random sequence cut").
      .sequence_length = 0,
  };
}

RunResult recurrent_ppo_cartpole_novel(const Scenario& s, std::uint64_t seed, const RunOptions& options) {
  using Actor = RecurrentCategoricalPolicy<float, nn::Cell::lstm>;
  using Critic = RecurrentValueFunction<float, nn::Cell::lstm>;
  // MlpLstmPolicy with enable_critic_lstm: an LSTM of 64 for the actor and another for the
  // critic, then one 64-unit ReLU layer each (net_arch pi=[64], vf=[64]), PyTorch's default
  // initialisation everywhere (ortho_init=False).
  const RecurrentNetworkConfig lstm_64_relu_64{
      .hidden = 64, .init = Init::torch_default, .layers = {64}, .activation = nn::Activation::relu};
  const OnPolicyConfig config = novel_trainer_config(s, seed);
  const ppo::Config rule = novel_ppo_config();
  Rng init(derive_seed(seed, 0x15));
  const CartPoleNoVel env;
  const Index obs_dim = env.observation_space().size();
  const Index n_actions = env.action_space().n;
  Actor actor(obs_dim, n_actions, lstm_64_relu_64, config.n_envs, rule.batch_size, init);
  Critic critic(obs_dim, lstm_64_relu_64, config.n_envs, rule.batch_size, init);
  OnPolicyTrainer<CartPoleNoVel, ppo::Ppo, Actor, Critic> trainer(
      config, rule, {.actor = std::move(actor), .critic = std::move(critic)});
  return run_trainer(trainer, s, seed, options, 10'000);
}

RunResult ppo_cartpole_novel_feed_forward(const Scenario& s, std::uint64_t seed, const RunOptions& options) {
  // ppo::Config's default actor and critic are SB3's MlpPolicy: separate 64-64 tanh networks,
  // orthogonal initialisation (head gains 0.01 and 1).
  OnPolicyTrainer<CartPoleNoVel, ppo::Ppo> trainer(novel_trainer_config(s, seed), novel_ppo_config());
  return run_trainer(trainer, s, seed, options, 10'000);
}

const bool registered = [] {
  auto& r = registry();
  r.push_back({"recurrent-ppo-cartpole-novel",
               "Recurrent PPO (LSTM 64) CartPole-v1 without velocities, rl-baselines3-zoo ppo_lstm CartPoleNoVel-v1",
               100'000, 475.0, "solved >= 4/5", recurrent_ppo_cartpole_novel});
  r.push_back({"recurrent-ppo-cartpole-novel-ff",
               "recurrent-ppo-cartpole-novel's settings with feed-forward PPO (64-64 tanh)", 100'000, 475.0,
               "comparator of recurrent-ppo-cartpole-novel", ppo_cartpole_novel_feed_forward});
  return true;
}();

}  // namespace
}  // namespace theta::bench
