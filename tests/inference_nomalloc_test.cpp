// theta/inference.hpp's predict allocates nothing after loading (issue 13, "Deployment"): no
// Eigen heap allocation and no operator new (tests/support/allocation_counter.hpp), for each
// action transform, with and without observation normalisation. The trainers' predict after
// its first call allocates nothing either.
#include "support/allocation_counter.hpp"

#include <theta/inference.hpp>
#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include <vector>

namespace {

template <class Policy, class Obs>
void check_predict_allocates_nothing(Policy& policy, const std::vector<Obs>& observations) {
  (void)policy.predict(observations.front());
  float sum = 0;
  const auto a = theta::test::count_allocations([&] {
    for (const Obs& o : observations) sum += policy.predict(o)[0];
  });
  CHECK(std::isfinite(sum));
  CHECK(a.eigen == 0);
  CHECK(a.news == 0);
}

template <class Env>
std::vector<typename Env::Observation> observations_of(Env env) {
  std::vector<typename Env::Observation> out;
  for (std::uint64_t s = 0; s < 50; ++s) out.push_back(env.reset(s) * 3.0F);
  return out;
}

}  // namespace

TEST_CASE("inference::Policy::predict allocates nothing after loading", "[alloc]") {
  using CartPole = theta::TimeLimit<theta::CartPole>;
  using Pendulum = theta::TimeLimit<theta::Pendulum>;
  const theta::NetworkConfig net{.hidden = {64, 64}};
  SECTION("argmax, normalised observations") {
    theta::OnPolicyTrainer<CartPole, theta::ppo::Ppo> trainer({.n_envs = 2, .n_steps = 32, .normalize_observations = true},
                                                              {.actor = net, .critic = net});
    trainer.learn(64);
    auto policy = theta::inference::Policy::parse(theta::io::policy_writer(theta::io::PolicyDescription<float>{
        .network = &trainer.actor().network(), .normalizer = &*trainer.observation_normalizer(),
        .transform = theta::io::ActionTransform::argmax, .action_size = 2}).bytes());
    const auto obs = observations_of(CartPole{});
    check_predict_allocates_nothing(policy, obs);
    // And the trainer's own predict, after its first call.
    (void)trainer.predict(obs.front());
    const auto a = theta::test::count_allocations([&] {
      for (const auto& o : obs) (void)trainer.predict(o);
    });
    CHECK(a.eigen == 0);
    CHECK(a.news == 0);
  }
  SECTION("clip") {
    theta::OnPolicyTrainer<Pendulum, theta::a2c::A2c> trainer({.n_envs = 2}, {.actor = net, .critic = net});
    auto policy = theta::inference::Policy::parse(theta::io::policy_writer(theta::io::PolicyDescription<float>{
        .network = &trainer.actor().network(), .transform = theta::io::ActionTransform::clip, .action_size = 1,
        .low = Eigen::VectorXd::Constant(1, -2.0), .high = Eigen::VectorXd::Constant(1, 2.0)}).bytes());
    check_predict_allocates_nothing(policy, observations_of(Pendulum{}));
  }
  SECTION("tanh_rescale, 256-256 ReLU (SAC's default actor)") {
    theta::OffPolicyTrainer<Pendulum> trainer({});
    auto policy = theta::inference::Policy::parse(theta::io::policy_writer(theta::io::PolicyDescription<float>{
        .network = &trainer.actor().network(), .transform = theta::io::ActionTransform::tanh_rescale, .action_size = 1,
        .low = Eigen::VectorXd::Constant(1, -2.0), .high = Eigen::VectorXd::Constant(1, 2.0)}).bytes());
    check_predict_allocates_nothing(policy, observations_of(Pendulum{}));
  }
}
