// Bring your own environment: a thermostat written in ~40 lines, checked with
// theta::check_environment and stepped through theta::VectorEnv with a hand-written policy.
//
//   ./build/release/examples/custom_environment
// ctest-expect: bang-bang beats always-off: yes
//
// Any type with these six members satisfies theta::Environment (see docs/writing-an-environment.md).
// The trainers of theta take it as it is.
#include <theta/theta.hpp>

#include <fmt/core.h>

#include "command_line.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

// ---- 1. The environment -------------------------------------------------------------------
// A room heated in 5-minute steps for a day. Reward: minus the distance to 21 degrees, minus
// a small energy cost. If the room drops below 5 degrees the pipes freeze: a large penalty, and
// the episode ends (terminated). Without the penalty, ending early would be the best policy.
struct Thermostat {
  using Observation = Eigen::Vector2f;  // room and outside temperature, degrees C
  using Action = int;                   // 0: heater off, 1: heater on
  static constexpr std::int64_t max_episode_steps = 288;  // used by theta::TimeLimit

  theta::Box observation_space() const { return theta::Box({-60.0, -60.0}, {80.0, 60.0}); }
  theta::Discrete action_space() const { return {2}; }

  Observation reset(std::uint64_t seed) {
    theta::Rng rng(seed);  // everything random comes from the seed: episodes replay exactly
    room = rng.uniform(12.0, 24.0);
    outside = rng.uniform(-15.0, 10.0);
    return observe();
  }

  theta::StepResult<Observation> step(const Action& heater) {
    theta::require<theta::EnvironmentError>(heater == 0 || heater == 1,
                                            "Thermostat: action must be 0 or 1, got {}", heater);
    room += 0.05 * (outside - room) + (heater == 1 ? 1.2 : 0.0);  // heat loss and heating
    const bool frozen = room < 5.0;
    const double reward = -std::abs(room - 21.0) - 0.2 * heater - (frozen ? 10'000.0 : 0.0);
    return {observe(), reward, /*terminated=*/frozen, /*truncated=*/false};
  }

  Observation observe() const { return {static_cast<float>(room), static_cast<float>(outside)}; }

  double room = 20.0;
  double outside = 0.0;
};

// ---- 2. Check it, then step it --------------------------------------------------------------
int main(int argc, char** argv) {
  theta::examples::CommandLine cli("custom_environment", "a thermostat environment, checked and stepped by hand");
  cli.parse(argc, argv);  // no options: --help, and anything else is an error

  using Env = theta::TimeLimit<Thermostat>;  // truncates after Thermostat::max_episode_steps

  Env probe;
  const theta::EnvironmentCheck check = theta::check_environment(probe, /*seed=*/0, /*steps=*/2000);
  fmt::print("check_environment: {} steps over {} episodes, sizes, finiteness and replay OK\n", check.steps,
             check.episodes);

  constexpr std::size_t n_envs = 8;
  theta::VectorEnv<Env> envs(n_envs, /*seed=*/42);

  // Two fixed policies: a bang-bang thermostat and a heater that is never switched on.
  const auto run = [&](auto policy, const char* name) {
    envs.reset();
    std::vector<int> actions(n_envs);
    double total = 0;
    int episodes = 0;
    while (episodes < 32) {
      const auto& obs = envs.observations();  // 2 x n_envs, one column per copy
      for (std::size_t i = 0; i < n_envs; ++i) actions[i] = policy(obs(0, static_cast<Eigen::Index>(i)));
      envs.step(actions);
      for (const theta::EpisodeRecord& e : envs.finished_episodes()) {
        total += e.episode_return;
        ++episodes;
      }
    }
    fmt::print("{:>12}: mean return {:8.1f} over {} episodes\n", name, total / episodes, episodes);
    return total / episodes;
  };
  const double bang_bang = run([](float room) { return room < 21.0f ? 1 : 0; }, "bang-bang");
  const double off = run([](float) { return 0; }, "always off");
  fmt::print("bang-bang beats always-off: {}\n", bang_bang > off ? "yes" : "no");
  return bang_bang > off ? 0 : 1;
}
