// The trainers' divergence guard (issue 13): a diverged run raises NumericalError naming the
// algorithm, the tensor and the update, instead of returning with NaN parameters.
#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"

#include <string>

namespace {

using DriftEnv = theta::TimeLimit<theta::test::Drift>;
const theta::NetworkConfig tiny{.hidden = {8}};
const DriftEnv drift(theta::test::Drift{}, 50);

// Trains until learn returns or throws; returns the message of the NumericalError, if any.
template <class Trainer>
std::string diverge(Trainer& trainer, std::int64_t steps) {
  try {
    trainer.learn(steps);
  } catch (const theta::NumericalError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("PPO with log_std_init = 100 stops with a NumericalError naming the tensor and the update", "[unit]") {
  const theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 16, .seed = 1};
  const theta::ppo::Config config{.batch_size = 16, .actor = tiny, .critic = tiny, .log_std_init = 100.0};
  theta::OnPolicyTrainer<DriftEnv, theta::ppo::Ppo> guarded(trainer, config, {}, drift);
  const std::string message = diverge(guarded, 2000);
  INFO(message);
  CHECK_THAT(message, Catch::StartsWith("ppo: ") && Catch::Contains("after update 1"));

  // Switched off, the same run goes on with NaN parameters until the environment refuses a
  // NaN action and gets the blame: what the guard is for.
  theta::OnPolicyConfig unguarded_config = trainer;
  unguarded_config.check_numerics = false;
  theta::OnPolicyTrainer<DriftEnv, theta::ppo::Ppo> unguarded(unguarded_config, config, {}, drift);
  CHECK_THROWS_WITH(unguarded.learn(2000), Catch::Contains("action[0] must be finite"));
  CHECK_FALSE(unguarded.actor().parameters().allFinite());
}

TEST_CASE("A2C and REINFORCE with a learning rate of 1e3 stop with a NumericalError", "[unit]") {
  const theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 16, .seed = 2};
  theta::OnPolicyTrainer<DriftEnv, theta::a2c::A2c> a2c(
      trainer, {.learning_rate = 1e3, .actor = tiny, .critic = tiny}, {}, drift);
  CHECK_THAT(diverge(a2c, 20000), Catch::StartsWith("a2c: "));

  theta::reinforce::Config config{.learning_rate = 1e3, .use_baseline = true};
  config.actor = tiny;
  config.critic = tiny;
  theta::OnPolicyTrainer<DriftEnv, theta::reinforce::Reinforce> reinforce({.n_envs = 1, .n_steps = 50, .seed = 2},
                                                                          config, {}, drift);
  CHECK_THAT(diverge(reinforce, 20000), Catch::StartsWith("reinforce: "));
}

TEST_CASE("TRPO with log_std_init = 100 and SAC with a learning rate of 1e30 stop with a NumericalError", "[unit]") {
  const theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 16, .seed = 3};
  theta::OnPolicyTrainer<DriftEnv, theta::trpo::Trpo> trpo(
      trainer, {.batch_size = 16, .actor = tiny, .critic = tiny, .log_std_init = 100.0}, {}, drift);
  CHECK_THAT(diverge(trpo, 2000), Catch::StartsWith("trpo: "));

  const theta::OffPolicyConfig off{.learning_starts = 20, .buffer_size = 200, .batch_size = 16, .seed = 3};
  theta::OffPolicyTrainer<DriftEnv> sac(off, {.actor_learning_rate = 1e30, .critic_learning_rate = 1e30,
                                              .actor = tiny, .critic = tiny}, {}, drift);
  CHECK_THAT(diverge(sac, 2000), Catch::StartsWith("sac: "));
}
