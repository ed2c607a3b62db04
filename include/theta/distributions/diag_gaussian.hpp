#pragma once
/// \file DiagGaussian: a batch of diagonal Gaussians N(mean, exp(log_std)²) over D dimensions,
/// with log_std either shared by the batch (state-independent) or per sample.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/distributions/detail/batch_matrix.hpp>
#include <theta/distributions/detail/batch_weights.hpp>

#include <Eigen/Core>

#include <cmath>
#include <numbers>

namespace theta {

/// A batch of diagonal Gaussians: mean is D x B (one column per sample), log_std is either
/// D x 1, one state-independent vector broadcast over the batch (SB3's `ActorCriticPolicy`
/// for PPO, A2C and TRPO), or D x B, one per sample. With B = 1 the two readings agree.
///
/// Log-probability, entropy and KL are **summed over the dimensions** (SB3's
/// `sum_independent_dims`); `kl_divergence_per_dim` gives SB3's unsummed Gaussian KL.
/// Every gradient is the gradient of the batch sum Σ_b f_b, or of Σ_b w_b f_b in the
/// overloads with per-sample `weights`. A gradient has the shape of the parameter: for a
/// shared log_std it is D x 1 and summed over the batch.
///
/// The parameters are copied into storage that is resized only when the shape changes, so
/// with a fixed batch size nothing allocates after the first `set`.
///
///     theta::DiagGaussian<float> pi(mean, log_std);   // mean D x B, log_std D x 1 or D x B
///     pi.sample(rng, actions);                        // raw samples, not clipped
///     pi.log_prob(actions, log_probs);
///     pi.grad_log_prob(actions, dloss_dlogp, grad_mean, grad_log_std);
template <Real T = Scalar>
class DiagGaussian {
 public:
  /// An empty distribution; call `set` before use.
  DiagGaussian() = default;

  /// N(mean, exp(log_std)²); log_std is D x 1 (shared) or D x B (per sample).
  DiagGaussian(const Eigen::Ref<const Matrix<T>>& mean, const Eigen::Ref<const Matrix<T>>& log_std) { set(mean, log_std); }

  /// Replaces the parameters.
  void set(const Eigen::Ref<const Matrix<T>>& mean, const Eigen::Ref<const Matrix<T>>& log_std) {
    require(mean.rows() >= 1 && mean.cols() >= 1, "DiagGaussian::set: mean must be at least 1 x 1, got {} x {}", mean.rows(),
            mean.cols());
    require(log_std.rows() == mean.rows() && (log_std.cols() == 1 || log_std.cols() == mean.cols()),
            "DiagGaussian::set: log_std is {} x {}; with mean {} x {} it must be {} x 1 (shared) or {} x {}",
            log_std.rows(), log_std.cols(), mean.rows(), mean.cols(), mean.rows(), mean.rows(), mean.cols());
    mean_ = mean;
    log_std_ = log_std;
    std_.resize(log_std.rows(), log_std.cols());
    std_.array() = log_std_.array().exp();
  }

  /// D, the number of dimensions.
  [[nodiscard]] Index dim() const noexcept { return mean_.rows(); }
  /// B, the number of samples.
  [[nodiscard]] Index batch_size() const noexcept { return mean_.cols(); }
  /// True when log_std is one D x 1 vector broadcast over the batch.
  [[nodiscard]] bool log_std_shared() const noexcept { return log_std_.cols() == 1; }
  /// The means, D x B.
  [[nodiscard]] const detail::BatchMatrix<T>& mean() const noexcept { return mean_; }
  /// log σ, D x 1 or D x B.
  [[nodiscard]] const detail::BatchMatrix<T>& log_std() const noexcept { return log_std_; }
  /// σ = exp(log σ), shaped like log_std.
  [[nodiscard]] const detail::BatchMatrix<T>& stddev() const noexcept { return std_; }

  /// Draws mean + σ ⊙ z with z ~ N(0, I) from `rng`, column by column. The raw sample is
  /// what the on-policy algorithms store; clip it only when stepping the environment.
  void sample(Rng& rng, Eigen::Ref<Matrix<T>> actions) const {
    require_params("DiagGaussian::sample", "actions", actions.rows(), actions.cols());
    for (Index b = 0; b < batch_size(); ++b) {
      for (Index d = 0; d < dim(); ++d) actions(d, b) = mean_(d, b) + std_(d, s(b)) * rng.normal<T>();
    }
  }

  /// The most probable point: the mean.
  void mode(Eigen::Ref<Matrix<T>> actions) const {
    require_params("DiagGaussian::mode", "actions", actions.rows(), actions.cols());
    actions = mean_;
  }

  /// log p_b(a_b) = Σ_d [ -(a-μ)²/(2σ²) - log σ - ½ log 2π ] per sample.
  void log_prob(const Eigen::Ref<const Matrix<T>>& actions, Eigen::Ref<Vector<T>> out) const {
    require_params("DiagGaussian::log_prob", "actions", actions.rows(), actions.cols());
    require_out("DiagGaussian::log_prob", out.size());
    for (Index b = 0; b < batch_size(); ++b) {
      T sum = 0;
      for (Index d = 0; d < dim(); ++d) {
        const T z = (actions(d, b) - mean_(d, b)) / std_(d, s(b));
        sum += T(-0.5) * z * z - log_std_(d, s(b));
      }
      out[b] = sum - T(dim()) * half_log_two_pi;
    }
  }

  /// H(p_b) = Σ_d [ ½ + ½ log 2π + log σ ] per sample.
  void entropy(Eigen::Ref<Vector<T>> out) const {
    require_out("DiagGaussian::entropy", out.size());
    for (Index b = 0; b < batch_size(); ++b) {
      out[b] = T(dim()) * (T(0.5) + half_log_two_pi) + log_std_.col(s(b)).sum();
    }
  }

  /// Gradients of Σ_b log p_b(a_b): (a-μ)/σ² for the mean and (a-μ)²/σ² - 1 for log_std.
  void grad_log_prob(const Eigen::Ref<const Matrix<T>>& actions, Eigen::Ref<Matrix<T>> grad_mean,
                     Eigen::Ref<Matrix<T>> grad_log_std) const {
    grad_log_prob_impl(actions, detail::UnitWeights<T>{}, grad_mean, grad_log_std);
  }
  /// Gradients of Σ_b w_b log p_b(a_b).
  void grad_log_prob(const Eigen::Ref<const Matrix<T>>& actions, const Eigen::Ref<const Vector<T>>& weights,
                     Eigen::Ref<Matrix<T>> grad_mean, Eigen::Ref<Matrix<T>> grad_log_std) const {
    detail::require_weights("DiagGaussian::grad_log_prob", weights.size(), batch_size());
    grad_log_prob_impl(actions, detail::VectorWeights<T>{weights}, grad_mean, grad_log_std);
  }

  /// Gradient of Σ_b H(p_b) with respect to log_std: 1 per element (B when shared). The
  /// entropy does not depend on the mean.
  void grad_entropy(Eigen::Ref<Matrix<T>> grad_log_std) const { grad_entropy_impl(detail::UnitWeights<T>{}, grad_log_std); }
  /// Gradient of Σ_b w_b H(p_b) with respect to log_std.
  void grad_entropy(const Eigen::Ref<const Vector<T>>& weights, Eigen::Ref<Matrix<T>> grad_log_std) const {
    detail::require_weights("DiagGaussian::grad_entropy", weights.size(), batch_size());
    grad_entropy_impl(detail::VectorWeights<T>{weights}, grad_log_std);
  }

  /// The Fisher-vector product in (mean, log_std) space: v_mean/σ² and 2·v_log_std, no
  /// cross term. It is the Hessian of Σ_b KL(p_b || p'_b) with respect to p' at p' = p, so
  /// for a shared log_std the log_std part is summed over the batch (2B·v without weights).
  /// Pass w_b = 1/B for the Fisher of the mean KL. Outputs may alias the inputs.
  void fisher_vector_product(const Eigen::Ref<const Matrix<T>>& v_mean, const Eigen::Ref<const Matrix<T>>& v_log_std,
                             Eigen::Ref<Matrix<T>> out_mean, Eigen::Ref<Matrix<T>> out_log_std) const {
    fisher_impl(v_mean, v_log_std, detail::UnitWeights<T>{}, out_mean, out_log_std);
  }
  /// The weighted Fisher-vector product (Hessian of Σ_b w_b KL_b).
  void fisher_vector_product(const Eigen::Ref<const Matrix<T>>& v_mean, const Eigen::Ref<const Matrix<T>>& v_log_std,
                             const Eigen::Ref<const Vector<T>>& weights, Eigen::Ref<Matrix<T>> out_mean,
                             Eigen::Ref<Matrix<T>> out_log_std) const {
    detail::require_weights("DiagGaussian::fisher_vector_product", weights.size(), batch_size());
    fisher_impl(v_mean, v_log_std, detail::VectorWeights<T>{weights}, out_mean, out_log_std);
  }

  /// KL(p_b || q_b) summed over the dimensions, per sample.
  friend void kl_divergence(const DiagGaussian& p, const DiagGaussian& q, Eigen::Ref<Vector<T>> out) {
    p.require_same_batch("kl_divergence(DiagGaussian)", q);
    p.require_out("kl_divergence(DiagGaussian)", out.size());
    for (Index b = 0; b < p.batch_size(); ++b) {
      T sum = 0;
      for (Index d = 0; d < p.dim(); ++d) sum += p.kl_element(q, d, b);
      out[b] = sum;
    }
  }

  /// KL per dimension, D x B: log σ_q - log σ_p + (σ_p² + (μ_p-μ_q)²)/(2σ_q²) - ½. This is
  /// what SB3's `kl_divergence` returns for Gaussians (sb3_contrib's TRPO then averages it
  /// over the dimensions too, so its KL is 1/D of the summed one).
  friend void kl_divergence_per_dim(const DiagGaussian& p, const DiagGaussian& q, Eigen::Ref<Matrix<T>> out) {
    p.require_same_batch("kl_divergence_per_dim(DiagGaussian)", q);
    p.require_params("kl_divergence_per_dim(DiagGaussian)", "out", out.rows(), out.cols());
    for (Index b = 0; b < p.batch_size(); ++b) {
      for (Index d = 0; d < p.dim(); ++d) out(d, b) = p.kl_element(q, d, b);
    }
  }

  /// Gradients of Σ_b KL(p_b || q_b) with respect to p: (μ_p-μ_q)/σ_q² and σ_p²/σ_q² - 1.
  friend void grad_kl_divergence_p(const DiagGaussian& p, const DiagGaussian& q, Eigen::Ref<Matrix<T>> grad_mean_p,
                                   Eigen::Ref<Matrix<T>> grad_log_std_p) {
    p.grad_kl_p_impl(q, detail::UnitWeights<T>{}, grad_mean_p, grad_log_std_p);
  }
  /// Gradients of Σ_b w_b KL(p_b || q_b) with respect to p.
  friend void grad_kl_divergence_p(const DiagGaussian& p, const DiagGaussian& q, const Eigen::Ref<const Vector<T>>& weights,
                                   Eigen::Ref<Matrix<T>> grad_mean_p, Eigen::Ref<Matrix<T>> grad_log_std_p) {
    detail::require_weights("grad_kl_divergence_p(DiagGaussian)", weights.size(), p.batch_size());
    p.grad_kl_p_impl(q, detail::VectorWeights<T>{weights}, grad_mean_p, grad_log_std_p);
  }

  /// Gradients of Σ_b KL(p_b || q_b) with respect to q: -(μ_p-μ_q)/σ_q² and
  /// 1 - (σ_p² + (μ_p-μ_q)²)/σ_q².
  friend void grad_kl_divergence_q(const DiagGaussian& p, const DiagGaussian& q, Eigen::Ref<Matrix<T>> grad_mean_q,
                                   Eigen::Ref<Matrix<T>> grad_log_std_q) {
    p.grad_kl_q_impl(q, detail::UnitWeights<T>{}, grad_mean_q, grad_log_std_q);
  }
  /// Gradients of Σ_b w_b KL(p_b || q_b) with respect to q.
  friend void grad_kl_divergence_q(const DiagGaussian& p, const DiagGaussian& q, const Eigen::Ref<const Vector<T>>& weights,
                                   Eigen::Ref<Matrix<T>> grad_mean_q, Eigen::Ref<Matrix<T>> grad_log_std_q) {
    detail::require_weights("grad_kl_divergence_q(DiagGaussian)", weights.size(), p.batch_size());
    p.grad_kl_q_impl(q, detail::VectorWeights<T>{weights}, grad_mean_q, grad_log_std_q);
  }

 private:
  static constexpr T half_log_two_pi = T(0.91893853320467274178032973640561764);  // ½ log 2π

  detail::BatchMatrix<T> mean_;
  detail::BatchMatrix<T> log_std_;
  detail::BatchMatrix<T> std_;

  /// The log_std column of sample b.
  Index s(Index b) const noexcept { return log_std_.cols() == 1 ? 0 : b; }

  /// One term of the KL, written as torch's `kl_normal_normal`: ½(r + t - 1 - log r) with
  /// r = σ_p²/σ_q² and t = ((μ_p-μ_q)/σ_q)²; log r is taken from the log-stds directly.
  T kl_element(const DiagGaussian& q, Index d, Index b) const {
    const T ratio = std_(d, s(b)) / q.std_(d, q.s(b));
    const T t = (mean_(d, b) - q.mean_(d, b)) / q.std_(d, q.s(b));
    return T(0.5) * (ratio * ratio + t * t - T(1)) - (log_std_(d, s(b)) - q.log_std_(d, q.s(b)));
  }

  void require_params(const char* where, const char* what, Index rows, Index cols) const {
    detail::require_shape(where, what, rows, cols, dim(), batch_size());
  }
  void require_log_std(const char* where, const char* what, Index rows, Index cols) const {
    detail::require_shape(where, what, rows, cols, log_std_.rows(), log_std_.cols());
  }
  void require_out(const char* where, Index n) const {
    require(n == batch_size(), "{}: out has {} entries but the batch has {} samples", where, n, batch_size());
  }
  void require_same_batch(const char* where, const DiagGaussian& q) const {
    detail::require_shape(where, "q's mean", q.dim(), q.batch_size(), dim(), batch_size());
  }

  template <class W>
  void grad_log_prob_impl(const Eigen::Ref<const Matrix<T>>& actions, W weight, Eigen::Ref<Matrix<T>> grad_mean,
                          Eigen::Ref<Matrix<T>> grad_log_std) const {
    require_params("DiagGaussian::grad_log_prob", "actions", actions.rows(), actions.cols());
    require_params("DiagGaussian::grad_log_prob", "grad_mean", grad_mean.rows(), grad_mean.cols());
    require_log_std("DiagGaussian::grad_log_prob", "grad_log_std", grad_log_std.rows(), grad_log_std.cols());
    grad_log_std.setZero();
    for (Index b = 0; b < batch_size(); ++b) {
      const T w = weight(b);
      for (Index d = 0; d < dim(); ++d) {
        const T z = (actions(d, b) - mean_(d, b)) / std_(d, s(b));
        grad_mean(d, b) = w * z / std_(d, s(b));
        grad_log_std(d, s(b)) += w * (z * z - T(1));
      }
    }
  }

  template <class W>
  void grad_entropy_impl(W weight, Eigen::Ref<Matrix<T>> grad_log_std) const {
    require_log_std("DiagGaussian::grad_entropy", "grad_log_std", grad_log_std.rows(), grad_log_std.cols());
    grad_log_std.setZero();
    for (Index b = 0; b < batch_size(); ++b) grad_log_std.col(s(b)).array() += weight(b);
  }

  template <class W>
  void fisher_impl(const Eigen::Ref<const Matrix<T>>& v_mean, const Eigen::Ref<const Matrix<T>>& v_log_std, W weight,
                   Eigen::Ref<Matrix<T>> out_mean, Eigen::Ref<Matrix<T>> out_log_std) const {
    const char* where = "DiagGaussian::fisher_vector_product";
    require_params(where, "v_mean", v_mean.rows(), v_mean.cols());
    require_params(where, "out_mean", out_mean.rows(), out_mean.cols());
    require_log_std(where, "v_log_std", v_log_std.rows(), v_log_std.cols());
    require_log_std(where, "out_log_std", out_log_std.rows(), out_log_std.cols());
    for (Index b = 0; b < batch_size(); ++b) {
      const T w = weight(b);
      for (Index d = 0; d < dim(); ++d) {
        const T sd = std_(d, s(b));
        out_mean(d, b) = w * v_mean(d, b) / (sd * sd);
      }
    }
    if (log_std_shared()) {
      // The shared log_std enters every sample's KL with the same Fisher 2: Σ_b w_b · 2 v.
      T total = 0;
      for (Index b = 0; b < batch_size(); ++b) total += weight(b);
      out_log_std = (T(2) * total) * v_log_std;
    } else {
      for (Index b = 0; b < batch_size(); ++b) out_log_std.col(b) = (T(2) * weight(b)) * v_log_std.col(b);
    }
  }

  template <class W>
  void grad_kl_p_impl(const DiagGaussian& q, W weight, Eigen::Ref<Matrix<T>> grad_mean, Eigen::Ref<Matrix<T>> grad_log_std) const {
    const char* where = "grad_kl_divergence_p(DiagGaussian)";
    require_same_batch(where, q);
    require_params(where, "grad_mean_p", grad_mean.rows(), grad_mean.cols());
    require_log_std(where, "grad_log_std_p", grad_log_std.rows(), grad_log_std.cols());
    grad_log_std.setZero();
    for (Index b = 0; b < batch_size(); ++b) {
      const T w = weight(b);
      for (Index d = 0; d < dim(); ++d) {
        const T sq = q.std_(d, q.s(b));
        const T ratio = std_(d, s(b)) / sq;
        grad_mean(d, b) = w * (mean_(d, b) - q.mean_(d, b)) / (sq * sq);
        grad_log_std(d, s(b)) += w * (ratio * ratio - T(1));
      }
    }
  }

  template <class W>
  void grad_kl_q_impl(const DiagGaussian& q, W weight, Eigen::Ref<Matrix<T>> grad_mean, Eigen::Ref<Matrix<T>> grad_log_std) const {
    const char* where = "grad_kl_divergence_q(DiagGaussian)";
    require_same_batch(where, q);
    detail::require_shape(where, "grad_mean_q", grad_mean.rows(), grad_mean.cols(), dim(), batch_size());
    detail::require_shape(where, "grad_log_std_q", grad_log_std.rows(), grad_log_std.cols(), q.log_std_.rows(),
                          q.log_std_.cols());
    grad_log_std.setZero();
    for (Index b = 0; b < batch_size(); ++b) {
      const T w = weight(b);
      for (Index d = 0; d < dim(); ++d) {
        const T sq = q.std_(d, q.s(b));
        const T ratio = std_(d, s(b)) / sq;
        const T t = (mean_(d, b) - q.mean_(d, b)) / sq;
        grad_mean(d, b) = -w * t / sq;
        grad_log_std(d, q.s(b)) += w * (T(1) - ratio * ratio - t * t);
      }
    }
  }
};

}  // namespace theta
