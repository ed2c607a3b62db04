#pragma once
/// \file Categorical: a batch of categorical distributions over K actions, parameterised by
/// logits (K x B, one column per sample), with the gradients and the Fisher-vector product
/// the policy-gradient algorithms need, and invalid-action masking (logits of -infinity).

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/distributions/detail/batch_matrix.hpp>
#include <theta/distributions/detail/batch_weights.hpp>

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>

namespace theta {

/// A batch of categorical distributions p_b = softmax(logits_b), b = 0..B-1.
///
/// `set_logits` normalises once (a max-shifted log-sum-exp, so logits of any offset are
/// fine) and caches log p and p; every query reads the cache. Storage is resized only when
/// the shape changes, so with a fixed batch size nothing allocates after the first call.
/// Every gradient is with respect to the logits and is the gradient of the batch sum
/// Σ_b f_b, or of Σ_b w_b f_b in the overloads that take per-sample `weights` (the upstream
/// gradient dL/df_b). Column b of a gradient is sample b's own gradient times w_b.
///
/// Masked actions (Huang and Ontanon 2020, "A Closer Look at Invalid Action Masking in Policy
/// Gradient Algorithms"): a logit of -infinity, or an entry 0 of the `valid` matrix of
/// `set_logits(logits, valid)`, gives its action probability exactly 0 (log p = -infinity).
/// Every quantity is then the one of the distribution over the valid actions alone: sampling
/// and the mode never return a masked action, the entropy and the KL sum over valid actions
/// only (0 log 0 = 0, never NaN), the Fisher-vector product is 0 in masked rows, and every
/// gradient is exactly 0 for a masked logit. The log-probability of a masked action is an
/// error (it would be -infinity), and so is a sample with no valid action.
///
///     theta::Categorical<float> pi(logits);          // logits: K x B
///     pi.sample(rng, actions);                       // std::span<std::int64_t>, B entries
///     pi.log_prob(actions, log_probs);               // B-vector
///     pi.grad_log_prob(actions, dloss_dlogp, grad_logits);
template <Real T = Scalar>
class Categorical {
 public:
  /// Discrete actions are indices 0..K-1, as in `theta::Discrete`.
  using Action = std::int64_t;

  /// An empty distribution; call `set_logits` before use.
  Categorical() = default;

  /// Preallocates the cache for K actions and B samples.
  Categorical(Index n_actions, Index batch_size) : log_probs_(n_actions, batch_size), probs_(n_actions, batch_size) {}

  /// The distributions softmax(logits), logits K x B.
  explicit Categorical(const Eigen::Ref<const Matrix<T>>& logits) { set_logits(logits); }

  /// Replaces the parameters: log p = logits - logsumexp(logits), per column. A logit of
  /// -infinity masks its action (probability 0); a column whose logits are all -infinity has
  /// no valid action and raises `theta::Error` naming the sample.
  void set_logits(const Eigen::Ref<const Matrix<T>>& logits) {
    require(logits.rows() >= 1 && logits.cols() >= 1, "Categorical::set_logits: logits must be at least 1 x 1, got {} x {}",
            logits.rows(), logits.cols());
    log_probs_.resize(logits.rows(), logits.cols());
    probs_.resize(logits.rows(), logits.cols());
    masked_ = false;
    for (Index b = 0; b < logits.cols(); ++b) {
      const T max = logits.col(b).maxCoeff();
      if (max == -infinity) [[unlikely]] no_valid_action("Categorical::set_logits", b);
      // (l - max) is exact for the largest logits, so subtracting log Σ exp afterwards keeps
      // the shift invariance that l - (max + log Σ) would lose to rounding.
      const auto kept = logits.col(b).array() != -infinity;
      if (kept.all()) [[likely]] {
        const T log_sum = std::log((logits.col(b).array() - max).exp().sum());
        log_probs_.col(b).array() = (logits.col(b).array() - max) - log_sum;
        probs_.col(b).array() = log_probs_.col(b).array().exp();
      } else {
        // A logit of -inf: log p = -inf and p exactly 0, set explicitly (Eigen's vectorised exp
        // clamps its argument, so exp(-inf) is not 0 there).
        masked_ = true;
        normalise_kept(b, logits.col(b).array() - max, kept);
      }
    }
  }

  /// The distributions softmax(logits) restricted to the valid actions: `valid` is K x B, an
  /// entry 0 masks its action (probability 0, whatever its logit), any other value keeps it.
  /// Equal to `set_logits` of the logits with -infinity at the masked entries. A sample with
  /// no valid action raises `theta::Error` naming it.
  ///
  ///     theta::Matrix<float> valid(3, 1);
  ///     valid << 1, 0, 1;             // action 1 is invalid in this state
  ///     pi.set_logits(logits, valid);  // pi.probs()(1, 0) == 0
  void set_logits(const Eigen::Ref<const Matrix<T>>& logits, const Eigen::Ref<const Matrix<T>>& valid) {
    require(logits.rows() >= 1 && logits.cols() >= 1, "Categorical::set_logits: logits must be at least 1 x 1, got {} x {}",
            logits.rows(), logits.cols());
    detail::require_shape("Categorical::set_logits", "valid", valid.rows(), valid.cols(), logits.rows(), logits.cols());
    log_probs_.resize(logits.rows(), logits.cols());
    probs_.resize(logits.rows(), logits.cols());
    masked_ = false;
    for (Index b = 0; b < logits.cols(); ++b) {
      const auto keep = valid.col(b).array() != T(0);
      const T max = keep.select(logits.col(b).array(), -infinity).maxCoeff();
      if (max == -infinity) [[unlikely]] no_valid_action("Categorical::set_logits", b);
      // As above, with the masked logits replaced by -inf.
      normalise_kept(b, logits.col(b).array() - max, keep);
      masked_ = masked_ || !keep.all();
    }
  }

  /// True when some action of some sample is masked (probability exactly 0 from a logit of
  /// -infinity or a `valid` entry of 0).
  [[nodiscard]] bool has_masked_actions() const noexcept { return masked_; }

  /// K, the number of actions.
  [[nodiscard]] Index n_actions() const noexcept { return log_probs_.rows(); }
  /// B, the number of samples.
  [[nodiscard]] Index batch_size() const noexcept { return log_probs_.cols(); }
  /// log p, K x B (normalised logits).
  [[nodiscard]] const detail::BatchMatrix<T>& log_probs() const noexcept { return log_probs_; }
  /// p, K x B.
  [[nodiscard]] const detail::BatchMatrix<T>& probs() const noexcept { return probs_; }

  /// Draws one action per sample by inverse CDF (one uniform per sample, in sample order).
  void sample(Rng& rng, std::span<Action> actions) const {
    require_batch("Categorical::sample", actions.size());
    for (Index b = 0; b < batch_size(); ++b) {
      actions[static_cast<std::size_t>(b)] =
          rng.categorical(std::span<const T>(probs_.col(b).data(), static_cast<std::size_t>(n_actions())));
    }
  }

  /// The most probable action per sample (the first one on ties, like torch.argmax).
  void mode(std::span<Action> actions) const {
    require_batch("Categorical::mode", actions.size());
    for (Index b = 0; b < batch_size(); ++b) {
      Index k = 0;
      log_probs_.col(b).maxCoeff(&k);
      actions[static_cast<std::size_t>(b)] = static_cast<Action>(k);
    }
  }

  /// log p_b(a_b) per sample.
  void log_prob(std::span<const Action> actions, Eigen::Ref<Vector<T>> out) const {
    require_batch("Categorical::log_prob", actions.size());
    require_out("Categorical::log_prob", out.size());
    for (Index b = 0; b < batch_size(); ++b) out[b] = log_probs_(checked(actions, b, "Categorical::log_prob"), b);
  }

  /// H(p_b) = -Σ_k p_k log p_k per sample.
  void entropy(Eigen::Ref<Vector<T>> out) const {
    require_out("Categorical::entropy", out.size());
    for (Index b = 0; b < batch_size(); ++b) out[b] = entropy_of(b);
  }

  /// ∂ Σ_b log p_b(a_b) / ∂logits = onehot(a) - p, K x B.
  void grad_log_prob(std::span<const Action> actions, Eigen::Ref<Matrix<T>> grad_logits) const {
    grad_log_prob_impl(actions, detail::UnitWeights<T>{}, grad_logits);
  }
  /// ∂ Σ_b w_b log p_b(a_b) / ∂logits.
  void grad_log_prob(std::span<const Action> actions, const Eigen::Ref<const Vector<T>>& weights,
                     Eigen::Ref<Matrix<T>> grad_logits) const {
    detail::require_weights("Categorical::grad_log_prob", weights.size(), batch_size());
    grad_log_prob_impl(actions, detail::VectorWeights<T>{weights}, grad_logits);
  }

  /// ∂ Σ_b H(p_b) / ∂logits = -p (log p + H), K x B.
  void grad_entropy(Eigen::Ref<Matrix<T>> grad_logits) const { grad_entropy_impl(detail::UnitWeights<T>{}, grad_logits); }
  /// ∂ Σ_b w_b H(p_b) / ∂logits.
  void grad_entropy(const Eigen::Ref<const Vector<T>>& weights, Eigen::Ref<Matrix<T>> grad_logits) const {
    detail::require_weights("Categorical::grad_entropy", weights.size(), batch_size());
    grad_entropy_impl(detail::VectorWeights<T>{weights}, grad_logits);
  }

  /// The Fisher-vector product in logit space, M_b v_b = p ⊙ v - p (pᵀ v) per column: the
  /// Hessian of Σ_b KL(p_b || p'_b) with respect to the logits of p' at p' = p (TRPO's
  /// metric). `out` may alias `v`.
  void fisher_vector_product(const Eigen::Ref<const Matrix<T>>& v, Eigen::Ref<Matrix<T>> out) const {
    fisher_impl(v, detail::UnitWeights<T>{}, out);
  }
  /// Σ_b w_b M_b v_b, column by column (w_b = 1/B gives the Fisher of the mean KL).
  void fisher_vector_product(const Eigen::Ref<const Matrix<T>>& v, const Eigen::Ref<const Vector<T>>& weights,
                             Eigen::Ref<Matrix<T>> out) const {
    detail::require_weights("Categorical::fisher_vector_product", weights.size(), batch_size());
    fisher_impl(v, detail::VectorWeights<T>{weights}, out);
  }

  /// KL(p_b || q_b) = Σ_k p_k (log p_k - log q_k) per sample.
  friend void kl_divergence(const Categorical& p, const Categorical& q, Eigen::Ref<Vector<T>> out) {
    p.require_same_shape("kl_divergence(Categorical)", q);
    p.require_same_masks("kl_divergence(Categorical)", q);
    p.require_out("kl_divergence(Categorical)", out.size());
    for (Index b = 0; b < p.batch_size(); ++b) out[b] = p.kl_of(q, b);
  }

  /// ∂ Σ_b KL(p_b || q_b) / ∂logits_p = p ((log p - log q) - KL).
  friend void grad_kl_divergence_p(const Categorical& p, const Categorical& q, Eigen::Ref<Matrix<T>> grad_logits_p) {
    p.grad_kl_p_impl(q, detail::UnitWeights<T>{}, grad_logits_p);
  }
  /// ∂ Σ_b w_b KL(p_b || q_b) / ∂logits_p.
  friend void grad_kl_divergence_p(const Categorical& p, const Categorical& q, const Eigen::Ref<const Vector<T>>& weights,
                                   Eigen::Ref<Matrix<T>> grad_logits_p) {
    detail::require_weights("grad_kl_divergence_p(Categorical)", weights.size(), p.batch_size());
    p.grad_kl_p_impl(q, detail::VectorWeights<T>{weights}, grad_logits_p);
  }

  /// ∂ Σ_b KL(p_b || q_b) / ∂logits_q = q - p.
  friend void grad_kl_divergence_q(const Categorical& p, const Categorical& q, Eigen::Ref<Matrix<T>> grad_logits_q) {
    p.grad_kl_q_impl(q, detail::UnitWeights<T>{}, grad_logits_q);
  }
  /// ∂ Σ_b w_b KL(p_b || q_b) / ∂logits_q.
  friend void grad_kl_divergence_q(const Categorical& p, const Categorical& q, const Eigen::Ref<const Vector<T>>& weights,
                                   Eigen::Ref<Matrix<T>> grad_logits_q) {
    detail::require_weights("grad_kl_divergence_q(Categorical)", weights.size(), p.batch_size());
    p.grad_kl_q_impl(q, detail::VectorWeights<T>{weights}, grad_logits_q);
  }

 private:
  detail::BatchMatrix<T> log_probs_;
  detail::BatchMatrix<T> probs_;
  bool masked_ = false;  // some log p is -inf (a masked action)

  static constexpr T infinity = std::numeric_limits<T>::infinity();

  // Column b from the shifted logits (l - max) and which actions are kept: log p = shifted -
  // log Σ_kept exp(shifted) for the kept ones; log p = -inf and p = 0 exactly for the others.
  template <class Shifted, class Kept>
  void normalise_kept(Index b, const Shifted& shifted, const Kept& kept) {
    const T log_sum = std::log(kept.select(shifted.exp(), T(0)).sum());
    log_probs_.col(b).array() = kept.select(shifted - log_sum, -infinity);
    probs_.col(b).array() = kept.select(log_probs_.col(b).array().exp(), T(0));
  }

  // Masked actions (log p = -inf) contribute 0 to every sum below and get a gradient of 0:
  // the limits of p log p, p (log p - log q) and their derivatives as p -> 0. The unmasked
  // path keeps its plain expressions (and their results bit for bit).
  auto valid(Index b) const { return log_probs_.col(b).array() != -infinity; }

  T entropy_of(Index b) const {
    // p log p is 0 when p underflows to 0, because log p stays finite (logits are finite).
    if (!masked_) return -(probs_.col(b).array() * log_probs_.col(b).array()).sum();
    return -valid(b).select(probs_.col(b).array() * log_probs_.col(b).array(), T(0)).sum();
  }
  T kl_of(const Categorical& q, Index b) const {
    if (!masked_ && !q.masked_) {
      return (probs_.col(b).array() * (log_probs_.col(b).array() - q.log_probs_.col(b).array())).sum();
    }
    return valid(b)
        .select(probs_.col(b).array() * (log_probs_.col(b).array() - q.log_probs_.col(b).array()), T(0))
        .sum();
  }

  // KL(p || q) with masks: p and q must mask the same actions (KL would be +inf where q masks
  // an action p allows, and its gradient NaN); TRPO's old and new policies share the stored masks.
  void require_same_masks(const char* where, const Categorical& q) const {
    if (!masked_ && !q.masked_) return;
    for (Index b = 0; b < batch_size(); ++b) {
      if ((valid(b) != q.valid(b)).any()) [[unlikely]] {
        Index k = 0;
        (valid(b) != q.valid(b)).template cast<int>().maxCoeff(&k);
        throw Error(fmt::format("{}: p and q must mask the same actions, but action {} of sample {} is {} in p and {} "
                                "in q",
                                where, k, b, valid(b)(k) ? "valid" : "masked", q.valid(b)(k) ? "valid" : "masked"));
      }
    }
  }

  [[noreturn]] static void no_valid_action(const char* where, Index b) {
    throw Error(fmt::format("{}: sample {} has no valid action (every action is masked)", where, b));
  }

  void require_batch(const char* where, std::size_t n) const {
    require(static_cast<Index>(n) == batch_size(), "{}: {} actions for a batch of {} samples", where, n, batch_size());
  }
  void require_out(const char* where, Index n) const {
    require(n == batch_size(), "{}: out has {} entries but the batch has {} samples", where, n, batch_size());
  }
  void require_same_shape(const char* where, const Categorical& q) const {
    detail::require_shape(where, "q", q.n_actions(), q.batch_size(), n_actions(), batch_size());
  }
  Index checked(std::span<const Action> actions, Index b, const char* where) const {
    const Action a = actions[static_cast<std::size_t>(b)];
    require(a >= 0 && a < n_actions(), "{}: action {} of sample {} is outside [0, {})", where, a, b, n_actions());
    if (masked_ && log_probs_(static_cast<Index>(a), b) == -infinity) [[unlikely]] {
      throw Error(fmt::format("{}: action {} of sample {} is masked (invalid, probability 0)", where, a, b));
    }
    return static_cast<Index>(a);
  }

  template <class W>
  void grad_log_prob_impl(std::span<const Action> actions, W weight, Eigen::Ref<Matrix<T>> grad) const {
    require_batch("Categorical::grad_log_prob", actions.size());
    detail::require_shape("Categorical::grad_log_prob", "grad_logits", grad.rows(), grad.cols(), n_actions(), batch_size());
    for (Index b = 0; b < batch_size(); ++b) {
      const T w = weight(b);
      grad.col(b) = -w * probs_.col(b);
      grad(checked(actions, b, "Categorical::grad_log_prob"), b) += w;
    }
  }

  template <class W>
  void grad_entropy_impl(W weight, Eigen::Ref<Matrix<T>> grad) const {
    detail::require_shape("Categorical::grad_entropy", "grad_logits", grad.rows(), grad.cols(), n_actions(), batch_size());
    for (Index b = 0; b < batch_size(); ++b) {
      const T h = entropy_of(b);
      if (!masked_) {
        grad.col(b).array() = -weight(b) * probs_.col(b).array() * (log_probs_.col(b).array() + h);
      } else {
        grad.col(b).array() =
            valid(b).select(-weight(b) * probs_.col(b).array() * (log_probs_.col(b).array() + h), T(0));
      }
    }
  }

  template <class W>
  void fisher_impl(const Eigen::Ref<const Matrix<T>>& v, W weight, Eigen::Ref<Matrix<T>> out) const {
    detail::require_shape("Categorical::fisher_vector_product", "v", v.rows(), v.cols(), n_actions(), batch_size());
    detail::require_shape("Categorical::fisher_vector_product", "out", out.rows(), out.cols(), n_actions(), batch_size());
    for (Index b = 0; b < batch_size(); ++b) {
      // Masked actions have p = 0: they add nothing to pᵀv and their rows are 0 (v is finite).
      const T p_dot_v = probs_.col(b).dot(v.col(b));
      // Element-wise in k, so out may alias v.
      out.col(b).array() = weight(b) * probs_.col(b).array() * (v.col(b).array() - p_dot_v);
    }
  }

  template <class W>
  void grad_kl_p_impl(const Categorical& q, W weight, Eigen::Ref<Matrix<T>> grad) const {
    require_same_shape("grad_kl_divergence_p(Categorical)", q);
    require_same_masks("grad_kl_divergence_p(Categorical)", q);
    detail::require_shape("grad_kl_divergence_p(Categorical)", "grad_logits_p", grad.rows(), grad.cols(), n_actions(),
                          batch_size());
    for (Index b = 0; b < batch_size(); ++b) {
      const T kl = kl_of(q, b);
      if (!masked_) {
        grad.col(b).array() =
            weight(b) * probs_.col(b).array() * ((log_probs_.col(b).array() - q.log_probs_.col(b).array()) - kl);
      } else {
        grad.col(b).array() = valid(b).select(
            weight(b) * probs_.col(b).array() * ((log_probs_.col(b).array() - q.log_probs_.col(b).array()) - kl), T(0));
      }
    }
  }

  template <class W>
  void grad_kl_q_impl(const Categorical& q, W weight, Eigen::Ref<Matrix<T>> grad) const {
    require_same_shape("grad_kl_divergence_q(Categorical)", q);
    require_same_masks("grad_kl_divergence_q(Categorical)", q);
    detail::require_shape("grad_kl_divergence_q(Categorical)", "grad_logits_q", grad.rows(), grad.cols(), n_actions(),
                          batch_size());
    for (Index b = 0; b < batch_size(); ++b) {
      grad.col(b) = weight(b) * (q.probs_.col(b) - probs_.col(b));
    }
  }
};

}  // namespace theta
