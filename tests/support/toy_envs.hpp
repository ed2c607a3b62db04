#pragma once
// Small environments for testing the contract machinery independently of the built-ins.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/env/spaces.hpp>
#include <theta/env/step_result.hpp>

#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <span>

namespace theta::test {

/// A walk on a line: action 1 moves right, 0 left; terminates at |position| >= 4.
/// The start is drawn from the seed, so trajectories depend on it.
struct Corridor {
  using Observation = Eigen::Vector2f;
  using Action = int;

  Box observation_space() const { return Box({-4.0, 0.0}, {4.0, 1000.0}); }
  Discrete action_space() const { return Discrete{2}; }

  Observation reset(std::uint64_t seed) {
    Rng rng(seed);
    position = static_cast<int>(rng.below(3)) - 1;
    steps = 0;
    return observe();
  }
  StepResult<Observation> step(const Action& action) {
    require<EnvironmentError>(action == 0 || action == 1, "Corridor: action must be 0 or 1, got {}", action);
    position += action == 1 ? 1 : -1;
    ++steps;
    const bool done = position >= 4 || position <= -4;
    return {observe(), done ? 10.0 : -1.0, done, false};
  }
  Observation observe() const { return {static_cast<float>(position), static_cast<float>(steps)}; }

  int position = 0;
  int steps = 0;
};

/// A point pushed by a bounded continuous force; never terminates by itself.
struct Drift {
  using Observation = Eigen::VectorXd;  // dynamic size on purpose
  using Action = Eigen::Vector2f;

  Box observation_space() const { return Box({-1e9, -1e9}, {1e9, 1e9}); }
  Box action_space() const { return Box({-1.0, -1.0}, {1.0, 1.0}); }

  Observation reset(std::uint64_t seed) {
    Rng rng(seed);
    x = Eigen::VectorXd(2);
    x << rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0);
    return x;
  }
  StepResult<Observation> step(const Action& action) {
    x += action.cast<double>().cwiseMax(-1.0).cwiseMin(1.0);
    return {x, -x.squaredNorm(), false, false};
  }

  Eigen::VectorXd x;
};

/// A walk on 0..6 toward the goal at 6, whose moves depend on the state (a MaskedEnvironment,
/// issue 15): 0 steps left (not from 0), 1 steps right, 2 waits (not as the first move of an
/// episode, not twice in a row), 3 jumps two right (from an even position below 5 only). Each step costs 1, the goal pays 10. An invalid
/// action throws EnvironmentError, so a trainer that ignored the mask fails. With
/// `dead_end_step` >= 0 the mask has no valid action once an episode has taken that many steps.
/// Savable, so that masked training resumes exactly from a checkpoint.
struct MaskedWalk {
  using Observation = Eigen::Vector3f;
  using Action = int;
  static constexpr std::int64_t max_episode_steps = 25;  // theta::TimeLimit's default

  int dead_end_step = -1;

  Box observation_space() const { return Box({0.0, 0.0, 0.0}, {6.0, 1e6, 1.0}); }
  Discrete action_space() const { return Discrete{4}; }

  Observation reset(std::uint64_t seed) {
    Rng rng(seed);
    position = static_cast<int>(rng.below(3));
    steps = 0;
    waited = false;
    return observe();
  }
  void action_mask(std::span<bool> valid) const {
    valid[0] = position > 0;
    valid[1] = true;
    valid[2] = steps > 0 && !waited;
    valid[3] = position % 2 == 0 && position < 5;
    if (dead_end_step >= 0 && steps >= dead_end_step) std::fill(valid.begin(), valid.end(), false);
  }
  StepResult<Observation> step(const Action& action) {
    bool valid[4];
    action_mask(valid);
    require<EnvironmentError>(action >= 0 && action < 4 && valid[action],
                              "MaskedWalk: action {} is invalid at position {} (step {}, waited {})", action, position,
                              steps, waited);
    waited = action == 2;
    position += action == 0 ? -1 : action == 1 ? 1 : action == 3 ? 2 : 0;
    ++steps;
    const bool done = position >= 6;
    return {observe(), done ? 10.0 : -1.0, done, false};
  }
  Observation observe() const {
    return {static_cast<float>(position), static_cast<float>(steps), waited ? 1.0f : 0.0f};
  }

  void save(io::CheckpointSectionWriter& out) const { out.i64(position).i64(steps).boolean(waited); }
  void load(io::CheckpointSectionReader& in) {
    const std::int64_t p = in.i64(), s = in.i64();
    const bool w = in.boolean();
    require<CheckpointError>(p >= 0 && p <= 6 && s >= 0, "MaskedWalk: position {}, steps {}", p, s);
    position = static_cast<int>(p);
    steps = static_cast<int>(s);
    waited = w;
  }

  int position = 0;
  int steps = 0;
  bool waited = false;
};

/// `MaskedWalk` without its `action_mask`: what a trainer that ignores masks would do to it.
struct UnmaskedWalk {
  using Observation = MaskedWalk::Observation;
  using Action = int;
  Box observation_space() const { return walk.observation_space(); }
  Discrete action_space() const { return walk.action_space(); }
  Observation reset(std::uint64_t seed) { return walk.reset(seed); }
  StepResult<Observation> step(const Action& action) { return walk.step(action); }
  MaskedWalk walk;
};


/// A memory task: the first observation shows a cue (+1 or -1, drawn from the seed), the
/// next `delay` show nothing, and the last step of the episode (observation (0, 1)) pays 1 for
/// the action that names the cue (1 for +1, 0 for -1) and 0 otherwise, then terminates. A
/// policy without memory earns 0.5 on average; one that remembers the cue earns 1.
struct Cue {
  using Observation = Eigen::Vector2f;
  using Action = int;

  Box observation_space() const { return Box({-1.0, 0.0}, {1.0, 1.0}); }
  Discrete action_space() const { return Discrete{2}; }

  Observation reset(std::uint64_t seed) {
    Rng rng(seed);
    cue = rng.below(2) == 1 ? 1 : -1;
    step_index = 0;
    return {static_cast<float>(cue), 0.0f};
  }
  StepResult<Observation> step(const Action& action) {
    require<EnvironmentError>(action == 0 || action == 1, "Cue: action must be 0 or 1, got {}", action);
    ++step_index;
    if (step_index <= delay) return {Observation(0.0f, step_index == delay ? 1.0f : 0.0f), 0.0, false, false};
    const bool right = (action == 1) == (cue == 1);
    return {Observation(0.0f, 0.0f), right ? 1.0 : 0.0, true, false};
  }

  void save(io::CheckpointSectionWriter& out) const { out.i64(cue).i64(step_index); }
  void load(io::CheckpointSectionReader& in) {
    const std::int64_t c = in.i64(), s = in.i64();
    require<CheckpointError>((c == 1 || c == -1) && s >= 0 && s <= delay, "Cue: cue {}, step {}", c, s);
    cue = static_cast<int>(c);
    step_index = static_cast<int>(s);
  }

  int delay = 3;
  int cue = 1;
  int step_index = 0;
};

}  // namespace theta::test
