#pragma once
/// \file RecurrentValueFunction: the critic V(s_1..s_t) of a recurrent actor-critic, a GRU or
/// LSTM with hidden linear layers and a scalar output (sb3-contrib's `enable_critic_lstm`).

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/nn/recurrent.hpp>
#include <theta/policy/recurrent_network.hpp>

#include <Eigen/Core>

#include <fmt/format.h>

namespace theta {

/// V(s_1..s_t) = f(h_t), h_t the output of a GRU or LSTM (`C`) over the episode's
/// observations and f the config's hidden linear layers and a linear output to one value
/// (with `Init::orthogonal` the output starts with gain 1, SB3's value head).
///
/// Like `RecurrentCategoricalPolicy`, it keeps one acting state per environment slot, which
/// the trainer resets at episode starts (`SequenceValueFunction`):
///
/// - `step(obs, values, context)`: values of the collected step, advancing slots 0..B-1 and
///   writing the state each started from (the context the rollout buffer stores);
/// - `predict(obs, values)` (`StateValueFunction`): values one step from the slots' state
///   without advancing it (the bootstrap value of a truncated episode's final observation, or
///   of the observation after the rollout);
/// - `forward_sequences(obs, initial_states, episode_starts)`: the recorded training pass over
///   sequences, differentiated back through time by `backward`.
///
///     theta::RecurrentValueFunction<float> v(obs_dim, {.hidden = 64, .layers = {64}}, n_envs, 256, rng);
template <Real T = Scalar, nn::Cell C = nn::Cell::lstm>
class RecurrentValueFunction {
 public:
  using Scalar = T;
  using Layer = nn::Recurrent<C, T>;
  using Network = detail::RecurrentNetwork<T, C>;

  RecurrentValueFunction(Index obs_dim, const RecurrentNetworkConfig& config, Index max_act_batch, Index max_train_batch,
                         Rng& rng)
      : net_("RecurrentValueFunction", obs_dim, config, 1, 1.0, max_act_batch, max_train_batch, rng) {}

  /// Rows of the context: the recurrent state, H (GRU) or 2H (LSTM).
  [[nodiscard]] Index context_rows() const noexcept { return net_.state_rows(); }
  [[nodiscard]] Eigen::Map<Matrix<T>> state() noexcept { return net_.state(); }
  [[nodiscard]] Eigen::Map<const Matrix<T>> state() const noexcept { return net_.state(); }
  void reset_states() noexcept { net_.reset_states(); }
  void reset_states(const Eigen::Ref<const Vector<T>>& starts) { net_.reset_states(starts); }

  /// Values of observations (obs_dim x B) one step from slots 0..B-1, which then hold the state
  /// after the step; `context` (context_rows x B) receives the state each started from.
  void step(const Eigen::Ref<const Matrix<T>>& obs, Eigen::Ref<Vector<T>> out, Eigen::Ref<Matrix<T>> context) {
    check_out(out, obs.cols(), "step");
    out = net_.act(obs, &context).row(0).transpose();
  }

  /// Values one step from slots 0..B-1 without changing their state.
  void predict(const Eigen::Ref<const Matrix<T>>& obs, Eigen::Ref<Vector<T>> out) {
    check_out(out, obs.cols(), "predict");
    out = net_.peek(obs).row(0).transpose();
  }

  /// A recurrent critic has no training pass without the states its steps started from: use
  /// `forward(obs, context)` or `forward_sequences`. Throws `theta::Error`.
  Eigen::Map<const Vector<T>> forward(const Eigen::Ref<const Matrix<T>>&) {
    throw Error("RecurrentValueFunction::forward: a recurrent critic needs the state each step started from; pass "
                "the context step wrote (forward(obs, context) or forward_sequences)");
  }

  /// Recorded values of a training batch, one step per sample from its stored state.
  Eigen::Map<const Vector<T>> forward(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& context) {
    const auto v = net_.forward(obs, context, "forward");
    return {v.data(), v.cols()};
  }

  /// Recorded values of S sequences of L steps (layout as `RecurrentCategoricalPolicy::evaluate_sequences`).
  Eigen::Map<const Vector<T>> forward_sequences(const Eigen::Ref<const Matrix<T>>& obs,
                                                const Eigen::Ref<const Matrix<T>>& initial_states,
                                                const Eigen::Ref<const Matrix<T>>& episode_starts) {
    const auto v = net_.forward_sequences(obs, initial_states, episode_starts, "forward_sequences");
    return {v.data(), v.cols()};
  }

  /// Adds the gradient of sum_b dvalues_b V_b for the recorded pass.
  void backward(const Eigen::Ref<const Vector<T>>& dvalues) {
    net_.backward(Eigen::Map<const Matrix<T>>(dvalues.data(), 1, dvalues.size()));
  }

  [[nodiscard]] Index num_parameters() const noexcept { return net_.parameters().size(); }
  [[nodiscard]] Eigen::Map<Vector<T>> parameters() noexcept { return net_.parameters(); }
  [[nodiscard]] Eigen::Map<Vector<T>> gradients() noexcept { return net_.gradients(); }
  [[nodiscard]] Eigen::Map<const Vector<T>> parameters() const noexcept { return net_.parameters(); }
  void zero_grad() noexcept { net_.zero_grad(); }
  [[nodiscard]] Network& network() noexcept { return net_; }
  [[nodiscard]] const Network& network() const noexcept { return net_; }

 private:
  static void check_out(const Eigen::Ref<Vector<T>>& out, Index batch, const char* what) {
    require(out.size() == batch, "RecurrentValueFunction::{}: out has {} entries for {} observations", what, out.size(),
            batch);
  }

  Network net_;
};

}  // namespace theta
