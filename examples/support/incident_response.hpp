#pragma once
// IncidentResponse: a service is down for a cause the agent does not see, and each step is one
// corrective action with a time and a money cost (docs/corrective-actions.md has the whole
// model, its numbers and why they are what they are). Not part of the library: the
// incident_response example and its tests share it; a user copies it with the example.
//
//     theta::examples::IncidentResponse env;
//     auto obs = env.reset(7);
//     std::array<bool, theta::examples::IncidentResponse::action_count> valid;
//     env.action_mask(valid);                       // which actions the current state allows
//     auto step = env.step(theta::examples::IncidentResponse::roll_back);
//
// Everything random comes from the seed of `reset`; `step` allocates nothing. `save` and `load`
// make it a theta::SavableEnvironment: an incident continues exactly across a checkpoint.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/env/spaces.hpp>
#include <theta/env/step_result.hpp>
#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>
#include <theta/io/state.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace theta::examples {

/// An incident with a hidden cause, to be resolved by corrective actions (`Discrete(7)`) under
/// the availability rules of `action_mask`. Reward per step: minus the step's minutes and its
/// cost (one cost unit is what one minute of outage costs). Terminated at recovery, truncated
/// when an action ends at or after `time_limit_minutes` without recovery.
class IncidentResponse {
 public:
  using Observation = Eigen::Matrix<float, 16, 1>;
  using Action = int;

  /// The hidden cause, drawn at reset with `cause_probabilities`; escalation clears any of them.
  enum class Cause : int {
    overload,              ///< transient overload: scaling out clears it, and it drains by itself
    bad_deploy,            ///< the last release is broken: a roll back clears it
    dead_dependency,       ///< a downstream dependency is down: failing over to its replica clears it
    data_corruption,       ///< corrupt data: restoring from the backup clears it
    deploy_and_corruption  ///< a bad release corrupts data: roll back, then restore (in this order)
  };
  static constexpr int cause_count = 5;
  /// P(cause) at reset, in the order of `Cause`.
  static constexpr std::array<double, cause_count> cause_probabilities{0.30, 0.25, 0.20, 0.15, 0.10};

  // ---- actions: the indices of Discrete(7)
  static constexpr Action wait = 0;            ///< observe for 5 minutes
  static constexpr Action restart = 1;         ///< restart the service
  static constexpr Action scale_out = 2;       ///< add capacity (at most `max_scale_outs` times)
  static constexpr Action roll_back = 3;       ///< roll the last deploy back (once, if a deploy is recent)
  static constexpr Action fail_over = 4;       ///< switch to the dependency's replica (once)
  static constexpr Action restore_backup = 5;  ///< restore data (once the data check has failed)
  static constexpr Action escalate = 6;        ///< page a human expert, who fixes anything
  static constexpr int action_count = 7;

  /// Duration and cost of each action, in the order of the indices above.
  struct ActionCost {
    const char* name;
    double minutes;
    double cost;
  };
  static constexpr std::array<ActionCost, action_count> action_costs{{{"wait", 5, 0},
                                                                      {"restart", 5, 1},
                                                                      {"scale out", 5, 5},
                                                                      {"roll back", 10, 2},
                                                                      {"fail over", 10, 10},
                                                                      {"restore backup", 30, 15},
                                                                      {"escalate", 45, 40}}};
  /// An action the mask forbids is refused: 5 minutes pass as with `wait`, plus this cost.
  static constexpr double invalid_action_minutes = 5;
  static constexpr double invalid_action_cost = 5;
  static constexpr double time_limit_minutes = 120;
  static constexpr int max_scale_outs = 2;

  // ---- observation layout
  static constexpr Index obs_error_rate = 0;        ///< fraction of failed requests, [0, 1]
  static constexpr Index obs_latency = 1;           ///< p99 latency in units of 10 s, [0, 2]
  static constexpr Index obs_saturation = 2;        ///< CPU saturation, [0, 1]
  static constexpr Index obs_dependency_alarm = 3;  ///< the dependency health check fails (0/1)
  static constexpr Index obs_data_alarm = 4;        ///< the data integrity check fails (0/1)
  static constexpr Index obs_deploy_recent = 5;     ///< a deploy of the last 4 hours can be rolled back (0/1)
  static constexpr Index obs_deploy_age = 6;        ///< minutes since that deploy / 240 (1: none)
  static constexpr Index obs_elapsed = 7;           ///< minutes since the incident began / 120
  static constexpr Index obs_last_action = 8;       ///< one-hot of the previous action, 7 entries (0 at the start)
  static constexpr Index obs_last_outcome = 15;     ///< -1 refused, 0 nothing changed, +1 improved but not recovered

  [[nodiscard]] Box observation_space() const {
    Eigen::VectorXd low = Eigen::VectorXd::Zero(16);
    Eigen::VectorXd high = Eigen::VectorXd::Ones(16);
    high[obs_latency] = 2.0;
    high[obs_elapsed] = 2.0;  // the last action may end after the time limit (escalation at 119 min)
    low[obs_last_outcome] = -1.0;
    return Box(low, high);
  }
  [[nodiscard]] Discrete action_space() const { return {action_count}; }

  /// Starts an incident: draws the cause, the deploy history and the first symptoms from `seed`.
  Observation reset(std::uint64_t seed) {
    rng_ = Rng(seed);
    cause_ = draw_cause(rng_.uniform());
    overloaded_ = cause_ == Cause::overload;
    bad_release_ = cause_ == Cause::bad_deploy || cause_ == Cause::deploy_and_corruption;
    dependency_down_ = cause_ == Cause::dead_dependency;
    data_corrupt_ = cause_ == Cause::data_corruption || cause_ == Cause::deploy_and_corruption;
    // A bad release is recent by definition; half of the other incidents also follow a deploy,
    // so a recent deploy suggests a bad one without proving it.
    if (bad_release_) {
      deploy_recent_ = true;
      deploy_age_ = rng_.uniform(5.0, 60.0);
    } else {
      deploy_recent_ = rng_.uniform() < 0.5;
      deploy_age_ = deploy_recent_ ? rng_.uniform(5.0, 240.0) : 0.0;
    }
    minutes_ = 0;
    cost_ = 0;
    steps_ = 0;
    scale_outs_ = 0;
    failed_over_ = false;
    data_alarm_seen_ = false;
    started_ = true;
    last_action_ = -1;
    last_outcome_ = 0;
    return observe();
  }

  /// One corrective action (see docs/corrective-actions.md for each one's effect). An action
  /// outside 0..6, or a step before `reset` or after the incident ended, raises
  /// EnvironmentError; an action the mask forbids is refused (the rule above).
  StepResult<Observation> step(const Action& action) {
    require<EnvironmentError>(action >= 0 && action < action_count,
                              "IncidentResponse: action must be in 0..{}, got {}", action_count - 1, action);
    require<EnvironmentError>(started_, "IncidentResponse: step() before reset()");
    require<EnvironmentError>(!recovered() && minutes_ < time_limit_minutes,
                              "IncidentResponse: step() after the incident ended (recovered: {}, {} minutes); call "
                              "reset()",
                              recovered(), minutes_);
    const int faults_before = fault_count();
    const bool refused = !valid(action);
    double minutes = 0;
    double cost = 0;
    if (refused) {
      minutes = invalid_action_minutes;
      cost = invalid_action_cost;
    } else {
      const ActionCost& spec = action_costs[static_cast<std::size_t>(action)];
      minutes = spec.minutes;
      cost = spec.cost;
      apply(action);
    }
    pass_time(minutes);
    minutes_ += minutes;
    cost_ += cost;
    ++steps_;
    last_action_ = action;
    last_outcome_ = refused ? -1 : (fault_count() < faults_before ? 1 : 0);
    const bool done = recovered();
    const bool cut = !done && minutes_ >= time_limit_minutes;
    return {observe(), -(minutes + cost), /*terminated=*/done, /*truncated=*/cut};
  }

  /// Writes one entry per action, true where the current state allows it: wait, restart and
  /// escalate always; scale out fewer than `max_scale_outs` times; roll back once, when a deploy
  /// is recent; fail over once; restore once the data check has failed in this incident.
  void action_mask(std::span<bool> valid_actions) const {
    require<EnvironmentError>(valid_actions.size() == static_cast<std::size_t>(action_count),
                              "IncidentResponse::action_mask: the span must have {} entries (one per action), got {}",
                              action_count, valid_actions.size());
    for (int a = 0; a < action_count; ++a) valid_actions[static_cast<std::size_t>(a)] = valid(a);
  }

  /// Whether `action` is allowed in the current state (what `action_mask` writes for it).
  [[nodiscard]] bool valid(Action action) const noexcept {
    switch (action) {
      case scale_out: return scale_outs_ < max_scale_outs;
      case roll_back: return deploy_recent_;
      case fail_over: return !failed_over_;
      case restore_backup: return data_alarm_seen_;
      default: return action >= 0 && action < action_count;
    }
  }

  /// Writes the current incident (every field the next step depends on, the random stream
  /// included) into a checkpoint section (theta::SavableEnvironment).
  void save(io::CheckpointSectionWriter& out) const {
    out.string("IncidentResponse").boolean(started_);
    io::save_rng(out, rng_);
    out.i64(static_cast<int>(cause_)).boolean(overloaded_).boolean(bad_release_).boolean(dependency_down_);
    out.boolean(data_corrupt_).boolean(deploy_recent_).f64(deploy_age_).boolean(failed_over_).boolean(data_alarm_seen_);
    out.i64(scale_outs_).f64(minutes_).f64(cost_).i64(steps_).i64(last_action_).i64(last_outcome_);
  }

  /// Restores what `save` wrote. Another environment's state or a value this environment
  /// cannot reach raises CheckpointError naming it, and changes nothing.
  void load(io::CheckpointSectionReader& in) {
    const std::string id = in.string();
    require<CheckpointError>(id == "IncidentResponse", "checkpoint section '{}': the state of {}, this environment is "
                             "IncidentResponse", in.name(), id);
    IncidentResponse next;
    next.started_ = in.boolean();
    next.rng_ = io::load_rng(in, "IncidentResponse");
    const std::int64_t cause = in.i64();
    next.overloaded_ = in.boolean();
    next.bad_release_ = in.boolean();
    next.dependency_down_ = in.boolean();
    next.data_corrupt_ = in.boolean();
    next.deploy_recent_ = in.boolean();
    next.deploy_age_ = in.f64();
    next.failed_over_ = in.boolean();
    next.data_alarm_seen_ = in.boolean();
    const std::int64_t scale_outs = in.i64();
    next.minutes_ = in.f64();
    next.cost_ = in.f64();
    const std::int64_t steps = in.i64(), last_action = in.i64(), last_outcome = in.i64();
    const auto check = [&](bool ok, const char* field, auto value) {
      require<CheckpointError>(ok, "checkpoint section '{}': IncidentResponse {} = {} is out of range", in.name(),
                               field, value);
    };
    check(cause >= 0 && cause < cause_count, "cause", cause);
    check(scale_outs >= 0 && scale_outs <= max_scale_outs, "scale_outs", scale_outs);
    check(std::isfinite(next.deploy_age_) && next.deploy_age_ >= 0 && next.deploy_age_ <= 240, "deploy_age",
          next.deploy_age_);
    check(std::isfinite(next.minutes_) && next.minutes_ >= 0 && next.minutes_ < 1000, "minutes", next.minutes_);
    check(std::isfinite(next.cost_) && next.cost_ >= 0 && next.cost_ < 10'000, "cost", next.cost_);
    check(steps >= 0 && steps < 1000, "steps", steps);
    check(last_action >= -1 && last_action < action_count, "last_action", last_action);
    check(last_outcome >= -1 && last_outcome <= 1, "last_outcome", last_outcome);
    next.cause_ = static_cast<Cause>(cause);
    next.scale_outs_ = static_cast<int>(scale_outs);
    next.steps_ = static_cast<int>(steps);
    next.last_action_ = static_cast<int>(last_action);
    next.last_outcome_ = static_cast<int>(last_outcome);
    *this = next;
  }

  // ---- the hidden state (for the oracle, the tests and the reports; a policy must not read it)
  [[nodiscard]] Cause cause() const noexcept { return cause_; }
  [[nodiscard]] bool overloaded() const noexcept { return overloaded_; }
  [[nodiscard]] bool bad_release_running() const noexcept { return bad_release_; }
  [[nodiscard]] bool dependency_down() const noexcept { return dependency_down_; }
  [[nodiscard]] bool data_corrupt() const noexcept { return data_corrupt_; }
  [[nodiscard]] bool recovered() const noexcept { return fault_count() == 0; }
  /// Minutes since the incident began (the time to recovery once it has recovered).
  [[nodiscard]] double minutes() const noexcept { return minutes_; }
  /// Cost of the actions so far, refusals included.
  [[nodiscard]] double cost() const noexcept { return cost_; }
  [[nodiscard]] int steps() const noexcept { return steps_; }

  /// The cause for a uniform draw `u` in [0, 1): inverse CDF of `cause_probabilities`.
  [[nodiscard]] static constexpr Cause draw_cause(double u) noexcept {
    double cumulative = 0;
    for (int c = 0; c < cause_count - 1; ++c) {
      cumulative += cause_probabilities[static_cast<std::size_t>(c)];
      if (u < cumulative) return static_cast<Cause>(c);
    }
    return static_cast<Cause>(cause_count - 1);
  }
  [[nodiscard]] static constexpr const char* cause_name(Cause cause) noexcept {
    constexpr std::array<const char*, cause_count> names{"transient overload", "bad deploy", "dead dependency",
                                                         "data corruption", "bad deploy + corruption"};
    return names[static_cast<std::size_t>(cause)];
  }

 private:
  [[nodiscard]] int fault_count() const noexcept {
    return int{overloaded_} + int{bad_release_} + int{dependency_down_} + int{data_corrupt_};
  }

  // The action's own effect on the faults (the action is valid).
  void apply(Action action) {
    switch (action) {
      case restart:  // sheds the queued requests: an overload clears one time in four
        if (overloaded_ && rng_.uniform() < 0.25) overloaded_ = false;
        break;
      case scale_out:
        ++scale_outs_;
        if (overloaded_ && rng_.uniform() < 0.9) overloaded_ = false;
        break;
      case roll_back:
        deploy_recent_ = false;
        bad_release_ = false;
        break;
      case fail_over:
        failed_over_ = true;
        dependency_down_ = false;
        break;
      case restore_backup:
        // A bad release still running corrupts the restored data again: the order matters.
        if (!bad_release_) data_corrupt_ = false;
        break;
      case escalate:  // a human expert diagnoses and fixes whatever is wrong
        overloaded_ = bad_release_ = dependency_down_ = data_corrupt_ = false;
        break;
      default:  // wait: only time passes
        break;
    }
  }

  // What happens by itself during `minutes`: an overload drains (20% per 5 minutes), a dead
  // dependency is brought back by its owners (3% per 5 minutes).
  void pass_time(double minutes) {
    const double periods = minutes / 5.0;
    if (overloaded_ && rng_.uniform() < 1.0 - std::pow(0.8, periods)) overloaded_ = false;
    if (dependency_down_ && rng_.uniform() < 1.0 - std::pow(0.97, periods)) dependency_down_ = false;
  }

  // Fresh noisy symptoms of the current faults; the causes overlap on purpose (an overload and
  // a dead dependency both raise latency and saturation, a bad release and a dead dependency
  // both raise errors, the health checks have false alarms and misses).
  Observation observe() {
    const double o = overloaded_ ? 1.0 : 0.0, b = bad_release_ ? 1.0 : 0.0, d = dependency_down_ ? 1.0 : 0.0,
                 c = data_corrupt_ ? 1.0 : 0.0;
    const double error_rate = 0.05 + 0.25 * o + 0.35 * b + 0.4 * d + 0.1 * c + rng_.normal(0.0, 0.2);
    const double latency_s = 0.5 + 2.5 * o + 1.5 * b + 3.5 * d + 0.5 * c + rng_.normal(0.0, 3.0);
    const double saturation = 0.5 + 0.25 * o + 0.1 * b + 0.15 * d + rng_.normal(0.0, 0.15);
    const bool dependency_alarm = rng_.uniform() < (dependency_down_ ? 0.6 : 0.25);
    const bool data_alarm = rng_.uniform() < (data_corrupt_ ? 0.6 : 0.15);
    data_alarm_seen_ = data_alarm_seen_ || data_alarm;

    Observation obs = Observation::Zero();
    obs[obs_error_rate] = static_cast<float>(std::clamp(error_rate, 0.0, 1.0));
    obs[obs_latency] = static_cast<float>(std::clamp(latency_s, 0.05, 20.0) / 10.0);
    obs[obs_saturation] = static_cast<float>(std::clamp(saturation, 0.0, 1.0));
    obs[obs_dependency_alarm] = dependency_alarm ? 1.0f : 0.0f;
    obs[obs_data_alarm] = data_alarm ? 1.0f : 0.0f;
    obs[obs_deploy_recent] = deploy_recent_ ? 1.0f : 0.0f;
    obs[obs_deploy_age] = deploy_recent_ ? static_cast<float>(std::min(1.0, (deploy_age_ + minutes_) / 240.0)) : 1.0f;
    obs[obs_elapsed] = static_cast<float>(std::min(2.0, minutes_ / time_limit_minutes));
    if (last_action_ >= 0) obs[obs_last_action + last_action_] = 1.0f;
    obs[obs_last_outcome] = static_cast<float>(last_outcome_);
    return obs;
  }

  Rng rng_{0};
  Cause cause_ = Cause::overload;
  bool overloaded_ = false, bad_release_ = false, dependency_down_ = false, data_corrupt_ = false;
  bool deploy_recent_ = false;
  double deploy_age_ = 0;  // minutes before the incident began
  bool failed_over_ = false;
  bool data_alarm_seen_ = false;
  int scale_outs_ = 0;
  double minutes_ = 0;
  double cost_ = 0;
  int steps_ = 0;
  bool started_ = false;
  int last_action_ = -1;
  int last_outcome_ = 0;
};

}  // namespace theta::examples
