#pragma once
/// \file GaussianPolicy: an MLP of the action mean and a learned, state-independent log-std.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/distributions/diag_gaussian.hpp>
#include <theta/nn/mlp.hpp>
#include <theta/policy/network.hpp>

#include <Eigen/Core>

namespace theta {

/// pi(a|s) = N(f(s), diag(exp(2 log_std))), f an MLP `obs_dim -> hidden -> act_dim`
/// (orthogonal head gain 0.01) and log_std one learned vector shared by all states (SB3's
/// `ActorCriticPolicy`, CleanRL's `ppo_continuous_action.py`). Actions are the raw samples
/// (act_dim x B); the trainer clips them to the bounds only when it steps the environment, so
/// the stored log-probability is that of the stored action.
///
/// `parameters()` is one flat view [network, log_std]: log_std lives in the network's extra
/// parameters (`nn::Mlp`'s constructor), so optimizers and checkpoints see one buffer.
template <Real T = Scalar>
class GaussianPolicy {
 public:
  using Scalar = T;
  static constexpr bool is_discrete = false;

  GaussianPolicy(Index obs_dim, Index act_dim, const NetworkConfig& config, double log_std_init, Index max_act_batch,
                 Index max_train_batch, Rng& rng)
      : net_(detail::make_network<T>(config, obs_dim, act_dim, 0.01, rng, /*extra_parameters=*/act_dim)),
        act_ws_(net_.make_workspace(max_act_batch)),
        train_ws_(net_.make_workspace(max_train_batch)),
        grad_mean_(act_dim, max_train_batch),
        grad_scratch_(act_dim, max_train_batch),
        grad_log_std_(act_dim, 1),
        grad_log_std_scratch_(act_dim, 1),
        old_mean_(act_dim, max_train_batch),
        old_log_std_(act_dim, 1),
        train_actions_(act_dim, max_train_batch) {
    require<ConfigError>(std::isfinite(log_std_init), "GaussianPolicy: log_std_init must be finite, got {}", log_std_init);
    net_.extra_parameters().setConstant(static_cast<T>(log_std_init));
  }

  [[nodiscard]] Index action_rows() const noexcept { return net_.outputs(); }
  /// Rows of the context `act` writes and `evaluate` takes (`ContextPolicy`): the dropout
  /// masks of the network's hidden units, or 0 without dropout.
  [[nodiscard]] Index context_rows() const noexcept { return net_.mask_rows(); }

  /// Samples a = mean + exp(log_std) * noise (or the mean, if `deterministic`) for obs_dim x B
  /// observations, writing the actions (act_dim x B) and their log-probabilities (B). With
  /// dropout, a sampled action comes from a training-mode pass whose masks are drawn from
  /// `rng` first; a deterministic one from the evaluation-mode pass.
  void act(const Eigen::Ref<const Matrix<T>>& obs, Rng& rng, bool deterministic, Eigen::Ref<Matrix<T>> actions,
           Eigen::Ref<Vector<T>> log_probs) {
    act_dist_.set(deterministic ? net_.forward(obs, act_ws_) : net_.forward(obs, act_ws_, rng), log_std());
    if (deterministic) {
      act_dist_.mode(actions);
    } else {
      act_dist_.sample(rng, actions);
    }
    act_dist_.log_prob(actions, log_probs);
  }

  /// A sampling `act` that also writes the dropout masks it drew (`context_rows()` x B; nothing
  /// without dropout), for `evaluate` to recompute the same pass.
  void act(const Eigen::Ref<const Matrix<T>>& obs, Rng& rng, Eigen::Ref<Matrix<T>> actions,
           Eigen::Ref<Vector<T>> log_probs, Eigen::Ref<Matrix<T>> masks) {
    detail::check_masks(masks, context_rows(), obs.cols(), "GaussianPolicy::act");
    act(obs, rng, /*deterministic=*/false, actions, log_probs);
    masks = act_ws_.masks();
  }

  /// Records a pass on a training batch and writes log pi(a|s) and the entropy per sample.
  /// A network with dropout needs the acting masks: use the overload that takes them.
  void evaluate(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& actions,
                Eigen::Ref<Vector<T>> log_probs, Eigen::Ref<Vector<T>> entropy) {
    require(context_rows() == 0, "GaussianPolicy::evaluate: the network has dropout; pass the masks drawn when acting");
    train_dist_.set(net_.forward(obs, train_ws_), log_std());
    record(actions, log_probs, entropy);
  }

  /// As above, recomputing the training-mode pass with the masks `act` drew.
  void evaluate(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& actions,
                const Eigen::Ref<const Matrix<T>>& masks, Eigen::Ref<Vector<T>> log_probs,
                Eigen::Ref<Vector<T>> entropy) {
    detail::check_masks(masks, context_rows(), obs.cols(), "GaussianPolicy::evaluate");
    train_dist_.set(net_.forward(obs, train_ws_, masks), log_std());
    record(actions, log_probs, entropy);
  }

 private:
  void record(const Eigen::Ref<const Matrix<T>>& actions, Eigen::Ref<Vector<T>> log_probs,
              Eigen::Ref<Vector<T>> entropy) {
    train_dist_.log_prob(actions, log_probs);
    train_dist_.entropy(entropy);
    batch_ = actions.cols();
    train_actions_.leftCols(batch_) = actions;
  }

 public:

  /// Adds the gradient of sum_b (dlogp_b log pi_b + dentropy_b H_b) for the recorded pass.
  void backward(const Eigen::Ref<const Vector<T>>& dlog_prob, const Eigen::Ref<const Vector<T>>& dentropy) {
    auto grad_mean = grad_mean_.leftCols(batch_);
    train_dist_.grad_log_prob(train_actions_.leftCols(batch_), dlog_prob, grad_mean, grad_log_std_);
    train_dist_.grad_entropy(dentropy, grad_log_std_scratch_);
    net_.extra_gradients() += grad_log_std_.col(0) + grad_log_std_scratch_.col(0);
    net_.backward(train_ws_, grad_mean);
  }

  /// Keeps the distributions of the recorded pass as the "old" policy (TRPO).
  void snapshot() {
    old_mean_.leftCols(batch_) = train_dist_.mean();
    old_log_std_.col(0) = log_std();
    old_dist_.set(old_mean_.leftCols(batch_), old_log_std_);
  }
  /// KL(old || current) per sample of the recorded pass (summed over action dimensions).
  void kl_from_snapshot(Eigen::Ref<Vector<T>> out) const { kl_divergence(old_dist_, train_dist_, out); }

  /// F v for the Fisher of the mean KL over the recorded batch, in the flat space
  /// [network, log_std]: J^T diag(1/sigma^2) J v_net / B for the mean, 2 v_log_std for
  /// log_std, no cross term (exact; see `DiagGaussian::fisher_vector_product`).
  void fisher_vector_product(const Eigen::Ref<const Vector<T>>& v, Eigen::Ref<Vector<T>> out) {
    const Index n_net = net_.num_parameters();
    const Index d = net_.num_extra_parameters();
    auto jv = grad_scratch_.leftCols(batch_);
    auto fjv = grad_mean_.leftCols(batch_);
    net_.jvp(train_ws_, v.head(n_net), jv);
    const T inv_batch = T(1) / static_cast<T>(batch_);
    for (Index b = 0; b < batch_; ++b) fjv.col(b) = jv.col(b).cwiseProduct((-2 * log_std()).array().exp().matrix()) * inv_batch;
    out.head(n_net).setZero();
    net_.vjp(train_ws_, fjv, out.head(n_net));
    out.tail(d) = T(2) * v.tail(d);
  }

  /// Number of trainable parameters: the network's and log_std's.
  [[nodiscard]] Index num_parameters() const noexcept { return net_.flat_parameters().size(); }
  /// Every trainable parameter and its gradient, flat (`Trainable`): [network, log_std].
  [[nodiscard]] Eigen::Map<Vector<T>> parameters() noexcept { return net_.flat_parameters(); }
  [[nodiscard]] Eigen::Map<Vector<T>> gradients() noexcept { return net_.flat_gradients(); }
  [[nodiscard]] Eigen::Map<const Vector<T>> parameters() const noexcept { return net_.flat_parameters(); }
  void zero_grad() noexcept { net_.zero_grad(); }
  /// The learned log standard deviations (the tail of `parameters()`).
  [[nodiscard]] Eigen::Map<const Vector<T>> log_std() const noexcept { return net_.extra_parameters(); }
  [[nodiscard]] nn::Mlp<T>& network() noexcept { return net_; }
  [[nodiscard]] const nn::Mlp<T>& network() const noexcept { return net_; }

 private:
  nn::Mlp<T> net_;
  typename nn::Mlp<T>::Workspace act_ws_;
  typename nn::Mlp<T>::Workspace train_ws_;
  DiagGaussian<T> act_dist_;
  DiagGaussian<T> train_dist_;
  DiagGaussian<T> old_dist_;
  Matrix<T> grad_mean_;
  Matrix<T> grad_scratch_;
  Matrix<T> grad_log_std_;
  Matrix<T> grad_log_std_scratch_;
  Matrix<T> old_mean_;
  Matrix<T> old_log_std_;
  Matrix<T> train_actions_;
  Index batch_ = 0;
};

}  // namespace theta
