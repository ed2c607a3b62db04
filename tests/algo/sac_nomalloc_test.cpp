// Proves that a SAC gradient step (sampling the batch, as the trainer does, and the update)
// allocates nothing after warm-up, with SB3's 256-256 networks
// at batch 256 (where Eigen's own products would heap-allocate their GEMM packing blocks,
// TARGETS.md) and with RLtools' 64-64 networks at batch 100. The detectors are in
// support/allocation_counter.hpp, which must come first.
#include "support/allocation_counter.hpp"  // first: it configures Eigen

#include "algo/make_sac.hpp"

#include <theta/algo/sac.hpp>

#include <catch2/catch.hpp>

#include <utility>

namespace {

using theta::Index;
using theta::test::Allocations;
using theta::test::count_allocations;

using theta::test::SacWithReplay;
using theta::test::make_sac;

template <class T>
void check_update(const theta::sac::Config& config, Index batch_size, Index obs_dim, Index act_dim) {
  INFO("hidden " << config.actor.hidden.front() << ", batch " << batch_size << ", "
                 << (sizeof(T) == 4 ? "float" : "double"));
  theta::Rng rng(5);
  SacWithReplay<T> run(config, /*buffer_size=*/2000, {.obs_dim = obs_dim, .action_dim = act_dim, .batch_size = batch_size},
                       rng);
  auto& sac = run.sac;
  theta::Vector<T> obs(obs_dim), next(obs_dim), action(act_dim);
  for (int i = 0; i < 1000; ++i) {
    for (Index d = 0; d < obs_dim; ++d) obs[d] = rng.normal<T>(), next[d] = rng.normal<T>();
    for (Index d = 0; d < act_dim; ++d) action[d] = rng.uniform<T>(T(-1), T(1));
    run.buffer.add(obs, action, rng.normal(), next, i % 50 == 0);
  }
  run.update(1.0);  // warm-up
  const theta::Vector<T> before = sac.actor().parameters();
  const Allocations a = count_allocations([&] {
    for (int i = 0; i < 3; ++i) run.update(0.5);
  });
  CHECK(a.eigen == 0);
  CHECK(a.news == 0);
  // The updates did their work.
  CHECK(sac.updates() == 4);
  CHECK(sac.actor().parameters() != before);
  CHECK(sac.actor().parameters().allFinite());
}

}  // namespace

TEST_CASE("A SAC gradient step allocates nothing after warm-up", "[alloc]") {
  const theta::NetworkConfig relu_256{.hidden = {256, 256}, .activation = theta::nn::Activation::relu,
                                      .init = theta::Init::torch_default};
  const theta::NetworkConfig relu_64{.hidden = {64, 64}, .activation = theta::nn::Activation::relu,
                                     .init = theta::Init::torch_default};
  SECTION("SB3 defaults: 256-256, batch 256, Pendulum sizes") {
    check_update<float>({.actor = relu_256, .critic = relu_256}, /*batch_size=*/256, 3, 1);
  }
  SECTION("RLtools: 64-64, batch 100, fixed temperature, tanh log-std bound") {
    check_update<float>({.learn_alpha = false, .actor = relu_64, .critic = relu_64,
                         .log_std = {.bound = theta::LogStdBound::tanh, .min = -5, .max = 2}},
                        /*batch_size=*/100, 3, 1);
  }
  SECTION("double, 6-d actions") {
    check_update<double>({.actor = relu_64, .critic = relu_64}, /*batch_size=*/64, 17, 6);
  }
}

TEST_CASE("The allocation detectors see a SAC built inside the counted region", "[alloc]") {
  // Building allocates (networks, workspaces): the detectors must say so, or the test above
  // could pass with detectors that see nothing.
  theta::Rng rng(1);
  const Allocations a = count_allocations([&] {
    auto sac = make_sac<float>({}, {.obs_dim = 3, .action_dim = 1, .batch_size = 4}, rng);
    CHECK(sac.updates() == 0);
  });
  CHECK(a.news + a.eigen > 0);
}
