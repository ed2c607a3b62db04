#pragma once
/// \file What the on-policy and off-policy trainers' checkpoints share: their counters, the
/// load that restores the trainer on an error, and the message for fresh episodes.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>
#include <theta/io/checkpoint.hpp>
#include <theta/train/load_result.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <vector>

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
    require<CheckpointError>(c.steps >= 0 && c.updates >= 0 && c.target >= 0 && c.horizon >= 0,
                             "checkpoint section '{}': negative counters (steps {}, updates {}, asked {}, horizon {})",
                             in.name(), c.steps, c.updates, c.target, c.horizon);
    return c;
  }
};

/// Runs `read(reader, false)`; if it throws, restores the trainer from `before` (its own
/// checkpoint taken just before) with `read(own, true)` and rethrows. Every component validates
/// before it assigns, but a later section can fail after an earlier one was assigned: this is
/// what leaves a trainer exactly as it was after any failed load.
template <class Read>
LoadResult load_or_restore(io::CheckpointReader& reader, const std::vector<std::uint8_t>& before, Read&& read) {
  try {
    return read(reader, /*restoring=*/false);
  } catch (...) {
    io::CheckpointReader own = io::CheckpointReader::parse(before, "the trainer's state before the load");
    read(own, /*restoring=*/true);
    throw;
  }
}

/// What a load says when the environment copies started fresh episodes.
inline std::string fresh_episodes_message(Index n_envs, bool saves_episodes) {
  return fmt::format("the {} environment copies started fresh episodes: {}", n_envs,
                     saves_episodes ? "an environment had thrown before the save"
                                    : "the environment type is not a SavableEnvironment");
}

}  // namespace theta::detail
