#pragma once
/// \file LoadResult: what a trainer's `load` reports.

#include <string>

namespace theta {

/// What `load` restored beyond the state every checkpoint holds.
struct LoadResult {
  /// True when every environment copy continues its saved episode exactly (the environment is a
  /// `SavableEnvironment`); false when they started fresh episodes from the next seeds of their
  /// sequences, because the environment cannot be saved or had thrown before the save.
  bool episodes_continued = true;
  /// False when an off-policy checkpoint was saved without its replay buffer: the buffer was
  /// emptied and fills again from the next step.
  bool replay_buffer_restored = true;
  /// Empty, or a sentence saying what was not restored and what the trainer did instead.
  std::string message;
};

}  // namespace theta
