// Learning test: SAC learns Pendulum-v1 with RLtools' benchmark settings (64-64 ReLU, batch
// 100, one gradient step per env step, temperature from 0.5) in 6k steps, about 1 s in
// Release. Fixed seed, a threshold cleared with margin, no retries.
#include <theta/theta.hpp>

#include <catch2/catch.hpp>

using Pendulum = theta::TimeLimit<theta::Pendulum>;

TEST_CASE("SAC learns Pendulum (RLtools settings, 6k steps)", "[learning]") {
  const theta::NetworkConfig relu{.hidden = {64, 64}, .activation = theta::nn::Activation::relu,
                                  .init = theta::Init::torch_default};
  theta::OffPolicyTrainer<Pendulum> trainer(
      {.learning_starts = 100, .buffer_size = 10'000, .batch_size = 100, .total_steps = 6'000, .seed = 0},
      {.actor_learning_rate = 1e-3,
       .critic_learning_rate = 1e-3,
       .alpha_learning_rate = 1e-3,
       .alpha = 0.5,
       .target_entropy = -1.0,
       .actor = relu,
       .critic = relu});
  trainer.learn(6'000);
  const auto eval = trainer.evaluate(20);
  INFO("SAC Pendulum evaluation: " << eval.mean_return);
  // A random policy scores about -1200; -400 is far from it and far below what SAC reaches
  // here (observed -140 with this seed, -136 to -175 over seeds 0-4).
  REQUIRE(eval.mean_return >= -400.0);
  REQUIRE(trainer.episodes_finished() == 30);
}
