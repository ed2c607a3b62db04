#pragma once
/// \file The network part of a policy or value function: hidden layers, activation and the
/// initialisation scheme, and the helper that builds and initialises an `nn::Mlp` from it.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/nn/activation.hpp>
#include <theta/nn/init.hpp>
#include <theta/nn/mlp.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <string>
#include <vector>

namespace theta {

/// How the weights of a network start.
enum class Init {
  /// Orthogonal (Saxe et al. 2014) with the SB3/CleanRL gains: sqrt(2) for hidden layers and
  /// the head gain of the network's role (0.01 policy head, 1 value head); biases 0.
  orthogonal,
  /// Xavier/Glorot uniform, biases 0.
  xavier_uniform,
  /// PyTorch's default `nn.Linear` initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for
  /// weights and biases (RLtools and the PyTorch REINFORCE example).
  torch_default,
};

/// Hidden layers, activation and initialisation of one network.
///
///     theta::NetworkConfig net{.hidden = {64, 64}, .activation = theta::nn::Activation::tanh};
struct NetworkConfig {
  std::vector<Index> hidden = {64, 64};              ///< hidden widths (SB3's default net_arch)
  nn::Activation activation = nn::Activation::tanh;  ///< after every hidden layer
  Init init = Init::orthogonal;                      ///< weight initialisation
  /// Dropout probability after every hidden activation in training passes (0: off). Actors
  /// only: theta's policies keep the masks drawn when acting as their context
  /// (`ContextPolicy`), and every on-policy update recomputes the acting pass with them (see
  /// docs/algorithms/reinforce.md, whose default uses it). Critics reject it.
  double dropout = 0.0;

  /// "hidden [64, 64], activation 1, init 0, dropout 0": what a checkpoint records of it.
  [[nodiscard]] std::string describe() const {
    return fmt::format("hidden [{}], activation {}, init {}, dropout {}", fmt::join(hidden, ", "),
                       static_cast<int>(activation), static_cast<int>(init), dropout);
  }
};

/// Checks a network description, naming the config field (`ppo::Config::actor`) in errors:
/// every hidden width >= 1, dropout in [0, 1), or exactly 0 when `allows_dropout` is false.
inline void validate(const NetworkConfig& config, const char* field, bool allows_dropout = true) {
  for (std::size_t i = 0; i < config.hidden.size(); ++i) {
    require<ConfigError>(config.hidden[i] >= 1, "{}.hidden[{}] must be >= 1, got {}", field, i, config.hidden[i]);
  }
  if (allows_dropout) {
    require<ConfigError>(config.dropout >= 0 && config.dropout < 1, "{}.dropout must be in [0, 1), got {}", field,
                         config.dropout);
  } else {
    require<ConfigError>(config.dropout == 0, "{}.dropout must be 0 (a critic's predictions and its training passes "
                         "must be the same function), got {}", field, config.dropout);
  }
}

namespace detail {

/// Builds `inputs -> hidden -> outputs` (linear head) and initialises it; `head_gain` is the
/// orthogonal gain of the last layer; `extra_parameters` as `nn::Mlp`'s constructor.
template <Real T>
nn::Mlp<T> make_network(const NetworkConfig& config, Index inputs, Index outputs, double head_gain, Rng& rng,
                        Index extra_parameters = 0) {
  nn::Mlp<T> net(nn::MlpConfig{.inputs = inputs,
                               .hidden = config.hidden,
                               .outputs = outputs,
                               .hidden_activation = config.activation,
                               .output_activation = nn::Activation::identity,
                               .dropout = config.dropout},
                 extra_parameters);
  switch (config.init) {
    case Init::orthogonal:
      nn::init_orthogonal(net, std::sqrt(2.0), head_gain, rng);
      break;
    case Init::xavier_uniform:
      nn::init_xavier_uniform(net, rng);
      break;
    case Init::torch_default:
      nn::init_torch_default(net, rng);
      break;
  }
  return net;
}

/// Names a dropout mask matrix of the wrong shape: `rows` (the policy's context_rows()) x `batch`.
template <class Derived>
void check_masks(const Eigen::MatrixBase<Derived>& masks, Index rows, Index batch, const char* who) {
  require(masks.rows() == rows && masks.cols() == batch, "{}: dropout masks must be {} x {}, got {} x {}", who, rows,
          batch, masks.rows(), masks.cols());
}

/// Rejects dropout for a network whose acting and training passes must be the same function.
inline void forbid_dropout(const NetworkConfig& config, const char* who) {
  require<ConfigError>(config.dropout == 0,
                       "{}: dropout is not supported here (a critic must predict with the function it trains), got {}", who,
                       config.dropout);
}

}  // namespace detail
}  // namespace theta
