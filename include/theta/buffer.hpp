#pragma once
/// \file The buffer group: on-policy rollouts and the off-policy replay buffer.

#include <theta/buffer/replay_buffer.hpp>
#include <theta/buffer/rollout_buffer.hpp>
