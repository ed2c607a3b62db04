#pragma once
/// \file The update rules: REINFORCE, A2C, PPO, TRPO (and their loss pieces).

#include <theta/algo/losses.hpp>
#include <theta/algo/ppo.hpp>
