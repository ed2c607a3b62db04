// Recurrent PPO learns what needs memory (issue 15): on Cue (tests/support/toy_envs.hpp) the
// cue is seen only at the first step and must be named at the last; a feed-forward policy
// cannot do better than chance (0.5), a recurrent actor and critic trained on sequences can.
#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"

namespace {

using CueLearnEnv = theta::TimeLimit<theta::test::Cue>;

}  // namespace

TEST_CASE("Recurrent PPO remembers the cue; feed-forward PPO cannot", "[learning]") {
  using Actor = theta::RecurrentCategoricalPolicy<float, theta::nn::Cell::lstm>;
  using Critic = theta::RecurrentValueFunction<float, theta::nn::Cell::lstm>;
  const theta::OnPolicyConfig config{.n_envs = 8, .n_steps = 16, .seed = 1};
  const theta::ppo::Config rule{.batch_size = 64, .n_epochs = 10, .learning_rate = 1e-3, .sequence_length = 8};
  const theta::RecurrentNetworkConfig net{.hidden = 32, .layers = {32}};
  theta::Rng rng(7);
  theta::OnPolicyTrainer<CueLearnEnv, theta::ppo::Ppo, Actor, Critic> recurrent(
      config, rule, {.actor = Actor(2, 2, net, 8, 64, rng), .critic = Critic(2, net, 8, 64, rng)},
      CueLearnEnv(theta::test::Cue{}, 100));
  recurrent.learn(24'000);
  // 400 episodes: the cue's share among them is near 0.5 (about 0.5 +- 0.025), which is what
  // a policy without memory earns.
  const theta::EvaluationResult remembered = recurrent.evaluate(400);
  CHECK(remembered.mean_return >= 0.95);

  theta::OnPolicyTrainer<CueLearnEnv, theta::ppo::Ppo> feed_forward(
      config, {.batch_size = 64, .n_epochs = 10, .learning_rate = 1e-3}, {}, CueLearnEnv(theta::test::Cue{}, 100));
  feed_forward.learn(24'000);
  CHECK(feed_forward.evaluate(400).mean_return <= 0.6);
}
