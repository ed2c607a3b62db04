#pragma once
/// \file The optimizers group: Sgd, Adam, RmsProp, the Optimizer concept, gradient clipping,
/// conjugate gradient and the backtracking line search. Schedules are in core/schedule.hpp.

#include <theta/optim/adam.hpp>
#include <theta/optim/clip_grad_norm.hpp>
#include <theta/optim/concepts.hpp>
#include <theta/optim/conjugate_gradient.hpp>
#include <theta/optim/hogwild.hpp>
#include <theta/optim/line_search.hpp>
#include <theta/optim/rmsprop.hpp>
#include <theta/optim/sgd.hpp>
