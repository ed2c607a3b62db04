// Environment steps per second of the MuJoCo v5 locomotion environments on one core: one
// TimeLimit<Env> stepped with precomputed uniform random actions over the control range and
// reset when an episode ends (resets included, as in training). Needs Gymnasium's model
// files in THETA_MUJOCO_ASSETS. Results are labelled with the MuJoCo build.
//
//   export THETA_MUJOCO_ASSETS=../shared/reference/mujoco-assets
//   ./build/release/benchmarks/theta-micro --benchmark_filter=Mujoco
#include <theta/env/time_limit.hpp>
#include <theta/mujoco.hpp>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

// "MuJoCo 2.2.2 (Debian)" on Debian's libmujoco, the build the reference numbers were taken on.
std::string mujoco_label() {
  const bool debian = std::filesystem::exists("/etc/debian_version");
  return fmt::format("MuJoCo {}{}", mj_versionString(), debian ? " (Debian)" : "");
}

template <class Env>
void MujocoSteps(benchmark::State& state) {
  const char* assets = std::getenv("THETA_MUJOCO_ASSETS");
  if (assets == nullptr || !std::filesystem::is_directory(assets)) {
    state.SkipWithError("set THETA_MUJOCO_ASSETS to Gymnasium's MuJoCo assets folder");
    return;
  }
  theta::TimeLimit<Env> env{Env(std::filesystem::path(assets))};
  const theta::Box space = env.action_space();
  theta::Rng rng(7);
  std::vector<theta::mujoco::Action> actions(1024);
  for (auto& a : actions) a = space.sample<float>(rng);
  std::uint64_t episode = 0;
  env.reset(episode);
  std::size_t k = 0;
  for (auto _ : state) {
    const auto result = env.step(actions[k++ & (actions.size() - 1)]);
    benchmark::DoNotOptimize(result.reward);
    if (result.terminated || result.truncated) env.reset(++episode);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["episodes"] = static_cast<double>(episode);
  state.SetLabel(mujoco_label());
}

BENCHMARK_TEMPLATE(MujocoSteps, theta::mujoco::HalfCheetah)->Name("MujocoSteps/HalfCheetah-v5");
BENCHMARK_TEMPLATE(MujocoSteps, theta::mujoco::Hopper)->Name("MujocoSteps/Hopper-v5");
BENCHMARK_TEMPLATE(MujocoSteps, theta::mujoco::Walker2d)->Name("MujocoSteps/Walker2d-v5");
BENCHMARK_TEMPLATE(MujocoSteps, theta::mujoco::Ant)->Name("MujocoSteps/Ant-v5");
BENCHMARK_TEMPLATE(MujocoSteps, theta::mujoco::Humanoid)->Name("MujocoSteps/Humanoid-v5");

}  // namespace
