#pragma once
/// \file CategoricalPolicy: an MLP of logits and a categorical distribution (discrete actions).

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/distributions/categorical.hpp>
#include <theta/nn/mlp.hpp>
#include <theta/policy/network.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <span>
#include <vector>

namespace theta {

/// pi(a|s) = softmax(f(s)), f an MLP `obs_dim -> hidden -> n_actions` (orthogonal head gain
/// 0.01, SB3's policy head). Actions are stored as their index in a 1 x B matrix of `T`.
/// `act_masked` / `evaluate_masked` restrict pi to the valid actions of each state
/// (`MaskedPolicy`: invalid-action masking, logits of masked actions at -infinity).
///
/// The training path records a pass (`evaluate`) and differentiates it (`backward`); TRPO's
/// pieces (`snapshot`, `kl_from_snapshot`, `fisher_vector_product`) work on the recorded pass.
/// Nothing allocates after construction for batches within the capacities.
template <Real T = Scalar>
class CategoricalPolicy {
 public:
  using Scalar = T;
  static constexpr bool is_discrete = true;

  CategoricalPolicy(Index obs_dim, Index n_actions, const NetworkConfig& config, Index max_act_batch,
                    Index max_train_batch, Rng& rng)
      : net_(detail::make_network<T>(config, obs_dim, n_actions, 0.01, rng)),
        act_ws_(net_.make_workspace(max_act_batch)),
        train_ws_(net_.make_workspace(max_train_batch)),
        act_dist_(n_actions, max_act_batch),
        train_dist_(n_actions, max_train_batch),
        old_dist_(n_actions, max_train_batch),
        act_index_(static_cast<std::size_t>(max_act_batch)),
        train_index_(static_cast<std::size_t>(max_train_batch)),
        grad_logits_(n_actions, max_train_batch),
        grad_scratch_(n_actions, max_train_batch),
        old_logits_(n_actions, max_train_batch) {}

  /// Rows of the stored action matrix (1: the index).
  [[nodiscard]] Index action_rows() const noexcept { return 1; }
  [[nodiscard]] Index n_actions() const noexcept { return net_.outputs(); }

  /// Rows of the context `act` writes and `evaluate` takes (`ContextPolicy`): the dropout
  /// masks of the network's hidden units, or 0 without dropout.
  [[nodiscard]] Index context_rows() const noexcept { return net_.mask_rows(); }

  /// Samples (or, if `deterministic`, takes the most probable: the first largest logit)
  /// actions for a batch of observations (obs_dim x B), writing their indices (1 x B) and
  /// log-probabilities (B).
  /// With dropout, a sampled action comes from a training-mode pass whose masks are drawn
  /// from `rng` first; a deterministic one from the evaluation-mode pass.
  void act(const Eigen::Ref<const Matrix<T>>& obs, Rng& rng, bool deterministic, Eigen::Ref<Matrix<T>> actions,
           Eigen::Ref<Vector<T>> log_probs) {
    act_impl(obs, nullptr, rng, deterministic, actions, log_probs);
  }

  /// `act` among the valid actions only (`MaskedPolicy`): `action_masks` is n_actions x B, 1 =
  /// valid, 0 = invalid (probability 0). The deterministic action is the first largest logit
  /// among the valid ones, as an exported policy given the same mask takes it.
  void act_masked(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& action_masks, Rng& rng,
                  bool deterministic, Eigen::Ref<Matrix<T>> actions, Eigen::Ref<Vector<T>> log_probs) {
    check_action_masks(action_masks, obs.cols(), "CategoricalPolicy::act_masked");
    act_impl(obs, &action_masks, rng, deterministic, actions, log_probs);
  }

  /// A sampling `act_masked` that also writes the dropout masks it drew (`MaskedContextPolicy`).
  void act_masked(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& action_masks, Rng& rng,
                  Eigen::Ref<Matrix<T>> actions, Eigen::Ref<Vector<T>> log_probs, Eigen::Ref<Matrix<T>> masks) {
    detail::check_masks(masks, context_rows(), obs.cols(), "CategoricalPolicy::act_masked");
    act_masked(obs, action_masks, rng, /*deterministic=*/false, actions, log_probs);
    masks = act_ws_.masks();
  }

  /// A sampling `act` that also writes the dropout masks it drew (`context_rows()` x B; nothing
  /// without dropout), for `evaluate` to recompute the same pass.
  void act(const Eigen::Ref<const Matrix<T>>& obs, Rng& rng, Eigen::Ref<Matrix<T>> actions,
           Eigen::Ref<Vector<T>> log_probs, Eigen::Ref<Matrix<T>> masks) {
    detail::check_masks(masks, context_rows(), obs.cols(), "CategoricalPolicy::act");
    act(obs, rng, /*deterministic=*/false, actions, log_probs);
    masks = act_ws_.masks();
  }

  /// Records a pass on a training batch and writes log pi(a|s) and the entropy per sample.
  /// A network with dropout needs the acting masks: use the overload that takes them.
  void evaluate(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& actions,
                Eigen::Ref<Vector<T>> log_probs, Eigen::Ref<Vector<T>> entropy) {
    require(context_rows() == 0, "CategoricalPolicy::evaluate: the network has dropout; pass the masks drawn when acting");
    train_dist_.set_logits(net_.forward(obs, train_ws_));
    record(actions, log_probs, entropy);
  }

  /// As above, recomputing the training-mode pass with the masks `act` drew.
  void evaluate(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& actions,
                const Eigen::Ref<const Matrix<T>>& masks, Eigen::Ref<Vector<T>> log_probs,
                Eigen::Ref<Vector<T>> entropy) {
    detail::check_masks(masks, context_rows(), obs.cols(), "CategoricalPolicy::evaluate");
    train_dist_.set_logits(net_.forward(obs, train_ws_, masks));
    record(actions, log_probs, entropy);
  }

  /// `evaluate` under the action masks the actions were taken with (`MaskedPolicy`): the
  /// distribution over the valid actions, whose gradients (`backward`), KL and Fisher product
  /// (TRPO) leave the masked logits out. A network with dropout needs the overload with its masks.
  void evaluate_masked(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& actions,
                       const Eigen::Ref<const Matrix<T>>& action_masks, Eigen::Ref<Vector<T>> log_probs,
                       Eigen::Ref<Vector<T>> entropy) {
    require(context_rows() == 0,
            "CategoricalPolicy::evaluate_masked: the network has dropout; pass the masks drawn when acting");
    check_action_masks(action_masks, obs.cols(), "CategoricalPolicy::evaluate_masked");
    train_dist_.set_logits(net_.forward(obs, train_ws_), action_masks);
    record(actions, log_probs, entropy);
  }

  /// As above, recomputing the training-mode pass with the dropout masks `act_masked` drew.
  void evaluate_masked(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& actions,
                       const Eigen::Ref<const Matrix<T>>& action_masks, const Eigen::Ref<const Matrix<T>>& masks,
                       Eigen::Ref<Vector<T>> log_probs, Eigen::Ref<Vector<T>> entropy) {
    detail::check_masks(masks, context_rows(), obs.cols(), "CategoricalPolicy::evaluate_masked");
    check_action_masks(action_masks, obs.cols(), "CategoricalPolicy::evaluate_masked");
    train_dist_.set_logits(net_.forward(obs, train_ws_, masks), action_masks);
    record(actions, log_probs, entropy);
  }

 private:
  void check_action_masks(const Eigen::Ref<const Matrix<T>>& action_masks, Index batch, const char* who) const {
    require(action_masks.rows() == n_actions() && action_masks.cols() == batch,
            "{}: action masks must be {} x {} (n_actions x batch), got {} x {}", who, n_actions(), batch,
            action_masks.rows(), action_masks.cols());
  }

  void act_impl(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>* action_masks, Rng& rng,
                bool deterministic, Eigen::Ref<Matrix<T>> actions, Eigen::Ref<Vector<T>> log_probs) {
    const Index batch = obs.cols();
    const auto logits = deterministic ? net_.forward(obs, act_ws_) : net_.forward(obs, act_ws_, rng);
    if (action_masks != nullptr) {
      act_dist_.set_logits(logits, *action_masks);
    } else {
      act_dist_.set_logits(logits);
    }
    std::span<std::int64_t> index(act_index_.data(), static_cast<std::size_t>(batch));
    if (deterministic) {
      // The first largest logit: the mode of softmax(logits), read from the logits rather
      // than from the normalised log-probabilities, whose rounding can tie two nearly equal
      // logits. An exported policy (theta/inference.hpp) takes the same argmax (among the
      // valid actions, given the mask).
      for (Index b = 0; b < batch; ++b) {
        Index k = 0;
        if (action_masks == nullptr) {
          logits.col(b).maxCoeff(&k);
        } else {
          k = -1;
          for (Index j = 0; j < logits.rows(); ++j) {
            if ((*action_masks)(j, b) != T(0) && (k < 0 || logits(j, b) > logits(k, b))) k = j;
          }
        }
        index[static_cast<std::size_t>(b)] = static_cast<std::int64_t>(k);
      }
    } else {
      act_dist_.sample(rng, index);
    }
    act_dist_.log_prob(index, log_probs);
    for (Index b = 0; b < batch; ++b) actions(0, b) = static_cast<T>(index[static_cast<std::size_t>(b)]);
  }

  void record(const Eigen::Ref<const Matrix<T>>& actions, Eigen::Ref<Vector<T>> log_probs,
              Eigen::Ref<Vector<T>> entropy) {
    const Index batch = actions.cols();
    for (Index b = 0; b < batch; ++b) train_index_[static_cast<std::size_t>(b)] = static_cast<std::int64_t>(actions(0, b));
    train_dist_.log_prob(train_indices(batch), log_probs);
    train_dist_.entropy(entropy);
  }

 public:
  /// Adds the gradient of sum_b (dlogp_b log pi_b + dentropy_b H_b) for the recorded pass.
  void backward(const Eigen::Ref<const Vector<T>>& dlog_prob, const Eigen::Ref<const Vector<T>>& dentropy) {
    const Index batch = train_dist_.batch_size();
    auto grad = grad_logits_.leftCols(batch);
    auto scratch = grad_scratch_.leftCols(batch);
    train_dist_.grad_log_prob(train_indices(batch), dlog_prob, grad);
    train_dist_.grad_entropy(dentropy, scratch);
    grad += scratch;
    net_.backward(train_ws_, grad);
  }

  /// Keeps the distributions of the recorded pass as the "old" policy (TRPO).
  void snapshot() {
    const Index batch = train_dist_.batch_size();
    old_logits_.leftCols(batch) = train_dist_.log_probs();
    old_dist_.set_logits(old_logits_.leftCols(batch));
  }
  /// KL(old || current) per sample of the recorded pass.
  void kl_from_snapshot(Eigen::Ref<Vector<T>> out) const { kl_divergence(old_dist_, train_dist_, out); }

  /// F v with F the Fisher of the mean KL over the recorded batch, in flat parameter space:
  /// J^T M J v / B by a Jacobian-vector product, the categorical Fisher M in logit space and
  /// a vector-Jacobian product (exact, no double backpropagation).
  void fisher_vector_product(const Eigen::Ref<const Vector<T>>& v, Eigen::Ref<Vector<T>> out) {
    const Index batch = train_dist_.batch_size();
    auto jv = grad_scratch_.leftCols(batch);
    auto mjv = grad_logits_.leftCols(batch);
    net_.jvp(train_ws_, v, jv);
    train_dist_.fisher_vector_product(jv, mjv);
    mjv /= static_cast<T>(batch);
    out.setZero();
    net_.vjp(train_ws_, mjv, out);
  }

  /// Number of trainable parameters (the network's).
  [[nodiscard]] Index num_parameters() const noexcept { return net_.num_parameters(); }
  /// Every trainable parameter and its gradient, flat (`Trainable`): the network's.
  [[nodiscard]] Eigen::Map<Vector<T>> parameters() noexcept { return net_.parameters(); }
  [[nodiscard]] Eigen::Map<Vector<T>> gradients() noexcept { return net_.gradients(); }
  [[nodiscard]] Eigen::Map<const Vector<T>> parameters() const noexcept { return net_.parameters(); }
  void zero_grad() noexcept { net_.zero_grad(); }
  [[nodiscard]] nn::Mlp<T>& network() noexcept { return net_; }
  [[nodiscard]] const nn::Mlp<T>& network() const noexcept { return net_; }

 private:
  std::span<const std::int64_t> train_indices(Index batch) const {
    return {train_index_.data(), static_cast<std::size_t>(batch)};
  }

  nn::Mlp<T> net_;
  typename nn::Mlp<T>::Workspace act_ws_;
  typename nn::Mlp<T>::Workspace train_ws_;
  Categorical<T> act_dist_;
  Categorical<T> train_dist_;
  Categorical<T> old_dist_;
  std::vector<std::int64_t> act_index_;
  std::vector<std::int64_t> train_index_;
  Matrix<T> grad_logits_;
  Matrix<T> grad_scratch_;
  Matrix<T> old_logits_;
};

}  // namespace theta
