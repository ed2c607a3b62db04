#pragma once
/// \file Recurrent layers, GRU and LSTM, with PyTorch's equations, gate order and two biases:
/// weights copied from `torch.nn.GRU` / `torch.nn.LSTM` (one layer) give torch's outputs. A
/// single step for acting, a recorded forward over a sequence with per-step episode starts that
/// reset the state, and backward through time, all allocation-free once the workspace exists.
///
/// Equations (sigma the logistic function, * element-wise; x the input, h and c the state):
///
///     GRU   r  = sigma(W_ir x + b_ir + W_hr h + b_hr)
///           z  = sigma(W_iz x + b_iz + W_hz h + b_hz)
///           n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))
///           h' = (1 - z) * n + z * h
///     LSTM  i  = sigma(W_ii x + b_ii + W_hi h + b_hi)      f = sigma(... f ...)
///           g  = tanh(W_ig x + b_ig + W_hg h + b_hg)       o = sigma(... o ...)
///           c' = f * c + i * g,    h' = o * tanh(c')
///
/// Flat layout: PyTorch's tensor order (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`,
/// `bias_hh_l0`), each weight column-major as in `Linear`, the gates stacked in torch's row
/// order (GRU r, z, n; LSTM i, f, g, o), G = 3 or 4 gates of H rows:
///
///     [ W_ih (G H x in) | W_hh (G H x H) | b_ih (G H) | b_hh (G H) ]
///
/// State: the GRU's is h (H x B), the LSTM's is h above c (2H x B), one column per sample, so
/// that a rollout buffer stores it as `state_rows()` values per sample. A step's output is h.
///
/// Sequences are time-major: T steps of B samples are `in x (T B)` with step t in columns
/// [t B, (t + 1) B), the order of a rollout's `[T][E]` steps. `episode_starts(b, t) = 1` sets
/// sample b's state to zero before step t (as sb3-contrib's RecurrentPPO), so one sequence may
/// cross an episode boundary; the state then carries no gradient back past the reset.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>
#include <theta/nn/detail/gemm.hpp>

#include <Eigen/Core>

namespace theta::nn {

/// The recurrent cells: a GRU (3 gates, state h) or an LSTM (4 gates, state h and c).
enum class Cell { gru, lstm };

/// The shape of a recurrent layer, chosen at run time.
///
///     theta::nn::Gru<float> gru({.inputs = 2, .hidden = 64});
struct RecurrentConfig {
  Index inputs = 0;   ///< input size; required, >= 1
  Index hidden = 64;  ///< hidden size H, >= 1

  friend bool operator==(const RecurrentConfig&, const RecurrentConfig&) = default;
};

/// One recurrent layer (a `torch.nn.GRU` or `torch.nn.LSTM` with one layer) over batches
/// stored one column per sample. `T` is float or double. Use the aliases `Gru<T>` and `Lstm<T>`.
///
/// Threads: `step` and `forward` only read the layer, so threads may run them concurrently on
/// separate workspaces; `backward` writes `gradients()`.
///
///     theta::nn::Lstm<float> lstm({.inputs = 2, .hidden = 64});
///     theta::Rng rng(1);
///     theta::nn::init_torch_default(lstm, rng);
///     auto acting = lstm.make_workspace(8);                 // 8 environments, one step at a time
///     lstm.step(obs, state, next_state, acting);            // obs 2 x 8, state 128 x 8
///     auto training = lstm.make_workspace(16, 32);          // 16 sequences of up to 32 steps
///     auto h = lstm.forward(x, initial_state, starts, training);  // x 2 x (T 16), h 64 x (T 16)
///     lstm.zero_grad();
///     lstm.backward(training, dloss_dh);                    // gradients() += dL/dtheta through time
template <Cell C, Real T = Scalar>
class Recurrent {
 public:
  using value_type = T;
  using Scalar = T;
  static constexpr Cell cell = C;
  /// Gates per hidden unit: 3 (GRU) or 4 (LSTM).
  static constexpr Index gates = C == Cell::gru ? 3 : 4;
  /// The name in error messages.
  static constexpr const char* name = C == Cell::gru ? "nn::Gru" : "nn::Lstm";

  /// The tape of one sequence (up to `batch_capacity()` samples x `step_capacity()` steps) and
  /// the scratch of `step`, built by `Recurrent::make_workspace`. A forward overwrites the
  /// tape; backward reads it and writes only scratch, so several backward passes may follow one
  /// forward. `step` uses buffers of its own and leaves the tape alone.
  class Workspace {
   public:
    Workspace() = default;

    /// The largest batch (sequences, or samples of one step) this workspace takes.
    [[nodiscard]] Index batch_capacity() const noexcept { return batch_capacity_; }
    /// The longest sequence this workspace takes.
    [[nodiscard]] Index step_capacity() const noexcept { return step_capacity_; }
    /// The most columns (steps x batch) a recorded sequence may have.
    [[nodiscard]] Index column_capacity() const noexcept { return column_capacity_; }
    /// The batch and the steps of the recorded sequence; 0 before the first forward.
    [[nodiscard]] Index batch() const noexcept { return batch_; }
    [[nodiscard]] Index steps() const noexcept { return steps_; }

    /// The outputs h_1 ... h_T of the recorded sequence, H x (T B), step t in columns [t B, (t + 1) B).
    [[nodiscard]] Eigen::Map<const Matrix<T>> outputs() const noexcept {
      return Eigen::Map<const Matrix<T>>(out_.data(), out_.rows(), steps_ * batch_);
    }
    /// The state after the last step of the recorded sequence, `state_rows()` x B.
    [[nodiscard]] Eigen::Map<const Matrix<T>> final_state() const noexcept {
      return Eigen::Map<const Matrix<T>>(final_.data(), final_.rows(), batch_);
    }
    /// The state that entered each step (after the episode-start resets), `state_rows()` x (T B):
    /// what a rollout buffer stores as the context of each step.
    void entering_states(Eigen::Ref<Matrix<T>> out) const {
      const Index h = prev_h_.rows(), n = steps_ * batch_;
      require(out.rows() == final_.rows() && out.cols() == n,
              "{}::Workspace::entering_states: out must be {} x {}, got {} x {}", name, final_.rows(), n, out.rows(),
              out.cols());
      out.topRows(h) = prev_h_.leftCols(n);
      if constexpr (C == Cell::lstm) out.bottomRows(h) = prev_c_.leftCols(n);
    }

   private:
    friend class Recurrent;

    Workspace(Index inputs, Index hidden, Index max_batch, Index max_steps, Index max_columns)
        : batch_capacity_(max_batch), step_capacity_(max_steps), column_capacity_(max_columns) {
      const Index gh = gates * hidden, n = max_columns;
      const Index lstm = C == Cell::lstm ? 1 : 0;
      x_.setZero(inputs, n);
      gates_.setZero(gh, n);
      extra_.setZero(hidden, n);
      prev_h_.setZero(hidden, n);
      prev_c_.setZero(hidden, lstm * n);
      out_.setZero(hidden, n);
      starts_.setZero(max_columns);
      final_.setZero((1 + lstm) * hidden, max_batch);
      c_.setZero(hidden, lstm * max_batch);
      hh_.setZero(gh, max_batch);
      dgates_x_.setZero(gh, n);
      dgates_h_.setZero(gh, (1 - lstm) * n);  // the LSTM's are dgates_x_
      dx_.setZero(inputs, n);
      dh_.setZero(hidden, max_batch);
      dh_prev_.setZero(hidden, max_batch);
      dc_.setZero(hidden, lstm * max_batch);
      step_x_.setZero(inputs, max_batch);
      step_h_.setZero(hidden, max_batch);
      step_c_.setZero(hidden, lstm * max_batch);
      step_gates_.setZero(gh, max_batch);
      step_extra_.setZero(hidden, max_batch);
      // Every product a pass makes at full capacity: the input projections of all steps
      // (gh x n, depth in), one step's hidden projection (gh x B, depth H), and backward's
      // dW_ih (gh x in, depth n), dW_hh (gh x H, depth n), dX (in x n, depth gh) and
      // dh = W_hh^T dgates (H x B, depth gh).
      gemm_.reserve(gh, n, inputs);
      gemm_.reserve(gh, max_batch, hidden);
      gemm_.reserve(gh, inputs, n);
      gemm_.reserve(gh, hidden, n);
      gemm_.reserve(inputs, n, gh);
      gemm_.reserve(hidden, max_batch, gh);
    }

    Index batch_capacity_ = 0;
    Index step_capacity_ = 0;
    Index column_capacity_ = 0;
    Index batch_ = 0;
    Index steps_ = 0;
    const Recurrent* owner_ = nullptr;  // the layer whose forward filled the tape
    Matrix<T> x_;        // in x (T B): the recorded inputs
    Matrix<T> gates_;    // G H x (T B): the gates after their activations (r, z, n or i, f, g, o)
    Matrix<T> extra_;    // H x (T B): GRU W_hn h + b_hn, LSTM tanh(c')
    Matrix<T> prev_h_;   // H x (T B): h entering each step, after the reset
    Matrix<T> prev_c_;   // H x (T B): c entering each step (LSTM; 0 columns for a GRU)
    Matrix<T> out_;      // H x (T B): h' of each step
    Vector<T> starts_;   // B x T (column-major): the episode starts of the recorded sequence
    Matrix<T> final_;    // state_rows x B
    Matrix<T> c_;        // H x B: the running c (LSTM)
    Matrix<T> hh_;       // G H x B: one step's W_hh h + b_hh
    Matrix<T> dgates_x_;  // G H x (T B): dL/d(W_ih x + b_ih) per step
    Matrix<T> dgates_h_;  // G H x (T B): dL/d(W_hh h + b_hh) per step (GRU; the LSTM's equal dgates_x_)
    Matrix<T> dx_;        // in x (T B)
    Matrix<T> dh_, dh_prev_, dc_;  // H x B: the state's cotangent carried back through time
    Matrix<T> step_x_, step_h_, step_c_, step_gates_, step_extra_;  // step()'s scratch
    detail::GemmBuffers<T> gemm_;
  };

  /// Builds the layer with every parameter and gradient 0; initialise it with
  /// `init_torch_default` or `init_orthogonal` (theta/nn/init.hpp). Throws `ConfigError` for a
  /// size < 1.
  ///
  /// `extra_parameters` entries are appended to both flat buffers after the layer's own, as in
  /// `Mlp`: the layer never reads them; they belong to the component that wraps it (a policy's
  /// head), so that the component's parameters and gradients are one contiguous view each.
  explicit Recurrent(RecurrentConfig config, Index extra_parameters = 0) : config_(config) {
    require<ConfigError>(config_.inputs >= 1, "{}: RecurrentConfig::inputs must be >= 1, got {}", name, config_.inputs);
    require<ConfigError>(config_.hidden >= 1, "{}: RecurrentConfig::hidden must be >= 1, got {}", name, config_.hidden);
    require<ConfigError>(extra_parameters >= 0, "{}: extra_parameters must be >= 0, got {}", name, extra_parameters);
    parameters_.setZero(num_parameters() + extra_parameters);
    gradients_.setZero(num_parameters() + extra_parameters);
  }

  [[nodiscard]] const RecurrentConfig& config() const noexcept { return config_; }
  [[nodiscard]] Index inputs() const noexcept { return config_.inputs; }
  [[nodiscard]] Index hidden() const noexcept { return config_.hidden; }
  /// Rows of the state per sample: H (GRU) or 2H (LSTM: h above c).
  [[nodiscard]] Index state_rows() const noexcept { return (C == Cell::lstm ? 2 : 1) * config_.hidden; }
  /// The layer's own parameters: G H (in + H + 2).
  [[nodiscard]] Index num_parameters() const noexcept {
    return gates * config_.hidden * (config_.inputs + config_.hidden + 2);
  }
  /// Entries appended after the layer's parameters (see the constructor).
  [[nodiscard]] Index num_extra_parameters() const noexcept { return parameters_.size() - num_parameters(); }

  /// The layer's parameters, flat (layout in the file comment). A view: it cannot be resized.
  [[nodiscard]] Eigen::Map<Vector<T>> parameters() noexcept { return {parameters_.data(), num_parameters()}; }
  [[nodiscard]] Eigen::Map<const Vector<T>> parameters() const noexcept {
    return {parameters_.data(), num_parameters()};
  }
  /// The layer's gradients, in the layout of `parameters()`. Backward passes add to them.
  [[nodiscard]] Eigen::Map<Vector<T>> gradients() noexcept { return {gradients_.data(), num_parameters()}; }
  [[nodiscard]] Eigen::Map<const Vector<T>> gradients() const noexcept {
    return {gradients_.data(), num_parameters()};
  }
  /// The whole flat buffers: the layer's parameters (gradients), then the extra entries.
  [[nodiscard]] Eigen::Map<Vector<T>> flat_parameters() noexcept { return {parameters_.data(), parameters_.size()}; }
  [[nodiscard]] Eigen::Map<const Vector<T>> flat_parameters() const noexcept {
    return {parameters_.data(), parameters_.size()};
  }
  [[nodiscard]] Eigen::Map<Vector<T>> flat_gradients() noexcept { return {gradients_.data(), gradients_.size()}; }
  [[nodiscard]] Eigen::Map<const Vector<T>> flat_gradients() const noexcept {
    return {gradients_.data(), gradients_.size()};
  }
  /// The extra entries alone (the tails of the flat buffers).
  [[nodiscard]] Eigen::Map<Vector<T>> extra_parameters() noexcept {
    return {parameters_.data() + num_parameters(), num_extra_parameters()};
  }
  [[nodiscard]] Eigen::Map<const Vector<T>> extra_parameters() const noexcept {
    return {parameters_.data() + num_parameters(), num_extra_parameters()};
  }
  [[nodiscard]] Eigen::Map<Vector<T>> extra_gradients() noexcept {
    return {gradients_.data() + num_parameters(), num_extra_parameters()};
  }
  /// Sets every gradient to 0, the extra entries' too.
  void zero_grad() noexcept { gradients_.setZero(); }

  /// W_ih, G H x in (torch's `weight_ih_l0`), and its gradient.
  [[nodiscard]] Eigen::Map<Matrix<T>> weight_ih() noexcept { return {parameters_.data(), rows(), inputs()}; }
  [[nodiscard]] Eigen::Map<const Matrix<T>> weight_ih() const noexcept { return {parameters_.data(), rows(), inputs()}; }
  [[nodiscard]] Eigen::Map<Matrix<T>> weight_ih_grad() noexcept { return {gradients_.data(), rows(), inputs()}; }
  [[nodiscard]] Eigen::Map<const Matrix<T>> weight_ih_grad() const noexcept {
    return {gradients_.data(), rows(), inputs()};
  }
  /// W_hh, G H x H (torch's `weight_hh_l0`), and its gradient.
  [[nodiscard]] Eigen::Map<Matrix<T>> weight_hh() noexcept { return {parameters_.data() + hh_offset(), rows(), hidden()}; }
  [[nodiscard]] Eigen::Map<const Matrix<T>> weight_hh() const noexcept {
    return {parameters_.data() + hh_offset(), rows(), hidden()};
  }
  [[nodiscard]] Eigen::Map<Matrix<T>> weight_hh_grad() noexcept {
    return {gradients_.data() + hh_offset(), rows(), hidden()};
  }
  [[nodiscard]] Eigen::Map<const Matrix<T>> weight_hh_grad() const noexcept {
    return {gradients_.data() + hh_offset(), rows(), hidden()};
  }
  /// b_ih, G H (torch's `bias_ih_l0`), and its gradient.
  [[nodiscard]] Eigen::Map<Vector<T>> bias_ih() noexcept { return {parameters_.data() + bias_offset(), rows()}; }
  [[nodiscard]] Eigen::Map<const Vector<T>> bias_ih() const noexcept {
    return {parameters_.data() + bias_offset(), rows()};
  }
  [[nodiscard]] Eigen::Map<Vector<T>> bias_ih_grad() noexcept { return {gradients_.data() + bias_offset(), rows()}; }
  [[nodiscard]] Eigen::Map<const Vector<T>> bias_ih_grad() const noexcept {
    return {gradients_.data() + bias_offset(), rows()};
  }
  /// b_hh, G H (torch's `bias_hh_l0`), and its gradient.
  [[nodiscard]] Eigen::Map<Vector<T>> bias_hh() noexcept {
    return {parameters_.data() + bias_offset() + rows(), rows()};
  }
  [[nodiscard]] Eigen::Map<const Vector<T>> bias_hh() const noexcept {
    return {parameters_.data() + bias_offset() + rows(), rows()};
  }
  [[nodiscard]] Eigen::Map<Vector<T>> bias_hh_grad() noexcept {
    return {gradients_.data() + bias_offset() + rows(), rows()};
  }
  [[nodiscard]] Eigen::Map<const Vector<T>> bias_hh_grad() const noexcept {
    return {gradients_.data() + bias_offset() + rows(), rows()};
  }

  /// A workspace for sequences of up to `max_batch` samples and `max_steps` steps (an acting
  /// workspace needs one step). This allocates; every pass on it afterwards does not.
  [[nodiscard]] Workspace make_workspace(Index max_batch, Index max_steps = 1) const {
    require<ConfigError>(max_batch >= 1, "{}::make_workspace: max_batch must be >= 1, got {}", name, max_batch);
    require<ConfigError>(max_steps >= 1, "{}::make_workspace: max_steps must be >= 1, got {}", name, max_steps);
    return Workspace(inputs(), hidden(), max_batch, max_steps, max_batch * max_steps);
  }

  /// A workspace for any sequence of B samples and T steps with B T <= `max_columns` (a
  /// training minibatch of `max_columns` transitions cut into sequences of any length, or taken
  /// one step at a time), tape and scratch sized for `max_columns` columns.
  [[nodiscard]] Workspace make_column_workspace(Index max_columns) const {
    require<ConfigError>(max_columns >= 1, "{}::make_column_workspace: max_columns must be >= 1, got {}", name,
                         max_columns);
    return Workspace(inputs(), hidden(), max_columns, max_columns, max_columns);
  }

  /// One step without a tape, for acting: `next_state` (state_rows x B) from `x` (in x B) and
  /// `state` (state_rows x B); the output h' is `next_state.topRows(hidden())`. `next_state`
  /// may be `state` itself. Resetting the state at an episode start is the caller's: pass zeros.
  void step(const Eigen::Ref<const Matrix<T>>& x, const Eigen::Ref<const Matrix<T>>& state,
            Eigen::Ref<Matrix<T>> next_state, Workspace& ws) const {
    check_workspace(ws, "step");
    const Index batch = x.cols(), h = hidden();
    require(x.rows() == inputs(), "{}::step: x must have {} rows, got {}", name, inputs(), x.rows());
    require(batch >= 1 && batch <= ws.batch_capacity_,
            "{}::step: x has {} columns (the batch); the workspace takes 1 to {}", name, batch, ws.batch_capacity_);
    require(state.rows() == state_rows() && state.cols() == batch, "{}::step: state must be {} x {}, got {} x {}",
            name, state_rows(), batch, state.rows(), state.cols());
    require(next_state.rows() == state_rows() && next_state.cols() == batch,
            "{}::step: next_state must be {} x {}, got {} x {}", name, state_rows(), batch, next_state.rows(),
            next_state.cols());
    // Copies first: the products need tight operands, and next_state may alias state.
    auto xs = ws.step_x_.leftCols(batch);
    auto hs = ws.step_h_.leftCols(batch);
    xs = x;
    hs = state.topRows(h);
    auto g = ws.step_gates_.leftCols(batch);
    auto hh = ws.hh_.leftCols(batch);
    detail::affine(rows(), batch, inputs(), weight_ih().data(), xs.data(), bias_ih().data(), g.data(), ws.gemm_);
    detail::affine(rows(), batch, h, weight_hh().data(), hs.data(), bias_hh().data(), hh.data(), ws.gemm_);
    if constexpr (C == Cell::gru) {
      cell_forward(g, hh, hs, hs, ws.step_extra_.leftCols(batch), next_state, next_state);
    } else {
      auto cs = ws.step_c_.leftCols(batch);
      cs = state.bottomRows(h);
      cell_forward(g, hh, hs, cs, ws.step_extra_.leftCols(batch), next_state.topRows(h), next_state.bottomRows(h));
    }
  }

  /// Forward over a sequence, recorded in `ws` for backward: `x` is in x (T B), time-major
  /// (step t in columns [t B, (t + 1) B)); `initial_state` is state_rows x B, the state before
  /// the first step (B is its column count); `episode_starts` is B x T of 0 and 1, and 1 at
  /// (b, t) sets sample b's state to zero before step t. Returns the outputs h_1 ... h_T,
  /// H x (T B), a view into `ws` valid until its next forward; `ws.final_state()` is the state
  /// after step T.
  Eigen::Map<const Matrix<T>> forward(const Eigen::Ref<const Matrix<T>>& x,
                                      const Eigen::Ref<const Matrix<T>>& initial_state,
                                      const Eigen::Ref<const Matrix<T>>& episode_starts, Workspace& ws) const {
    return run_forward(x, initial_state, &episode_starts, ws);
  }

  /// As above, without episode starts inside the sequence.
  Eigen::Map<const Matrix<T>> forward(const Eigen::Ref<const Matrix<T>>& x,
                                      const Eigen::Ref<const Matrix<T>>& initial_state, Workspace& ws) const {
    return run_forward(x, initial_state, nullptr, ws);
  }

  /// Backward through time over the sequence recorded in `ws`: given dL/dh_t for every step
  /// (`d_outputs`, H x (T B), the layout of the outputs), adds dL/dtheta to `gradients()`.
  void backward(Workspace& ws, const Eigen::Ref<const Matrix<T>>& d_outputs) {
    backpropagate(ws, d_outputs, nullptr, gradients_.data(), nullptr, nullptr, "backward");
  }

  /// As above, with dL/d(final state) (`d_final_state`, state_rows x B; zeros when the loss
  /// does not read it) added at the end, and writing dL/dx (in x (T B)) to `input_grad` and
  /// dL/d(initial state) (state_rows x B) to `initial_state_grad`.
  void backward(Workspace& ws, const Eigen::Ref<const Matrix<T>>& d_outputs,
                const Eigen::Ref<const Matrix<T>>& d_final_state, Eigen::Ref<Matrix<T>> input_grad,
                Eigen::Ref<Matrix<T>> initial_state_grad) {
    backpropagate(ws, d_outputs, &d_final_state, gradients_.data(), &input_grad, &initial_state_grad, "backward");
  }

 private:
  [[nodiscard]] Index rows() const noexcept { return gates * config_.hidden; }
  [[nodiscard]] Index hh_offset() const noexcept { return rows() * config_.inputs; }
  [[nodiscard]] Index bias_offset() const noexcept { return rows() * (config_.inputs + config_.hidden); }

  void check_workspace(const Workspace& ws, const char* what) const {
    require(ws.x_.rows() == inputs() && ws.out_.rows() == hidden() && ws.batch_capacity_ >= 1,
            "{}::{}: the workspace was made for another layer shape (or default-constructed)", name, what);
  }

  void check_tape(const Workspace& ws, const char* what) const {
    check_workspace(ws, what);
    require(ws.owner_ == this && ws.batch_ >= 1,
            "{}::{}: the workspace holds no forward pass of this layer; call forward first", name, what);
  }

  // One step of the cell for a batch: `g` holds W_ih x + b_ih on entry and the activated gates
  // on exit, `hh` is W_hh h + b_hh, `h` and `c` the entering state (c unused by a GRU),
  // `extra` receives what backward needs besides the gates (GRU W_hn h + b_hn, LSTM tanh(c')),
  // `next_h` and `next_c` the state after the step (next_c unused by a GRU). The outputs must
  // not alias h or c.
  template <class G, class HH, class H, class Cs, class E, class NH, class NC>
  void cell_forward(G&& g, const HH& hh, const H& h, [[maybe_unused]] const Cs& c, E&& extra, NH&& next_h,
                    [[maybe_unused]] NC&& next_c) const {
    const Index n = hidden();
    if constexpr (C == Cell::gru) {
      g.topRows(2 * n).array() = (g.topRows(2 * n) + hh.topRows(2 * n)).array().logistic();
      extra = hh.bottomRows(n);
      g.bottomRows(n).array() = (g.bottomRows(n).array() + g.topRows(n).array() * extra.array()).tanh();
      const auto z = g.middleRows(n, n).array();
      next_h.array() = (T(1) - z) * g.bottomRows(n).array() + z * h.array();
    } else {
      g += hh;
      g.topRows(2 * n).array() = g.topRows(2 * n).array().logistic();
      g.middleRows(2 * n, n).array() = g.middleRows(2 * n, n).array().tanh();
      g.bottomRows(n).array() = g.bottomRows(n).array().logistic();
      next_c.array() = g.middleRows(n, n).array() * c.array() + g.topRows(n).array() * g.middleRows(2 * n, n).array();
      extra.array() = next_c.array().tanh();
      next_h.array() = g.bottomRows(n).array() * extra.array();
    }
  }

  // Zeroes the columns of h (and c) whose episode starts at this step.
  template <class S, class H, class Cs>
  static void reset_columns(const S& starts, H& h, [[maybe_unused]] Cs& c) {
    for (Index b = 0; b < starts.size(); ++b) {
      if (starts(b) != T(0)) {
        h.col(b).setZero();
        if constexpr (C == Cell::lstm) c.col(b).setZero();
      }
    }
  }

  Eigen::Map<const Matrix<T>> run_forward(const Eigen::Ref<const Matrix<T>>& x,
                                          const Eigen::Ref<const Matrix<T>>& initial_state,
                                          const Eigen::Ref<const Matrix<T>>* starts, Workspace& ws) const {
    check_workspace(ws, "forward");
    const Index batch = initial_state.cols(), h = hidden();
    require(initial_state.rows() == state_rows(), "{}::forward: initial_state must have {} rows, got {}", name,
            state_rows(), initial_state.rows());
    require(batch >= 1 && batch <= ws.batch_capacity_,
            "{}::forward: initial_state has {} columns (the batch); the workspace takes 1 to {}", name, batch,
            ws.batch_capacity_);
    require(x.rows() == inputs(), "{}::forward: x must have {} rows, got {}", name, inputs(), x.rows());
    require(x.cols() >= batch && x.cols() % batch == 0,
            "{}::forward: x must have steps x batch columns, a multiple of the batch {}, got {}", name, batch, x.cols());
    const Index steps = x.cols() / batch, n = x.cols();
    require(steps <= ws.step_capacity_, "{}::forward: the sequence has {} steps; the workspace takes at most {}", name,
            steps, ws.step_capacity_);
    require(n <= ws.column_capacity_,
            "{}::forward: the sequence has {} steps x {} samples = {} columns; the workspace takes at most {}", name,
            steps, batch, n, ws.column_capacity_);
    if (starts != nullptr) {
      require(starts->rows() == batch && starts->cols() == steps,
              "{}::forward: episode_starts must be {} x {} (batch x steps), got {} x {}", name, batch, steps,
              starts->rows(), starts->cols());
      require((starts->array() == T(0) || starts->array() == T(1)).all(),
              "{}::forward: episode_starts must hold 0 (carry the state) or 1 (reset it to 0 before the step)", name);
    }
    ws.owner_ = nullptr;  // until the tape is complete
    Eigen::Map<Matrix<T>> recorded_starts(ws.starts_.data(), batch, steps);
    if (starts != nullptr) {
      recorded_starts = *starts;
    } else {
      recorded_starts.setZero();
    }
    ws.x_.leftCols(n) = x;
    // The input projections of all steps in one product: G_x = W_ih X + b_ih.
    detail::affine(rows(), n, inputs(), weight_ih().data(), ws.x_.data(), bias_ih().data(), ws.gates_.data(), ws.gemm_);
    for (Index t = 0; t < steps; ++t) {
      const Index col = t * batch;
      auto h_prev = ws.prev_h_.middleCols(col, batch);
      if (t == 0) {
        h_prev = initial_state.topRows(h);
      } else {
        h_prev = ws.out_.middleCols(col - batch, batch);
      }
      auto hh = ws.hh_.leftCols(batch);
      auto out = ws.out_.middleCols(col, batch);
      if constexpr (C == Cell::gru) {
        reset_columns(recorded_starts.col(t), h_prev, h_prev);
        detail::affine(rows(), batch, h, weight_hh().data(), h_prev.data(), bias_hh().data(), hh.data(), ws.gemm_);
        cell_forward(ws.gates_.middleCols(col, batch), hh, h_prev, h_prev, ws.extra_.middleCols(col, batch), out, out);
      } else {
        // The LSTM's h goes to the outputs, its c to the running c_.
        auto c_prev = ws.prev_c_.middleCols(col, batch);
        if (t == 0) {
          c_prev = initial_state.bottomRows(h);
        } else {
          c_prev = ws.c_.leftCols(batch);
        }
        reset_columns(recorded_starts.col(t), h_prev, c_prev);
        detail::affine(rows(), batch, h, weight_hh().data(), h_prev.data(), bias_hh().data(), hh.data(), ws.gemm_);
        cell_forward(ws.gates_.middleCols(col, batch), hh, h_prev, c_prev, ws.extra_.middleCols(col, batch), out,
                     ws.c_.leftCols(batch));
      }
    }
    auto final_state = ws.final_.leftCols(batch);
    final_state.topRows(h) = ws.out_.middleCols((steps - 1) * batch, batch);
    if constexpr (C == Cell::lstm) final_state.bottomRows(h) = ws.c_.leftCols(batch);
    ws.batch_ = batch;
    ws.steps_ = steps;
    ws.owner_ = this;
    return ws.outputs();
  }

  // Backward through time. Adds dL/dtheta to `grad` when it is not null; writes dL/dx and
  // dL/d(initial state) when asked. The state's cotangent (dh_, and dc_ for the LSTM) is carried
  // from the last step to the first; the gate cotangents of every step are kept so that the
  // weight gradients and dL/dx are three products over the whole sequence.
  void backpropagate(Workspace& ws, const Eigen::Ref<const Matrix<T>>& d_outputs,
                     const Eigen::Ref<const Matrix<T>>* d_final, T* grad, Eigen::Ref<Matrix<T>>* input_grad,
                     Eigen::Ref<Matrix<T>>* state_grad, const char* what) const {
    check_tape(ws, what);
    const Index batch = ws.batch_, steps = ws.steps_, n = batch * steps, h = hidden();
    require(d_outputs.rows() == h && d_outputs.cols() == n,
            "{}::{}: d_outputs must be {} x {} (hidden x steps * batch), got {} x {}", name, what, h, n,
            d_outputs.rows(), d_outputs.cols());
    if (d_final != nullptr) {
      require(d_final->rows() == state_rows() && d_final->cols() == batch,
              "{}::{}: d_final_state must be {} x {}, got {} x {}", name, what, state_rows(), batch, d_final->rows(),
              d_final->cols());
    }
    if (input_grad != nullptr) {
      require(input_grad->rows() == inputs() && input_grad->cols() == n,
              "{}::{}: input_grad must be {} x {}, got {} x {}", name, what, inputs(), n, input_grad->rows(),
              input_grad->cols());
    }
    if (state_grad != nullptr) {
      require(state_grad->rows() == state_rows() && state_grad->cols() == batch,
              "{}::{}: initial_state_grad must be {} x {}, got {} x {}", name, what, state_rows(), batch,
              state_grad->rows(), state_grad->cols());
    }
    auto dh = ws.dh_.leftCols(batch);
    auto dh_prev = ws.dh_prev_.leftCols(batch);
    auto dc = ws.dc_.leftCols(C == Cell::lstm ? batch : 0);
    if (d_final != nullptr) {
      dh = d_final->topRows(h);
      if constexpr (C == Cell::lstm) dc = d_final->bottomRows(h);
    } else {
      dh.setZero();
      dc.setZero();
    }
    for (Index t = steps; t-- > 0;) {
      const Index col = t * batch;
      dh += d_outputs.middleCols(col, batch);
      const auto g = ws.gates_.middleCols(col, batch);
      const auto extra = ws.extra_.middleCols(col, batch).array();
      auto dg = ws.dgates_x_.middleCols(col, batch);
      if constexpr (C == Cell::gru) {
        const auto r = g.topRows(h).array(), z = g.middleRows(h, h).array(), nv = g.bottomRows(h).array();
        const auto h_prev = ws.prev_h_.middleCols(col, batch).array();
        const auto d = dh.array();
        // h' = (1 - z) n + z h: through n (tanh), z (sigmoid), and r inside n (sigmoid).
        dg.bottomRows(h) = (d * (T(1) - z) * (T(1) - nv.square())).matrix();
        dg.middleRows(h, h) = (d * (h_prev - nv) * z * (T(1) - z)).matrix();
        dg.topRows(h) = (dg.bottomRows(h).array() * extra * r * (T(1) - r)).matrix();
        auto dgh = ws.dgates_h_.middleCols(col, batch);
        dgh.topRows(2 * h) = dg.topRows(2 * h);
        dgh.bottomRows(h) = (dg.bottomRows(h).array() * r).matrix();  // n's hidden part is inside r *
        dh_prev = (d * z).matrix();
        detail::gemm_add<true, false>(h, batch, rows(), weight_hh().data(), dgh.data(), dh_prev.data(), ws.gemm_);
      } else {
        const auto i = g.topRows(h).array(), f = g.middleRows(h, h).array(), gg = g.middleRows(2 * h, h).array(),
                   o = g.bottomRows(h).array();
        const auto c_prev = ws.prev_c_.middleCols(col, batch).array();
        // h' = o tanh(c'), c' = f c + i g.
        dc.array() += dh.array() * o * (T(1) - extra.square());
        dg.bottomRows(h) = (dh.array() * extra * o * (T(1) - o)).matrix();
        dg.topRows(h) = (dc.array() * gg * i * (T(1) - i)).matrix();
        dg.middleRows(h, h) = (dc.array() * c_prev * f * (T(1) - f)).matrix();
        dg.middleRows(2 * h, h) = (dc.array() * i * (T(1) - gg.square())).matrix();
        dc.array() *= f;
        detail::gemm_set<true, false>(h, batch, rows(), weight_hh().data(), dg.data(), dh_prev.data(), ws.gemm_);
      }
      // A reset fed zeros into this step: nothing flows back past it.
      reset_columns(Eigen::Map<const Vector<T>>(ws.starts_.data() + t * batch, batch), dh_prev, dc);
      dh = dh_prev;
    }
    if (state_grad != nullptr) {
      state_grad->topRows(h) = dh;
      if constexpr (C == Cell::lstm) state_grad->bottomRows(h) = dc;
    }
    const T* dgx = ws.dgates_x_.data();
    const T* dgh = C == Cell::gru ? ws.dgates_h_.data() : dgx;
    if (grad != nullptr) {
      // dW_ih += dG_x X^T, dW_hh += dG_h H_prev^T over all steps at once; the biases' row sums.
      detail::gemm_add<false, true>(rows(), inputs(), n, dgx, ws.x_.data(), grad, ws.gemm_);
      detail::gemm_add<false, true>(rows(), h, n, dgh, ws.prev_h_.data(), grad + hh_offset(), ws.gemm_);
      Eigen::Map<Vector<T>>(grad + bias_offset(), rows()) += Eigen::Map<const Matrix<T>>(dgx, rows(), n).rowwise().sum();
      Eigen::Map<Vector<T>>(grad + bias_offset() + rows(), rows()) +=
          Eigen::Map<const Matrix<T>>(dgh, rows(), n).rowwise().sum();
    }
    if (input_grad != nullptr) {
      detail::gemm_set<true, false>(inputs(), n, rows(), weight_ih().data(), dgx, ws.dx_.data(), ws.gemm_);
      *input_grad = ws.dx_.leftCols(n);
    }
  }

  RecurrentConfig config_;
  Vector<T> parameters_;  // layer, then extra entries
  Vector<T> gradients_;
};

/// A GRU layer (`torch.nn.GRU` with one layer): gates r, z, n, state h.
template <Real T = Scalar>
using Gru = Recurrent<Cell::gru, T>;

/// An LSTM layer (`torch.nn.LSTM` with one layer): gates i, f, g, o, state h above c.
template <Real T = Scalar>
using Lstm = Recurrent<Cell::lstm, T>;

}  // namespace theta::nn
