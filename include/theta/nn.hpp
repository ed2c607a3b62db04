#pragma once
/// \file Neural-network components: activations, `Linear` views, `Mlp` with its workspace
/// (forward, backward, JVP without allocation), the recurrent layers `Gru` and `Lstm`, and
/// initialisers.

#include <theta/nn/activation.hpp>
#include <theta/nn/init.hpp>
#include <theta/nn/linear.hpp>
#include <theta/nn/mlp.hpp>
#include <theta/nn/recurrent.hpp>
#include <theta/nn/trainable.hpp>
