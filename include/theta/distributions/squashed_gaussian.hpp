#pragma once
/// \file SquashedGaussian: SAC's tanh-squashed diagonal Gaussian, reparameterised, with the
/// action rescaled to the bounds of the action space.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/distributions/detail/batch_matrix.hpp>
#include <theta/distributions/detail/batch_weights.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

namespace theta {

/// How the log-probability corrects for the tanh: log p(a) = log N(u) - Σ_d c(u_d).
enum class TanhCorrection {
  /// c(u) = log(1 - tanh(u)²) = 2 (log 2 - u - softplus(-2u)), exact for every u.
  stable,
  /// c(u) = log(1 - tanh(u)² + ε), SB3's formula (ε = 1e-6 there). Biased by several nats
  /// once |u| > 5 and noisy in float: use it only to reproduce SB3.
  sb3_epsilon,
};

/// A batch of tanh-squashed Gaussians, as in SAC (Haarnoja et al. 2018, appendix C).
///
/// Parameters are mean and log_std, both D x B (the actor outputs both per sample). A sample
/// is drawn by the reparameterisation u = mean + σ ⊙ noise, noise ~ N(0, I) (`rsample`, or
/// `set_noise` with noise of your own), and squashed to tanh(u) in (-1, 1). The action
/// handed to the environment is `offset + scale ⊙ tanh(u)`, where for bounds [low, high]
/// scale = (high - low)/2 and offset = (high + low)/2.
///
/// `log_prob` is the density of tanh(u) in (-1, 1)^D, like SB3's, evaluated at the stored u
/// (no atanh). The density of the rescaled action is that minus Σ_d log scale_d, a constant
/// (`log_prob_rescale_correction`) that changes no gradient but shifts the log-probability
/// that SAC's temperature compares with the target entropy. SB3 leaves it out (its target
/// entropy -D is set for the (-1, 1) box); add it if your target entropy is meant for the
/// rescaled action.
///
/// There is no closed-form entropy, and none is provided: SAC uses -log_prob of the current
/// sample, a one-sample estimate.
///
/// Gradients (each of the batch sum Σ_b, or of Σ_b w_b with per-sample `weights`):
/// `grad_log_prob` goes through the sample u, as SAC's actor loss needs; `grad_log_prob_u`
/// holds mean and log_std fixed; `grad_action_u` is ∂action/∂u; `grad_through_sample` chains
/// any ∂L/∂u into mean and log_std. The SAC actor gradient of mean(α log π - Q(s, a)) is
///
///     pi.grad_log_prob(alpha_over_n, grad_mean, grad_log_std);      // α/N per sample
///     pi.grad_action_u(dadu);                                        // then dL/du = -dQ/da ⊙ dadu / N
///     pi.grad_through_sample(dL_du, grad_mean_q, grad_log_std_q);    // and add the two
template <Real T = Scalar>
class SquashedGaussian {
 public:
  /// No rescaling: actions are tanh(u) in (-1, 1).
  SquashedGaussian() = default;

  /// Actions are offset + scale ⊙ tanh(u). scale must be > 0 and finite.
  SquashedGaussian(const Eigen::Ref<const Vector<T>>& scale, const Eigen::Ref<const Vector<T>>& offset) {
    set_rescale(scale, offset);
  }

  /// Sets the rescale to the bounds [low, high]: scale = (high - low)/2, offset = (high + low)/2.
  void set_action_bounds(const Eigen::Ref<const Vector<T>>& low, const Eigen::Ref<const Vector<T>>& high) {
    require<ConfigError>(low.size() == high.size(), "SquashedGaussian: low has {} entries but high has {}", low.size(),
                         high.size());
    Vector<T> scale = (high - low) / T(2);
    Vector<T> offset = (high + low) / T(2);
    set_rescale(scale, offset);
  }

  /// Sets the rescale directly.
  void set_rescale(const Eigen::Ref<const Vector<T>>& scale, const Eigen::Ref<const Vector<T>>& offset) {
    require<ConfigError>(scale.size() == offset.size(), "SquashedGaussian: scale has {} entries but offset has {}",
                         scale.size(), offset.size());
    for (Index d = 0; d < scale.size(); ++d) {
      require<ConfigError>(std::isfinite(scale[d]) && scale[d] > T(0) && std::isfinite(offset[d]),
                           "SquashedGaussian: scale[{}] must be finite and > 0 and offset[{}] finite, got {} and {}", d,
                           d, scale[d], offset[d]);
    }
    require<ConfigError>(mean_.size() == 0 || scale.size() == dim(),
                         "SquashedGaussian: the rescale has {} dimensions but the distribution has {}", scale.size(), dim());
    scale_ = scale;
    offset_ = offset;
  }

  /// Replaces the parameters (both D x B) and forgets the sample.
  void set(const Eigen::Ref<const Matrix<T>>& mean, const Eigen::Ref<const Matrix<T>>& log_std) {
    require(mean.rows() >= 1 && mean.cols() >= 1, "SquashedGaussian::set: mean must be at least 1 x 1, got {} x {}",
            mean.rows(), mean.cols());
    detail::require_shape("SquashedGaussian::set", "log_std", log_std.rows(), log_std.cols(), mean.rows(), mean.cols());
    require(scale_.size() == 0 || scale_.size() == mean.rows(),
            "SquashedGaussian::set: the rescale has {} dimensions but mean has {}", scale_.size(), mean.rows());
    mean_ = mean;
    log_std_ = log_std;
    std_.resize(mean.rows(), mean.cols());
    std_.array() = log_std_.array().exp();
    noise_.resize(mean.rows(), mean.cols());
    u_.resize(mean.rows(), mean.cols());
    tanh_u_.resize(mean.rows(), mean.cols());
    has_sample_ = false;
  }

  /// Draws noise ~ N(0, I) from `rng` (column by column) and forms u and tanh(u).
  void rsample(Rng& rng) {
    require_params_set("SquashedGaussian::rsample");
    for (Index b = 0; b < batch_size(); ++b) {
      for (Index d = 0; d < dim(); ++d) noise_(d, b) = rng.normal<T>();
    }
    reparameterise();
  }

  /// Uses the given noise (D x B) instead of drawing it.
  void set_noise(const Eigen::Ref<const Matrix<T>>& noise) {
    require_params_set("SquashedGaussian::set_noise");
    detail::require_shape("SquashedGaussian::set_noise", "noise", noise.rows(), noise.cols(), dim(), batch_size());
    noise_ = noise;
    reparameterise();
  }

  /// D, the number of dimensions.
  [[nodiscard]] Index dim() const noexcept { return mean_.rows(); }
  /// B, the number of samples.
  [[nodiscard]] Index batch_size() const noexcept { return mean_.cols(); }
  [[nodiscard]] const detail::BatchMatrix<T>& mean() const noexcept { return mean_; }
  [[nodiscard]] const detail::BatchMatrix<T>& log_std() const noexcept { return log_std_; }
  /// The noise of the current sample, D x B.
  [[nodiscard]] const detail::BatchMatrix<T>& noise() const noexcept { return noise_; }
  /// The pre-squash sample u = mean + σ ⊙ noise, D x B.
  [[nodiscard]] const detail::BatchMatrix<T>& pre_squash() const noexcept { return u_; }
  /// tanh(u), D x B, in (-1, 1) before rescaling.
  [[nodiscard]] const detail::BatchMatrix<T>& squashed() const noexcept { return tanh_u_; }

  /// The action of the current sample: offset + scale ⊙ tanh(u).
  void action(Eigen::Ref<Matrix<T>> out) const {
    require_sample("SquashedGaussian::action");
    require_params("SquashedGaussian::action", "out", out.rows(), out.cols());
    rescale(tanh_u_, out);
  }

  /// The deterministic action offset + scale ⊙ tanh(mean).
  void mode(Eigen::Ref<Matrix<T>> out) const {
    require_params_set("SquashedGaussian::mode");
    require_params("SquashedGaussian::mode", "out", out.rows(), out.cols());
    out.array() = mean_.array().tanh();
    rescale(out, out);
  }

  /// -Σ_d log scale_d: add it to `log_prob` for the density of the rescaled action.
  [[nodiscard]] T log_prob_rescale_correction() const noexcept {
    return scale_.size() == 0 ? T(0) : -scale_.array().log().sum();
  }

  /// log p(tanh(u_b)) = Σ_d [ log N(u; μ, σ) - c(u) ] per sample, at the current sample.
  void log_prob(Eigen::Ref<Vector<T>> out, TanhCorrection correction = TanhCorrection::stable,
                T epsilon = T(1e-6)) const {
    require_sample("SquashedGaussian::log_prob");
    require(out.size() == batch_size(), "SquashedGaussian::log_prob: out has {} entries but the batch has {} samples",
            out.size(), batch_size());
    for (Index b = 0; b < batch_size(); ++b) {
      T sum = 0;
      for (Index d = 0; d < dim(); ++d) {
        // (u - μ)/σ is the noise by construction; using it avoids a cancellation.
        const T z = noise_(d, b);
        sum += T(-0.5) * z * z - log_std_(d, b) - squash_correction(d, b, correction, epsilon);
      }
      out[b] = sum - T(dim()) * half_log_two_pi;
    }
  }

  /// Gradients of Σ_b log p_b through u (the reparameterised path of SAC's actor loss):
  /// c'(u) for the mean and -1 + c'(u) σ noise for log_std. The Gaussian term contributes 0
  /// and -1 because (u - μ)/σ is the noise, whatever mean and log_std are.
  void grad_log_prob(Eigen::Ref<Matrix<T>> grad_mean, Eigen::Ref<Matrix<T>> grad_log_std,
                     TanhCorrection correction = TanhCorrection::stable, T epsilon = T(1e-6)) const {
    grad_log_prob_impl(detail::UnitWeights<T>{}, grad_mean, grad_log_std, correction, epsilon);
  }
  /// Gradients of Σ_b w_b log p_b through u.
  void grad_log_prob(const Eigen::Ref<const Vector<T>>& weights, Eigen::Ref<Matrix<T>> grad_mean,
                     Eigen::Ref<Matrix<T>> grad_log_std, TanhCorrection correction = TanhCorrection::stable,
                     T epsilon = T(1e-6)) const {
    detail::require_weights("SquashedGaussian::grad_log_prob", weights.size(), batch_size());
    grad_log_prob_impl(detail::VectorWeights<T>{weights}, grad_mean, grad_log_std, correction, epsilon);
  }

  /// Gradient of Σ_b log p_b with respect to u, mean and log_std held fixed:
  /// -(u - μ)/σ² + c'(u).
  void grad_log_prob_u(Eigen::Ref<Matrix<T>> grad_u, TanhCorrection correction = TanhCorrection::stable,
                       T epsilon = T(1e-6)) const {
    grad_log_prob_u_impl(detail::UnitWeights<T>{}, grad_u, correction, epsilon);
  }
  /// Gradient of Σ_b w_b log p_b with respect to u.
  void grad_log_prob_u(const Eigen::Ref<const Vector<T>>& weights, Eigen::Ref<Matrix<T>> grad_u,
                       TanhCorrection correction = TanhCorrection::stable, T epsilon = T(1e-6)) const {
    detail::require_weights("SquashedGaussian::grad_log_prob_u", weights.size(), batch_size());
    grad_log_prob_u_impl(detail::VectorWeights<T>{weights}, grad_u, correction, epsilon);
  }

  /// ∂action/∂u = scale ⊙ (1 - tanh(u)²), element-wise (the Jacobian is diagonal). 1 - tanh²
  /// is computed as 4e/(1+e)² with e = exp(-2|u|), accurate where 1 - tanh² would cancel.
  void grad_action_u(Eigen::Ref<Matrix<T>> out) const {
    require_sample("SquashedGaussian::grad_action_u");
    require_params("SquashedGaussian::grad_action_u", "out", out.rows(), out.cols());
    for (Index b = 0; b < batch_size(); ++b) {
      for (Index d = 0; d < dim(); ++d) {
        const T e = std::exp(T(-2) * std::abs(u_(d, b)));
        const T sech2 = T(4) * e / ((T(1) + e) * (T(1) + e));
        out(d, b) = scale_.size() == 0 ? sech2 : scale_[d] * sech2;
      }
    }
  }

  /// Chains ∂L/∂u into the parameters through u = mean + σ ⊙ noise:
  /// ∂L/∂mean = ∂L/∂u and ∂L/∂log_std = ∂L/∂u ⊙ σ ⊙ noise. `grad_mean` may alias `grad_u`.
  void grad_through_sample(const Eigen::Ref<const Matrix<T>>& grad_u, Eigen::Ref<Matrix<T>> grad_mean,
                           Eigen::Ref<Matrix<T>> grad_log_std) const {
    const char* where = "SquashedGaussian::grad_through_sample";
    require_sample(where);
    require_params(where, "grad_u", grad_u.rows(), grad_u.cols());
    require_params(where, "grad_mean", grad_mean.rows(), grad_mean.cols());
    require_params(where, "grad_log_std", grad_log_std.rows(), grad_log_std.cols());
    grad_log_std.array() = grad_u.array() * std_.array() * noise_.array();
    grad_mean = grad_u;
  }

  /// The rescale: scale (empty when there is none).
  [[nodiscard]] const Vector<T>& scale() const noexcept { return scale_; }
  /// The rescale: offset (empty when there is none).
  [[nodiscard]] const Vector<T>& offset() const noexcept { return offset_; }

 private:
  static constexpr T half_log_two_pi = T(0.91893853320467274178032973640561764);  // ½ log 2π
  static constexpr T log_two = T(0.69314718055994530941723212145817657);

  Vector<T> scale_;
  Vector<T> offset_;
  detail::BatchMatrix<T> mean_;
  detail::BatchMatrix<T> log_std_;
  detail::BatchMatrix<T> std_;
  detail::BatchMatrix<T> noise_;
  detail::BatchMatrix<T> u_;
  detail::BatchMatrix<T> tanh_u_;
  bool has_sample_ = false;

  void reparameterise() {
    u_.array() = mean_.array() + std_.array() * noise_.array();
    tanh_u_.array() = u_.array().tanh();
    has_sample_ = true;
  }

  template <class Source>
  void rescale(const Source& squashed, Eigen::Ref<Matrix<T>> out) const {
    if (scale_.size() == 0) {
      out = squashed;
    } else {
      for (Index b = 0; b < out.cols(); ++b) out.col(b).array() = offset_.array() + scale_.array() * squashed.col(b).array();
    }
  }

  /// softplus(x) = max(x, 0) + log1p(exp(-|x|)), exact for every x (torch's softplus returns
  /// x above 20, off by up to 2e-9).
  static T softplus(T x) noexcept { return std::max(x, T(0)) + std::log1p(std::exp(-std::abs(x))); }

  /// c(u) of the chosen correction.
  T squash_correction(Index d, Index b, TanhCorrection correction, T epsilon) const {
    if (correction == TanhCorrection::stable) {
      // log(1 - tanh²u) = log(4 e^{-2u} / (1 + e^{-2u})²) = 2 (log 2 - u - softplus(-2u)).
      const T u = u_(d, b);
      return T(2) * (log_two - u - softplus(T(-2) * u));
    }
    const T t = tanh_u_(d, b);
    return std::log(T(1) - t * t + epsilon);  // SB3's expression, term for term
  }

  /// c'(u): 2 tanh(u) for the stable form; 2t(1 - t²)/(1 - t² + ε) for SB3's, as autograd
  /// differentiates SB3's expression.
  T squash_correction_derivative(Index d, Index b, TanhCorrection correction, T epsilon) const {
    const T t = tanh_u_(d, b);
    if (correction == TanhCorrection::stable) return T(2) * t;
    const T one_minus_t2 = T(1) - t * t;
    return T(2) * t * one_minus_t2 / (one_minus_t2 + epsilon);
  }

  void require_params_set(const char* where) const {
    require(mean_.size() > 0, "{}: call set(mean, log_std) first", where);
  }
  void require_sample(const char* where) const {
    require(has_sample_, "{}: no sample; call rsample(rng) or set_noise(noise) after set(mean, log_std)", where);
  }
  void require_params(const char* where, const char* what, Index rows, Index cols) const {
    detail::require_shape(where, what, rows, cols, dim(), batch_size());
  }

  template <class W>
  void grad_log_prob_impl(W weight, Eigen::Ref<Matrix<T>> grad_mean, Eigen::Ref<Matrix<T>> grad_log_std,
                          TanhCorrection correction, T epsilon) const {
    const char* where = "SquashedGaussian::grad_log_prob";
    require_sample(where);
    require_params(where, "grad_mean", grad_mean.rows(), grad_mean.cols());
    require_params(where, "grad_log_std", grad_log_std.rows(), grad_log_std.cols());
    for (Index b = 0; b < batch_size(); ++b) {
      const T w = weight(b);
      for (Index d = 0; d < dim(); ++d) {
        const T dc = squash_correction_derivative(d, b, correction, epsilon);
        grad_mean(d, b) = w * dc;
        grad_log_std(d, b) = w * (T(-1) + dc * std_(d, b) * noise_(d, b));
      }
    }
  }

  template <class W>
  void grad_log_prob_u_impl(W weight, Eigen::Ref<Matrix<T>> grad_u, TanhCorrection correction, T epsilon) const {
    const char* where = "SquashedGaussian::grad_log_prob_u";
    require_sample(where);
    require_params(where, "grad_u", grad_u.rows(), grad_u.cols());
    for (Index b = 0; b < batch_size(); ++b) {
      const T w = weight(b);
      for (Index d = 0; d < dim(); ++d) {
        grad_u(d, b) = w * (-noise_(d, b) / std_(d, b) + squash_correction_derivative(d, b, correction, epsilon));
      }
    }
  }
};

}  // namespace theta
