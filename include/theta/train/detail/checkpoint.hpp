#pragma once
/// \file What the on-policy and off-policy trainers' checkpoints share: their counters and the
/// message for fresh episodes.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>
#include <theta/io/checkpoint.hpp>
#include <theta/io/state.hpp>
#include <theta/train/load_result.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace theta::detail {

/// A trainer's counters: environment steps, updates, the steps asked of `learn` so far, the
/// schedule horizon, evaluations run, and whether the environments were started.
struct TrainerCounters {
  std::int64_t steps = 0;
  std::int64_t updates = 0;
  std::int64_t target = 0;
  std::int64_t horizon = 0;
  std::uint64_t evaluations = 0;
  bool started = false;

  void save(io::CheckpointSectionWriter& out) const {
    out.i64(steps).i64(updates).i64(target).i64(horizon).u64(evaluations).boolean(started);
  }
  static TrainerCounters load(io::CheckpointSectionReader& in) {
    TrainerCounters c;
    c.steps = in.i64();
    c.updates = in.i64();
    c.target = in.i64();
    c.horizon = in.i64();
    c.evaluations = in.u64();
    c.started = in.boolean();
    const auto valid = [](std::int64_t v) { return v >= 0 && v <= io::max_saved_count; };
    require<CheckpointError>(valid(c.steps) && valid(c.updates) && valid(c.target) && valid(c.horizon) &&
                                 c.evaluations <= static_cast<std::uint64_t>(io::max_saved_count),
                             "checkpoint section '{}': counters out of range (steps {}, updates {}, asked {}, horizon {}, "
                             "evaluations {})", in.name(), c.steps, c.updates, c.target, c.horizon, c.evaluations);
    return c;
  }
};

/// What a load says when the environment copies started fresh episodes.
inline std::string fresh_episodes_message(Index n_envs, bool saves_episodes) {
  return fmt::format("the {} environment copies started fresh episodes: {}", n_envs,
                     saves_episodes ? "an environment had thrown before the save"
                                    : "the environment type is not a SavableEnvironment");
}

}  // namespace theta::detail
