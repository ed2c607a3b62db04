#pragma once
/// \file Neural-network components: activations, `Linear` views, `Mlp` with its workspace
/// (forward, backward, JVP without allocation) and initialisers.

#include <theta/nn/activation.hpp>
#include <theta/nn/init.hpp>
#include <theta/nn/linear.hpp>
#include <theta/nn/mlp.hpp>
#include <theta/nn/trainable.hpp>
