// Collection and updates of every on-policy algorithm allocate nothing after warm-up: no Eigen
// heap allocation and no operator new (see tests/support/allocation_counter.hpp).
#include "support/allocation_counter.hpp"

#include <theta/theta.hpp>

#include <catch2/catch.hpp>

namespace {

using CartPoleV1 = theta::TimeLimit<theta::CartPole>;
using PendulumV1 = theta::TimeLimit<theta::Pendulum>;

// Warms up with one rollout and one update, then counts what further rollouts and updates
// allocate. The LogRecord is kept, so its keys exist after the warm-up (logging itself, which
// formats strings, is outside the hot loop).
template <template <class...> class Algo, class Env, class Config>
void check_no_allocation(const Config& config) {
  theta::OnPolicyTrainer<Env, Algo> trainer(config);
  theta::LogRecord record;
  trainer.collect();
  trainer.algorithm().update(1.0, record);
  for (int k = 0; k < 3; ++k) {
    const auto collect = theta::test::count_allocations([&] { trainer.collect(); });
    CHECK(collect.eigen == 0);
    CHECK(collect.news == 0);
    const auto update = theta::test::count_allocations([&] { trainer.algorithm().update(0.5, record); });
    CHECK(update.eigen == 0);
    CHECK(update.news == 0);
  }
}

}  // namespace

TEST_CASE("On-policy collection and updates allocate nothing after warm-up", "[alloc]") {
  SECTION("PPO, discrete, 64-64 at batch 256") {
    check_no_allocation<theta::ppo::Ppo, CartPoleV1>(
        theta::ppo::Config{.n_envs = 8, .n_steps = 32, .batch_size = 256, .n_epochs = 2});
  }
  SECTION("PPO, continuous, normalisation on, uneven minibatches") {
    check_no_allocation<theta::ppo::Ppo, PendulumV1>(theta::ppo::Config{.n_envs = 2,
                                                                        .n_steps = 100,
                                                                        .batch_size = 64,
                                                                        .n_epochs = 2,
                                                                        .target_kl = 0.01,
                                                                        .normalize_observations = true,
                                                                        .normalize_rewards = true});
  }
  SECTION("A2C") {
    check_no_allocation<theta::a2c::A2c, CartPoleV1>(theta::a2c::Config{.n_envs = 8});
  }
  SECTION("TRPO, discrete and continuous") {
    check_no_allocation<theta::trpo::Trpo, CartPoleV1>(theta::trpo::Config{.n_envs = 2, .n_steps = 256});
    check_no_allocation<theta::trpo::Trpo, PendulumV1>(theta::trpo::Config{.n_envs = 2, .n_steps = 256});
  }
  SECTION("REINFORCE with a baseline") {
    check_no_allocation<theta::reinforce::Reinforce, CartPoleV1>(
        theta::reinforce::Config{.n_steps = 500, .use_baseline = true});
  }
}

TEST_CASE("The allocation counter sees an allocation in the trainer's path", "[alloc]") {
  // Control: building a trainer allocates, and the counter says so.
  const auto a = theta::test::count_allocations([] {
    theta::OnPolicyTrainer<CartPoleV1, theta::ppo::Ppo> trainer(theta::ppo::Config{.n_steps = 8, .batch_size = 8});
  });
  REQUIRE(a.news > 0);
  REQUIRE(a.eigen > 0);
}
