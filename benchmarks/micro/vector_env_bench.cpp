// The cost of VectorEnv over stepping the environments by hand. Both loops step
// TimeLimit<CartPole> copies with the same precomputed random actions and reset finished
// episodes; the hand-written loop keeps nothing but the observations. Reported per
// environment step, so the ratio VectorEnv / raw is the overhead (target <= 1.2).
//
//   ./build/release/benchmarks/theta-micro --benchmark_filter='CartPole(Raw|Vector)'
#include <theta/env/classic/cartpole.hpp>
#include <theta/env/time_limit.hpp>
#include <theta/env/vector_env.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <vector>

namespace {

using Env = theta::TimeLimit<theta::CartPole>;

std::vector<int> random_actions(std::size_t n) {
  theta::Rng rng(7);
  std::vector<int> actions(n);
  for (auto& a : actions) a = static_cast<int>(rng.below(2));
  return actions;
}

void CartPoleRaw(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<int> actions = random_actions(4096 * n);
  std::vector<Env> envs(n);
  Eigen::MatrixXf obs(4, static_cast<Eigen::Index>(n));
  std::vector<std::uint64_t> episode(n, 0);
  for (std::size_t i = 0; i < n; ++i) obs.col(static_cast<Eigen::Index>(i)) = envs[i].reset(i);
  std::size_t k = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto result = envs[i].step(actions[k++ & (actions.size() - 1)]);
      obs.col(static_cast<Eigen::Index>(i)) =
          result.terminated || result.truncated ? envs[i].reset(theta::derive_seed(i, ++episode[i])) : result.observation;
    }
    benchmark::DoNotOptimize(obs.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void CartPoleVectorEnv(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<int> actions = random_actions(4096 * n);
  theta::VectorEnv<Env> envs(n, 1);
  envs.reset();
  std::size_t k = 0;
  for (auto _ : state) {
    envs.step(std::span<const int>(actions.data() + (k & 4095) * n, n));
    ++k;
    benchmark::DoNotOptimize(envs.observations().data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

}  // namespace

BENCHMARK(CartPoleRaw)->Arg(1)->Arg(8);
BENCHMARK(CartPoleVectorEnv)->Arg(1)->Arg(8);
