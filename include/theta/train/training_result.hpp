#pragma once
/// \file TrainingResult: what a trainer's `learn` reports.

#include <cstdint>
#include <string>

namespace theta {

/// What `learn` did (on-policy and off-policy trainers alike).
struct TrainingResult {
  std::int64_t steps = 0;    ///< environment steps since the trainer was built
  std::int64_t updates = 0;  ///< updates since the trainer was built (off-policy: gradient steps)
  double seconds = 0;        ///< wall time of this call
  bool stopped_by_callback = false;
  /// Empty, or what the caller should know about a call that did not do what was likely meant:
  /// SAC that took no gradient step because `learning_starts` was not passed (issue 13).
  std::string warning;
};

}  // namespace theta
