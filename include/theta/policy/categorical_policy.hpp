#pragma once
/// \file CategoricalPolicy: an MLP of logits and a categorical distribution (discrete actions),
/// and MultiCategoricalPolicy: the same over one categorical per dimension (multi-discrete actions).

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/distributions/categorical.hpp>
#include <theta/distributions/multi_categorical.hpp>
#include <theta/env/spaces.hpp>
#include <theta/nn/mlp.hpp>
#include <theta/policy/network.hpp>

#include <Eigen/Core>

#include <concepts>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace theta {

/// pi(a|s) = softmax(f(s)), f an MLP `obs_dim -> hidden -> n_actions` (orthogonal head gain
/// 0.01, SB3's policy head). Actions are stored as their index in a 1 x B matrix of `T`.
/// `act_masked` / `evaluate_masked` restrict pi to the valid actions of each state
/// (`MaskedPolicy`: invalid-action masking, logits of masked actions at -infinity).
///
/// With `Distribution = MultiCategorical<T>` (`MultiCategoricalPolicy<T>`) the policy is over
/// a `MultiDiscrete(nvec)` space: the MLP has sum(nvec) outputs, dimension d's logits are rows
/// [o_d, o_d + nvec[d]) and pi(a|s) = Π_d softmax(logits_d)(a_d); actions are stored as their D
/// indices in a D x B matrix of `T`, action masks have sum(nvec) rows (one mask per dimension,
/// concatenated), and the deterministic action is each dimension's first largest logit (among
/// its valid ones). Everything else, dropout context and TRPO's pieces included, is shared.
///
/// The training path records a pass (`evaluate`) and differentiates it (`backward`); TRPO's
/// pieces (`snapshot`, `kl_from_snapshot`, `fisher_vector_product`) work on the recorded pass.
/// Nothing allocates after construction for batches within the capacities.
template <Real T = Scalar, class Distribution = Categorical<T>>
class CategoricalPolicy {
  static_assert(std::same_as<Distribution, Categorical<T>> || std::same_as<Distribution, MultiCategorical<T>>,
                "CategoricalPolicy: the distribution is theta::Categorical<T> or theta::MultiCategorical<T>");

 public:
  using Scalar = T;
  static constexpr bool is_discrete = true;
  /// True for the policy over a `MultiDiscrete` space (`MultiCategoricalPolicy`).
  static constexpr bool is_multi_discrete = std::same_as<Distribution, MultiCategorical<T>>;

  /// A policy over `Discrete(n_actions)`.
  CategoricalPolicy(Index obs_dim, Index n_actions, const NetworkConfig& config, Index max_act_batch,
                    Index max_train_batch, Rng& rng)
    requires(!is_multi_discrete)
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

  /// A policy over `space` (`MultiCategoricalPolicy`): sum(nvec) logits.
  ///
  ///     theta::MultiCategoricalPolicy<float> pi(obs_dim, theta::MultiDiscrete{3, 2}, {.hidden = {64}}, 8, 256, rng);
  CategoricalPolicy(Index obs_dim, const MultiDiscrete& space, const NetworkConfig& config, Index max_act_batch,
                    Index max_train_batch, Rng& rng)
    requires is_multi_discrete
      : net_(detail::make_network<T>(config, obs_dim, checked_total(space), 0.01, rng)),
        act_ws_(net_.make_workspace(max_act_batch)),
        train_ws_(net_.make_workspace(max_train_batch)),
        act_dist_(space.nvec, max_act_batch),
        train_dist_(space.nvec, max_train_batch),
        old_dist_(space.nvec, max_train_batch),
        act_index_(static_cast<std::size_t>(space.size() * max_act_batch)),
        train_index_(static_cast<std::size_t>(space.size() * max_train_batch)),
        grad_logits_(space.total(), max_train_batch),
        grad_scratch_(space.total(), max_train_batch),
        old_logits_(space.total(), max_train_batch) {}

  /// Rows of the stored action matrix (1: the index; a multi-discrete policy: one index per dimension).
  [[nodiscard]] Index action_rows() const noexcept {
    if constexpr (is_multi_discrete) {
      return act_dist_.n_dims();
    } else {
      return 1;
    }
  }
  /// The number of logits: the actions of `Discrete(n)`, or sum(nvec) (the rows of an action mask).
  [[nodiscard]] Index n_actions() const noexcept { return net_.outputs(); }
  /// The number of actions of each dimension (`MultiCategoricalPolicy`).
  [[nodiscard]] const std::vector<std::int64_t>& nvec() const noexcept
    requires is_multi_discrete
  {
    return act_dist_.nvec();
  }

  /// Rows of the context `act` writes and `evaluate` takes (`ContextPolicy`): the dropout
  /// masks of the network's hidden units, or 0 without dropout.
  [[nodiscard]] Index context_rows() const noexcept { return net_.mask_rows(); }

  /// Samples (or, if `deterministic`, takes the most probable: the first largest logit, of
  /// each dimension) actions for a batch of observations (obs_dim x B), writing their indices
  /// (`action_rows()` x B) and log-probabilities (B).
  /// With dropout, a sampled action comes from a training-mode pass whose masks are drawn
  /// from `rng` first; a deterministic one from the evaluation-mode pass.
  void act(const Eigen::Ref<const Matrix<T>>& obs, Rng& rng, bool deterministic, Eigen::Ref<Matrix<T>> actions,
           Eigen::Ref<Vector<T>> log_probs) {
    act_impl(obs, nullptr, rng, deterministic, actions, log_probs);
  }

  /// `act` among the valid actions only (`MaskedPolicy`): `action_masks` is n_actions x B
  /// (sum(nvec) x B, one mask per dimension), 1 = valid, 0 = invalid (probability 0). The
  /// deterministic action is the first largest logit among the valid ones (of each dimension),
  /// as an exported policy given the same mask takes it.
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
    const Index rows = action_rows();
    std::span<std::int64_t> index(act_index_.data(), static_cast<std::size_t>(rows * batch));
    if (deterministic) {
      // The first largest logit: the mode of softmax(logits), read from the logits rather
      // than from the normalised log-probabilities, whose rounding can tie two nearly equal
      // logits. An exported policy (theta/inference.hpp) takes the same argmax (among the
      // valid actions, given the mask), dimension by dimension for a multi-discrete policy.
      for (Index b = 0; b < batch; ++b) {
        for (Index r = 0; r < rows; ++r) {
          const auto [offset, n] = logit_rows(r, logits.rows());
          Index k = 0;
          if (action_masks == nullptr) {
            logits.col(b).segment(offset, n).maxCoeff(&k);
          } else {
            k = -1;
            for (Index j = 0; j < n; ++j) {
              if ((*action_masks)(offset + j, b) != T(0) && (k < 0 || logits(offset + j, b) > logits(offset + k, b))) {
                k = j;
              }
            }
          }
          index[static_cast<std::size_t>(b * rows + r)] = static_cast<std::int64_t>(k);
        }
      }
    } else {
      act_dist_.sample(rng, index);
    }
    act_dist_.log_prob(index, log_probs);
    for (Index b = 0; b < batch; ++b) {
      for (Index r = 0; r < rows; ++r) actions(r, b) = static_cast<T>(index[static_cast<std::size_t>(b * rows + r)]);
    }
  }

  // Dimension r's logit rows: [offset, offset + n) (the whole column for a Discrete policy).
  std::pair<Index, Index> logit_rows(Index r, Index n_logits) const {
    if constexpr (is_multi_discrete) {
      return {act_dist_.offset(r), static_cast<Index>(act_dist_.nvec()[static_cast<std::size_t>(r)])};
    } else {
      return {0, n_logits};
    }
  }

  static Index checked_total(const MultiDiscrete& space) {
    require<ConfigError>(space.size() >= 1, "MultiCategoricalPolicy: the action space has no dimension");
    for (std::size_t d = 0; d < space.nvec.size(); ++d) {
      require<ConfigError>(space.nvec[d] >= 1, "MultiCategoricalPolicy: nvec[{}] must be >= 1, got {}", d,
                           space.nvec[d]);
    }
    return space.total();
  }

  void record(const Eigen::Ref<const Matrix<T>>& actions, Eigen::Ref<Vector<T>> log_probs,
              Eigen::Ref<Vector<T>> entropy) {
    const Index batch = actions.cols(), rows = action_rows();
    require(actions.rows() == rows, "CategoricalPolicy::evaluate: actions must have {} rows (one index per "
            "dimension), got {}", rows, actions.rows());
    for (Index b = 0; b < batch; ++b) {
      for (Index r = 0; r < rows; ++r) {
        train_index_[static_cast<std::size_t>(b * rows + r)] = static_cast<std::int64_t>(actions(r, b));
      }
    }
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
    if constexpr (is_multi_discrete) {
      train_dist_.log_probs(old_logits_.leftCols(batch));
    } else {
      old_logits_.leftCols(batch) = train_dist_.log_probs();
    }
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
    return {train_index_.data(), static_cast<std::size_t>(action_rows() * batch)};
  }

  nn::Mlp<T> net_;
  typename nn::Mlp<T>::Workspace act_ws_;
  typename nn::Mlp<T>::Workspace train_ws_;
  Distribution act_dist_;
  Distribution train_dist_;
  Distribution old_dist_;
  std::vector<std::int64_t> act_index_;
  std::vector<std::int64_t> train_index_;
  Matrix<T> grad_logits_;
  Matrix<T> grad_scratch_;
  Matrix<T> old_logits_;
};

/// A categorical policy over a `MultiDiscrete(nvec)` space: one softmax per dimension over
/// sum(nvec) logits of one MLP (see `CategoricalPolicy`). The on-policy trainers' default actor
/// for a `MultiDiscreteEnvironment`.
template <Real T = Scalar>
using MultiCategoricalPolicy = CategoricalPolicy<T, MultiCategorical<T>>;

}  // namespace theta
