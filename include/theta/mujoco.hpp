#pragma once
/// \file The MuJoCo group (optional: needs MuJoCo and the `theta::mujoco` CMake target):
/// model loading, message handlers, the generic `MujocoEnv` adapter and Gymnasium's v5
/// locomotion environments HalfCheetah, Hopper, Walker2d, Ant and Humanoid (docs/mujoco.md).
/// `theta/theta.hpp` does not include it.

#include <theta/mujoco/ant.hpp>
#include <theta/mujoco/error.hpp>
#include <theta/mujoco/half_cheetah.hpp>
#include <theta/mujoco/hopper.hpp>
#include <theta/mujoco/humanoid.hpp>
#include <theta/mujoco/messages.hpp>
#include <theta/mujoco/model.hpp>
#include <theta/mujoco/mujoco_env.hpp>
#include <theta/mujoco/walker2d.hpp>
#include <theta/env/time_limit.hpp>
