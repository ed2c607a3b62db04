#pragma once
/// \file The environment group: contract, spaces, wrappers, vector environment, checks and
/// the classic-control environments.

#include <theta/env/check.hpp>
#include <theta/env/classic.hpp>
#include <theta/env/concepts.hpp>
#include <theta/env/savable.hpp>
#include <theta/env/spaces.hpp>
#include <theta/env/step_result.hpp>
#include <theta/env/time_limit.hpp>
#include <theta/env/vector_env.hpp>
#include <theta/env/without_action_mask.hpp>
