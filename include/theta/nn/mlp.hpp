#pragma once
/// \file Mlp: a multilayer perceptron whose parameters and gradients live in one flat buffer
/// each, with batched forward, backward (vector-Jacobian) and forward-mode Jacobian-vector
/// products that allocate nothing after the workspace is built.
///
/// Layout: layer after layer, each as `Linear` documents (W column-major, out x in, then b).
/// The tensor order is PyTorch's `parameters()` order; inside each W the order is
/// column-major where PyTorch's flat vectors are row-major.
///
/// Tape: the activations a backward or JVP pass needs live in a `Workspace` that the caller
/// owns, sized once for a maximum batch. One network can have several workspaces, so it can be
/// evaluated on two batches (SAC's Q(s, a) and Q(s', a')) before either is differentiated.
///
/// Dropout (`MlpConfig::dropout` = p > 0) zeroes each hidden unit with probability p after its
/// activation and scales the kept ones by 1 / (1 - p) (inverted dropout, as PyTorch's
/// `nn.Dropout` in training mode). `forward(x, ws)` is evaluation mode, without dropout;
/// `forward(x, ws, rng)` draws the masks and `forward(x, ws, masks)` takes given ones, so a
/// pass can be recomputed with the masks an earlier pass drew. Backward and JVP differentiate
/// the recorded pass, masks included.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/nn/activation.hpp>
#include <theta/nn/detail/gemm.hpp>
#include <theta/nn/linear.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace theta::nn {

/// The shape of an `Mlp`: sizes and activations, all chosen at run time.
///
///     theta::nn::MlpConfig actor{.inputs = 4, .hidden = {64, 64}, .outputs = 2};
///     theta::nn::MlpConfig critic{.inputs = 4, .hidden = {256, 256}, .outputs = 1,
///                                 .hidden_activation = theta::nn::Activation::relu};
struct MlpConfig {
  Index inputs = 0;                                     ///< input size; required, >= 1
  std::vector<Index> hidden = {64, 64};                 ///< hidden widths, each >= 1; empty is a linear model
  Index outputs = 0;                                    ///< output size; required, >= 1
  Activation hidden_activation = Activation::tanh;      ///< after every hidden layer
  Activation output_activation = Activation::identity;  ///< after the last layer
  double dropout = 0.0;  ///< probability of zeroing a hidden unit in training passes, in [0, 1); 0 is off

  friend bool operator==(const MlpConfig&, const MlpConfig&) = default;
};

/// A multilayer perceptron y = f_L(W_L ... f_1(W_1 x + b_1) ... + b_L) over batches stored one
/// column per sample. `T` is float or double.
///
/// Threads: the const passes (forward, jvp, vjp, input_gradient) only read the network, so
/// threads may run them concurrently on separate workspaces; backward writes `gradients()`.
///
///     theta::nn::Mlp<float> net({.inputs = 4, .hidden = {64, 64}, .outputs = 2});
///     theta::Rng rng(1);
///     theta::nn::init_orthogonal(net, std::sqrt(2.0), 0.01, rng);
///     auto ws = net.make_workspace(256);        // once; allocates
///     auto y = net.forward(x, ws);              // x: 4 x B, B <= 256; y: 2 x B view into ws
///     net.zero_grad();
///     net.backward(ws, dloss_dy);               // gradients() += dL/dtheta
template <Real T = Scalar>
class Mlp {
 public:
  using value_type = T;

  /// Activation storage and scratch for one batch of up to `capacity()` samples. Built by
  /// `Mlp::make_workspace`; it holds the last forward pass of its network (the tape) until the
  /// next forward on it. Backward and JVP read the tape and overwrite only scratch, so several
  /// passes may follow one forward.
  class Workspace {
   public:
    Workspace() = default;

    /// The largest batch this workspace takes.
    [[nodiscard]] Index capacity() const noexcept { return capacity_; }
    /// The batch of the recorded forward pass; 0 before the first forward or after `input()`.
    [[nodiscard]] Index batch() const noexcept { return batch_; }

    /// The network input for the next `forward(ws)`, in x batch, to fill in place (for
    /// example observations and actions stacked for a Q-function without a temporary).
    /// Invalidates the recorded pass.
    [[nodiscard]] Eigen::Map<Matrix<T>> input(Index batch) {
      require(batch >= 1 && batch <= capacity_, "nn::Mlp::Workspace::input: batch must be in [1, {}], got {}",
              capacity_, batch);
      input_batch_ = batch;
      batch_ = 0;
      return Eigen::Map<Matrix<T>>(activation_data(0), widths_.front(), batch);
    }

    /// The network output of the recorded pass, out x batch.
    [[nodiscard]] Eigen::Map<const Matrix<T>> output() const noexcept {
      if (widths_.empty()) return Eigen::Map<const Matrix<T>>(nullptr, 0, 0);  // default-constructed
      return activation(static_cast<Index>(widths_.size()) - 1);
    }

    /// The recorded activation after layer `layer` (0 is the input), width x batch; for a
    /// hidden layer of a pass with dropout, before the mask.
    [[nodiscard]] Eigen::Map<const Matrix<T>> activation(Index layer) const noexcept {
      const auto l = static_cast<std::size_t>(layer);
      return Eigen::Map<const Matrix<T>>(activations_.data() + offsets_[l], widths_[l], batch_);
    }

    /// The dropout masks of the recorded pass: `Mlp::mask_rows()` x batch, one column per
    /// sample holding the hidden layers' keep indicators (1 kept, 0 dropped) stacked from the
    /// first hidden layer; 0 rows when the pass had no dropout. Pass them to
    /// `Mlp::forward(x, ws, masks)` to recompute the same function.
    [[nodiscard]] auto masks() const noexcept { return masks_.topLeftCorner(dropout_ ? masks_.rows() : 0, batch_); }

   private:
    friend class Mlp;

    Workspace(const std::vector<Index>& widths, Index capacity, Index mask_rows)
        : widths_(widths), capacity_(capacity) {
      Index total = 0;
      for (const Index w : widths_) {
        offsets_.push_back(total);
        total += w * capacity;
      }
      activations_.setZero(total);
      masks_.setZero(mask_rows, capacity);  // 0 x capacity without dropout
      if (mask_rows > 0) dropped_.setZero(total);
      const Index widest = *std::max_element(widths_.begin(), widths_.end());
      scratch_[0].setZero(widest * capacity);
      scratch_[1].setZero(widest * capacity);
      // Reserve packing space for every product a pass makes at full capacity:
      // forward and JVP (out x B, depth in), dW (out x in, depth B), dX (in x B, depth out).
      for (std::size_t l = 0; l + 1 < widths_.size(); ++l) {
        const Index in = widths_[l], out = widths_[l + 1];
        gemm_.reserve(out, capacity, in);
        gemm_.reserve(out, in, capacity);
        gemm_.reserve(in, capacity, out);
      }
    }

    T* activation_data(std::size_t layer) noexcept { return activations_.data() + offsets_[layer]; }
    const T* activation_data(std::size_t layer) const noexcept { return activations_.data() + offsets_[layer]; }
    // What layer `layer + 1` reads: the activation after the mask in a pass with dropout.
    const T* input_data(std::size_t layer) const noexcept {
      const bool masked = dropout_ && layer > 0 && layer + 1 < widths_.size();
      return (masked ? dropped_.data() : activations_.data()) + offsets_[layer];
    }

    std::vector<Index> widths_;
    std::vector<Index> offsets_;
    Index capacity_ = 0;
    Index input_batch_ = 0;
    Index batch_ = 0;
    const Mlp* owner_ = nullptr;  // the network whose forward filled the tape
    Vector<T> activations_;       // a_0 (input), a_1, ..., a_L, each width x capacity
    Vector<T> scratch_[2];        // ping-pong cotangents / tangents, widest x capacity
    Matrix<T> masks_;             // keep indicators of the hidden units, mask_rows x capacity
    Vector<T> dropped_;           // masked hidden activations, laid out as activations_
    bool dropout_ = false;        // the recorded pass applied masks_
    detail::GemmBuffers<T> gemm_;
  };

  /// Builds the network with every parameter and gradient 0; use an initialiser from
  /// `theta/nn/init.hpp` before training. Throws `ConfigError` for a size < 1.
  ///
  /// `extra_parameters` entries are appended to both flat buffers after the network's own.
  /// The network never reads them; they belong to the component that wraps it (a Gaussian
  /// policy's log-std), so that the component's parameters and gradients are one contiguous
  /// view each (`flat_parameters()`, `flat_gradients()`).
  explicit Mlp(MlpConfig config, Index extra_parameters = 0) : config_(std::move(config)) {
    require<ConfigError>(extra_parameters >= 0, "nn::Mlp: extra_parameters must be >= 0, got {}", extra_parameters);
    require<ConfigError>(config_.inputs >= 1, "nn::MlpConfig::inputs must be >= 1, got {}", config_.inputs);
    require<ConfigError>(config_.outputs >= 1, "nn::MlpConfig::outputs must be >= 1, got {}", config_.outputs);
    for (std::size_t i = 0; i < config_.hidden.size(); ++i) {
      require<ConfigError>(config_.hidden[i] >= 1, "nn::MlpConfig::hidden[{}] must be >= 1, got {}", i,
                           config_.hidden[i]);
    }
    require<ConfigError>(config_.dropout >= 0 && config_.dropout < 1, "nn::MlpConfig::dropout must be in [0, 1), got {}",
                         config_.dropout);
    widths_.push_back(config_.inputs);
    widths_.insert(widths_.end(), config_.hidden.begin(), config_.hidden.end());
    widths_.push_back(config_.outputs);
    Index total = 0;
    for (std::size_t l = 0; l + 1 < widths_.size(); ++l) {
      offsets_.push_back(total);
      total += Linear<T>::size(widths_[l], widths_[l + 1]);
    }
    num_network_parameters_ = total;
    parameters_.setZero(total + extra_parameters);
    gradients_.setZero(total + extra_parameters);
  }

  [[nodiscard]] const MlpConfig& config() const noexcept { return config_; }
  [[nodiscard]] Index inputs() const noexcept { return config_.inputs; }
  [[nodiscard]] Index outputs() const noexcept { return config_.outputs; }
  /// Number of affine layers (hidden layers + 1).
  [[nodiscard]] Index num_layers() const noexcept { return static_cast<Index>(offsets_.size()); }
  /// The network's own parameters (without the extra ones).
  [[nodiscard]] Index num_parameters() const noexcept { return num_network_parameters_; }
  /// Entries appended after the network's parameters (see the constructor).
  [[nodiscard]] Index num_extra_parameters() const noexcept { return parameters_.size() - num_network_parameters_; }
  /// Rows of a dropout mask matrix: the hidden widths summed, or 0 without dropout.
  [[nodiscard]] Index mask_rows() const noexcept {
    Index rows = 0;
    if (config_.dropout > 0) {
      for (const Index w : config_.hidden) rows += w;
    }
    return rows;
  }
  /// The activation after layer `layer` (hidden activation, or the output activation for the last).
  [[nodiscard]] Activation activation(Index layer) const noexcept {
    return layer + 1 == num_layers() ? config_.output_activation : config_.hidden_activation;
  }
  /// Where layer `layer` starts in the flat buffers.
  [[nodiscard]] Index offset(Index layer) const noexcept { return offsets_[static_cast<std::size_t>(layer)]; }

  /// The network's parameters, flat (layout in the file comment). A view: it cannot be resized.
  [[nodiscard]] Eigen::Map<Vector<T>> parameters() noexcept {
    return Eigen::Map<Vector<T>>(parameters_.data(), num_network_parameters_);
  }
  [[nodiscard]] Eigen::Map<const Vector<T>> parameters() const noexcept {
    return Eigen::Map<const Vector<T>>(parameters_.data(), num_network_parameters_);
  }
  /// The network's gradients, flat, in the layout of `parameters()`. Backward passes add to them.
  [[nodiscard]] Eigen::Map<Vector<T>> gradients() noexcept {
    return Eigen::Map<Vector<T>>(gradients_.data(), num_network_parameters_);
  }
  [[nodiscard]] Eigen::Map<const Vector<T>> gradients() const noexcept {
    return Eigen::Map<const Vector<T>>(gradients_.data(), num_network_parameters_);
  }
  /// The whole flat buffers: the network's parameters (gradients), then the extra entries.
  [[nodiscard]] Eigen::Map<Vector<T>> flat_parameters() noexcept {
    return Eigen::Map<Vector<T>>(parameters_.data(), parameters_.size());
  }
  [[nodiscard]] Eigen::Map<const Vector<T>> flat_parameters() const noexcept {
    return Eigen::Map<const Vector<T>>(parameters_.data(), parameters_.size());
  }
  [[nodiscard]] Eigen::Map<Vector<T>> flat_gradients() noexcept {
    return Eigen::Map<Vector<T>>(gradients_.data(), gradients_.size());
  }
  [[nodiscard]] Eigen::Map<const Vector<T>> flat_gradients() const noexcept {
    return Eigen::Map<const Vector<T>>(gradients_.data(), gradients_.size());
  }
  /// The extra entries alone (the tails of the flat buffers).
  [[nodiscard]] Eigen::Map<Vector<T>> extra_parameters() noexcept {
    return Eigen::Map<Vector<T>>(parameters_.data() + num_network_parameters_, num_extra_parameters());
  }
  [[nodiscard]] Eigen::Map<const Vector<T>> extra_parameters() const noexcept {
    return Eigen::Map<const Vector<T>>(parameters_.data() + num_network_parameters_, num_extra_parameters());
  }
  [[nodiscard]] Eigen::Map<Vector<T>> extra_gradients() noexcept {
    return Eigen::Map<Vector<T>>(gradients_.data() + num_network_parameters_, num_extra_parameters());
  }
  /// Sets every gradient to 0, the extra entries' too.
  void zero_grad() noexcept { gradients_.setZero(); }

  /// Views of layer `layer`'s parameters and gradients.
  [[nodiscard]] Linear<T> layer(Index layer) noexcept {
    const auto l = static_cast<std::size_t>(layer);
    return Linear<T>(widths_[l], widths_[l + 1], parameters_.data() + offsets_[l], gradients_.data() + offsets_[l]);
  }
  [[nodiscard]] Linear<const T> layer(Index layer) const noexcept {
    const auto l = static_cast<std::size_t>(layer);
    return Linear<const T>(widths_[l], widths_[l + 1], parameters_.data() + offsets_[l],
                           gradients_.data() + offsets_[l]);
  }

  /// A workspace for batches of up to `max_batch` samples. This allocates; every pass on it
  /// afterwards does not.
  [[nodiscard]] Workspace make_workspace(Index max_batch) const {
    require<ConfigError>(max_batch >= 1, "nn::Mlp::make_workspace: max_batch must be >= 1, got {}", max_batch);
    return Workspace(widths_, max_batch, mask_rows());
  }

  /// Forward pass on `x` (inputs x B, B <= capacity), recorded in `ws`. Returns the output,
  /// outputs x B, as a view into `ws` valid until its next forward. `x` is copied into the
  /// workspace, so it may be any Eigen expression (a product expression would be evaluated
  /// into a temporary first, as Eigen always does; pass products evaluated).
  template <class Derived>
  Eigen::Map<const Matrix<T>> forward(const Eigen::MatrixBase<Derived>& x, Workspace& ws) const {
    static_assert(std::is_same_v<typename Derived::Scalar, T>, "nn::Mlp::forward: x has another scalar type");
    check_workspace(ws, "forward");
    require(x.rows() == inputs(), "nn::Mlp::forward: x must have {} rows, got {}", inputs(), x.rows());
    ws.input(x.cols()) = x;
    return forward(ws);
  }

  /// Forward pass on the input written through `ws.input(batch)` (evaluation mode).
  Eigen::Map<const Matrix<T>> forward(Workspace& ws) const { return run_forward(ws, false, "forward"); }

  /// Training-mode forward pass: draws a dropout mask for every hidden unit of every sample
  /// from `rng` (kept with probability 1 - p), then runs the pass with them; `ws.masks()`
  /// holds them afterwards. Without dropout it is `forward(x, ws)` and draws nothing.
  template <class Derived>
  Eigen::Map<const Matrix<T>> forward(const Eigen::MatrixBase<Derived>& x, Workspace& ws, Rng& rng) const {
    static_assert(std::is_same_v<typename Derived::Scalar, T>, "nn::Mlp::forward: x has another scalar type");
    check_workspace(ws, "forward");
    require(x.rows() == inputs(), "nn::Mlp::forward: x must have {} rows, got {}", inputs(), x.rows());
    ws.input(x.cols()) = x;
    // Two draws per 64 random bits: a unit is dropped when its 32-bit half is below p 2^32
    // (probability p to within 2^-32).
    const double p = config_.dropout;
    const auto threshold = static_cast<std::uint64_t>(std::ldexp(p, 32));
    T* m = ws.masks_.data();
    const Index n = ws.masks_.rows() * x.cols();  // the first columns, contiguous
    for (Index k = 0; k < n; k += 2) {
      const std::uint64_t bits = rng.next();
      m[k] = (bits & 0xffffffffu) < threshold ? T(0) : T(1);
      if (k + 1 < n) m[k + 1] = (bits >> 32) < threshold ? T(0) : T(1);
    }
    return run_forward(ws, p > 0, "forward");
  }

  /// Training-mode forward pass with given dropout masks (`mask_rows()` x B of 0 and 1, the
  /// layout of `Workspace::masks()`), for example those an acting pass drew.
  template <class Derived, class MaskDerived>
  Eigen::Map<const Matrix<T>> forward(const Eigen::MatrixBase<Derived>& x, Workspace& ws,
                                      const Eigen::MatrixBase<MaskDerived>& masks) const {
    static_assert(std::is_same_v<typename Derived::Scalar, T>, "nn::Mlp::forward: x has another scalar type");
    static_assert(std::is_same_v<typename MaskDerived::Scalar, T>, "nn::Mlp::forward: masks have another scalar type");
    check_workspace(ws, "forward");
    require(x.rows() == inputs(), "nn::Mlp::forward: x must have {} rows, got {}", inputs(), x.rows());
    require(masks.rows() == mask_rows() && masks.cols() == x.cols(),
            "nn::Mlp::forward: masks must be {} x {}, got {} x {}", mask_rows(), x.cols(), masks.rows(), masks.cols());
    ws.input(x.cols()) = x;
    auto kept = ws.masks_.leftCols(x.cols());
    kept = masks;
    require((kept.array() == T(0) || kept.array() == T(1)).all(),
            "nn::Mlp::forward: masks must hold 0 (dropped) or 1 (kept); the scaling by 1 / (1 - p) is the network's");
    return run_forward(ws, config_.dropout > 0, "forward");
  }

  /// The output for `x` with a workspace built for the call. Allocates: for tests, evaluation
  /// and one-off use; hot loops keep a workspace and call `forward`.
  template <class Derived>
  [[nodiscard]] Matrix<T> predict(const Eigen::MatrixBase<Derived>& x) const {
    auto ws = make_workspace(std::max<Index>(x.cols(), 1));
    return forward(x, ws);
  }

  /// Backward pass of the forward recorded in `ws`: given dL/dy (outputs x B), adds dL/dtheta
  /// to `gradients()`.
  template <class Derived>
  void backward(Workspace& ws, const Eigen::MatrixBase<Derived>& dy) {
    backpropagate(ws, dy, gradients_.data(), nullptr, "backward");
  }

  /// As above, and writes dL/dx (inputs x B) to `input_grad`.
  template <class Derived>
  void backward(Workspace& ws, const Eigen::MatrixBase<Derived>& dy, Eigen::Ref<Matrix<T>> input_grad) {
    backpropagate(ws, dy, gradients_.data(), &input_grad, "backward");
  }

  /// dL/dx only (inputs x B): the parameter gradients are neither computed nor touched, for
  /// losses that flow through this network into its input (SAC's actor loss through Q(s, a)).
  template <class Derived>
  void input_gradient(Workspace& ws, const Eigen::MatrixBase<Derived>& dy, Eigen::Ref<Matrix<T>> input_grad) const {
    backpropagate(ws, dy, nullptr, &input_grad, "input_gradient");
  }

  /// Vector-Jacobian product into a caller's buffer: `grad += J^T dy` (flat layout of
  /// `parameters()`), leaving `gradients()` alone. TRPO's Fisher-vector product is
  /// `vjp(ws, M * jvp(ws, v), fvp)`.
  template <class Derived>
  void vjp(Workspace& ws, const Eigen::MatrixBase<Derived>& dy, Eigen::Ref<Vector<T>> grad) const {
    require(grad.size() == num_parameters(), "nn::Mlp::vjp: grad must have {} entries, got {}", num_parameters(),
            grad.size());
    backpropagate(ws, dy, grad.data(), nullptr, "vjp");
  }

  /// Forward-mode product at the recorded pass: out = J v (outputs x B), where `tangent` is a
  /// direction in flat parameter space (`num_parameters()` entries, layout of `parameters()`).
  void jvp(Workspace& ws, Eigen::Ref<const Vector<T>> tangent, Eigen::Ref<Matrix<T>> out) const {
    forward_mode(ws, tangent, nullptr, out);
  }

  /// As above with a tangent of the input as well (inputs x B): out = J_theta v + J_x u.
  template <class Derived>
  void jvp(Workspace& ws, Eigen::Ref<const Vector<T>> tangent, const Eigen::MatrixBase<Derived>& input_tangent,
           Eigen::Ref<Matrix<T>> out) const {
    static_assert(std::is_same_v<typename Derived::Scalar, T>, "nn::Mlp::jvp: input tangent has another scalar type");
    check_tape(ws, "jvp");
    require(input_tangent.rows() == inputs() && input_tangent.cols() == ws.batch_,
            "nn::Mlp::jvp: input_tangent must be {} x {}, got {} x {}", inputs(), ws.batch_, input_tangent.rows(),
            input_tangent.cols());
    Eigen::Map<Matrix<T>>(ws.scratch_[0].data(), inputs(), ws.batch_) = input_tangent;
    forward_mode(ws, tangent, ws.scratch_[0].data(), out);
  }

 private:
  // The pass itself, on ws.input_; with `dropout`, hidden layer outputs go through ws.masks_.
  Eigen::Map<const Matrix<T>> run_forward(Workspace& ws, bool dropout, const char* what) const {
    check_workspace(ws, what);
    require(ws.input_batch_ >= 1, "nn::Mlp::{}: the workspace has no input; call ws.input(batch) first", what);
    const Index batch = ws.input_batch_;
    ws.dropout_ = dropout;
    for (std::size_t l = 0; l < offsets_.size(); ++l) {
      const Index in = widths_[l], out = widths_[l + 1];
      const Linear<const T> linear = layer(static_cast<Index>(l));
      T* z = ws.activation_data(l + 1);
      detail::affine(out, batch, in, linear.parameter_data(), ws.input_data(l), linear.bias().data(), z, ws.gemm_);
      nn::activate(activation(static_cast<Index>(l)), std::span<T>(z, static_cast<std::size_t>(out * batch)));
      if (dropout && l + 1 < offsets_.size()) {
        Eigen::Map<Matrix<T>> dropped(ws.dropped_.data() + ws.offsets_[l + 1], out, batch);
        dropped = Eigen::Map<const Matrix<T>>(z, out, batch);
        apply_masks(ws, l + 1, batch, dropped.data());
      }
    }
    ws.batch_ = batch;
    ws.owner_ = this;
    return ws.output();
  }

  // values (width of layer `layer` x batch) *= mask / (1 - p) when the recorded pass has
  // dropout and `layer` is hidden; nothing otherwise.
  void apply_masks(const Workspace& ws, std::size_t layer, Index batch, T* values) const {
    if (!ws.dropout_ || layer + 1 >= widths_.size()) return;
    Index row = 0;
    for (std::size_t h = 1; h < layer; ++h) row += widths_[h];
    const T scale = T(1) / static_cast<T>(1 - config_.dropout);
    Eigen::Map<Matrix<T>> v(values, widths_[layer], batch);
    v = v.cwiseProduct(ws.masks_.block(row, 0, widths_[layer], batch) * scale);
  }

  void check_workspace(const Workspace& ws, const char* what) const {
    require(ws.widths_ == widths_ && ws.masks_.rows() == mask_rows(),
            "nn::Mlp::{}: the workspace was made for another network shape (or dropout setting)", what);
  }

  void check_tape(const Workspace& ws, const char* what) const {
    check_workspace(ws, what);
    require(ws.owner_ == this && ws.batch_ >= 1,
            "nn::Mlp::{}: the workspace holds no forward pass of this network; call forward first", what);
  }

  // Reverse mode through the recorded pass. Adds J^T dy to `grad` when it is not null, writes
  // dL/dx when `input_grad` is not null. The cotangent ping-pongs between the two scratch
  // buffers: dz_l is formed in place, then W_l^T dz_l goes to the other one.
  template <class Derived>
  void backpropagate(Workspace& ws, const Eigen::MatrixBase<Derived>& dy, T* grad, Eigen::Ref<Matrix<T>>* input_grad,
                     const char* what) const {
    static_assert(std::is_same_v<typename Derived::Scalar, T>, "nn::Mlp: dy has another scalar type");
    check_tape(ws, what);
    const Index batch = ws.batch_;
    require(dy.rows() == outputs() && dy.cols() == batch, "nn::Mlp::{}: dy must be {} x {}, got {} x {}", what,
            outputs(), batch, dy.rows(), dy.cols());
    if (input_grad != nullptr) {
      require(input_grad->rows() == inputs() && input_grad->cols() == batch,
              "nn::Mlp::{}: input_grad must be {} x {}, got {} x {}", what, inputs(), batch, input_grad->rows(),
              input_grad->cols());
    }
    T* g = ws.scratch_[0].data();
    T* other = ws.scratch_[1].data();
    Eigen::Map<Matrix<T>>(g, outputs(), batch) = dy;
    for (std::size_t l = offsets_.size(); l-- > 0;) {
      const Index in = widths_[l], out = widths_[l + 1];
      const auto n = static_cast<std::size_t>(out * batch);
      apply_masks(ws, l + 1, batch, g);
      nn::multiply_derivative(activation(static_cast<Index>(l)), std::span<const T>(ws.activation_data(l + 1), n),
                              std::span<T>(g, n));
      if (grad != nullptr) {
        T* grad_w = grad + offsets_[l];
        // dW += dz x^T; db += dz summed over the batch.
        detail::gemm_add<false, true>(out, in, batch, g, ws.input_data(l), grad_w, ws.gemm_);
        Eigen::Map<Vector<T>>(grad_w + out * in, out) += Eigen::Map<const Matrix<T>>(g, out, batch).rowwise().sum();
      }
      if (l > 0 || input_grad != nullptr) {
        // dx = W^T dz, written without clearing dx first.
        detail::gemm_set<true, false>(in, batch, out, parameters_.data() + offsets_[l], g, other, ws.gemm_);
        std::swap(g, other);
      }
    }
    if (input_grad != nullptr) *input_grad = Eigen::Map<const Matrix<T>>(g, inputs(), batch);
  }

  // Forward mode through the recorded pass: dz_l = W_l da_{l-1} + dW_l a_{l-1} + db_l and
  // da_l = f'(a_l) dz_l, with (dW_l, db_l) the tangent's slice for layer l. `input_tangent`
  // is null (dx = 0) or points at scratch_[0].
  void forward_mode(Workspace& ws, const Eigen::Ref<const Vector<T>>& tangent, const T* input_tangent,
                    Eigen::Ref<Matrix<T>>& out) const {
    check_tape(ws, "jvp");
    const Index batch = ws.batch_;
    require(tangent.size() == num_parameters(), "nn::Mlp::jvp: tangent must have {} entries, got {}",
            num_parameters(), tangent.size());
    require(out.rows() == outputs() && out.cols() == batch, "nn::Mlp::jvp: out must be {} x {}, got {} x {}",
            outputs(), batch, out.rows(), out.cols());
    const T* t_in = input_tangent;
    T* t_out = ws.scratch_[1].data();
    T* spare = ws.scratch_[0].data();
    for (std::size_t l = 0; l < offsets_.size(); ++l) {
      const Index in = widths_[l], out_width = widths_[l + 1];
      const Linear<const T> direction(in, out_width, tangent.data() + offsets_[l]);
      detail::affine(out_width, batch, in, direction.parameter_data(), ws.input_data(l), direction.bias().data(),
                     t_out, ws.gemm_);
      if (t_in != nullptr) {
        detail::gemm_add<false, false>(out_width, batch, in, parameters_.data() + offsets_[l], t_in, t_out, ws.gemm_);
      }
      const auto n = static_cast<std::size_t>(out_width * batch);
      nn::multiply_derivative(activation(static_cast<Index>(l)), std::span<const T>(ws.activation_data(l + 1), n),
                              std::span<T>(t_out, n));
      apply_masks(ws, l + 1, batch, t_out);
      t_in = t_out;
      std::swap(t_out, spare);
    }
    out = Eigen::Map<const Matrix<T>>(t_in, outputs(), batch);
  }

  MlpConfig config_;
  std::vector<Index> widths_;   // inputs, hidden..., outputs
  std::vector<Index> offsets_;  // start of each layer in the flat buffers
  Vector<T> parameters_;  // network, then extra entries
  Vector<T> gradients_;
  Index num_network_parameters_ = 0;
};

}  // namespace theta::nn
