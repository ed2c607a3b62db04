// Training with every on-policy algorithm allocates nothing after warm-up: whole `learn` calls
// (collection, advantage estimation, the update and the trainer's logging record) make no
// Eigen heap allocation and no operator new (see tests/support/allocation_counter.hpp).
#include "support/allocation_counter.hpp"

#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"

namespace {

using CartPoleV1 = theta::TimeLimit<theta::CartPole>;
using PendulumV1 = theta::TimeLimit<theta::Pendulum>;

// Warms up with two learn calls of `steps` (the first builds the logging record's keys), then
// counts what three more allocate.
template <template <class...> class Algo, class Env>
void check_trainer_no_allocation(const theta::OnPolicyConfig& trainer_config,
                         const typename theta::OnPolicyTrainer<Env, Algo>::AlgorithmConfig& config, std::int64_t steps) {
  theta::OnPolicyTrainer<Env, Algo> trainer(trainer_config, config);
  trainer.learn(steps);
  trainer.learn(steps);
  for (int k = 0; k < 3; ++k) {
    const std::int64_t before = trainer.updates();
    const auto learn = theta::test::count_allocations([&] { trainer.learn(steps); });
    REQUIRE(trainer.updates() > before);  // it did update
    CHECK(learn.eigen == 0);
    CHECK(learn.news == 0);
  }
}

}  // namespace

TEST_CASE("On-policy training allocates nothing after warm-up", "[alloc]") {
  SECTION("PPO, discrete, 64-64 at batch 256") {
    check_trainer_no_allocation<theta::ppo::Ppo, CartPoleV1>({.n_envs = 8, .n_steps = 32, .total_steps = 10'000},
                                                      {.batch_size = 256, .n_epochs = 2}, 256);
  }
  SECTION("PPO, continuous, normalisation on, uneven minibatches") {
    check_trainer_no_allocation<theta::ppo::Ppo, PendulumV1>(
        {.n_envs = 2, .n_steps = 100, .total_steps = 10'000, .normalize_observations = true, .normalize_rewards = true},
        {.batch_size = 64, .n_epochs = 2, .target_kl = 0.01}, 200);
  }
  SECTION("A2C") {
    check_trainer_no_allocation<theta::a2c::A2c, CartPoleV1>({.n_envs = 8}, {}, 40);
  }
  SECTION("TRPO, discrete and continuous") {
    check_trainer_no_allocation<theta::trpo::Trpo, CartPoleV1>({.n_envs = 2, .n_steps = 256}, {}, 512);
    check_trainer_no_allocation<theta::trpo::Trpo, PendulumV1>({.n_envs = 2, .n_steps = 256}, {}, 512);
  }
  SECTION("PPO and TRPO on a masked environment (masks read, stored, applied when acting and updating)") {
    using MaskedWalkV0 = theta::TimeLimit<theta::test::MaskedWalk>;
    check_trainer_no_allocation<theta::ppo::Ppo, MaskedWalkV0>({.n_envs = 4, .n_steps = 16}, {.batch_size = 16}, 64);
    check_trainer_no_allocation<theta::trpo::Trpo, MaskedWalkV0>({.n_envs = 2, .n_steps = 32}, {.batch_size = 32}, 64);
  }
  SECTION("REINFORCE with dropout and a baseline") {
    check_trainer_no_allocation<theta::reinforce::Reinforce, CartPoleV1>({.n_steps = 500}, {.use_baseline = true}, 50);
  }
}

TEST_CASE("The allocation counter sees an allocation in the trainer's path", "[alloc]") {
  // Control: building a trainer allocates, and the counter says so.
  const auto a = theta::test::count_allocations([] {
    theta::OnPolicyTrainer<CartPoleV1, theta::ppo::Ppo> trainer({.n_steps = 8}, {.batch_size = 8});
  });
  REQUIRE(a.news > 0);
  REQUIRE(a.eigen > 0);
  // Control: a fresh logging record allocates its keys on the first update.
  theta::OnPolicyTrainer<CartPoleV1, theta::ppo::Ppo> trainer({.n_steps = 8}, {.batch_size = 8});
  const auto first = theta::test::count_allocations([&] { trainer.learn(8); });
  REQUIRE(first.news > 0);
}
