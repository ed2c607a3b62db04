#pragma once
/// \file MultiCategorical: a batch of products of independent categorical distributions, one
/// per dimension of a `MultiDiscrete(nvec)` action, over logits stacked sum(nvec) x B, with the
/// gradients, the Fisher-vector product and the invalid-action masking of `Categorical`.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/distributions/categorical.hpp>
#include <theta/distributions/detail/batch_matrix.hpp>
#include <theta/distributions/detail/batch_weights.hpp>

#include <Eigen/Core>
#include <fmt/ranges.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace theta {

/// p_b(a) = Π_d softmax(logits_{d,b})(a_d): dimension d has nvec[d] actions, and its logits are
/// rows [o_d, o_d + nvec[d]) of the stacked sum(nvec) x B logits, o_d = nvec[0] + ... +
/// nvec[d-1] (the layout of Gymnasium's MultiDiscrete flattened, and of sb3-contrib's
/// MultiCategoricalDistribution). The dimensions are independent, so the log-probability, the
/// entropy and the KL are sums over dimensions, every gradient with respect to the logits is
/// the dimension's own in its rows, and the Fisher matrix in logit space is block-diagonal.
///
/// Each dimension is a `Categorical<T>` (`dimension(d)`) over its row block, so its numerics,
/// its masking (a `valid` entry of 0 or a logit of -infinity: probability exactly 0, no
/// gradient, entropy and KL over the valid actions only) and its errors are `Categorical`'s;
/// an error names the dimension. Every dimension needs a valid action in every sample.
///
/// Actions are spans of D x B indices laid out as a column-major D x B matrix (sample b's D
/// indices contiguous, as `Eigen::Matrix<std::int64_t, D, B>` stores them); with one
/// dimension that is `Categorical`'s span of B indices. Storage grows only, so with a fixed
/// batch size nothing allocates after the first call. Not for concurrent use of one object
/// (the per-dimension queries share a scratch row).
///
///     theta::MultiCategorical<float> pi({3, 2}, logits);  // logits: 5 x B
///     pi.sample(rng, actions);                             // std::span<std::int64_t>, 2 x B
///     pi.log_prob(actions, log_probs);                     // B-vector: log p_0(a_0) + log p_1(a_1)
template <Real T = Scalar>
class MultiCategorical {
 public:
  /// One index per dimension and sample.
  using Action = std::int64_t;

  /// An empty distribution (no dimension); build one with its nvec before use.
  MultiCategorical() = default;

  /// Preallocates D dimensions of nvec[d] actions for B samples. Throws `theta::Error` for no
  /// dimension or a dimension with fewer than one action.
  explicit MultiCategorical(std::vector<std::int64_t> nvec, Index batch_size = 1) : nvec_(std::move(nvec)) {
    require(!nvec_.empty(), "MultiCategorical: nvec must have at least one dimension");
    dims_.reserve(nvec_.size());
    offsets_.reserve(nvec_.size());
    Index offset = 0;
    for (std::size_t d = 0; d < nvec_.size(); ++d) {
      require(nvec_[d] >= 1, "MultiCategorical: nvec[{}] must be >= 1, got {}", d, nvec_[d]);
      dims_.emplace_back(static_cast<Index>(nvec_[d]), batch_size);
      offsets_.push_back(offset);
      offset += static_cast<Index>(nvec_[d]);
    }
    n_logits_ = offset;
    reserve(batch_size);
  }

  /// The distributions of the stacked logits (sum(nvec) x B).
  MultiCategorical(std::vector<std::int64_t> nvec, const Eigen::Ref<const Matrix<T>>& logits)
      : MultiCategorical(std::move(nvec), logits.cols()) {
    set_logits(logits);
  }

  /// Replaces the parameters, dimension by dimension (`Categorical::set_logits` of each row
  /// block): a logit of -infinity masks its action; a dimension whose logits are all -infinity
  /// in a sample raises `theta::Error` naming the dimension and the sample.
  void set_logits(const Eigen::Ref<const Matrix<T>>& logits) {
    require_logits("MultiCategorical::set_logits", logits.rows(), logits.cols());
    reserve(logits.cols());
    for_each_dimension("MultiCategorical::set_logits",
                       [&](Index d) { dims_[u(d)].set_logits(logits.middleRows(offsets_[u(d)], n(d))); });
  }

  /// The distributions restricted to the valid actions: `valid` is sum(nvec) x B (the
  /// concatenation of one mask per dimension, dimension 0 first), an entry 0 masks its action.
  /// A sample with no valid action in some dimension raises `theta::Error` naming both.
  void set_logits(const Eigen::Ref<const Matrix<T>>& logits, const Eigen::Ref<const Matrix<T>>& valid) {
    require_logits("MultiCategorical::set_logits", logits.rows(), logits.cols());
    detail::require_shape("MultiCategorical::set_logits", "valid", valid.rows(), valid.cols(), logits.rows(),
                          logits.cols());
    reserve(logits.cols());
    for_each_dimension("MultiCategorical::set_logits", [&](Index d) {
      dims_[u(d)].set_logits(logits.middleRows(offsets_[u(d)], n(d)), valid.middleRows(offsets_[u(d)], n(d)));
    });
  }

  /// True when some action of some dimension of some sample is masked.
  [[nodiscard]] bool has_masked_actions() const noexcept {
    for (const Categorical<T>& dim : dims_) {
      if (dim.has_masked_actions()) return true;
    }
    return false;
  }

  /// D, the number of dimensions.
  [[nodiscard]] Index n_dims() const noexcept { return static_cast<Index>(dims_.size()); }
  /// The number of actions of each dimension.
  [[nodiscard]] const std::vector<std::int64_t>& nvec() const noexcept { return nvec_; }
  /// sum(nvec): the rows of the logits, of a mask and of every gradient.
  [[nodiscard]] Index n_logits() const noexcept { return n_logits_; }
  /// The first logit row of dimension d.
  [[nodiscard]] Index offset(Index d) const { return offsets_.at(u(d)); }
  /// B, the number of samples.
  [[nodiscard]] Index batch_size() const noexcept { return dims_.empty() ? 0 : dims_.front().batch_size(); }
  /// Dimension d's categorical distribution (nvec[d] x B; its `probs()`, `log_probs()`, ...).
  [[nodiscard]] const Categorical<T>& dimension(Index d) const { return dims_.at(u(d)); }

  /// log p of every dimension, stacked: sum(nvec) x B (-infinity at masked actions).
  void log_probs(Eigen::Ref<Matrix<T>> out) const {
    require_stacked("MultiCategorical::log_probs", out.rows(), out.cols());
    for (Index d = 0; d < n_dims(); ++d) out.middleRows(offsets_[u(d)], n(d)) = dims_[u(d)].log_probs();
  }
  /// p of every dimension, stacked: sum(nvec) x B.
  void probs(Eigen::Ref<Matrix<T>> out) const {
    require_stacked("MultiCategorical::probs", out.rows(), out.cols());
    for (Index d = 0; d < n_dims(); ++d) out.middleRows(offsets_[u(d)], n(d)) = dims_[u(d)].probs();
  }

  /// Draws every sample's action: dimension 0 of all samples first (one uniform per sample, in
  /// sample order, as `Categorical::sample`), then dimension 1, ...
  void sample(Rng& rng, std::span<Action> actions) const {
    require_actions("MultiCategorical::sample", actions.size());
    for (Index d = 0; d < n_dims(); ++d) {
      dims_[u(d)].sample(rng, scratch_indices());
      scatter(d, actions);
    }
  }

  /// The most probable action of each dimension per sample (the first one on ties).
  void mode(std::span<Action> actions) const {
    require_actions("MultiCategorical::mode", actions.size());
    for (Index d = 0; d < n_dims(); ++d) {
      dims_[u(d)].mode(scratch_indices());
      scatter(d, actions);
    }
  }

  /// log p_b(a_b) = Σ_d log p_{d,b}(a_{d,b}) per sample.
  void log_prob(std::span<const Action> actions, Eigen::Ref<Vector<T>> out) const {
    require_actions("MultiCategorical::log_prob", actions.size());
    require_out("MultiCategorical::log_prob", out.size());
    sum_over_dimensions("MultiCategorical::log_prob", out, [&](Index d, Eigen::Ref<Vector<T>> term) {
      dims_[u(d)].log_prob(gather(d, actions), term);
    });
  }

  /// H(p_b) = Σ_d H(p_{d,b}) per sample.
  void entropy(Eigen::Ref<Vector<T>> out) const {
    require_out("MultiCategorical::entropy", out.size());
    sum_over_dimensions("MultiCategorical::entropy", out,
                        [&](Index d, Eigen::Ref<Vector<T>> term) { dims_[u(d)].entropy(term); });
  }

  /// ∂ Σ_b log p_b(a_b) / ∂logits: onehot(a_d) - p_d in dimension d's rows, sum(nvec) x B.
  void grad_log_prob(std::span<const Action> actions, Eigen::Ref<Matrix<T>> grad_logits) const {
    require_actions("MultiCategorical::grad_log_prob", actions.size());
    require_stacked("MultiCategorical::grad_log_prob", grad_logits.rows(), grad_logits.cols());
    for_each_dimension("MultiCategorical::grad_log_prob",
                       [&](Index d) { dims_[u(d)].grad_log_prob(gather(d, actions), rows(grad_logits, d)); });
  }
  /// ∂ Σ_b w_b log p_b(a_b) / ∂logits.
  void grad_log_prob(std::span<const Action> actions, const Eigen::Ref<const Vector<T>>& weights,
                     Eigen::Ref<Matrix<T>> grad_logits) const {
    require_actions("MultiCategorical::grad_log_prob", actions.size());
    require_stacked("MultiCategorical::grad_log_prob", grad_logits.rows(), grad_logits.cols());
    for_each_dimension("MultiCategorical::grad_log_prob", [&](Index d) {
      dims_[u(d)].grad_log_prob(gather(d, actions), weights, rows(grad_logits, d));
    });
  }

  /// ∂ Σ_b H(p_b) / ∂logits: -p_d (log p_d + H_d) in dimension d's rows.
  void grad_entropy(Eigen::Ref<Matrix<T>> grad_logits) const {
    require_stacked("MultiCategorical::grad_entropy", grad_logits.rows(), grad_logits.cols());
    for_each_dimension("MultiCategorical::grad_entropy",
                       [&](Index d) { dims_[u(d)].grad_entropy(rows(grad_logits, d)); });
  }
  /// ∂ Σ_b w_b H(p_b) / ∂logits.
  void grad_entropy(const Eigen::Ref<const Vector<T>>& weights, Eigen::Ref<Matrix<T>> grad_logits) const {
    require_stacked("MultiCategorical::grad_entropy", grad_logits.rows(), grad_logits.cols());
    for_each_dimension("MultiCategorical::grad_entropy",
                       [&](Index d) { dims_[u(d)].grad_entropy(weights, rows(grad_logits, d)); });
  }

  /// The Fisher-vector product in logit space: block-diagonal, dimension d's block the
  /// categorical M_d v_d = p_d ⊙ v_d - p_d (p_dᵀ v_d) per column (the Hessian of Σ_b KL at p' =
  /// p, TRPO's metric). `out` may alias `v`.
  void fisher_vector_product(const Eigen::Ref<const Matrix<T>>& v, Eigen::Ref<Matrix<T>> out) const {
    require_fisher(v, out);
    for_each_dimension("MultiCategorical::fisher_vector_product",
                       [&](Index d) { dims_[u(d)].fisher_vector_product(rows(v, d), rows(out, d)); });
  }
  /// Σ_b w_b M_b v_b, column by column.
  void fisher_vector_product(const Eigen::Ref<const Matrix<T>>& v, const Eigen::Ref<const Vector<T>>& weights,
                             Eigen::Ref<Matrix<T>> out) const {
    require_fisher(v, out);
    for_each_dimension("MultiCategorical::fisher_vector_product",
                       [&](Index d) { dims_[u(d)].fisher_vector_product(rows(v, d), weights, rows(out, d)); });
  }

  /// KL(p_b || q_b) = Σ_d KL(p_{d,b} || q_{d,b}) per sample (p and q must mask the same actions).
  friend void kl_divergence(const MultiCategorical& p, const MultiCategorical& q, Eigen::Ref<Vector<T>> out) {
    p.require_same_nvec("kl_divergence(MultiCategorical)", q);
    p.require_out("kl_divergence(MultiCategorical)", out.size());
    p.sum_over_dimensions("kl_divergence(MultiCategorical)", out, [&](Index d, Eigen::Ref<Vector<T>> term) {
      kl_divergence(p.dims_[u(d)], q.dims_[u(d)], term);
    });
  }

  /// ∂ Σ_b KL(p_b || q_b) / ∂logits_p: each dimension's in its rows.
  friend void grad_kl_divergence_p(const MultiCategorical& p, const MultiCategorical& q,
                                   Eigen::Ref<Matrix<T>> grad_logits_p) {
    p.grad_kl(q, grad_logits_p, [&](Index d, Eigen::Ref<Matrix<T>> g) {
      grad_kl_divergence_p(p.dims_[u(d)], q.dims_[u(d)], g);
    });
  }
  /// ∂ Σ_b w_b KL(p_b || q_b) / ∂logits_p.
  friend void grad_kl_divergence_p(const MultiCategorical& p, const MultiCategorical& q,
                                   const Eigen::Ref<const Vector<T>>& weights, Eigen::Ref<Matrix<T>> grad_logits_p) {
    p.grad_kl(q, grad_logits_p, [&](Index d, Eigen::Ref<Matrix<T>> g) {
      grad_kl_divergence_p(p.dims_[u(d)], q.dims_[u(d)], weights, g);
    });
  }

  /// ∂ Σ_b KL(p_b || q_b) / ∂logits_q = q_d - p_d in dimension d's rows.
  friend void grad_kl_divergence_q(const MultiCategorical& p, const MultiCategorical& q,
                                   Eigen::Ref<Matrix<T>> grad_logits_q) {
    p.grad_kl(q, grad_logits_q, [&](Index d, Eigen::Ref<Matrix<T>> g) {
      grad_kl_divergence_q(p.dims_[u(d)], q.dims_[u(d)], g);
    });
  }
  /// ∂ Σ_b w_b KL(p_b || q_b) / ∂logits_q.
  friend void grad_kl_divergence_q(const MultiCategorical& p, const MultiCategorical& q,
                                   const Eigen::Ref<const Vector<T>>& weights, Eigen::Ref<Matrix<T>> grad_logits_q) {
    p.grad_kl(q, grad_logits_q, [&](Index d, Eigen::Ref<Matrix<T>> g) {
      grad_kl_divergence_q(p.dims_[u(d)], q.dims_[u(d)], weights, g);
    });
  }

 private:
  std::vector<std::int64_t> nvec_;
  std::vector<Categorical<T>> dims_;
  std::vector<Index> offsets_;
  Index n_logits_ = 0;
  // One dimension's B indices, and one dimension's B values of a sum (grown only).
  mutable std::vector<Action> index_;
  mutable detail::BatchMatrix<T> term_;

  static std::size_t u(Index d) { return static_cast<std::size_t>(d); }
  Index n(Index d) const { return static_cast<Index>(nvec_[u(d)]); }
  template <class M>
  auto rows(M& m, Index d) const {
    return m.middleRows(offsets_[u(d)], n(d));
  }
  template <class M>
  auto rows(const M& m, Index d) const {
    return m.middleRows(offsets_[u(d)], n(d));
  }

  void reserve(Index batch) {
    if (index_.size() < static_cast<std::size_t>(batch)) index_.resize(static_cast<std::size_t>(batch));
    term_.resize(batch, 1);
  }
  std::span<Action> scratch_indices() const { return {index_.data(), static_cast<std::size_t>(batch_size())}; }

  // Dimension d's indices of every sample (entries d, D + d, 2D + d, ... of `actions`).
  std::span<const Action> gather(Index d, std::span<const Action> actions) const {
    const std::size_t D = dims_.size(), B = static_cast<std::size_t>(batch_size());
    if (D == 1) return actions;  // already one index per sample
    for (std::size_t b = 0; b < B; ++b) index_[b] = actions[b * D + u(d)];
    return {index_.data(), B};
  }
  void scatter(Index d, std::span<Action> actions) const {
    const std::size_t D = dims_.size(), B = static_cast<std::size_t>(batch_size());
    for (std::size_t b = 0; b < B; ++b) actions[b * D + u(d)] = index_[b];
  }

  // Runs f(d) for every dimension; a `Categorical` error is rethrown naming the dimension.
  template <class F>
  void for_each_dimension(const char* where, F&& f) const {
    require(!dims_.empty(), "{}: the distribution has no dimension (build it with its nvec)", where);
    for (Index d = 0; d < n_dims(); ++d) {
      try {
        f(d);
      } catch (const Error& e) {
        throw Error(fmt::format("{}: dimension {}: {}", where, d, e.what()));
      }
    }
  }

  // out = Σ_d term_d, with term(d, t) writing dimension d's B values into t (dimension 0
  // straight into out, so one dimension gives `Categorical`'s values bit for bit).
  template <class Term>
  void sum_over_dimensions(const char* where, Eigen::Ref<Vector<T>> out, Term&& term) const {
    for_each_dimension(where, [&](Index d) {
      if (d == 0) {
        term(d, out);
      } else {
        term(d, term_.col(0));
        out += term_.col(0);
      }
    });
  }

  template <class F>
  void grad_kl(const MultiCategorical& q, Eigen::Ref<Matrix<T>> grad, F&& f) const {
    require_same_nvec("grad_kl_divergence(MultiCategorical)", q);
    require_stacked("grad_kl_divergence(MultiCategorical)", grad.rows(), grad.cols());
    for_each_dimension("grad_kl_divergence(MultiCategorical)", [&](Index d) { f(d, rows(grad, d)); });
  }

  void require_logits(const char* where, Index rows, Index cols) const {
    require(!dims_.empty(), "{}: the distribution has no dimension (build it with its nvec)", where);
    require(rows == n_logits_ && cols >= 1, "{}: logits are {} x {}, expected {} x B (sum(nvec) rows) with B >= 1",
            where, rows, cols, n_logits_);
  }
  void require_stacked(const char* where, Index rows, Index cols) const {
    detail::require_shape(where, "the matrix", rows, cols, n_logits_, batch_size());
  }
  void require_actions(const char* where, std::size_t size) const {
    require(static_cast<Index>(size) == n_dims() * batch_size(),
            "{}: {} action entries for {} dimensions x {} samples", where, size, n_dims(), batch_size());
  }
  void require_out(const char* where, Index size) const {
    require(size == batch_size(), "{}: out has {} entries but the batch has {} samples", where, size, batch_size());
  }
  void require_fisher(const Eigen::Ref<const Matrix<T>>& v, const Eigen::Ref<Matrix<T>>& out) const {
    detail::require_shape("MultiCategorical::fisher_vector_product", "v", v.rows(), v.cols(), n_logits_, batch_size());
    detail::require_shape("MultiCategorical::fisher_vector_product", "out", out.rows(), out.cols(), n_logits_,
                          batch_size());
  }
  void require_same_nvec(const char* where, const MultiCategorical& q) const {
    require(nvec_ == q.nvec_, "{}: p has nvec [{}], q has nvec [{}]", where, fmt::join(nvec_, ", "),
            fmt::join(q.nvec_, ", "));
    detail::require_shape(where, "q", q.n_logits_, q.batch_size(), n_logits_, batch_size());
  }
};

}  // namespace theta
