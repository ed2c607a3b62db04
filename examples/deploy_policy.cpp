// Runs an exported policy (a trainer's `export_policy(path)`) on a built-in environment, with
// theta/inference.hpp and the environment's header only: no trainer, optimizer or logger.
//
//     deploy_policy --policy cartpole.policy --env CartPole-v1 --episodes 10 --seed 0
//
// Environments are named as in Gymnasium and carry Gymnasium's time limits: CartPole-v1,
// Acrobot-v1, MountainCar-v0, MountainCarContinuous-v0, Pendulum-v1. Episode k starts from
// reset(derive_seed(seed, k)), as `trainer.evaluate(episodes, seed)` does, so a deployed policy
// replays the trainer's evaluation. Prints `mean return: X`. Exit status: 0, 1 when the policy
// file cannot be loaded or does not fit the environment (the message says why), 2 for a bad
// command line (with the usage line).
#include <theta/inference.hpp>

#include <theta/core/rng.hpp>
#include <theta/env/classic/acrobot.hpp>
#include <theta/env/classic/cartpole.hpp>
#include <theta/env/classic/mountain_car.hpp>
#include <theta/env/classic/mountain_car_continuous.hpp>
#include <theta/env/classic/pendulum.hpp>
#include <theta/env/time_limit.hpp>

#include "command_line.hpp"

#include <cstdint>
#include <filesystem>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

// A policy that does not fit the environment: exit status 1, like a bad file.
struct Mismatch : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Plays `episodes` episodes of Env under its Gymnasium time limit and returns the mean return.
template <class Env>
double run(theta::inference::Policy& policy, std::int64_t episodes, std::uint64_t seed) {
  theta::TimeLimit<Env> env;
  const auto obs_size = env.observation_space().size();
  if (policy.observation_size() != obs_size) {
    throw Mismatch("the policy takes observations of " + std::to_string(policy.observation_size()) + " entries, " +
                   std::string(Env::id) + " gives " + std::to_string(obs_size));
  }
  constexpr bool discrete = theta::DiscreteEnvironment<Env>;
  if (policy.is_discrete() != discrete) {
    throw Mismatch(std::string("the policy has ") + (policy.is_discrete() ? "discrete" : "continuous") + " actions, " +
                   std::string(Env::id) + " " + (discrete ? "discrete" : "continuous") + " ones");
  }
  if constexpr (discrete) {
    if (policy.n_actions() != env.action_space().n) {
      throw Mismatch("the policy chooses among " + std::to_string(policy.n_actions()) + " actions, " +
                     std::string(Env::id) + " has " + std::to_string(env.action_space().n));
    }
  } else if (policy.action_size() != env.action_space().size()) {
    throw Mismatch("the policy's actions have " + std::to_string(policy.action_size()) + " entries, " +
                   std::string(Env::id) + " takes " + std::to_string(env.action_space().size()));
  }

  double total = 0;
  for (std::int64_t k = 0; k < episodes; ++k) {
    auto obs = env.reset(theta::derive_seed(seed, static_cast<std::uint64_t>(k)));
    for (;;) {
      typename Env::Action action{};
      if constexpr (discrete) {
        action = static_cast<typename Env::Action>(policy.predict_index(obs));
      } else {
        action = policy.predict(obs).template cast<typename Env::Action::Scalar>();
      }
      const auto step = env.step(action);
      total += step.reward;
      if (step.terminated || step.truncated) break;
      obs = step.observation;
    }
  }
  return total / static_cast<double>(episodes);
}

// The whole string as a number of type I, or false.
}  // namespace

int main(int argc, char** argv) {
  // ---- 1. Command line
  std::filesystem::path policy_path;
  std::string env_name;
  std::int64_t episodes = 10;
  std::uint64_t seed = 0;
  theta::examples::CommandLine cli("deploy_policy", "Runs an exported policy on a Gymnasium-named environment");
  cli.add("--policy", policy_path, "FILE", "the policy file a trainer's export_policy wrote (required)");
  cli.add("--env", env_name, "NAME",
          "CartPole-v1, Acrobot-v1, MountainCar-v0, MountainCarContinuous-v0 or Pendulum-v1 (required)");
  cli.add("--episodes", episodes, "N", "episodes to run", {.min = 1});
  cli.add("--seed", seed, "S", "episode k starts from reset(derive_seed(S, k))");
  cli.parse(argc, argv);
  if (policy_path.empty()) cli.fail("--policy is required");
  if (env_name.empty()) cli.fail("--env is required");
  if (env_name != "CartPole-v1" && env_name != "Acrobot-v1" && env_name != "MountainCar-v0" &&
      env_name != "MountainCarContinuous-v0" && env_name != "Pendulum-v1") {
    cli.fail("unknown environment '" + env_name + "'");
  }

  // ---- 2. The policy, then the episodes
  try {
    auto policy = theta::inference::Policy::load(policy_path);
    double mean = 0;
    if (env_name == "CartPole-v1") mean = run<theta::CartPole>(policy, episodes, seed);
    if (env_name == "Acrobot-v1") mean = run<theta::Acrobot>(policy, episodes, seed);
    if (env_name == "MountainCar-v0") mean = run<theta::MountainCar>(policy, episodes, seed);
    if (env_name == "MountainCarContinuous-v0") mean = run<theta::MountainCarContinuous>(policy, episodes, seed);
    if (env_name == "Pendulum-v1") mean = run<theta::Pendulum>(policy, episodes, seed);
    std::printf("mean return: %.3f\n", mean);
  } catch (const theta::CheckpointError& e) {
    std::fprintf(stderr, "deploy_policy: %s\n", e.what());
    return 1;
  } catch (const Mismatch& e) {
    std::fprintf(stderr, "deploy_policy: '%s' does not fit %s: %s\n", policy_path.string().c_str(), env_name.c_str(), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "deploy_policy: %s\n", e.what());
    return 1;
  }
  return 0;
}
