#pragma once
/// \file The classic-control environments of Gymnasium 1.3.0, reproduced step for step:
/// CartPole, Acrobot, MountainCar, MountainCarContinuous and Pendulum, and CartPoleNoVelocity
/// (CartPole with the velocities hidden, for recurrent policies) (docs/environments.md). Each
/// declares its registered `max_episode_steps`; `theta::TimeLimit<Env>`, included here,
/// applies it.

#include <theta/env/classic/acrobot.hpp>
#include <theta/env/classic/cartpole.hpp>
#include <theta/env/classic/cartpole_no_velocity.hpp>
#include <theta/env/classic/mountain_car.hpp>
#include <theta/env/classic/mountain_car_continuous.hpp>
#include <theta/env/classic/pendulum.hpp>
#include <theta/env/time_limit.hpp>
