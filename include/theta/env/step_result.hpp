#pragma once
/// \file StepResult: what `step(action)` returns.

namespace theta {

/// The outcome of one environment step.
///
/// - `terminated`: the MDP ended (goal, failure); the value of the next state is 0.
/// - `truncated`: the episode was cut (time limit); bootstrap from the value of `observation`.
/// Both may be true; then `terminated` wins.
template <class Observation>
struct StepResult {
  Observation observation;
  double reward = 0.0;
  bool terminated = false;
  bool truncated = false;
};

}  // namespace theta
