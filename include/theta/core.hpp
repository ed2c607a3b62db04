#pragma once
/// \file The core group: scalar aliases, errors, checked step arithmetic, Rng, the thread pool and
/// the data-parallel split of a batch over it.

#include <theta/core/checked_add.hpp>
#include <theta/core/data_parallel.hpp>
#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/core/thread_pool.hpp>
