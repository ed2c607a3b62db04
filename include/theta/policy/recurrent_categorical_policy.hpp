#pragma once
/// \file RecurrentCategoricalPolicy: observations through a GRU or LSTM and a linear head to the
/// logits of a categorical distribution; its context (`ContextPolicy`) is the recurrent state
/// each step started from.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/distributions/categorical.hpp>
#include <theta/nn/detail/gemm.hpp>
#include <theta/nn/init.hpp>
#include <theta/nn/linear.hpp>
#include <theta/nn/recurrent.hpp>
#include <theta/policy/network.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <span>
#include <vector>

namespace theta {

/// The recurrent trunk of a policy: its width and the initialisation of the recurrent layer.
///
///     theta::RecurrentNetworkConfig trunk{.hidden = 64};
struct RecurrentNetworkConfig {
  /// Hidden size H of the GRU or LSTM (sb3-contrib's `lstm_hidden_size` defaults to 256; its
  /// rl-baselines3-zoo entries often use 32 to 128).
  Index hidden = 256;
  /// `Init::torch_default` (PyTorch's default, which sb3-contrib's RecurrentPPO keeps for its
  /// LSTM) or `Init::orthogonal` (gain 1, biases 0: CleanRL's LSTM); docs/nn.md, "Recurrent layers".
  Init init = Init::torch_default;
};

/// Checks a recurrent trunk description, naming the config field in errors.
inline void validate(const RecurrentNetworkConfig& config, const char* field) {
  require<ConfigError>(config.hidden >= 1, "{}.hidden must be >= 1, got {}", field, config.hidden);
  require<ConfigError>(config.init == Init::torch_default || config.init == Init::orthogonal,
                       "{}.init must be Init::torch_default or Init::orthogonal for a recurrent layer, got {}", field,
                       static_cast<int>(config.init));
}

/// pi(a|s_1..s_t) = softmax(W h_t + b), h_t the output of a GRU or LSTM (`C`) run over the
/// episode's observations; the head starts orthogonal with gain 0.01 (SB3's policy head),
/// biases 0. Actions are stored as their index in a 1 x B matrix of `T`.
///
/// Acting carries one recurrent state per environment (`state()`, state_rows x max_act_batch;
/// a batch of B acts on the first B columns) from step to step. The caller resets it where an
/// episode starts (`reset_states(starts)`), before acting on the episode's first observation.
/// The context of a step (`ContextPolicy`) is the state the step started from; `evaluate` runs
/// one step of the recurrent layer from it, so the training pass recomputes the acting
/// distribution and differentiates it through that one step (the stored state is a constant:
/// backpropagation through time truncated after one step, which lets an update shuffle single
/// transitions as every on-policy rule does today).
///
///     theta::RecurrentCategoricalPolicy<float> pi(obs_dim, n_actions, {.hidden = 64}, n_envs, 256, rng);
///     pi.reset_states(starts);                              // 1 where an environment was reset
///     pi.act(obs, rng, actions, log_probs, context);        // context: the state each step started from
///     pi.evaluate(obs, actions, context, log_probs, entropy);
///     pi.backward(dlog_probs, dentropy);
template <Real T = Scalar, nn::Cell C = nn::Cell::lstm>
class RecurrentCategoricalPolicy {
 public:
  using Scalar = T;
  static constexpr bool is_discrete = true;
  using Layer = nn::Recurrent<C, T>;

  RecurrentCategoricalPolicy(Index obs_dim, Index n_actions, const RecurrentNetworkConfig& config, Index max_act_batch,
                             Index max_train_batch, Rng& rng)
      : rnn_(make_layer(obs_dim, n_actions, config)),
        act_ws_(rnn_.make_workspace(max_act_batch)),
        train_ws_(rnn_.make_workspace(max_train_batch)),
        state_(Matrix<T>::Zero(rnn_.state_rows(), max_act_batch)),
        act_h_(config.hidden, max_act_batch),
        act_logits_(n_actions, max_act_batch),
        train_logits_(n_actions, max_train_batch),
        act_dist_(n_actions, max_act_batch),
        train_dist_(n_actions, max_train_batch),
        act_index_(static_cast<std::size_t>(max_act_batch)),
        train_index_(static_cast<std::size_t>(max_train_batch)),
        grad_logits_(n_actions, max_train_batch),
        grad_scratch_(n_actions, max_train_batch),
        grad_h_(config.hidden, max_train_batch) {
    require<ConfigError>(n_actions >= 1, "RecurrentCategoricalPolicy: n_actions must be >= 1, got {}", n_actions);
    const Index h = config.hidden;
    for (const Index batch : {max_act_batch, max_train_batch}) {
      head_gemm_.reserve(n_actions, batch, h);  // logits = W h + b
      head_gemm_.reserve(n_actions, h, batch);  // dW += dlogits h^T
      head_gemm_.reserve(h, batch, n_actions);  // dh = W^T dlogits
    }
    if (config.init == Init::orthogonal) {
      nn::init_orthogonal(rnn_, 1.0, rng);
    } else {
      nn::init_torch_default(rnn_, rng);
    }
    nn::init_orthogonal(head(), 0.01, rng);
  }

  /// Rows of the stored action matrix (1: the index).
  [[nodiscard]] Index action_rows() const noexcept { return 1; }
  [[nodiscard]] Index n_actions() const noexcept { return act_logits_.rows(); }
  /// Rows of the context: the recurrent state, H (GRU) or 2H (LSTM, h above c).
  [[nodiscard]] Index context_rows() const noexcept { return rnn_.state_rows(); }

  /// The acting state of every environment slot, state_rows x max_act_batch; a checkpoint or an
  /// evaluation that must not disturb collection saves and restores it here.
  [[nodiscard]] Eigen::Map<Matrix<T>> state() noexcept { return {state_.data(), state_.rows(), state_.cols()}; }
  /// Sets the acting state of every slot to zero (every episode starts).
  void reset_states() noexcept { state_.setZero(); }
  /// Sets the acting state of slot b to zero where `starts(b)` is 1 (B entries of 0 and 1).
  void reset_states(const Eigen::Ref<const Vector<T>>& starts) {
    require(starts.size() <= state_.cols(), "RecurrentCategoricalPolicy::reset_states: {} flags for {} slots",
            starts.size(), state_.cols());
    require((starts.array() == T(0) || starts.array() == T(1)).all(),
            "RecurrentCategoricalPolicy::reset_states: the flags must be 0 (carry) or 1 (reset)");
    for (Index b = 0; b < starts.size(); ++b) {
      if (starts[b] != T(0)) state_.col(b).setZero();
    }
  }

  /// Samples (or, if `deterministic`, takes the most probable: the first largest logit)
  /// actions for a batch of observations (obs_dim x B), one recurrent step from the acting
  /// state of slots 0..B-1, which then holds the state after the step.
  void act(const Eigen::Ref<const Matrix<T>>& obs, Rng& rng, bool deterministic, Eigen::Ref<Matrix<T>> actions,
           Eigen::Ref<Vector<T>> log_probs) {
    const Index batch = obs.cols();
    require(batch >= 1 && batch <= state_.cols(), "RecurrentCategoricalPolicy::act: a batch of {}; the policy acts on 1 to {}",
            batch, state_.cols());
    auto state = state_.leftCols(batch);
    rnn_.step(obs, state, state, act_ws_);
    auto h = act_h_.leftCols(batch);
    h = state.topRows(rnn_.hidden());  // tight for the product (the LSTM's state has c below h)
    auto logits = act_logits_.leftCols(batch);
    head_forward(h, logits);
    act_dist_.set_logits(logits);
    std::span<std::int64_t> index(act_index_.data(), static_cast<std::size_t>(batch));
    if (deterministic) {
      for (Index b = 0; b < batch; ++b) {
        Index k = 0;
        logits.col(b).maxCoeff(&k);
        index[static_cast<std::size_t>(b)] = static_cast<std::int64_t>(k);
      }
    } else {
      act_dist_.sample(rng, index);
    }
    act_dist_.log_prob(index, log_probs);
    for (Index b = 0; b < batch; ++b) actions(0, b) = static_cast<T>(index[static_cast<std::size_t>(b)]);
  }

  /// A sampling `act` that first writes the state each sample's step starts from
  /// (`context_rows()` x B), for `evaluate` to recompute the same distribution.
  void act(const Eigen::Ref<const Matrix<T>>& obs, Rng& rng, Eigen::Ref<Matrix<T>> actions,
           Eigen::Ref<Vector<T>> log_probs, Eigen::Ref<Matrix<T>> context) {
    require(context.rows() == context_rows() && context.cols() == obs.cols(),
            "RecurrentCategoricalPolicy::act: context must be {} x {}, got {} x {}", context_rows(), obs.cols(),
            context.rows(), context.cols());
    require(obs.cols() <= state_.cols(), "RecurrentCategoricalPolicy::act: a batch of {}; the policy acts on 1 to {}",
            obs.cols(), state_.cols());
    context = state_.leftCols(obs.cols());
    act(obs, rng, /*deterministic=*/false, actions, log_probs);
  }

  /// A recurrent policy has no training pass without the states its steps started from: use
  /// the overload that takes them. Throws `theta::Error`.
  void evaluate(const Eigen::Ref<const Matrix<T>>&, const Eigen::Ref<const Matrix<T>>&, Eigen::Ref<Vector<T>>,
                Eigen::Ref<Vector<T>>) {
    require(false, "RecurrentCategoricalPolicy::evaluate: a recurrent policy needs the state each step started "
                   "from; pass the context that act wrote");
  }

  /// Records a pass on a training batch from the stored states (`context`, context_rows x B):
  /// one recurrent step per sample, and writes log pi(a|s) and the entropy per sample.
  void evaluate(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& actions,
                const Eigen::Ref<const Matrix<T>>& context, Eigen::Ref<Vector<T>> log_probs,
                Eigen::Ref<Vector<T>> entropy) {
    const Index batch = obs.cols();
    require(context.rows() == context_rows() && context.cols() == batch,
            "RecurrentCategoricalPolicy::evaluate: context must be {} x {}, got {} x {}", context_rows(), batch,
            context.rows(), context.cols());
    require(actions.rows() == 1 && actions.cols() == batch,
            "RecurrentCategoricalPolicy::evaluate: actions must be 1 x {}, got {} x {}", batch, actions.rows(),
            actions.cols());
    const auto h = rnn_.forward(obs, context, train_ws_);
    auto logits = train_logits_.leftCols(batch);
    head_forward(h, logits);
    train_dist_.set_logits(logits);
    for (Index b = 0; b < batch; ++b) train_index_[static_cast<std::size_t>(b)] = static_cast<std::int64_t>(actions(0, b));
    train_dist_.log_prob(train_indices(batch), log_probs);
    train_dist_.entropy(entropy);
  }

  /// Adds the gradient of sum_b (dlogp_b log pi_b + dentropy_b H_b) for the recorded pass:
  /// through the head, then one step of the recurrent layer.
  void backward(const Eigen::Ref<const Vector<T>>& dlog_prob, const Eigen::Ref<const Vector<T>>& dentropy) {
    const Index batch = train_dist_.batch_size(), h = rnn_.hidden(), k = n_actions();
    auto grad = grad_logits_.leftCols(batch);
    auto scratch = grad_scratch_.leftCols(batch);
    train_dist_.grad_log_prob(train_indices(batch), dlog_prob, grad);
    train_dist_.grad_entropy(dentropy, scratch);
    grad += scratch;
    const auto hidden = train_ws_.outputs();
    const nn::Linear<T> linear = head();
    nn::detail::gemm_add<false, true>(k, h, batch, grad.data(), hidden.data(), linear.gradient_data(), head_gemm_);
    linear.bias_grad() += grad.rowwise().sum();
    auto dh = grad_h_.leftCols(batch);
    nn::detail::gemm_set<true, false>(h, batch, k, linear.parameter_data(), grad.data(), dh.data(), head_gemm_);
    rnn_.backward(train_ws_, dh);
  }

  /// Number of trainable parameters: the recurrent layer's, then the head's.
  [[nodiscard]] Index num_parameters() const noexcept { return rnn_.flat_parameters().size(); }
  /// Every trainable parameter and its gradient, flat (`Trainable`): the recurrent layer
  /// (docs/nn.md's layout), then the head's W (n_actions x H, column-major) and b.
  [[nodiscard]] Eigen::Map<Vector<T>> parameters() noexcept { return rnn_.flat_parameters(); }
  [[nodiscard]] Eigen::Map<Vector<T>> gradients() noexcept { return rnn_.flat_gradients(); }
  [[nodiscard]] Eigen::Map<const Vector<T>> parameters() const noexcept { return rnn_.flat_parameters(); }
  void zero_grad() noexcept { rnn_.zero_grad(); }
  /// The recurrent layer (its extra parameters are the head).
  [[nodiscard]] Layer& recurrent_layer() noexcept { return rnn_; }
  [[nodiscard]] const Layer& recurrent_layer() const noexcept { return rnn_; }
  /// The head, a view of W (n_actions x H) and b in the flat buffers.
  [[nodiscard]] nn::Linear<T> head() noexcept {
    return nn::Linear<T>(rnn_.hidden(), n_actions(), rnn_.extra_parameters().data(), rnn_.extra_gradients().data());
  }

 private:
  static Layer make_layer(Index obs_dim, Index n_actions, const RecurrentNetworkConfig& config) {
    validate(config, "RecurrentCategoricalPolicy config");
    require<ConfigError>(n_actions >= 1, "RecurrentCategoricalPolicy: n_actions must be >= 1, got {}", n_actions);
    return Layer({.inputs = obs_dim, .hidden = config.hidden}, nn::Linear<T>::size(config.hidden, n_actions));
  }

  // logits (K x B) = W h + b, h H x B with tight columns.
  template <class H, class L>
  void head_forward(const H& h, L& logits) {
    const nn::Linear<T> linear = head();
    nn::detail::affine(n_actions(), h.cols(), rnn_.hidden(), linear.parameter_data(), h.data(),
                       linear.bias().data(), logits.data(), head_gemm_);
  }

  std::span<const std::int64_t> train_indices(Index batch) const {
    return {train_index_.data(), static_cast<std::size_t>(batch)};
  }

  Layer rnn_;
  typename Layer::Workspace act_ws_;
  typename Layer::Workspace train_ws_;
  Matrix<T> state_;
  Matrix<T> act_h_;
  Matrix<T> act_logits_;
  Matrix<T> train_logits_;
  Categorical<T> act_dist_;
  Categorical<T> train_dist_;
  std::vector<std::int64_t> act_index_;
  std::vector<std::int64_t> train_index_;
  Matrix<T> grad_logits_;
  Matrix<T> grad_scratch_;
  Matrix<T> grad_h_;
  nn::detail::GemmBuffers<T> head_gemm_;
};

}  // namespace theta
