#pragma once
/// \file The categorical part of a discrete policy: from a network's logits to sampled (or
/// deterministic) actions and their log-probabilities, the recorded training distribution, and
/// the gradient of the policy loss with respect to the logits, with or without action masks.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/distributions/categorical.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <span>
#include <vector>

namespace theta::detail {

/// Distributions and buffers for acting batches of up to `max_act` and training batches of up
/// to `max_train` samples over `n_actions` logits. Actions are stored as their index in `T`.
template <Real T>
class CategoricalHead {
 public:
  CategoricalHead(Index n_actions, Index max_act, Index max_train)
      : act_dist_(n_actions, max_act),
        train_dist_(n_actions, max_train),
        act_index_(static_cast<std::size_t>(max_act)),
        train_index_(static_cast<std::size_t>(max_train)),
        grad_logits_(n_actions, max_train),
        grad_scratch_(n_actions, max_train) {}

  [[nodiscard]] Index n_actions() const noexcept { return grad_logits_.rows(); }

  /// Checks action masks: n_actions x batch.
  void check_masks(const Eigen::Ref<const Matrix<T>>& action_masks, Index batch, const char* who) const {
    require(action_masks.rows() == n_actions() && action_masks.cols() == batch,
            "{}: action masks must be {} x {} (n_actions x batch), got {} x {}", who, n_actions(), batch,
            action_masks.rows(), action_masks.cols());
  }

  /// Samples from softmax(logits) (among the valid actions when `action_masks` is not null),
  /// or takes the first largest (valid) logit if `deterministic`: the mode, read from the
  /// logits rather than from rounded log-probabilities, as an exported policy takes it.
  void act(const Eigen::Ref<const Matrix<T>>& logits, const Eigen::Ref<const Matrix<T>>* action_masks, Rng& rng,
           bool deterministic, Eigen::Ref<Matrix<T>> actions, Eigen::Ref<Vector<T>> log_probs) {
    const Index batch = logits.cols();
    if (action_masks != nullptr) {
      act_dist_.set_logits(logits, *action_masks);
    } else {
      act_dist_.set_logits(logits);
    }
    std::span<std::int64_t> index(act_index_.data(), static_cast<std::size_t>(batch));
    if (deterministic) {
      for (Index b = 0; b < batch; ++b) {
        Index k = -1;
        for (Index j = 0; j < logits.rows(); ++j) {
          const bool valid = action_masks == nullptr || (*action_masks)(j, b) != T(0);
          if (valid && (k < 0 || logits(j, b) > logits(k, b))) k = j;
        }
        index[static_cast<std::size_t>(b)] = static_cast<std::int64_t>(k);
      }
    } else {
      act_dist_.sample(rng, index);
    }
    act_dist_.log_prob(index, log_probs);
    for (Index b = 0; b < batch; ++b) actions(0, b) = static_cast<T>(index[static_cast<std::size_t>(b)]);
  }

  /// Records the training distribution softmax(logits) (over the valid actions when
  /// `action_masks` is not null) and writes log pi(a) and the entropy per sample.
  void record(const Eigen::Ref<const Matrix<T>>& logits, const Eigen::Ref<const Matrix<T>>* action_masks,
              const Eigen::Ref<const Matrix<T>>& actions, Eigen::Ref<Vector<T>> log_probs, Eigen::Ref<Vector<T>> entropy) {
    const Index batch = logits.cols();
    if (action_masks != nullptr) {
      train_dist_.set_logits(logits, *action_masks);
    } else {
      train_dist_.set_logits(logits);
    }
    for (Index b = 0; b < batch; ++b) train_index_[static_cast<std::size_t>(b)] = static_cast<std::int64_t>(actions(0, b));
    train_dist_.log_prob(indices(batch), log_probs);
    train_dist_.entropy(entropy);
  }

  /// d/dlogits of sum_b (dlogp_b log pi_b + dentropy_b H_b) for the recorded distribution,
  /// n_actions x B (valid until the next call).
  Eigen::Map<const Matrix<T>> grad_logits(const Eigen::Ref<const Vector<T>>& dlog_prob,
                                          const Eigen::Ref<const Vector<T>>& dentropy) {
    const Index batch = train_dist_.batch_size();
    auto grad = grad_logits_.leftCols(batch);
    auto scratch = grad_scratch_.leftCols(batch);
    train_dist_.grad_log_prob(indices(batch), dlog_prob, grad);
    train_dist_.grad_entropy(dentropy, scratch);
    grad += scratch;
    return {grad_logits_.data(), n_actions(), batch};
  }

  [[nodiscard]] const Categorical<T>& training_distribution() const noexcept { return train_dist_; }

 private:
  std::span<const std::int64_t> indices(Index batch) const {
    return {train_index_.data(), static_cast<std::size_t>(batch)};
  }

  Categorical<T> act_dist_;
  Categorical<T> train_dist_;
  std::vector<std::int64_t> act_index_;
  std::vector<std::int64_t> train_index_;
  Matrix<T> grad_logits_;
  Matrix<T> grad_scratch_;
};

}  // namespace theta::detail
