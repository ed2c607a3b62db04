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

/// Two walkers on 0..6 moved by one multi-discrete action (MultiDiscrete{3, 4}, a masked
/// multi-discrete environment, issue 15). Dimension 0 moves walker A: 0 steps left (not from 0),
/// 1 steps right, 2 waits (not twice in a row); dimension 1 moves walker B as `MaskedWalk`: 0
/// left (not from 0), 1 right, 2 waits (not as the first move, not twice in a row), 3 jumps two
/// right (from an even position below 5). A walker at 6 stays there. Each step costs 1; both
/// at 6 end the episode with 10. An invalid entry throws EnvironmentError naming the dimension,
/// so a trainer that ignored the masks fails. With `dead_end_step` >= 0 the mask of dimension
/// `dead_end_dimension` has no valid entry once an episode has taken that many steps. Savable.
struct MultiWalk {
  using Observation = Eigen::Matrix<float, 5, 1>;
  using Action = MultiDiscreteAction;
  static constexpr std::int64_t max_episode_steps = 30;

  int dead_end_step = -1;
  int dead_end_dimension = 1;

  Box observation_space() const { return Box({0.0, 0.0, 0.0, 0.0, 0.0}, {6.0, 6.0, 1e6, 1.0, 1.0}); }
  MultiDiscrete action_space() const { return MultiDiscrete{3, 4}; }

  Observation reset(std::uint64_t seed) {
    Rng rng(seed);
    a = static_cast<int>(rng.below(3));
    b = static_cast<int>(rng.below(3));
    steps = 0;
    waited_a = waited_b = false;
    return observe();
  }
  void action_mask(std::span<bool> valid) const {
    valid[0] = a > 0 && a < 6;
    valid[1] = true;
    valid[2] = !waited_a;
    valid[3] = b > 0 && b < 6;
    valid[4] = true;
    valid[5] = steps > 0 && !waited_b;
    valid[6] = b % 2 == 0 && b < 5;
    if (dead_end_step >= 0 && steps >= dead_end_step) {
      const auto begin = valid.begin() + (dead_end_dimension == 0 ? 0 : 3);
      std::fill(begin, begin + (dead_end_dimension == 0 ? 3 : 4), false);
    }
  }
  StepResult<Observation> step(const Action& action) {
    bool valid[7];
    action_mask(valid);
    require<EnvironmentError>(action.size() == 2, "MultiWalk: the action has {} entries, expected 2", action.size());
    require<EnvironmentError>(action[0] >= 0 && action[0] < 3 && valid[action[0]],
                              "MultiWalk: action[0] = {} is invalid for walker A at {} (waited {})", action[0], a,
                              waited_a);
    require<EnvironmentError>(action[1] >= 0 && action[1] < 4 && valid[3 + action[1]],
                              "MultiWalk: action[1] = {} is invalid for walker B at {} (step {}, waited {})", action[1],
                              b, steps, waited_b);
    waited_a = action[0] == 2;
    waited_b = action[1] == 2;
    a = std::min(6, a + (action[0] == 0 ? -1 : action[0] == 1 ? 1 : 0));
    b = std::min(6, b + (action[1] == 0 ? -1 : action[1] == 1 ? 1 : action[1] == 3 ? 2 : 0));
    ++steps;
    const bool done = a >= 6 && b >= 6;
    return {observe(), done ? 10.0 : -1.0, done, false};
  }
  Observation observe() const {
    Observation o;
    o << static_cast<float>(a), static_cast<float>(b), static_cast<float>(steps), waited_a ? 1.0f : 0.0f,
        waited_b ? 1.0f : 0.0f;
    return o;
  }

  void save(io::CheckpointSectionWriter& out) const { out.i64(a).i64(b).i64(steps).boolean(waited_a).boolean(waited_b); }
  void load(io::CheckpointSectionReader& in) {
    const std::int64_t pa = in.i64(), pb = in.i64(), s = in.i64();
    const bool wa = in.boolean(), wb = in.boolean();
    require<CheckpointError>(pa >= 0 && pa <= 6 && pb >= 0 && pb <= 6 && s >= 0, "MultiWalk: positions {} and {}, "
                             "steps {}", pa, pb, s);
    a = static_cast<int>(pa);
    b = static_cast<int>(pb);
    steps = static_cast<int>(s);
    waited_a = wa;
    waited_b = wb;
  }

  int a = 0;
  int b = 0;
  int steps = 0;
  bool waited_a = false;
  bool waited_b = false;
};

/// An unmasked multi-discrete environment with a fixed-size integer action (Eigen::Vector2i):
/// MultiDiscrete{2, 3}; the observation counts the steps and sums the indices taken, the reward
/// is the second index minus the first; 5 steps end an episode. Out-of-range entries throw.
struct PairChoice {
  using Observation = Eigen::Vector2f;
  using Action = Eigen::Vector2i;

  Box observation_space() const { return Box({0.0, 0.0}, {5.0, 20.0}); }
  MultiDiscrete action_space() const { return MultiDiscrete{2, 3}; }
  Observation reset(std::uint64_t seed) {
    Rng rng(seed);
    steps = 0;
    total = static_cast<int>(rng.below(3));
    return observe();
  }
  StepResult<Observation> step(const Action& action) {
    require<EnvironmentError>(action[0] >= 0 && action[0] < 2 && action[1] >= 0 && action[1] < 3,
                              "PairChoice: action ({}, {}) is outside MultiDiscrete([2, 3])", action[0], action[1]);
    ++steps;
    total += action[0] + action[1];
    return {observe(), static_cast<double>(action[1] - action[0]), false, steps >= 5};
  }
  Observation observe() const { return {static_cast<float>(steps), static_cast<float>(total)}; }

  int steps = 0;
  int total = 0;
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
