#pragma once
/// \file The exceptions of theta::mujoco: MuJoCo's fatal errors and diverging simulations.

#include <theta/core/error.hpp>

namespace theta::mujoco {

/// MuJoCo reported a fatal error (`mju_error`: a data object that does not fit in memory, a
/// stack overflow inside `mj_step`). Without theta's handler MuJoCo would print it, append it
/// to `MUJOCO_LOG.TXT` and call `exit(1)`.
class MujocoError : public EnvironmentError {
 public:
  using EnvironmentError::EnvironmentError;
};

/// The simulation diverged: a position, velocity or acceleration became NaN or larger than
/// 1e10 (`mjMAXVAL`), or the control was. MuJoCo answers that by resetting the data to the
/// model's initial state and carrying on, which would hand the learner a teleported robot and
/// a made-up reward; theta raises this instead (as dm_control's `PhysicsError` does) and the
/// environment needs `reset` before it steps again.
class DivergenceError : public EnvironmentError {
 public:
  using EnvironmentError::EnvironmentError;
};

}  // namespace theta::mujoco
