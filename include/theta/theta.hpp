#pragma once
/// \file Everything in theta except the optional adapters (MPI, MuJoCo).

#include <theta/core.hpp>
#include <theta/env.hpp>
