#pragma once
/// \file The distributions group: Categorical (discrete actions), MultiCategorical
/// (multi-discrete actions), DiagGaussian (continuous actions of REINFORCE, A2C, PPO, TRPO) and
/// SquashedGaussian (SAC).

#include <theta/distributions/categorical.hpp>
#include <theta/distributions/diag_gaussian.hpp>
#include <theta/distributions/multi_categorical.hpp>
#include <theta/distributions/squashed_gaussian.hpp>
