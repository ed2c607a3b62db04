#pragma once
/// \file theta/inference.hpp: runs an exported policy without the trainer (issue 13,
/// "Deployment"). `theta::inference::Policy::load(path)` reads a file written by a trainer's
/// `export_policy(path)`; `predict(obs)` returns the deterministic action, with the observation
/// normaliser and the action transform (argmax, clip, or tanh squash and rescale) folded in.
///
/// Dependencies: Eigen and the standard library only, no fmt, no trainer, optimizer or logging
/// header. The theta headers it includes use nothing else either: the checkpoint reader (one
/// parser for checkpoints and policy files), the exception classes, the network kernels
/// (nn/detail/gemm.hpp), `activate` (nn/detail/activate.hpp) and the normaliser's arithmetic
/// (normalize/detail/standardize.hpp). Sharing the kernels is what makes `predict` equal to the
/// trainer's `predict` bit for bit: the same float operations in the same order.
/// tests/inference_include_set.cpp checks the include set.

#include <theta/core/exceptions.hpp>
#include <theta/core/scalar.hpp>
#include <theta/io/checkpoint_format.hpp>
#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/policy_format.hpp>
#include <theta/nn/detail/activate.hpp>
#include <theta/nn/detail/gemm.hpp>
#include <theta/nn/detail/recurrent_cell.hpp>
#include <theta/normalize/detail/standardize.hpp>

#include <Eigen/Core>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace theta::inference {

/// A deterministic policy loaded from a policy file. `T` is the scalar type the policy was
/// trained in (float32 files load as `Policy`, float64 ones as `BasicPolicy<double>`).
///
/// `predict` allocates nothing: every buffer is sized when the file is loaded. It is not
/// thread-safe (it writes those buffers); give each thread its own copy.
///
///     auto policy = theta::inference::Policy::load("cartpole.policy");
///     std::int64_t action = policy.predict_index(observation);       // discrete
///     const Eigen::VectorXf& u = policy.predict(observation);          // continuous (or the index)
///
/// A policy trained on a `MaskedEnvironment` (transform masked_argmax) takes the state's valid
/// actions with each observation, as the environment's `action_mask` writes them:
///
///     bool valid[4];
///     env.action_mask(valid);
///     std::int64_t action = policy.predict_index(observation, valid);  // never an invalid one
///
/// A policy over a `MultiDiscrete(nvec)` space (multi_argmax) returns one index per dimension,
/// each the first largest of its dimension's outputs (among its valid ones, with the mask of
/// sum(nvec) entries of a masked_multi_argmax policy):
///
///     const Eigen::VectorXf& a = policy.predict(observation, valid);   // a[d] in {0, ..., nvec[d] - 1}
template <Real T>
class BasicPolicy {
 public:
  using Scalar = T;

  /// Reads and checks a policy file. A missing, unreadable, truncated or corrupt file, a file
  /// of another kind or scalar type, or values out of their range raise `CheckpointError`
  /// naming the path and what is wrong.
  static BasicPolicy load(const std::filesystem::path& path) {
    io::CheckpointReader reader = io::CheckpointReader::open(path);
    return BasicPolicy(reader, path.string());
  }

  /// The same from bytes in memory; `source` names them in errors.
  static BasicPolicy parse(std::span<const std::uint8_t> bytes, std::string source = "<memory>") {
    io::CheckpointReader reader = io::CheckpointReader::parse(bytes, source);
    return BasicPolicy(reader, source);
  }

  /// Entries of the observation `predict` takes.
  [[nodiscard]] Index observation_size() const noexcept { return observation_size_; }
  /// Whether the policy is recurrent (a GRU or LSTM before its network): `predict` then
  /// carries its state from one call to the next, and `reset()` starts an episode.
  [[nodiscard]] bool is_recurrent() const noexcept { return hidden_ > 0; }
  /// Sets a recurrent policy's state to zero, as the trainer does at every episode start:
  /// call it before an episode's first observation. Nothing for other policies.
  void reset() noexcept { state_.setZero(); }
  /// A recurrent policy's state (h, or h above c for an LSTM); empty for other policies.
  [[nodiscard]] const Vector<T>& state() const noexcept { return state_; }
  /// Entries of the action `predict` returns (1 for a discrete policy: the index; the number of
  /// dimensions for a multi-discrete one).
  [[nodiscard]] Index action_size() const noexcept { return action_.size(); }
  /// The number of discrete actions (sum(nvec) for a multi-discrete policy: the entries of its
  /// action mask), or 0 for a continuous policy.
  [[nodiscard]] Index n_actions() const noexcept { return is_discrete() ? widths_.back() : 0; }
  /// True for a discrete or multi-discrete policy (its actions are indices).
  [[nodiscard]] bool is_discrete() const noexcept { return io::is_discrete(transform_); }
  /// True for a policy over a `MultiDiscrete` space (multi_argmax, masked_multi_argmax).
  [[nodiscard]] bool is_multi_discrete() const noexcept { return io::is_multi_discrete(transform_); }
  /// The actions of each dimension of a multi-discrete policy (empty otherwise).
  [[nodiscard]] const std::vector<std::int64_t>& nvec() const noexcept { return nvec_; }
  /// Whether `predict` needs the valid actions of the state (a policy trained with action masks).
  [[nodiscard]] bool needs_action_mask() const noexcept { return io::takes_action_mask(transform_); }
  [[nodiscard]] io::ActionTransform transform() const noexcept { return transform_; }
  /// Whether the observations are normalised before the network sees them.
  [[nodiscard]] bool normalizes_observations() const noexcept { return normalize_; }

  /// The deterministic action for one observation (`observation_size()` entries of any
  /// arithmetic type; each is rounded to `T` first, as the trainer does). For a discrete policy
  /// the result holds the action's index (one per dimension for a multi-discrete policy). The
  /// reference is valid until the next call.
  /// Throws `theta::Error` for an observation of another size, and for a policy trained with
  /// action masks (`needs_action_mask()`), which takes the overload with the mask.
  template <class Derived>
  const Vector<T>& predict(const Eigen::MatrixBase<Derived>& observation) {
    if (needs_action_mask()) {
      throw Error("inference::Policy::predict: the policy was trained with action masks (" +
                  std::string(io::to_string(transform_)) + "); pass the state's valid actions: predict(observation, valid)");
    }
    const Eigen::Map<const Vector<T>> output = forward(observation);
    switch (transform_) {
      case io::ActionTransform::argmax:
      case io::ActionTransform::masked_argmax: {
        Index k = 0;
        output.maxCoeff(&k);  // the first largest logit, as CategoricalPolicy's deterministic act
        action_[0] = static_cast<T>(k);
        break;
      }
      case io::ActionTransform::multi_argmax:
      case io::ActionTransform::masked_multi_argmax:
        for (Index d = 0; d < action_.size(); ++d) {
          Index k = 0;
          output.segment(offsets_nvec_[static_cast<std::size_t>(d)], static_cast<Index>(nvec_[static_cast<std::size_t>(d)]))
              .maxCoeff(&k);  // each dimension's first largest logit, as MultiCategoricalPolicy's
          action_[d] = static_cast<T>(k);
        }
        break;
      case io::ActionTransform::clip:
        action_ = output.head(action_.size()).cwiseMax(low_).cwiseMin(high_);
        break;
      case io::ActionTransform::tanh_rescale:
        // SquashedGaussian::mode, then OffPolicyTrainer's rescale to the bounds.
        squashed_.array() = output.head(action_.size()).array().tanh();
        action_ = (offset_.array() + scale_.array() * squashed_.array()).matrix().cwiseMax(low_).cwiseMin(high_);
        break;
    }
    return action_;
  }

  /// The deterministic action of a discrete policy among the valid actions of the state:
  /// `valid` has `n_actions()` entries, true = valid (a `MaskedEnvironment`'s `action_mask`),
  /// and the action is the first largest logit among them, as the trainer's `predict` with the
  /// same mask; for a multi-discrete policy, each dimension's first largest logit among its
  /// valid entries (`valid` is the concatenation of the dimensions' masks, sum(nvec) entries).
  /// Throws `theta::Error` for a continuous policy, a mask of another size or a mask without a
  /// valid action (in some dimension).
  template <class Derived>
  const Vector<T>& predict(const Eigen::MatrixBase<Derived>& observation, std::span<const bool> valid) {
    if (!is_discrete()) {
      throw Error("inference::Policy::predict: action masks need a discrete policy, this one is " +
                  std::string(io::to_string(transform_)));
    }
    if (static_cast<Index>(valid.size()) != n_actions()) {
      throw Error(io::detail::text("inference::Policy::predict: the action mask has ", valid.size(),
                                   " entries, the policy has ", n_actions(), " actions"));
    }
    const Eigen::Map<const Vector<T>> output = forward(observation);
    if (is_multi_discrete()) {
      for (Index d = 0; d < action_.size(); ++d) {
        const auto offset = offsets_nvec_[static_cast<std::size_t>(d)];
        const Index k = masked_argmax(output, valid, offset, static_cast<Index>(nvec_[static_cast<std::size_t>(d)]));
        if (k < 0) {
          throw Error(io::detail::text("inference::Policy::predict: the action mask has no valid action in dimension ",
                                       d));
        }
        action_[d] = static_cast<T>(k);
      }
      return action_;
    }
    const Index k = masked_argmax(output, valid, 0, output.size());
    if (k < 0) throw Error("inference::Policy::predict: the action mask has no valid action");
    action_[0] = static_cast<T>(k);
    return action_;
  }

  /// The index of the action a discrete policy takes; throws `theta::Error` for a continuous
  /// or a multi-discrete one (whose action is a vector: `predict`).
  template <class Derived>
  std::int64_t predict_index(const Eigen::MatrixBase<Derived>& observation) {
    require_discrete("predict_index");
    return static_cast<std::int64_t>(predict(observation)[0]);
  }

  /// The index of the action a discrete policy takes among the valid ones (see `predict`).
  template <class Derived>
  std::int64_t predict_index(const Eigen::MatrixBase<Derived>& observation, std::span<const bool> valid) {
    require_discrete("predict_index");
    return static_cast<std::int64_t>(predict(observation, valid)[0]);
  }

 private:
  void require_discrete(const char* who) const {
    if (!is_discrete() || is_multi_discrete()) {
      throw Error("inference::Policy::" + std::string(who) + ": the policy is " +
                  (is_discrete() ? "multi-discrete (" : "continuous (") + std::string(io::to_string(transform_)) +
                  "); use predict");
    }
  }

  // The first largest of output[offset, offset + n) among the entries `valid` marks (the
  // mask's entries at the same positions), or -1 when none is valid.
  static Index masked_argmax(const Eigen::Map<const Vector<T>>& output, std::span<const bool> valid, Index offset,
                             Index n) {
    Index k = -1;
    for (Index j = 0; j < n; ++j) {
      if (valid[static_cast<std::size_t>(offset + j)] && (k < 0 || output[offset + j] > output[offset + k])) k = j;
    }
    return k;
  }

  // The network's output for one observation (normalised first, when the file says so).
  template <class Derived>
  Eigen::Map<const Vector<T>> forward(const Eigen::MatrixBase<Derived>& observation) {
    if (observation.size() != observation_size()) {
      throw Error(io::detail::text("inference::Policy::predict: the observation has ", observation.size(),
                                   " entries, the policy takes ", observation_size()));
    }
    T* x = is_recurrent() ? input_.data() : activations_.front().data();
    for (Index i = 0; i < observation_size(); ++i) {
      const auto v = static_cast<T>(observation.derived().coeff(i));
      x[i] = normalize_ ? detail::standardize<T>(static_cast<double>(v), mean_[i], inv_std_[i], clip_) : v;
    }
    if (is_recurrent()) step_recurrent();
    // The network's evaluation-mode forward pass, as nn::Mlp::forward computes it: Z = b + W X
    // by the same kernel, then the activation in place.
    for (std::size_t l = 0; l + 1 < widths_.size(); ++l) {
      const Index in = widths_[l], out = widths_[l + 1];
      const T* w = parameters_.data() + offsets_[l];
      T* z = activations_[l + 1].data();
      nn::detail::affine(out, 1, in, w, activations_[l].data(), w + out * in, z, gemm_);
      nn::activate(activations_fn_[l], std::span<T>(z, static_cast<std::size_t>(out)));
    }
    return Eigen::Map<const Vector<T>>(activations_.back().data(), widths_.back());
  }

  // Bounds that keep a crafted file from asking for absurd buffers (a CRC does not stop a forged file).
  static constexpr std::uint64_t max_width = std::uint64_t{1} << 24;
  static constexpr std::uint64_t max_layers = 1024;

  BasicPolicy(io::CheckpointReader& reader, std::string source) : source_(std::move(source)) {
    if (reader.kind() != io::policy_kind) {
      fail(io::detail::text("a checkpoint of ", reader.kind(), ", not an exported policy (expected kind ",
                            io::policy_kind, ")"));
    }
    if (reader.scalar() != io::scalar_name<T>()) {
      fail(io::detail::text("scalar type ", reader.scalar(), ", this policy type reads ", io::scalar_name<T>()));
    }
    read_observation(reader);
    if (reader.next_section_is("recurrent")) read_recurrent(reader);
    read_network(reader);
    read_action(reader);
    reader.finish();
    // Buffers for one observation: nothing is allocated by predict.
    for (const Index w : widths_) activations_.emplace_back(Vector<T>::Zero(w));
    for (std::size_t l = 0; l + 1 < widths_.size(); ++l) gemm_.reserve(widths_[l + 1], 1, widths_[l]);
  }

  void read_observation(io::CheckpointReader& reader) {
    io::CheckpointSectionReader s = reader.section("observation");
    const std::uint64_t obs = s.u64();
    if (obs < 1 || obs > max_width) fail(io::detail::text("observation size ", obs, ", expected 1 to ", max_width));
    normalize_ = s.boolean();
    const auto n = static_cast<Index>(obs);
    if (normalize_) {
      const double clip = s.f64();
      const double epsilon = s.f64();
      if (!(clip > 0)) fail("the observation normaliser's clip must be > 0");
      if (!(epsilon > 0) || !std::isfinite(epsilon)) fail("the observation normaliser's epsilon must be finite and > 0");
      mean_ = s.matrix<double>("the observation mean", n, 1);
      const Eigen::VectorXd var = s.matrix<double>("the observation variance", n, 1);
      if (!mean_.allFinite()) fail("the observation mean is not finite");
      if (!var.allFinite() || (var.array() < 0).any()) fail("the observation variance must be finite and >= 0");
      clip_ = static_cast<T>(clip);
      inv_std_.resize(n);
      detail::inverse_std(var, epsilon, inv_std_);
    }
    s.finish();
    observation_size_ = n;
    widths_.push_back(n);
  }

  // The recurrent layer (theta/io/policy_export.hpp): its output h is the network's input.
  void read_recurrent(io::CheckpointReader& reader) {
    io::CheckpointSectionReader s = reader.section("recurrent");
    const std::string cell = s.string();
    if (cell != "gru" && cell != "lstm") fail(io::detail::text("unknown recurrent cell '", cell, "'"));
    cell_ = cell == "gru" ? nn::Cell::gru : nn::Cell::lstm;
    const std::uint64_t inputs = s.u64(), hidden = s.u64();
    if (inputs != static_cast<std::uint64_t>(observation_size_)) {
      fail(io::detail::text("the recurrent layer takes ", inputs, " inputs, the observation has ", observation_size_));
    }
    if (hidden < 1 || hidden > max_width) fail(io::detail::text("recurrent hidden size ", hidden, ", expected 1 to ", max_width));
    const auto h = static_cast<Index>(hidden), in = static_cast<Index>(inputs);
    const Index rows = (cell_ == nn::Cell::gru ? 3 : 4) * h;
    const Matrix<T> w_ih = s.template matrix<T>("the recurrent W_ih", rows, in);
    const Matrix<T> w_hh = s.template matrix<T>("the recurrent W_hh", rows, h);
    const Matrix<T> b_ih = s.template matrix<T>("the recurrent b_ih", rows, 1);
    const Matrix<T> b_hh = s.template matrix<T>("the recurrent b_hh", rows, 1);
    s.finish();
    if (!w_ih.allFinite() || !w_hh.allFinite() || !b_ih.allFinite() || !b_hh.allFinite()) {
      fail("the recurrent layer holds a non-finite parameter");
    }
    // nn::Recurrent's flat layout, so every weight sits where the trainer's does.
    recurrent_.resize(rows * (in + h + 2));
    Eigen::Map<Matrix<T>>(recurrent_.data(), rows, in) = w_ih;
    Eigen::Map<Matrix<T>>(recurrent_.data() + rows * in, rows, h) = w_hh;
    Eigen::Map<Matrix<T>>(recurrent_.data() + rows * (in + h), rows, 1) = b_ih;
    Eigen::Map<Matrix<T>>(recurrent_.data() + rows * (in + h + 1), rows, 1) = b_hh;
    hidden_ = h;
    const Index state_rows = cell_ == nn::Cell::gru ? h : 2 * h;
    state_.setZero(state_rows);
    input_.setZero(in);
    h_in_.setZero(h);
    c_in_.setZero(cell_ == nn::Cell::gru ? 0 : h);
    gates_.setZero(rows);
    hh_.setZero(rows);
    extra_.setZero(h);
    gemm_.reserve(rows, 1, in);
    gemm_.reserve(rows, 1, h);
    widths_.front() = h;  // the network reads h
  }

  // One recurrent step from state_ on input_, as nn::Recurrent::step computes it for one
  // sample: the input and hidden projections by the same kernel, then the cell in place.
  void step_recurrent() {
    const Index h = hidden_, rows = gates_.size(), in = observation_size_;
    const T* w_ih = recurrent_.data();
    const T* w_hh = w_ih + rows * in;
    const T* b_ih = w_hh + rows * h;
    const T* b_hh = b_ih + rows;
    h_in_ = state_.head(h);
    nn::detail::affine(rows, 1, in, w_ih, input_.data(), b_ih, gates_.data(), gemm_);
    nn::detail::affine(rows, 1, h, w_hh, h_in_.data(), b_hh, hh_.data(), gemm_);
    if (cell_ == nn::Cell::gru) {
      nn::detail::cell_forward<nn::Cell::gru, T>(h, gates_, hh_, h_in_, h_in_, extra_, state_, state_);
    } else {
      c_in_ = state_.tail(h);
      auto next_h = state_.head(h);
      auto next_c = state_.tail(h);
      nn::detail::cell_forward<nn::Cell::lstm, T>(h, gates_, hh_, h_in_, c_in_, extra_, next_h, next_c);
    }
    activations_.front() = state_.head(h);
  }

  void read_network(io::CheckpointReader& reader) {
    io::CheckpointSectionReader s = reader.section("network");
    const std::uint64_t layers = s.u64();
    if (layers < 1 || layers > max_layers) fail(io::detail::text("the network has ", layers, " layers, expected 1 to ", max_layers));
    const std::uint64_t inputs = s.u64();
    if (inputs != static_cast<std::uint64_t>(widths_.front())) {
      fail(io::detail::text("the network takes ", inputs, " inputs, the observation has ", widths_.front()));
    }
    for (std::uint64_t l = 0; l < layers; ++l) {
      const std::uint64_t width = s.u64();
      if (width < 1 || width > max_width) fail(io::detail::text("layer ", l, " has ", width, " outputs, expected 1 to ", max_width));
      widths_.push_back(static_cast<Index>(width));
      const std::string name = s.string();
      activations_fn_.push_back(activation_named(name, l));
    }
    // Read every layer before allocating the flat buffer: the reads are bounded by the file.
    std::vector<Matrix<T>> weights, biases;
    Index total = 0;
    for (std::size_t l = 0; l + 1 < widths_.size(); ++l) {
      const Index in = widths_[l], out = widths_[l + 1];
      weights.push_back(s.template matrix<T>(io::detail::text("layer ", l, "'s weight"), out, in));
      biases.push_back(s.template matrix<T>(io::detail::text("layer ", l, "'s bias"), out, 1));
      if (!weights.back().allFinite() || !biases.back().allFinite()) {
        fail(io::detail::text("layer ", l, " holds a non-finite parameter"));
      }
      offsets_.push_back(total);
      total += out * in + out;
    }
    s.finish();
    // nn::Mlp's flat layout (W column-major, then b, layer after layer), so every weight sits
    // where the trainer's does relative to an aligned start.
    parameters_.resize(total);
    for (std::size_t l = 0; l < weights.size(); ++l) {
      const Index n = weights[l].size();
      Eigen::Map<Matrix<T>>(parameters_.data() + offsets_[l], weights[l].rows(), weights[l].cols()) = weights[l];
      Eigen::Map<Vector<T>>(parameters_.data() + offsets_[l] + n, biases[l].rows()) = biases[l];
    }
  }

  void read_action(io::CheckpointReader& reader) {
    io::CheckpointSectionReader s = reader.section("action");
    const std::string name = s.string();
    const auto transform = io::action_transform_from(name);
    if (!transform) fail(io::detail::text("unknown action transform '", name, "'"));
    transform_ = *transform;
    const std::uint64_t size = s.u64();
    const auto outputs = static_cast<std::uint64_t>(widths_.back());
    if (io::is_multi_discrete(transform_)) {
      if (size < 1 || size > outputs) {
        fail(io::detail::text(io::to_string(transform_), " over ", size, " dimensions from a network of ", outputs,
                              " outputs"));
      }
      std::uint64_t total = 0;
      for (std::uint64_t d = 0; d < size; ++d) {
        const std::uint64_t n = s.u64();
        if (n < 1 || n > outputs) fail(io::detail::text("nvec[", d, "] = ", n, ", expected 1 to ", outputs));
        offsets_nvec_.push_back(static_cast<Index>(total));
        nvec_.push_back(static_cast<std::int64_t>(n));
        total += n;
      }
      if (total != outputs) {
        fail(io::detail::text(io::to_string(transform_), " over nvec summing to ", total, ", but the network has ",
                              outputs, " outputs"));
      }
      action_.setZero(static_cast<Index>(size));
    } else if (io::is_discrete(transform_)) {
      if (size != outputs) {
        fail(io::detail::text(io::to_string(transform_), " over ", size, " actions, but the network has ", outputs,
                              " outputs"));
      }
      action_.setZero(1);
    } else {
      if (size < 1 || size > outputs) {
        fail(io::detail::text("an action of ", size, " entries from a network of ", outputs, " outputs"));
      }
      const auto n = static_cast<Index>(size);
      const Eigen::VectorXd low = s.matrix<double>("the action's lower bound", n, 1);
      const Eigen::VectorXd high = s.matrix<double>("the action's upper bound", n, 1);
      if (!low.allFinite() || !high.allFinite() || (low.array() > high.array()).any()) {
        fail("the action bounds must be finite with low <= high");
      }
      // As the trainers compute them from the environment's Box.
      low_ = low.cast<T>();
      high_ = high.cast<T>();
      scale_ = ((high - low) / 2.0).cast<T>();
      offset_ = ((high + low) / 2.0).cast<T>();
      action_.setZero(n);
      squashed_.setZero(n);
    }
    s.finish();
  }

  nn::Activation activation_named(std::string_view name, std::uint64_t layer) const {
    for (const nn::Activation f : {nn::Activation::identity, nn::Activation::tanh, nn::Activation::relu,
                                   nn::Activation::sigmoid, nn::Activation::elu}) {
      if (nn::to_string(f) == name) return f;
    }
    fail(io::detail::text("layer ", layer, " has the unknown activation '", name, "'"));
  }

  [[noreturn]] void fail(std::string_view what) const {
    throw CheckpointError(io::detail::text("policy file '", source_, "': ", what));
  }

  std::string source_;
  Index observation_size_ = 0;
  std::vector<Index> widths_;  // the network's input (the observation, or h), then every layer's outputs
  std::vector<nn::Activation> activations_fn_;
  std::vector<Index> offsets_;
  Vector<T> parameters_;
  bool normalize_ = false;
  T clip_ = 0;
  Eigen::VectorXd mean_, inv_std_;
  io::ActionTransform transform_ = io::ActionTransform::argmax;
  std::vector<std::int64_t> nvec_;  // multi-discrete: actions per dimension
  std::vector<Index> offsets_nvec_;  // multi-discrete: each dimension's first output
  Vector<T> low_, high_, scale_, offset_, squashed_, action_;
  std::vector<Vector<T>> activations_;  // the input, then every layer's output
  nn::detail::GemmBuffers<T> gemm_;
  // A recurrent policy's layer (hidden_ 0: none): parameters, state and one step's buffers.
  nn::Cell cell_ = nn::Cell::lstm;
  Index hidden_ = 0;
  Vector<T> recurrent_, state_, input_, h_in_, c_in_, gates_, hh_, extra_;
};

/// A policy trained in float, theta's default scalar.
using Policy = BasicPolicy<float>;

}  // namespace theta::inference
