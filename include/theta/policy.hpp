#pragma once
/// \file The policy group: actors and critics built from `nn::Mlp` and the distributions.

#include <theta/policy/categorical_policy.hpp>
#include <theta/policy/gaussian_policy.hpp>
#include <theta/policy/network.hpp>
#include <theta/policy/q_function.hpp>
#include <theta/policy/q_network.hpp>
#include <theta/policy/recurrent_categorical_policy.hpp>
#include <theta/policy/recurrent_network.hpp>
#include <theta/policy/recurrent_value_function.hpp>
#include <theta/policy/squashed_gaussian_policy.hpp>
#include <theta/policy/squashed_policy.hpp>
#include <theta/policy/state_value_function.hpp>
#include <theta/policy/stochastic_policy.hpp>
#include <theta/policy/trust_region_policy.hpp>
#include <theta/policy/value_function.hpp>
