#pragma once
/// \file Linear: one affine layer y = W x + b, as Eigen views into flat parameter and gradient
/// buffers owned by a network.
///
/// Flat layout of one layer (theta's, not PyTorch's): the weight W (out x in) in Eigen's
/// column-major order, then the bias b (out):
///
///     [ W(0,0) W(1,0) ... W(out-1,0) W(0,1) ... W(out-1,in-1) | b(0) ... b(out-1) ]
///
/// so W(i, j) sits at `offset + j * out + i` and b(i) at `offset + out * in + i`. PyTorch's
/// `parameters_to_vector` uses the same tensor order (W then b, layer by layer) but flattens
/// W row-major, `offset + i * in + j`: to compare with it, permute inside each weight.

#include <theta/core/scalar.hpp>

#include <Eigen/Core>

#include <type_traits>

namespace theta::nn {

/// Views of one affine layer y = W x + b (`W` is out x in, column-major) inside flat buffers.
/// `Linear<T>` can write, `Linear<const T>` only reads. It owns nothing: it is valid while the
/// buffers it points into are.
///
///     auto layer = net.layer(0);              // Linear<float>
///     layer.weight().setIdentity();           // writes into net.parameters()
///     float g = layer.bias_grad()(0);         // reads net.gradients()
template <class T = Scalar>
  requires Real<std::remove_const_t<T>>
class Linear {
 public:
  using value_type = std::remove_const_t<T>;
  using MatrixMap =
      Eigen::Map<std::conditional_t<std::is_const_v<T>, const Matrix<value_type>, Matrix<value_type>>>;
  using VectorMap =
      Eigen::Map<std::conditional_t<std::is_const_v<T>, const Vector<value_type>, Vector<value_type>>>;

  /// Number of parameters of an `inputs -> outputs` layer: out * in weights, then out biases.
  [[nodiscard]] static constexpr Index size(Index inputs, Index outputs) noexcept {
    return outputs * inputs + outputs;
  }

  /// Views the layer whose parameters start at `parameters` and whose gradients (same
  /// layout) start at `gradients`; `gradients` may be null for a view of parameters only,
  /// such as a slice of a tangent vector.
  Linear(Index inputs, Index outputs, T* parameters, T* gradients = nullptr) noexcept
      : inputs_(inputs), outputs_(outputs), parameters_(parameters), gradients_(gradients) {}

  /// A read-only view of the same layer.
  operator Linear<const value_type>() const noexcept {  // NOLINT(google-explicit-constructor)
    return Linear<const value_type>(inputs_, outputs_, parameters_, gradients_);
  }

  [[nodiscard]] Index inputs() const noexcept { return inputs_; }
  [[nodiscard]] Index outputs() const noexcept { return outputs_; }
  [[nodiscard]] Index num_parameters() const noexcept { return size(inputs_, outputs_); }

  /// W, out x in.
  [[nodiscard]] MatrixMap weight() const noexcept { return MatrixMap(parameters_, outputs_, inputs_); }
  /// b, out.
  [[nodiscard]] VectorMap bias() const noexcept { return VectorMap(parameters_ + outputs_ * inputs_, outputs_); }
  /// dL/dW, out x in (requires a gradient buffer).
  [[nodiscard]] MatrixMap weight_grad() const noexcept { return MatrixMap(gradients_, outputs_, inputs_); }
  /// dL/db, out (requires a gradient buffer).
  [[nodiscard]] VectorMap bias_grad() const noexcept {
    return VectorMap(gradients_ == nullptr ? nullptr : gradients_ + outputs_ * inputs_, outputs_);
  }

  /// The first parameter and gradient (null if none) of the layer.
  [[nodiscard]] T* parameter_data() const noexcept { return parameters_; }
  [[nodiscard]] T* gradient_data() const noexcept { return gradients_; }

 private:
  Index inputs_;
  Index outputs_;
  T* parameters_;
  T* gradients_;
};

}  // namespace theta::nn
