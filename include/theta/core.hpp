#pragma once
/// \file The core group: scalar aliases, errors, checked step arithmetic, Rng and the thread pool.

#include <theta/core/checked_add.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/core/thread_pool.hpp>
