#pragma once
/// \file QNetwork: theta's Q(s, a), an MLP over [s; a] (SAC's default critic).

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/nn/mlp.hpp>
#include <theta/policy/network.hpp>

#include <Eigen/Core>

namespace theta {

/// Q(s, a) as an MLP `[s; a] -> hidden -> 1` (obs_dim + act_dim inputs; orthogonal head gain
/// 1 when orthogonal). Satisfies `QFunction`: three workspaces, so that the critic-loss pass,
/// the actor-loss pass and the untaped `predict` never overwrite each other's tape. Batches
/// are at most `max_batch`; nothing allocates after construction. Copies (SAC's targets) get
/// their own workspaces.
///
///     theta::QNetwork<float> q(obs_dim, act_dim, {.hidden = {256, 256}}, /*max_batch=*/256, rng);
///     auto values = q.forward(obs, actions);   // recorded
///     q.backward(dloss_dq);                    // adds to gradients()
template <Real T = Scalar>
class QNetwork {
 public:
  using Scalar = T;

  QNetwork(Index obs_dim, Index act_dim, const NetworkConfig& config, Index max_batch, Rng& rng)
      : net_((check(obs_dim, act_dim, config), detail::make_network<T>(config, obs_dim + act_dim, 1, 1.0, rng))),
        train_ws_(net_.make_workspace(max_batch)),
        policy_ws_(net_.make_workspace(max_batch)),
        predict_ws_(net_.make_workspace(max_batch)),
        input_grad_(obs_dim + act_dim, max_batch),
        obs_dim_(obs_dim) {}

  [[nodiscard]] Index obs_dim() const noexcept { return obs_dim_; }
  [[nodiscard]] Index act_dim() const noexcept { return net_.inputs() - obs_dim_; }

  /// Q at (s, a) without a tape, into `out` (B).
  void predict(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& actions,
               Eigen::Ref<Vector<T>> out) {
    out = run(predict_ws_, obs, actions);
  }
  /// Q at (s, a), recorded for `backward`.
  Eigen::Map<const Vector<T>> forward(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& actions) {
    return run(train_ws_, obs, actions);
  }
  /// Adds the gradient of sum_b dq_b Q(s_b, a_b) for the last `forward`.
  void backward(const Eigen::Ref<const Vector<T>>& dq) { net_.backward(train_ws_, dq.transpose()); }

  /// Q at (s, a) for the actor loss, recorded for `action_gradient`.
  Eigen::Map<const Vector<T>> forward_policy(const Eigen::Ref<const Matrix<T>>& obs,
                                             const Eigen::Ref<const Matrix<T>>& actions) {
    return run(policy_ws_, obs, actions);
  }
  /// d(sum_b dq_b Q(s_b, a_b)) / da (act_dim x B) for the last `forward_policy`; the
  /// parameters' gradients are not touched.
  void action_gradient(const Eigen::Ref<const Vector<T>>& dq, Eigen::Ref<Matrix<T>> grad_actions) {
    auto input_grad = input_grad_.leftCols(dq.size());
    net_.input_gradient(policy_ws_, dq.transpose(), input_grad);
    grad_actions = input_grad.bottomRows(act_dim());
  }

  void zero_grad() noexcept { net_.zero_grad(); }
  [[nodiscard]] Eigen::Map<Vector<T>> parameters() noexcept { return net_.parameters(); }
  [[nodiscard]] Eigen::Map<Vector<T>> gradients() noexcept { return net_.gradients(); }
  [[nodiscard]] Eigen::Map<const Vector<T>> parameters() const noexcept { return net_.parameters(); }
  [[nodiscard]] nn::Mlp<T>& network() noexcept { return net_; }
  [[nodiscard]] const nn::Mlp<T>& network() const noexcept { return net_; }

 private:
  using Workspace = typename nn::Mlp<T>::Workspace;

  static void check(Index obs_dim, Index act_dim, const NetworkConfig& config) {
    require<ConfigError>(obs_dim >= 1 && act_dim >= 1, "QNetwork: obs_dim and act_dim must be >= 1, got {} and {}",
                         obs_dim, act_dim);
    detail::forbid_dropout(config, "QNetwork");
  }

  // Writes [s; a] straight into the workspace's input and runs the pass.
  Eigen::Map<const Vector<T>> run(Workspace& ws, const Eigen::Ref<const Matrix<T>>& obs,
                                  const Eigen::Ref<const Matrix<T>>& actions) const {
    require(obs.cols() == actions.cols() && obs.rows() == obs_dim_ && actions.rows() == act_dim(),
            "QNetwork: observations are {} x {} and actions {} x {}, expected {} x B and {} x B", obs.rows(), obs.cols(),
            actions.rows(), actions.cols(), obs_dim_, act_dim());
    auto input = ws.input(obs.cols());
    input.topRows(obs_dim_) = obs;
    input.bottomRows(act_dim()) = actions;
    net_.forward(ws);
    const auto y = ws.output();  // 1 x B: contiguous
    return Eigen::Map<const Vector<T>>(y.data(), y.cols());
  }

  nn::Mlp<T> net_;
  Workspace train_ws_;
  Workspace policy_ws_;
  Workspace predict_ws_;
  Matrix<T> input_grad_;
  Index obs_dim_;
};

}  // namespace theta
