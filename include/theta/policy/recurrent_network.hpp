#pragma once
/// \file The recurrent network of a recurrent policy or value function: a GRU or LSTM, hidden
/// linear layers after it, and a linear output, over one flat parameter buffer; its acting
/// state per environment slot; and the recorded training passes (one step from stored states,
/// or whole sequences with episode starts, for truncated backpropagation through time).

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/nn/activation.hpp>
#include <theta/nn/detail/gemm.hpp>
#include <theta/nn/init.hpp>
#include <theta/nn/linear.hpp>
#include <theta/nn/recurrent.hpp>
#include <theta/policy/network.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace theta {

/// The recurrent network of a policy or value function: the width and initialisation of the
/// recurrent layer, and the hidden layers after it (sb3-contrib's `net_arch` after its LSTM).
///
///     theta::RecurrentNetworkConfig trunk{.hidden = 64, .layers = {64}, .activation = theta::nn::Activation::relu};
struct RecurrentNetworkConfig {
  /// Hidden size H of the GRU or LSTM (sb3-contrib's `lstm_hidden_size` defaults to 256; its
  /// rl-baselines3-zoo entries often use 32 to 128).
  Index hidden = 256;
  /// `Init::torch_default`: PyTorch's defaults for the recurrent layer and every linear layer
  /// (sb3-contrib's RecurrentPPO with `ortho_init=False`); `Init::orthogonal`: the recurrent
  /// layer orthogonal with gain 1 and biases 0 (CleanRL's LSTM), the hidden linear layers
  /// orthogonal with gain sqrt(2) and the output with the role's gain (0.01 policy, 1 value),
  /// biases 0 (SB3's `ortho_init`). docs/nn.md, "Recurrent layers".
  Init init = Init::torch_default;
  /// Widths of the hidden linear layers between the recurrent layer and the output (empty: the
  /// output reads h directly).
  std::vector<Index> layers = {};
  /// Activation after every hidden linear layer.
  nn::Activation activation = nn::Activation::tanh;
};

/// Checks a recurrent network description, naming the config field in errors.
inline void validate(const RecurrentNetworkConfig& config, const char* field) {
  require<ConfigError>(config.hidden >= 1, "{}.hidden must be >= 1, got {}", field, config.hidden);
  require<ConfigError>(config.init == Init::torch_default || config.init == Init::orthogonal,
                       "{}.init must be Init::torch_default or Init::orthogonal for a recurrent layer, got {}", field,
                       static_cast<int>(config.init));
  for (std::size_t i = 0; i < config.layers.size(); ++i) {
    require<ConfigError>(config.layers[i] >= 1, "{}.layers[{}] must be >= 1, got {}", field, i, config.layers[i]);
  }
}

namespace detail {

/// A recurrent layer, hidden linear layers (with an activation) and a linear output, whose
/// parameters are one flat buffer: the recurrent layer's (docs/nn.md's layout), then each
/// linear layer's W (column-major) and b in order. It keeps the acting state of `max_act`
/// environment slots and records training passes on up to `max_train` columns (samples, or
/// sequences x steps). Allocation-free after construction.
template <Real T, nn::Cell C>
class RecurrentNetwork {
 public:
  using Layer = nn::Recurrent<C, T>;

  /// `who` names the owner in errors; `output_gain` is the orthogonal gain of the output layer.
  RecurrentNetwork(const char* who, Index inputs, const RecurrentNetworkConfig& config, Index outputs,
                   double output_gain, Index max_act, Index max_train, Rng& rng)
      : who_(who),
        rnn_(make_layer(who, inputs, config, outputs)),
        activation_(config.activation),
        act_ws_(rnn_.make_workspace(std::max<Index>(max_act, 1))),
        train_ws_(rnn_.make_column_workspace(std::max<Index>(max_train, 1))),
        state_(Matrix<T>::Zero(rnn_.state_rows(), max_act)),
        peek_state_(rnn_.state_rows(), max_act),
        act_h_(config.hidden, max_act) {
    require<ConfigError>(max_act >= 1, "{}: max_act_batch must be >= 1, got {}", who, max_act);
    require<ConfigError>(max_train >= 1, "{}: max_train_batch must be >= 1, got {}", who, max_train);
    widths_.push_back(config.hidden);
    widths_.insert(widths_.end(), config.layers.begin(), config.layers.end());
    widths_.push_back(outputs);
    Index offset = 0, widest = 0;
    for (std::size_t l = 0; l + 1 < widths_.size(); ++l) {
      const Index in = widths_[l], out = widths_[l + 1];
      offsets_.push_back(offset);
      offset += nn::Linear<T>::size(in, out);
      widest = std::max(widest, std::max(in, out));
      act_out_.emplace_back(out, max_act);
      train_out_.emplace_back(out, max_train);
      for (const Index batch : {max_act, max_train}) {
        gemm_.reserve(out, batch, in);  // z = W x + b
        gemm_.reserve(out, in, batch);  // dW += dz x^T
        gemm_.reserve(in, batch, out);  // dx = W^T dz
      }
    }
    grad_[0].resize(widest, max_train);
    grad_[1].resize(widest, max_train);
    if (config.init == Init::orthogonal) {
      nn::init_orthogonal(rnn_, 1.0, rng);
      for (Index l = 0; l < num_linear(); ++l) {
        nn::init_orthogonal(linear(l), l + 1 == num_linear() ? output_gain : std::sqrt(2.0), rng);
      }
    } else {
      nn::init_torch_default(rnn_, rng);
      for (Index l = 0; l < num_linear(); ++l) nn::init_torch_default(linear(l), rng);
    }
  }

  [[nodiscard]] Index inputs() const noexcept { return rnn_.inputs(); }
  [[nodiscard]] Index outputs() const noexcept { return widths_.back(); }
  /// Rows of the state per slot: H (GRU) or 2H (LSTM, h above c).
  [[nodiscard]] Index state_rows() const noexcept { return rnn_.state_rows(); }
  [[nodiscard]] Index max_act() const noexcept { return state_.cols(); }
  [[nodiscard]] Index max_train() const noexcept { return train_out_.front().cols(); }
  [[nodiscard]] nn::Activation activation() const noexcept { return activation_; }
  /// The linear layers after the recurrent layer (hidden ones, then the output).
  [[nodiscard]] Index num_linear() const noexcept { return static_cast<Index>(offsets_.size()); }
  /// View of linear layer `l`'s W (out x in) and b in the flat buffers.
  [[nodiscard]] nn::Linear<T> linear(Index l) noexcept {
    const auto i = static_cast<std::size_t>(l);
    return nn::Linear<T>(widths_[i], widths_[i + 1], rnn_.extra_parameters().data() + offsets_[i],
                         rnn_.extra_gradients().data() + offsets_[i]);
  }
  [[nodiscard]] nn::Linear<const T> linear(Index l) const noexcept {
    const auto i = static_cast<std::size_t>(l);
    return nn::Linear<const T>(widths_[i], widths_[i + 1], rnn_.extra_parameters().data() + offsets_[i]);
  }
  [[nodiscard]] Layer& recurrent_layer() noexcept { return rnn_; }
  [[nodiscard]] const Layer& recurrent_layer() const noexcept { return rnn_; }

  [[nodiscard]] Eigen::Map<Vector<T>> parameters() noexcept { return rnn_.flat_parameters(); }
  [[nodiscard]] Eigen::Map<const Vector<T>> parameters() const noexcept { return rnn_.flat_parameters(); }
  [[nodiscard]] Eigen::Map<Vector<T>> gradients() noexcept { return rnn_.flat_gradients(); }
  void zero_grad() noexcept { rnn_.zero_grad(); }

  /// The acting state of every slot, state_rows x max_act.
  [[nodiscard]] Eigen::Map<Matrix<T>> state() noexcept { return {state_.data(), state_.rows(), state_.cols()}; }
  [[nodiscard]] Eigen::Map<const Matrix<T>> state() const noexcept {
    return {state_.data(), state_.rows(), state_.cols()};
  }
  void reset_states() noexcept { state_.setZero(); }
  /// Sets slot b's state to zero where `starts(b)` is 1 (B entries of 0 and 1).
  void reset_states(const Eigen::Ref<const Vector<T>>& starts) {
    require(starts.size() <= state_.cols(), "{}::reset_states: {} flags for {} slots", who_, starts.size(),
            state_.cols());
    require((starts.array() == T(0) || starts.array() == T(1)).all(),
            "{}::reset_states: the flags must be 0 (carry) or 1 (reset)", who_);
    for (Index b = 0; b < starts.size(); ++b) {
      if (starts[b] != T(0)) state_.col(b).setZero();
    }
  }

  /// One step of slots 0..B-1 (`obs` in x B), which then hold the state after it; returns the
  /// outputs, outputs x B (valid until the next acting pass). `entering`, if not null, receives
  /// the state each slot started from (state_rows x B).
  Eigen::Map<const Matrix<T>> act(const Eigen::Ref<const Matrix<T>>& obs, Eigen::Ref<Matrix<T>>* entering = nullptr) {
    const Index batch = check_act(obs, "act");
    auto state = state_.leftCols(batch);
    if (entering != nullptr) {
      require(entering->rows() == state_rows() && entering->cols() == batch,
              "{}::act: context must be {} x {}, got {} x {}", who_, state_rows(), batch, entering->rows(),
              entering->cols());
      *entering = state;
    }
    rnn_.step(obs, state, state, act_ws_);
    return act_head(state, batch);
  }

  /// The outputs of one step from slots 0..B-1 without changing their state (a value for a
  /// bootstrap, or the last observation of a rollout).
  Eigen::Map<const Matrix<T>> peek(const Eigen::Ref<const Matrix<T>>& obs) {
    const Index batch = check_act(obs, "peek");
    auto next = peek_state_.leftCols(batch);
    rnn_.step(obs, state_.leftCols(batch), next, act_ws_);
    return act_head(next, batch);
  }

  /// Records a training pass of one step per sample from stored states (`context`,
  /// state_rows x B); returns the outputs, outputs x B.
  Eigen::Map<const Matrix<T>> forward(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& context,
                                      const char* what) {
    check_train(obs.cols(), what);
    require(context.rows() == state_rows() && context.cols() == obs.cols(), "{}::{}: context must be {} x {}, got {} x {}",
            who_, what, state_rows(), obs.cols(), context.rows(), context.cols());
    return train_head(rnn_.forward(obs, context, train_ws_));
  }

  /// Records a training pass over S sequences of L steps: `obs` in x (L S), time-major (step t
  /// of sequence s in column t S + s); `initial` (state_rows x S) the state before each
  /// sequence's first step; `starts` (S x L) 1 where the state is reset before a step. Returns
  /// the outputs, outputs x (L S) in the same order.
  Eigen::Map<const Matrix<T>> forward_sequences(const Eigen::Ref<const Matrix<T>>& obs,
                                                const Eigen::Ref<const Matrix<T>>& initial,
                                                const Eigen::Ref<const Matrix<T>>& starts, const char* what) {
    check_train(obs.cols(), what);
    require(initial.rows() == state_rows() && initial.cols() >= 1,
            "{}::{}: the initial states must be {} x S (one column per sequence), got {} x {}", who_, what, state_rows(),
            initial.rows(), initial.cols());
    require(obs.cols() % initial.cols() == 0 && starts.rows() == initial.cols() &&
                starts.cols() == obs.cols() / initial.cols(),
            "{}::{}: {} columns of observations, {} sequences and {} x {} episode starts do not make S sequences of L "
            "steps (observations L S, starts S x L)",
            who_, what, obs.cols(), initial.cols(), starts.rows(), starts.cols());
    return train_head(rnn_.forward(obs, initial, starts, train_ws_));
  }

  /// Adds to `gradients()` the gradient of sum(dout .* outputs) for the recorded pass, through
  /// the linear layers and back through time.
  void backward(const Eigen::Ref<const Matrix<T>>& dout) {
    const Index batch = train_batch_;
    require(batch >= 1 && dout.rows() == outputs() && dout.cols() == batch,
            "{}::backward: needs a recorded pass and {} x {} output gradients, got {} x {}", who_, outputs(), batch,
            dout.rows(), dout.cols());
    T* g = grad_[0].data();
    T* other = grad_[1].data();
    Eigen::Map<Matrix<T>>(g, outputs(), batch) = dout;
    for (Index l = num_linear(); l-- > 0;) {
      const auto i = static_cast<std::size_t>(l);
      const Index in = widths_[i], out = widths_[i + 1];
      if (l + 1 < num_linear()) {
        const auto n = static_cast<std::size_t>(out * batch);
        nn::multiply_derivative(activation_, std::span<const T>(train_out_[i].data(), n), std::span<T>(g, n));
      }
      const T* x = l == 0 ? train_ws_.outputs().data() : train_out_[i - 1].data();
      nn::Linear<T> layer = linear(l);
      nn::detail::gemm_add<false, true>(out, in, batch, g, x, layer.gradient_data(), gemm_);
      layer.bias_grad() += Eigen::Map<const Matrix<T>>(g, out, batch).rowwise().sum();
      nn::detail::gemm_set<true, false>(in, batch, out, layer.parameter_data(), g, other, gemm_);
      std::swap(g, other);
    }
    rnn_.backward(train_ws_, Eigen::Map<const Matrix<T>>(g, widths_.front(), batch));
  }

 private:
  static Layer make_layer(const char* who, Index inputs, const RecurrentNetworkConfig& config, Index outputs) {
    validate(config, (std::string(who) + " config").c_str());
    require<ConfigError>(outputs >= 1, "{}: the outputs must be >= 1, got {}", who, outputs);
    Index extra = 0;
    Index in = config.hidden;
    for (const Index w : config.layers) {
      extra += nn::Linear<T>::size(in, w);
      in = w;
    }
    extra += nn::Linear<T>::size(in, outputs);
    return Layer({.inputs = inputs, .hidden = config.hidden}, extra);
  }

  Index check_act(const Eigen::Ref<const Matrix<T>>& obs, const char* what) const {
    const Index batch = obs.cols();
    require(batch >= 1 && batch <= state_.cols(), "{}::{}: a batch of {}; it acts on 1 to {} slots (max_act_batch)",
            who_, what, batch, state_.cols());
    return batch;
  }

  void check_train(Index columns, const char* what) const {
    require(columns >= 1 && columns <= max_train(),
            "{}::{}: a batch of {}; it was built for training batches of 1 to {} (max_train_batch)", who_, what,
            columns, max_train());
  }

  // The linear layers on h = state.topRows(H), copied tight, for the acting batch.
  template <class S>
  Eigen::Map<const Matrix<T>> act_head(const S& state, Index batch) {
    auto h = act_h_.leftCols(batch);
    h = state.topRows(rnn_.hidden());
    return run_linear(h.data(), batch, act_out_);
  }

  Eigen::Map<const Matrix<T>> train_head(const Eigen::Map<const Matrix<T>>& h) {
    train_batch_ = h.cols();
    return run_linear(h.data(), h.cols(), train_out_);
  }

  Eigen::Map<const Matrix<T>> run_linear(const T* x, Index batch, std::vector<Matrix<T>>& out) {
    for (Index l = 0; l < num_linear(); ++l) {
      const auto i = static_cast<std::size_t>(l);
      const nn::Linear<const T> layer = linear(l);
      T* z = out[i].data();
      nn::detail::affine(widths_[i + 1], batch, widths_[i], layer.parameter_data(), x, layer.bias().data(), z, gemm_);
      if (l + 1 < num_linear()) nn::activate(activation_, std::span<T>(z, static_cast<std::size_t>(widths_[i + 1] * batch)));
      x = z;
    }
    return Eigen::Map<const Matrix<T>>(out.back().data(), outputs(), batch);
  }

  const char* who_;
  Layer rnn_;
  nn::Activation activation_;
  std::vector<Index> widths_;   // H, the hidden layers, the outputs
  std::vector<Index> offsets_;  // where each linear layer starts in the extra entries
  typename Layer::Workspace act_ws_;
  typename Layer::Workspace train_ws_;
  Matrix<T> state_;
  Matrix<T> peek_state_;
  Matrix<T> act_h_;
  std::vector<Matrix<T>> act_out_;    // each linear layer's output for the acting batch
  std::vector<Matrix<T>> train_out_;  // ... and for the recorded training pass
  Matrix<T> grad_[2];
  Index train_batch_ = 0;
  nn::detail::GemmBuffers<T> gemm_;
};

}  // namespace detail
}  // namespace theta
