#pragma once
/// \file TwinQ: two Q(s, a) critics and their Polyak-averaged target copies (clipped double
/// Q-learning, Fujimoto et al. 2018, as SAC uses it).

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/nn/mlp.hpp>
#include <theta/policy/network.hpp>

#include <Eigen/Core>

#include <array>

namespace theta {

/// Q_1 and Q_2, each an MLP `[s; a] -> hidden -> 1` (obs_dim + act_dim inputs), and target
/// networks Q'_1, Q'_2 that start as copies and follow by Polyak averaging.
///
/// Three kinds of pass, each with its own workspaces so that none overwrites another's tape:
/// - `forward(obs, actions)` then `backward(dq1, dq2)`: the critic loss on replayed actions;
/// - `forward_policy(obs, actions)` then `action_gradient(dq1, dq2, grad)`: the actor loss,
///   whose gradient flows into the actions only (the critic parameters are left alone);
/// - `target_values(next_obs, next_actions)`: the target networks, no gradient.
/// Batches are at most `max_batch`; nothing allocates after construction.
///
///     theta::TwinQ<float> critics(obs_dim, act_dim, net, /*max_batch=*/256, rng);
///     critics.target_values(next_obs, next_actions);   // then target_q1(), target_q2()
///     critics.forward(obs, actions);                    // then q1(), q2()
///     critics.backward(dq1, dq2);                       // adds to gradients(0), gradients(1)
///     critics.polyak_update(0.005);
template <Real T = Scalar>
class TwinQ {
 public:
  using Scalar = T;

  /// Q_1 and Q_2 are initialised one after the other from `rng` (head gain 1 when
  /// orthogonal); the targets are copies.
  TwinQ(Index obs_dim, Index act_dim, const NetworkConfig& config, Index max_batch, Rng& rng)
      : q_{detail::make_network<T>(config, obs_dim + act_dim, 1, 1.0, rng),
           detail::make_network<T>(config, obs_dim + act_dim, 1, 1.0, rng)},
        target_{q_[0], q_[1]},
        train_ws_{q_[0].make_workspace(max_batch), q_[1].make_workspace(max_batch)},
        policy_ws_{q_[0].make_workspace(max_batch), q_[1].make_workspace(max_batch)},
        target_ws_{q_[0].make_workspace(max_batch), q_[1].make_workspace(max_batch)},
        input_grad_(obs_dim + act_dim, max_batch),
        obs_dim_(obs_dim) {
    detail::forbid_dropout(config, "TwinQ");
    require<ConfigError>(obs_dim >= 1 && act_dim >= 1, "TwinQ: obs_dim and act_dim must be >= 1, got {} and {}",
                         obs_dim, act_dim);
    target_[0].zero_grad();
    target_[1].zero_grad();
  }

  [[nodiscard]] Index obs_dim() const noexcept { return obs_dim_; }
  [[nodiscard]] Index act_dim() const noexcept { return q_[0].inputs() - obs_dim_; }

  /// Q'_1 and Q'_2 at (s', a'), read back with `target_q1()`, `target_q2()`.
  void target_values(const Eigen::Ref<const Matrix<T>>& next_obs, const Eigen::Ref<const Matrix<T>>& next_actions) {
    for (std::size_t i = 0; i < 2; ++i) run(target_[i], target_ws_[i], next_obs, next_actions);
  }
  [[nodiscard]] Eigen::Map<const Vector<T>> target_q1() const noexcept { return values(target_ws_[0]); }
  [[nodiscard]] Eigen::Map<const Vector<T>> target_q2() const noexcept { return values(target_ws_[1]); }

  /// Q_1 and Q_2 at (s, a), recorded for `backward`; read with `q1()`, `q2()`.
  void forward(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& actions) {
    for (std::size_t i = 0; i < 2; ++i) run(q_[i], train_ws_[i], obs, actions);
  }
  [[nodiscard]] Eigen::Map<const Vector<T>> q1() const noexcept { return values(train_ws_[0]); }
  [[nodiscard]] Eigen::Map<const Vector<T>> q2() const noexcept { return values(train_ws_[1]); }

  /// Adds ∂L/∂θ_i to Q_i's gradients given ∂L/∂Q_i per sample of the last `forward`.
  void backward(const Eigen::Ref<const Vector<T>>& dq1, const Eigen::Ref<const Vector<T>>& dq2) {
    q_[0].backward(train_ws_[0], dq1.transpose());
    q_[1].backward(train_ws_[1], dq2.transpose());
  }

  /// Q_1 and Q_2 at (s, a) for the actor loss, recorded for `action_gradient`; read with
  /// `policy_q1()`, `policy_q2()`.
  void forward_policy(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& actions) {
    for (std::size_t i = 0; i < 2; ++i) run(q_[i], policy_ws_[i], obs, actions);
  }
  [[nodiscard]] Eigen::Map<const Vector<T>> policy_q1() const noexcept { return values(policy_ws_[0]); }
  [[nodiscard]] Eigen::Map<const Vector<T>> policy_q2() const noexcept { return values(policy_ws_[1]); }

  /// ∂L/∂a = Σ_i ∂L/∂Q_i ∂Q_i/∂a (act_dim x B) for the last `forward_policy`; the critic
  /// parameters' gradients are not touched.
  void action_gradient(const Eigen::Ref<const Vector<T>>& dq1, const Eigen::Ref<const Vector<T>>& dq2,
                       Eigen::Ref<Matrix<T>> grad_actions) {
    const Index batch = dq1.size();
    auto input_grad = input_grad_.leftCols(batch);
    q_[0].input_gradient(policy_ws_[0], dq1.transpose(), input_grad);
    grad_actions = input_grad.bottomRows(act_dim());
    q_[1].input_gradient(policy_ws_[1], dq2.transpose(), input_grad);
    grad_actions += input_grad.bottomRows(act_dim());
  }

  /// θ'_i ← (1 - τ) θ'_i + τ θ_i (SB3's `polyak_update`, term for term).
  void polyak_update(double tau) {
    require(tau >= 0 && tau <= 1, "TwinQ::polyak_update: tau must be in [0, 1], got {}", tau);
    const auto t = static_cast<T>(tau), keep = static_cast<T>(1.0 - tau);
    for (std::size_t i = 0; i < 2; ++i) {
      target_[i].parameters() = keep * target_[i].parameters() + t * q_[i].parameters();
    }
  }

  void zero_grad() noexcept {
    q_[0].zero_grad();
    q_[1].zero_grad();
  }
  /// Q_i's parameters and gradients (i = 0, 1), flat.
  [[nodiscard]] Eigen::Map<Vector<T>> parameters(std::size_t i) noexcept { return q_[i].parameters(); }
  [[nodiscard]] Eigen::Map<Vector<T>> gradients(std::size_t i) noexcept { return q_[i].gradients(); }
  [[nodiscard]] nn::Mlp<T>& network(std::size_t i) noexcept { return q_[i]; }
  [[nodiscard]] const nn::Mlp<T>& network(std::size_t i) const noexcept { return q_[i]; }
  [[nodiscard]] nn::Mlp<T>& target_network(std::size_t i) noexcept { return target_[i]; }
  [[nodiscard]] const nn::Mlp<T>& target_network(std::size_t i) const noexcept { return target_[i]; }

 private:
  using Workspace = typename nn::Mlp<T>::Workspace;

  // Writes [s; a] straight into the workspace's input and runs the pass.
  void run(const nn::Mlp<T>& net, Workspace& ws, const Eigen::Ref<const Matrix<T>>& obs,
           const Eigen::Ref<const Matrix<T>>& actions) const {
    require(obs.cols() == actions.cols() && obs.rows() == obs_dim_ && actions.rows() == act_dim(),
            "TwinQ: observations are {} x {} and actions {} x {}, expected {} x B and {} x B", obs.rows(), obs.cols(),
            actions.rows(), actions.cols(), obs_dim_, act_dim());
    auto input = ws.input(obs.cols());
    input.topRows(obs_dim_) = obs;
    input.bottomRows(act_dim()) = actions;
    net.forward(ws);
  }

  static Eigen::Map<const Vector<T>> values(const Workspace& ws) noexcept {
    const auto y = ws.output();  // 1 x B: contiguous
    return Eigen::Map<const Vector<T>>(y.data(), y.cols());
  }

  std::array<nn::Mlp<T>, 2> q_;
  std::array<nn::Mlp<T>, 2> target_;
  std::array<Workspace, 2> train_ws_;
  std::array<Workspace, 2> policy_ws_;
  std::array<Workspace, 2> target_ws_;
  Matrix<T> input_grad_;
  Index obs_dim_;
};

}  // namespace theta
