#pragma once
/// \file The policy group: actors and critics built from `nn::Mlp` and the distributions.

#include <theta/policy/categorical_policy.hpp>
#include <theta/policy/gaussian_policy.hpp>
#include <theta/policy/network.hpp>
#include <theta/policy/squashed_gaussian_policy.hpp>
#include <theta/policy/twin_q.hpp>
#include <theta/policy/value_function.hpp>
