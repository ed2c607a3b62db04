// Learning tests: each on-policy algorithm learns CartPole (and PPO and TRPO Pendulum) within
// a fixed budget, with a fixed seed and a threshold it clears with margin. No retries. Release
// builds take a few seconds in all; the sanitizer run skips this label.
#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <span>

using CartPole = theta::TimeLimit<theta::CartPole>;
using Pendulum = theta::TimeLimit<theta::Pendulum>;

TEST_CASE("PPO learns CartPole (zoo settings, 100k steps)", "[learning]") {
  theta::OnPolicyTrainer<CartPole, theta::ppo::Ppo> trainer(
      {.n_envs = 8, .n_steps = 32, .gamma = 0.98, .gae_lambda = 0.8, .total_steps = 100'000, .seed = 0},
      {.batch_size = 256,
       .n_epochs = 20,
       .learning_rate = theta::Schedule::linear(1e-3, 0.0),
       .clip_range = theta::Schedule::linear(0.2, 0.0)});
  trainer.learn(100'000);
  const auto eval = trainer.evaluate(20);
  INFO("PPO CartPole evaluation: " << eval.mean_return);
  REQUIRE(eval.mean_return >= 475.0);  // observed 500 on seeds 0-4
}

TEST_CASE("A2C learns CartPole (SB3 defaults, 8 envs)", "[learning]") {
  theta::OnPolicyTrainer<CartPole, theta::a2c::A2c> trainer({.n_envs = 8, .total_steps = 300'000, .seed = 1});
  theta::EvalCallback eval{.every_steps = 25'000, .episodes = 20, .stop_at_reward = 475.0};
  trainer.learn(300'000, theta::NullLogger{}, eval);
  INFO("A2C solved at step " << eval.solved_at_step.value_or(-1));
  REQUIRE(eval.solved_at_step.has_value());  // observed: 100k steps
}

TEST_CASE("TRPO learns CartPole (zoo settings, 100k steps)", "[learning]") {
  theta::OnPolicyTrainer<CartPole, theta::trpo::Trpo> trainer(
      {.n_envs = 2, .n_steps = 512, .gae_lambda = 0.98, .total_steps = 100'000, .seed = 0},
      {.cg_damping = 1e-3, .batch_size = 512, .n_critic_updates = 20});
  trainer.learn(100'000);
  const auto eval = trainer.evaluate(20);
  INFO("TRPO CartPole evaluation: " << eval.mean_return);
  REQUIRE(eval.mean_return >= 475.0);  // observed 500 on seeds 0-2
}

TEST_CASE("REINFORCE learns CartPole (PyTorch example settings)", "[learning]") {
  // Training episodes end when the pole falls or at the example's 9,999-step bound; the
  // evaluation copy (index 1) is CartPole-v1.
  theta::OnPolicyTrainer<CartPole, theta::reinforce::Reinforce> trainer(
      {.n_steps = 9'999, .total_steps = 200'000, .seed = 0}, {}, {},
      [](std::size_t i) { return CartPole(theta::CartPole{}, i == 0 ? 9'999 : 500); });
  theta::EvalCallback eval{.every_steps = 10'000, .episodes = 20, .stop_at_reward = 475.0};
  trainer.learn(200'000, theta::NullLogger{}, eval);
  INFO("REINFORCE solved at step " << eval.solved_at_step.value_or(-1));
  REQUIRE(eval.solved_at_step.has_value());  // observed: 10k steps (dropout 0.6, as the example)
}

TEST_CASE("PPO learns Pendulum (RLtools settings, 300k steps)", "[learning]") {
  const theta::NetworkConfig relu{.hidden = {64, 64}, .activation = theta::nn::Activation::relu,
                                  .init = theta::Init::torch_default};
  theta::OnPolicyTrainer<Pendulum, theta::ppo::Ppo> trainer(
      {.n_envs = 4, .n_steps = 1024, .gamma = 0.9, .total_steps = 300'000, .normalize_observations = true, .seed = 0},
      {.batch_size = 256,
       .n_epochs = 2,
       .learning_rate = 1e-3,
       .adam_eps = 1e-7,
       .max_grad_norm = 0.0,
       .actor = relu,
       .critic = relu,
       .log_std_init = std::log(2.0)});
  trainer.learn(300'000);
  const auto eval = trainer.evaluate(20);
  INFO("PPO Pendulum evaluation: " << eval.mean_return);
  // A random policy scores about -1200; -400 is far from it and far below what PPO reaches
  // here (observed -149 with this seed, -150 to -230 over seeds 0-7).
  REQUIRE(eval.mean_return >= -400.0);
}

TEST_CASE("TRPO learns Pendulum (100k steps)", "[learning]") {
  theta::OnPolicyTrainer<Pendulum, theta::trpo::Trpo> trainer(
      {.n_envs = 2, .n_steps = 1024, .gamma = 0.9, .gae_lambda = 0.95, .total_steps = 100'000, .seed = 1},
      {.n_critic_updates = 15});
  trainer.learn(100'000);
  const auto eval = trainer.evaluate(20);
  INFO("TRPO Pendulum evaluation: " << eval.mean_return);
  REQUIRE(eval.mean_return >= -400.0);  // observed -157 with this seed; random: about -1200
}

TEST_CASE("A3C learns CartPole (2 workers taking turns, default settings)", "[learning]") {
  theta::AsyncTrainer<CartPole, theta::a3c::A3c> trainer({.workers = 2, .deterministic = true, .seed = 1});
  theta::EvalCallback eval{.every_steps = 10'000, .episodes = 20, .stop_at_reward = 475.0};
  trainer.learn(100'000, theta::NullLogger{}, eval);
  INFO("A3C (deterministic) solved at step " << eval.solved_at_step.value_or(-1));
  REQUIRE(eval.solved_at_step.has_value());  // observed: 20k steps (10-episode checks: seeds 0-7 by 110k)
}

TEST_CASE("A3C learns CartPole (2 worker threads, default settings)", "[learning]") {
  // Asynchronous: not the same run twice. 30 runs (seeds 0-9, three times; 10-episode checks
  // every 10k steps) solved it by 83k steps, half of them by 62k; the budget is 200k.
  theta::AsyncTrainer<CartPole, theta::a3c::A3c> trainer({.workers = 2, .seed = 0});
  theta::EvalCallback eval{.every_steps = 10'000, .episodes = 20, .stop_at_reward = 475.0};
  trainer.learn(200'000, theta::NullLogger{}, eval);
  INFO("A3C (threads) solved at step " << eval.solved_at_step.value_or(-1));
  REQUIRE(eval.solved_at_step.has_value());
}

namespace {

// A masked multi-discrete contextual bandit (issue 15): the context c in {0, 1, 2, 3} (one-hot
// observation) pays 1 for dimension 0's action c (of 4) and 1 for dimension 1's action c % 3
// (of 3); in each dimension one wrong action per context is masked, and refused if taken. One
// step per episode. Uniform play among the valid actions earns 1/3 + 1/2 on average, the best 2.
struct TwoChoices {
  using Observation = Eigen::Vector4f;
  using Action = theta::MultiDiscreteAction;
  theta::Box observation_space() const { return theta::Box({0, 0, 0, 0}, {1, 1, 1, 1}); }
  theta::MultiDiscrete action_space() const { return {4, 3}; }
  Observation reset(std::uint64_t seed) {
    context = static_cast<int>(theta::Rng(seed).below(4));
    return Observation::Unit(context);
  }
  void action_mask(std::span<bool> valid) const {
    std::fill(valid.begin(), valid.end(), true);
    valid[static_cast<std::size_t>((context + 1) % 4)] = false;
    valid[static_cast<std::size_t>(4 + (context + 1) % 3)] = false;
  }
  theta::StepResult<Observation> step(const Action& a) {
    bool valid[7];
    action_mask(valid);
    theta::require<theta::EnvironmentError>(valid[a[0]] && valid[4 + a[1]], "TwoChoices: ({}, {}) is masked", a[0],
                                            a[1]);
    const double reward = (a[0] == context ? 1.0 : 0.0) + (a[1] == context % 3 ? 1.0 : 0.0);
    return {Observation::Unit(context), reward, true, false};
  }
  int context = 0;
};

}  // namespace

TEST_CASE("Masked multi-discrete PPO learns two independent choices (8k steps)", "[learning]") {
  theta::OnPolicyTrainer<TwoChoices, theta::ppo::Ppo> trainer(
      {.n_envs = 8, .n_steps = 16, .total_steps = 8192, .seed = 3},
      {.batch_size = 64, .n_epochs = 4, .learning_rate = 3e-3, .actor = {.hidden = {32}}, .critic = {.hidden = {32}}});
  const auto before = trainer.evaluate(40);
  trainer.learn(8192);
  const auto eval = trainer.evaluate(40);
  INFO("before training " << before.mean_return << ", after " << eval.mean_return);
  REQUIRE(eval.mean_return >= 1.9);  // observed 2 (every context, both choices) on seeds 0-9 from 2,048 steps
}
