#pragma once
/// \file The update rules: REINFORCE, A2C, PPO, TRPO, SAC (and their loss pieces).

#include <theta/algo/a2c.hpp>
#include <theta/algo/a3c.hpp>
#include <theta/algo/losses.hpp>
#include <theta/algo/ppo.hpp>
#include <theta/algo/reinforce.hpp>
#include <theta/algo/sac.hpp>
#include <theta/algo/trpo.hpp>
#include <theta/algo/update_rule.hpp>
