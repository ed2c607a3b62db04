#pragma once
// The two policies of the incident_response example that need no learning: the runbook an
// on-call engineer would write (it reads the symptoms, the feedback and which actions are
// available, and remembers what it tried), and an oracle that knows the hidden faults. Both
// are called as `policy(env, observation)` after `policy.start()` at each new incident
// (incident_evaluation.hpp). docs/corrective-actions.md explains the choices.

#include "incident_response.hpp"

#include <array>

namespace theta::examples {

/// The expert runbook: the order in which an on-call engineer checks the usual suspects, and
/// the habit of not acting on a single alert (the checks have false alarms).
/// 1. The data check has failed twice in this incident: if a deploy is recent, roll it back
///    first (a bad release may be what corrupts the data, and restoring under it is wasted),
///    then restore the backup, once.
/// 2. The dependency check has failed twice, or fails now with a p99 latency of 3 s or more:
///    fail over to the replica.
/// 3. A recent deploy and an error rate above 0.3: roll back.
/// 4. Saturation above 0.7: scale out.
/// 5. Otherwise watch; after 60 minutes, or 4 corrective actions that improved nothing, escalate.
/// It reads the observation and the mask (what the console offers) and remembers what it saw
/// and did in this incident; it never reads the hidden state.
class Runbook {
 public:
  using Env = IncidentResponse;

  void start() noexcept {
    fruitless_ = 0;
    dependency_alarms_ = 0;
    data_alarms_ = 0;
    restored_ = false;
  }

  int operator()(const Env& env, const Env::Observation& obs) {
    std::array<bool, Env::action_count> valid{};
    env.action_mask(valid);
    const bool acted = obs.segment<Env::action_count>(Env::obs_last_action).sum() > 0.5f;  // not the first step
    if (obs[Env::obs_last_outcome] > 0.5f) {
      fruitless_ = 0;
    } else if (acted && obs[Env::obs_last_action + Env::wait] < 0.5f) {
      ++fruitless_;  // a corrective action (not a wait) that improved nothing
    }
    const bool dependency_alarm = obs[Env::obs_dependency_alarm] > 0.5f;
    dependency_alarms_ += dependency_alarm ? 1 : 0;
    data_alarms_ += obs[Env::obs_data_alarm] > 0.5f ? 1 : 0;
    const bool recent_deploy = obs[Env::obs_deploy_recent] > 0.5f;
    const float minutes = obs[Env::obs_elapsed] * static_cast<float>(Env::time_limit_minutes);

    if (minutes >= 60.0f || fruitless_ >= 4) return Env::escalate;
    if (data_alarms_ >= 2 && valid[Env::restore_backup] && !restored_) {
      if (recent_deploy && valid[Env::roll_back]) return Env::roll_back;
      restored_ = true;  // once: a restore that did not help points elsewhere
      return Env::restore_backup;
    }
    const bool slow = obs[Env::obs_latency] >= 0.3f;  // p99 >= 3 s
    if ((dependency_alarms_ >= 2 || (dependency_alarm && slow)) && valid[Env::fail_over]) return Env::fail_over;
    if (recent_deploy && obs[Env::obs_error_rate] > 0.3f && valid[Env::roll_back]) return Env::roll_back;
    if (obs[Env::obs_saturation] > 0.7f && valid[Env::scale_out]) return Env::scale_out;
    return Env::wait;
  }

 private:
  int fruitless_ = 0;
  int dependency_alarms_ = 0;
  int data_alarms_ = 0;
  bool restored_ = false;
};

/// The oracle: it reads the hidden faults and takes the cheapest action that removes one, in
/// the order that works (the bad release before the data). It is bound by the same rules as
/// everyone else: it cannot restore before the data check has failed once (it waits for it),
/// and it escalates after 60 minutes as the runbook does (which it needs only when an
/// overload survives two scale-outs and the restarts).
class Oracle {
 public:
  using Env = IncidentResponse;

  void start() noexcept {}

  int operator()(const Env& env, const Env::Observation&) const {
    if (env.minutes() >= 60.0) return Env::escalate;
    if (env.bad_release_running()) return Env::roll_back;  // a bad release always came with a recent deploy
    if (env.dependency_down()) return env.valid(Env::fail_over) ? Env::fail_over : Env::escalate;
    if (env.data_corrupt()) return env.valid(Env::restore_backup) ? Env::restore_backup : Env::wait;
    if (env.overloaded()) return env.valid(Env::scale_out) ? Env::scale_out : Env::restart;
    return Env::wait;  // not reached: a recovered incident has ended
  }
};

}  // namespace theta::examples
