#pragma once
/// \file ValueFunction: the critic V(s) of the on-policy algorithms.

#include <theta/core/scalar.hpp>
#include <theta/nn/mlp.hpp>
#include <theta/policy/network.hpp>

#include <Eigen/Core>

namespace theta {

/// V(s) as an MLP `obs_dim -> hidden -> 1` (orthogonal head gain 1, SB3's value head).
/// Two workspaces: one for inference on collection-sized batches, one whose pass is recorded
/// for a training minibatch. Nothing allocates after construction.
///
///     theta::ValueFunction<float> critic(obs_dim, {}, /*max_act_batch=*/8, /*max_train_batch=*/256, rng);
///     critic.predict(obs, values);            // inference, obs_dim x B -> B
///     auto v = critic.forward(obs_minibatch); // recorded
///     critic.backward(dloss_dv);              // adds to gradients()
template <Real T = Scalar>
class ValueFunction {
 public:
  using Scalar = T;
  ValueFunction(Index obs_dim, const NetworkConfig& config, Index max_act_batch, Index max_train_batch, Rng& rng)
      : net_(detail::make_network<T>(config, obs_dim, 1, 1.0, rng)),
        act_ws_(net_.make_workspace(max_act_batch)),
        train_ws_(net_.make_workspace(max_train_batch)) {
    detail::forbid_dropout(config, "ValueFunction");
  }

  /// Values of a batch (obs_dim x B, B <= max_act_batch) into `out` (B).
  void predict(const Eigen::Ref<const Matrix<T>>& obs, Eigen::Ref<Vector<T>> out) {
    out = net_.forward(obs, act_ws_).row(0).transpose();
  }

  /// Values of a training batch (B <= max_train_batch), recorded for `backward`.
  Eigen::Map<const Vector<T>> forward(const Eigen::Ref<const Matrix<T>>& obs) {
    const auto y = net_.forward(obs, train_ws_);  // 1 x B: contiguous
    return Eigen::Map<const Vector<T>>(y.data(), y.cols());
  }

  /// Adds d(loss)/d(theta) given d(loss)/d(value) per sample of the last `forward`.
  void backward(const Eigen::Ref<const Vector<T>>& dvalues) { net_.backward(train_ws_, dvalues.transpose()); }

  void zero_grad() noexcept { net_.zero_grad(); }
  [[nodiscard]] Eigen::Map<Vector<T>> parameters() noexcept { return net_.parameters(); }
  [[nodiscard]] Eigen::Map<Vector<T>> gradients() noexcept { return net_.gradients(); }
  [[nodiscard]] nn::Mlp<T>& network() noexcept { return net_; }
  [[nodiscard]] const nn::Mlp<T>& network() const noexcept { return net_; }

 private:
  nn::Mlp<T> net_;
  typename nn::Mlp<T>::Workspace act_ws_;
  typename nn::Mlp<T>::Workspace train_ws_;
};

}  // namespace theta
