// Raw steps per second of the classic-control environments: one environment, stepped in a
// loop with uniformly random actions, reset on termination or at its registered time limit.
// The work is kept alive by benchmark::DoNotOptimize on every StepResult.
#include <theta/core/rng.hpp>
#include <theta/env/classic.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>

namespace {

// 1024 actions drawn in advance, so the benchmark times the environment and not the sampler.
template <class Env>
std::array<typename Env::Action, 1024> random_actions() {
  theta::Rng rng(12345);
  const Env env;
  std::array<typename Env::Action, 1024> actions{};
  for (auto& a : actions) {
    if constexpr (std::integral<typename Env::Action>) {
      a = static_cast<typename Env::Action>(env.action_space().sample(rng));
    } else {
      a = env.action_space().template sample<float>(rng);
    }
  }
  return actions;
}

template <class Env>
void classic_steps(benchmark::State& state) {
  const auto actions = random_actions<Env>();
  Env env;
  std::uint64_t seed = 0;
  env.reset(seed);
  std::int64_t episode_steps = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    auto result = env.step(actions[i++ & 1023]);
    benchmark::DoNotOptimize(result);
    if (result.terminated || ++episode_steps == Env::max_episode_steps) {
      env.reset(++seed);
      episode_steps = 0;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["episodes"] = static_cast<double>(seed);
}

}  // namespace

BENCHMARK_TEMPLATE(classic_steps, theta::CartPole);
BENCHMARK_TEMPLATE(classic_steps, theta::Acrobot);
BENCHMARK_TEMPLATE(classic_steps, theta::MountainCar);
BENCHMARK_TEMPLATE(classic_steps, theta::MountainCarContinuous);
BENCHMARK_TEMPLATE(classic_steps, theta::Pendulum);
