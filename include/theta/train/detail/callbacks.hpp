#pragma once
/// \file Private: calls the optional members of duck-typed callbacks (see
/// theta/train/callbacks.hpp). Shared by the on-policy and off-policy trainers.

#include <theta/log/logger.hpp>

namespace theta::detail {

/// `callback.on_step(trainer)` if it exists, else true (go on).
template <class C, class Trainer>
bool call_step(C& callback, Trainer& trainer) {
  if constexpr (requires { callback.on_step(trainer); }) return callback.on_step(trainer);
  return true;
}

/// `callback.on_rollout_end(trainer)` if it exists, else true.
template <class C, class Trainer>
bool call_rollout_end(C& callback, Trainer& trainer) {
  if constexpr (requires { callback.on_rollout_end(trainer); }) return callback.on_rollout_end(trainer);
  return true;
}

/// `callback.on_update_end(trainer, record)` if it exists, else true.
template <class C, class Trainer>
bool call_update_end(C& callback, Trainer& trainer, LogRecord& record) {
  if constexpr (requires { callback.on_update_end(trainer, record); }) return callback.on_update_end(trainer, record);
  return true;
}

}  // namespace theta::detail
