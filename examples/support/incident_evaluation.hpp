#pragma once
// evaluate_incidents: runs a policy over a fixed list of incidents of IncidentResponse and
// reports what an operations team reads: mean time to recovery, mean cost, recovery rate, by
// cause too. Every policy of the incident_response example is measured on the same incidents.
//
//     const auto seeds = theta::examples::incident_seeds(1000);
//     const auto runbook = theta::examples::evaluate_incidents(seeds, theta::examples::Runbook{});
//     const auto ppo = theta::examples::evaluate_incidents(seeds, theta::examples::TrainedPolicy(trainer));

#include "incident_response.hpp"

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace theta::examples {

/// The incidents of an evaluation: incident k starts from `reset(derive_seed(seed, k))`.
[[nodiscard]] inline std::vector<std::uint64_t> incident_seeds(std::size_t n, std::uint64_t seed = 2026) {
  std::vector<std::uint64_t> seeds(n);
  for (std::size_t k = 0; k < n; ++k) seeds[k] = derive_seed(seed, k);
  return seeds;
}

/// What a policy achieved over a list of incidents.
struct IncidentReport {
  std::size_t incidents = 0;
  double mean_minutes = 0;   ///< time to recovery; an incident cut by the time limit counts its minutes at the cut
  double mean_cost = 0;      ///< cost of the actions, refusals included
  double recovery_rate = 0;  ///< fraction recovered before the time limit
  double mean_actions = 0;   ///< actions per incident
  double mean_refused = 0;   ///< actions refused per incident (sent against the mask)
  std::array<std::size_t, IncidentResponse::cause_count> by_cause_incidents{};
  std::array<double, IncidentResponse::cause_count> by_cause_minutes{};  ///< mean time to recovery per cause
  std::array<double, IncidentResponse::cause_count> by_cause_cost{};     ///< mean cost per cause
  /// Mean time plus mean cost: minus the mean return (one cost unit is one minute of outage).
  [[nodiscard]] double mean_total() const noexcept { return mean_minutes + mean_cost; }
};

/// Runs one incident per seed with `policy(env, observation) -> action`, calling
/// `policy.start()` (when it has one) before each incident so a policy with memory can forget
/// the last one. The policy may read `env` (its mask; the oracle reads the hidden state).
template <class Policy>
  requires std::convertible_to<std::invoke_result_t<Policy&, const IncidentResponse&,
                                                    const IncidentResponse::Observation&>,
                               int>
IncidentReport evaluate_incidents(std::span<const std::uint64_t> seeds, Policy&& policy) {
  require<ConfigError>(!seeds.empty(), "evaluate_incidents: seeds must not be empty");
  IncidentReport report;
  report.incidents = seeds.size();
  IncidentResponse env;
  std::size_t recovered = 0, actions = 0, refused = 0;
  double minutes = 0, cost = 0;
  for (const std::uint64_t seed : seeds) {
    if constexpr (requires { policy.start(); }) policy.start();
    IncidentResponse::Observation obs = env.reset(seed);
    for (;;) {
      const int action = policy(std::as_const(env), std::as_const(obs));
      if (!env.valid(action)) ++refused;  // out of range: step raises the error
      const StepResult<IncidentResponse::Observation> step = env.step(action);
      obs = step.observation;
      if (step.terminated || step.truncated) break;
    }
    const auto c = static_cast<std::size_t>(env.cause());
    ++report.by_cause_incidents[c];
    report.by_cause_minutes[c] += env.minutes();
    report.by_cause_cost[c] += env.cost();
    recovered += env.recovered() ? 1 : 0;
    actions += static_cast<std::size_t>(env.steps());
    minutes += env.minutes();
    cost += env.cost();
  }
  const auto n = static_cast<double>(seeds.size());
  report.mean_minutes = minutes / n;
  report.mean_cost = cost / n;
  report.recovery_rate = static_cast<double>(recovered) / n;
  report.mean_actions = static_cast<double>(actions) / n;
  report.mean_refused = static_cast<double>(refused) / n;
  for (std::size_t c = 0; c < report.by_cause_incidents.size(); ++c) {
    if (report.by_cause_incidents[c] == 0) continue;
    report.by_cause_minutes[c] /= static_cast<double>(report.by_cause_incidents[c]);
    report.by_cause_cost[c] /= static_cast<double>(report.by_cause_incidents[c]);
  }
  return report;
}

/// A trainer's deterministic policy as `evaluate_incidents` calls it: `trainer.predict(obs,
/// valid)` with the state's mask when the trainer's environment masks actions, else
/// `trainer.predict(obs)`. A recurrent actor (theta::RecurrentCategoricalPolicy) carries the
/// incident's history in the trainer's prediction state, which `predict` advances: `start()`
/// sets it to zero before each incident (`reset_prediction()`), as the trainer's own `evaluate`
/// does, or each incident would begin with the memory of the one before. Training's acting
/// state is never touched.
///
///     const auto report = theta::examples::evaluate_incidents(seeds, theta::examples::TrainedPolicy(trainer));
template <class Trainer>
class TrainedPolicy {
 public:
  explicit TrainedPolicy(Trainer& trainer) : trainer_(trainer) {}

  void start() { trainer_.reset_prediction(); }

  int operator()(const IncidentResponse& env, const IncidentResponse::Observation& obs) {
    if constexpr (masked) {
      std::array<bool, IncidentResponse::action_count> valid{};
      env.action_mask(valid);
      return trainer_.predict(obs, valid);  // the mode among the allowed actions
    } else {
      return trainer_.predict(obs);
    }
  }

 private:
  static constexpr bool masked = requires(Trainer& t, const IncidentResponse::Observation& o, std::span<const bool> v) {
    t.predict(o, v);
  };

  Trainer& trainer_;
};

}  // namespace theta::examples
