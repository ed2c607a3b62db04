#pragma once
/// \file Weight initialisers for `Linear` layers, whole `Mlp`s and recurrent layers, drawing
/// from `theta::Rng`.
/// Entries are drawn in the flat (column-major) order, so the same seed gives the same
/// weights on every platform.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/nn/linear.hpp>
#include <theta/nn/mlp.hpp>
#include <theta/nn/recurrent.hpp>

#include <Eigen/Core>
#include <Eigen/QR>

#include <cmath>

namespace theta::nn {

/// W <- gain * Q with Q a random (semi-)orthogonal matrix, b <- 0: after Saxe et al. (2014),
/// the same construction as `torch.nn.init.orthogonal_`. A standard normal matrix (transposed
/// when out < in) is QR-factorised and Q's columns are multiplied by sign(diag(R)), which
/// makes Q Haar-distributed. Then W W^T = gain^2 I when out <= in, W^T W = gain^2 I otherwise.
///
///     theta::nn::init_orthogonal(net.layer(0), std::sqrt(2.0), rng);
template <Real T>
void init_orthogonal(Linear<T> layer, double gain, Rng& rng) {
  const Index rows = layer.outputs(), cols = layer.inputs();
  const bool transpose = rows < cols;
  const Index tall = transpose ? cols : rows, narrow = transpose ? rows : cols;
  Eigen::MatrixXd normal(tall, narrow);
  for (Index j = 0; j < narrow; ++j) {
    for (Index i = 0; i < tall; ++i) normal(i, j) = rng.normal<double>();
  }
  // QR in double: float rounding would leave W^T W visibly off gain^2 I for 256-wide layers.
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(normal);
  Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(tall, narrow);
  for (Index j = 0; j < narrow; ++j) {
    if (qr.matrixQR()(j, j) < 0) q.col(j) = -q.col(j);
  }
  if (transpose) {
    layer.weight() = (gain * q.transpose()).cast<T>();
  } else {
    layer.weight() = (gain * q).cast<T>();
  }
  layer.bias().setZero();
}

/// W ~ U(-a, a) with a = gain * sqrt(6 / (in + out)) (Glorot and Bengio 2010,
/// `torch.nn.init.xavier_uniform_`), b <- 0.
template <Real T>
void init_xavier_uniform(Linear<T> layer, Rng& rng, double gain = 1.0) {
  const double a = gain * std::sqrt(6.0 / static_cast<double>(layer.inputs() + layer.outputs()));
  auto w = layer.weight();
  for (Index k = 0; k < w.size(); ++k) w.data()[k] = static_cast<T>(rng.uniform<double>(-a, a));
  layer.bias().setZero();
}

/// PyTorch's default for `nn.Linear`: W and b ~ U(-1/sqrt(in), 1/sqrt(in)). (PyTorch writes
/// the weight bound as kaiming_uniform_ with a = sqrt(5), which reduces to the same 1/sqrt(in).)
template <Real T>
void init_torch_default(Linear<T> layer, Rng& rng) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(layer.inputs()));
  auto w = layer.weight();
  for (Index k = 0; k < w.size(); ++k) w.data()[k] = static_cast<T>(rng.uniform<double>(-bound, bound));
  auto b = layer.bias();
  for (Index k = 0; k < b.size(); ++k) b[k] = static_cast<T>(rng.uniform<double>(-bound, bound));
}

/// Orthogonal init of a whole network, SB3/CleanRL style: hidden layers with `hidden_gain`
/// (sqrt(2) in both), the last layer with `output_gain` (0.01 for a policy head, 1 for a
/// value head), all biases 0.
///
///     theta::nn::init_orthogonal(actor, std::sqrt(2.0), 0.01, rng);
///     theta::nn::init_orthogonal(critic, std::sqrt(2.0), 1.0, rng);
template <Real T>
void init_orthogonal(Mlp<T>& net, double hidden_gain, double output_gain, Rng& rng) {
  for (Index l = 0; l < net.num_layers(); ++l) {
    init_orthogonal(net.layer(l), l + 1 == net.num_layers() ? output_gain : hidden_gain, rng);
  }
}

/// Xavier-uniform init of every layer with one gain, biases 0.
template <Real T>
void init_xavier_uniform(Mlp<T>& net, Rng& rng, double gain = 1.0) {
  for (Index l = 0; l < net.num_layers(); ++l) init_xavier_uniform(net.layer(l), rng, gain);
}

/// PyTorch's default init of every layer (what an untouched `nn.Sequential` of `nn.Linear`
/// starts from; SB3's SAC uses it).
template <Real T>
void init_torch_default(Mlp<T>& net, Rng& rng) {
  for (Index l = 0; l < net.num_layers(); ++l) init_torch_default(net.layer(l), rng);
}

/// PyTorch's default for `nn.GRU` and `nn.LSTM`: every weight and bias ~ U(-1/sqrt(H),
/// 1/sqrt(H)), H the hidden size, drawn in flat order. sb3-contrib's RecurrentPPO keeps this
/// default for its LSTM (its orthogonal initialisation reaches only the linear layers), so it
/// is the recurrent policies' default here too (docs/nn.md, "Recurrent layers").
///
///     theta::nn::init_torch_default(gru, rng);
template <Cell C, Real T>
void init_torch_default(Recurrent<C, T>& layer, Rng& rng) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(layer.hidden()));
  auto p = layer.parameters();
  for (Index k = 0; k < p.size(); ++k) p[k] = static_cast<T>(rng.uniform<double>(-bound, bound));
}

/// W_ih <- gain * Q1 and W_hh <- gain * Q2, each a random (semi-)orthogonal matrix over all its
/// gates at once (G H x in and G H x H, as `torch.nn.init.orthogonal_` on `weight_ih_l0` and
/// `weight_hh_l0`), both biases 0: CleanRL's initialisation of its LSTM (gain 1) in
/// ppo_atari_lstm.py. W_ih is drawn first.
template <Cell C, Real T>
void init_orthogonal(Recurrent<C, T>& layer, double gain, Rng& rng) {
  // Through the Linear initialiser (whose instances may be compiled once, THETA_EXTERN_KERNELS)
  // on a scratch layer: the recurrent weights have no bias of their own right after them.
  const auto draw = [&](auto weight) {
    Vector<T> scratch(Linear<T>::size(weight.cols(), weight.rows()));
    const Linear<T> linear(weight.cols(), weight.rows(), scratch.data());
    init_orthogonal(linear, gain, rng);
    weight = linear.weight();
  };
  draw(layer.weight_ih());
  draw(layer.weight_hh());
  layer.bias_ih().setZero();
  layer.bias_hh().setZero();
}

/// The orthogonal initialiser's float and double instances (a double QR and Eigen's double
/// GEMM under it, about 5 s of compile time per unit at -O3): `extern template` with
/// THETA_EXTERN_KERNELS, defined by theta/nn/instantiate_kernels.hpp like the GEMM kernels.
#define THETA_DETAIL_INIT_INSTANCES(prefix)                                 \
  prefix void init_orthogonal<float>(Linear<float>, double, Rng&);          \
  prefix void init_orthogonal<double>(Linear<double>, double, Rng&);

#ifdef THETA_EXTERN_KERNELS
THETA_DETAIL_INIT_INSTANCES(extern template)
#endif

}  // namespace theta::nn
