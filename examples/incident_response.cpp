// Corrective action planning: a service is down for a hidden cause (transient overload, bad
// deploy, dead dependency, data corruption, or a bad deploy that corrupts data and needs a roll
// back then a restore). Each step is one corrective action with a time and a cost; some actions
// are unavailable in some states (the environment's action_mask); the symptoms are noisy and
// overlap between causes, and the next observation says what the last action did. Over the same
// 1,000 incidents, an expert runbook written by hand, an oracle that knows the cause and PPO with
// a feed-forward policy are compared by time to recovery and cost (docs/corrective-actions.md).
//
//   ./build/release/examples/incident_response [--full] [--steps N] [--seed S] [--csv run.csv] [--save F] [--resume F] [--export F]
// ctest-expect: feed-forward PPO beats the runbook: yes
//
// The environment, the two hand-written policies and the evaluation are in examples/support/
// (incident_response.hpp, incident_policies.hpp, incident_evaluation.hpp): copy them along.
#include <theta/theta.hpp>

#include <fmt/core.h>

#include "command_line.hpp"
#include "incident_evaluation.hpp"
#include "incident_policies.hpp"
#include "incident_response.hpp"
#include "training_run.hpp"

#include <cstdint>
#include <vector>

namespace {

using theta::examples::IncidentReport;
using theta::examples::IncidentResponse;

void print_row(const char* name, const IncidentReport& r) {
  fmt::print("{:<32} {:>9.1f} {:>7.1f} {:>7.1f} {:>9.1f}% {:>8.2f} {:>8.2f}\n", name, r.mean_minutes, r.mean_cost,
             r.mean_total(), 100.0 * r.recovery_rate, r.mean_actions, r.mean_refused);
}

}  // namespace

int main(int argc, char** argv) {
  // ---- 1. Configuration
  bool full = false;
  theta::examples::TrainingFlags flags{.seed = 0};
  theta::examples::CommandLine cli("incident_response",
                                   "runbook, oracle and PPO on incidents with a hidden cause, over 1,000 incidents");
  flags.declare(cli);
  cli.add("--full", full, "train the full budget (2,000,000 steps) instead of the short one (200,000) that CTest runs");
  cli.parse(argc, argv);
  const std::int64_t total_steps = full ? 2'000'000 : 200'000;  // the budget: the schedules' horizon
  const std::int64_t steps = flags.steps.value_or(total_steps);  // trained in this invocation

  using Env = IncidentResponse;  // truncates by itself at 120 minutes: no theta::TimeLimit
  Env probe;
  theta::check_environment(probe, /*seed=*/0, /*steps=*/5000);

  const theta::OnPolicyConfig trainer_config{
      .n_envs = 16,
      .n_steps = 64,
      .gamma = 0.99,
      .gae_lambda = 0.95,
      .total_steps = total_steps,
      .normalize_rewards = true,  // rewards are minutes and costs, -5 to -85 a step
      .seed = flags.seed,
  };
  const theta::ppo::Config config{
      .batch_size = 256,
      .n_epochs = 10,
      .learning_rate = theta::Schedule::linear(1e-3, 0.0),
      .ent_coef = 0.01,
  };

  // ---- 2. Train feed-forward PPO on the unmasked environment: an action the mask forbids is
  // refused (5 minutes and a cost of 5), so the policy learns the rules from the penalty.
  // (WithoutActionMask hides action_mask, which would otherwise make the trainer mask.)
  theta::OnPolicyTrainer<theta::WithoutActionMask<Env>, theta::ppo::Ppo> trainer(trainer_config, config);
  theta::examples::run_training(trainer, flags, steps);

  // ---- 3. Every policy on the same 1,000 incidents
  const std::vector<std::uint64_t> seeds = theta::examples::incident_seeds(1000);
  const IncidentReport runbook = theta::examples::evaluate_incidents(seeds, theta::examples::Runbook{});
  const IncidentReport oracle = theta::examples::evaluate_incidents(seeds, theta::examples::Oracle{});
  const IncidentReport escalate = theta::examples::evaluate_incidents(
      seeds, [](const Env&, const Env::Observation&) { return Env::escalate; });
  const IncidentReport ppo = theta::examples::evaluate_incidents(
      seeds, [&](const Env&, const Env::Observation& obs) { return trainer.predict(obs); });

  fmt::print("\nover the same {} incidents (time in minutes; cost in minutes of outage):\n", seeds.size());
  fmt::print("{:<32} {:>9} {:>7} {:>7} {:>10} {:>8} {:>8}\n", "policy", "TTR", "cost", "total", "recovered",
             "actions", "refused");
  print_row("escalate every incident", escalate);
  print_row("expert runbook", runbook);
  print_row("oracle (knows the cause)", oracle);
  print_row(full ? "PPO, feed-forward (2M steps)" : "PPO, feed-forward (200k steps)", ppo);

  fmt::print("\nmean time to recovery by cause (runbook / oracle / PPO):\n");
  for (int c = 0; c < Env::cause_count; ++c) {
    const auto k = static_cast<std::size_t>(c);
    fmt::print("  {:<26} {:>4} incidents  {:>6.1f} / {:>6.1f} / {:>6.1f}\n",
               Env::cause_name(static_cast<Env::Cause>(c)), runbook.by_cause_incidents[k],
               runbook.by_cause_minutes[k], oracle.by_cause_minutes[k], ppo.by_cause_minutes[k]);
  }
  // The share of the runbook's excess over the oracle that a policy removes (1: oracle, 0: runbook).
  const double gap = runbook.mean_total() - oracle.mean_total();
  fmt::print("\nPPO closes {:.0f}% of the runbook-to-oracle gap in total cost\n",
             100.0 * (runbook.mean_total() - ppo.mean_total()) / gap);
  // Seeds 0-3 all clear the runbook at the CTest budget by about 6 (docs/corrective-actions.md).
  const bool beats_runbook = ppo.mean_total() < runbook.mean_total();
  fmt::print("feed-forward PPO beats the runbook: {}\n", beats_runbook ? "yes" : "no");
  return beats_runbook ? 0 : 1;
}
