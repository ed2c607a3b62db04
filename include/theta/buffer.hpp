#pragma once
/// \file The buffer group: on-policy rollouts and the off-policy replay buffer.

#include <theta/buffer/advantage_estimator.hpp>
#include <theta/buffer/gae.hpp>
#include <theta/buffer/monte_carlo_returns.hpp>
#include <theta/buffer/replay_buffer.hpp>
#include <theta/buffer/rollout_buffer.hpp>
