#pragma once
/// \file The buffer group: on-policy rollouts (and, with SAC, the replay buffer).

#include <theta/buffer/rollout_buffer.hpp>
