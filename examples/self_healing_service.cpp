// Corrective action planning with PPO: a simulated service fails in one of three ways and the
// agent learns which corrective action to take from the signals an on-call engineer sees.
// The learned policy is compared with a fixed runbook that always retries.
//
//   ./build/release/examples/self_healing_service [--steps N] [--seed S] [--csv run.csv] [--save F] [--resume F] [--export F]
// ctest-expect: PPO beats the retry rule: yes
//
// The environment is an ordinary struct (see docs/writing-an-environment.md); nothing in it is
// specific to theta except the six members of the contract.
#include <theta/theta.hpp>

#include <fmt/core.h>

#include "command_line.hpp"
#include "training_run.hpp"

#include <array>
#include <cstdint>

// ---- 1. The environment ---------------------------------------------------------------------
// Incidents (hidden from the agent):
//   overload   transient timeouts: retrying gets requests through sometimes, waiting lets load drain;
//   bad deploy a release broke the service: only a rollback fixes it;
//   dead dep   a dependency is down: only switching to the backup fixes it.
// Signals (observed, noisy): error rate, p99 latency, minutes since the last deploy, the
// dependency health check (which raises false alarms), retries so far, elapsed time.
struct ServiceIncident {
  using Observation = Eigen::Matrix<float, 6, 1>;
  using Action = int;  // 0 retry, 1 switch to backup, 2 roll back, 3 wait
  static constexpr std::int64_t max_episode_steps = 20;  // give up after 20 actions (truncated)
  enum Cause { overload, bad_deploy, dead_dependency };

  theta::Box observation_space() const { return theta::Box({0, 0, 0, 0, 0, 0}, {1, 10, 10, 1, 20, 1}); }
  theta::Discrete action_space() const { return {4}; }

  Observation reset(std::uint64_t seed) {
    rng = theta::Rng(seed);
    cause = static_cast<Cause>(rng.below(3));
    // Recent deploys make a bad deploy likely, but deploys also precede other incidents.
    deploy_age = cause == bad_deploy ? rng.uniform(0.0, 1.5) : rng.uniform(0.5, 10.0);
    retries = 0;
    steps = 0;
    return observe();
  }

  theta::StepResult<Observation> step(const Action& action) {
    theta::require<theta::EnvironmentError>(action >= 0 && action < 4, "ServiceIncident: action must be in 0..3, got {}",
                                            action);
    static constexpr std::array<double, 4> cost{0.1, 0.5, 1.0, 0.0};  // failover and rollback are not free
    ++steps;
    bool fixed = false;
    switch (action) {
      case 0: fixed = cause == overload && rng.uniform() < 0.3; ++retries; break;
      case 1: fixed = cause == dead_dependency && rng.uniform() < 0.95; break;
      case 2: fixed = cause == bad_deploy && rng.uniform() < 0.9; break;
      case 3: fixed = cause == overload && rng.uniform() < 0.25; break;
    }
    const double reward = (fixed ? 10.0 : -1.0) - cost[static_cast<std::size_t>(action)];  // -1 per minute of outage
    return {observe(), reward, /*terminated=*/fixed, /*truncated=*/false};
  }

  Observation observe() {
    const double error_rate = cause == overload ? rng.uniform(0.2, 0.5) : rng.uniform(0.6, 1.0);
    const double latency = cause == overload ? rng.uniform(4.0, 10.0) : rng.uniform(0.5, 6.0);  // seconds
    const bool health_alarm = cause == dead_dependency ? rng.uniform() < 0.9 : rng.uniform() < 0.2;
    return Observation(static_cast<float>(error_rate), static_cast<float>(latency), static_cast<float>(deploy_age),
                       health_alarm ? 1.0f : 0.0f, static_cast<float>(retries), static_cast<float>(steps) / 20.0f);
  }

  theta::Rng rng{0};
  Cause cause = overload;
  double deploy_age = 0;
  int retries = 0;
  int steps = 0;
};

// ---- 2. Train PPO on it, then compare with the runbook -----------------------------------------
int main(int argc, char** argv) {
  const std::int64_t total_steps = 150'000;  // the budget: the schedules' horizon
  theta::examples::TrainingFlags flags{.seed = 7};
  theta::examples::CommandLine cli("self_healing_service", "PPO picks the corrective action for a failing service");
  flags.declare(cli, total_steps);
  cli.parse(argc, argv);
  const std::int64_t steps = flags.steps.value_or(total_steps);  // trained in this invocation

  using Env = theta::TimeLimit<ServiceIncident>;
  Env probe;
  theta::check_environment(probe, 0);

  const theta::OnPolicyConfig trainer_config{
      .n_envs = 8,
      .n_steps = 64,
      .gamma = 0.95,
      .total_steps = total_steps,
      .seed = flags.seed,
  };
  const theta::ppo::Config config{
      .batch_size = 128,
      .n_epochs = 10,
      .learning_rate = theta::Schedule::linear(1e-3, 0.0),
      .ent_coef = 0.01,
  };
  theta::OnPolicyTrainer<Env, theta::ppo::Ppo> trainer(trainer_config, config);
  theta::examples::run_training(trainer, flags, steps);

  // The learned policy (deterministic) and the runbook, on the same 500 incidents.
  const auto learned = trainer.evaluate(500, /*seed=*/2026);
  const auto runbook = theta::evaluate_policy(Env{}, 500, 2026, [](const Env::Observation&) { return 0; });
  fmt::print("mean return over 500 incidents: PPO {:.2f} (mean {:.2f} actions), always-retry {:.2f} (mean {:.2f} actions)\n",
             learned.mean_return, learned.mean_length, runbook.mean_return, runbook.mean_length);

  // What the policy does for a typical picture of each cause.
  const char* names[] = {"retry", "switch to backup", "roll back", "wait"};
  const ServiceIncident::Observation typical[] = {
      {0.35f, 7.0f, 5.0f, 0.0f, 0.0f, 0.0f},  // overload: moderate errors, high latency
      {0.8f, 2.0f, 0.5f, 0.0f, 0.0f, 0.0f},   // bad deploy: many errors, a fresh deploy
      {0.8f, 2.0f, 6.0f, 1.0f, 0.0f, 0.0f},   // dead dependency: many errors, health alarm
  };
  const char* causes[] = {"overload", "bad deploy", "dead dependency"};
  for (int c = 0; c < 3; ++c) {
    theta::Matrix<float> obs = typical[c];
    if (trainer.observation_normalizer()) trainer.observation_normalizer()->normalize(obs, obs);
    theta::Matrix<float> action(1, 1);
    theta::Vector<float> log_prob(1);
    theta::Rng unused(0);  // a deterministic action draws nothing
    trainer.actor().act(obs, unused, /*deterministic=*/true, action, log_prob);
    fmt::print("  {:<16} -> {}\n", causes[c], names[static_cast<int>(action(0, 0))]);
  }
  fmt::print("PPO beats the retry rule: {}\n", learned.mean_return > runbook.mean_return ? "yes" : "no");
  return learned.mean_return > runbook.mean_return ? 0 : 1;
}
