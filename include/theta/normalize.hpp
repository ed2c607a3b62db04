#pragma once
/// \file The normalisation group: running statistics, observation and reward normalisation.

#include <theta/normalize/observation_normalizer.hpp>
#include <theta/normalize/reward_scaler.hpp>
#include <theta/normalize/running_mean_std.hpp>
