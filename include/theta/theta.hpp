#pragma once
/// \file Everything in theta except the optional adapters (MPI, MuJoCo).

#include <theta/algo.hpp>
#include <theta/buffer.hpp>
#include <theta/core.hpp>
#include <theta/distributions.hpp>
#include <theta/env.hpp>
#include <theta/io.hpp>
#include <theta/log.hpp>
#include <theta/nn.hpp>
#include <theta/normalize.hpp>
#include <theta/optim.hpp>
#include <theta/policy.hpp>
#include <theta/train.hpp>
