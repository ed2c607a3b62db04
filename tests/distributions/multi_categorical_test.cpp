// MultiCategorical (issue 15, multi-discrete actions): log-probability, entropy and KL are the
// sums of the per-dimension Categorical values, every gradient matches finite differences and
// sits in its dimension's rows, the Fisher product is the Hessian of the KL, and masking works
// per dimension (masked entries never sampled, exact zeros, quantities over the valid actions).
#include <theta/distributions/categorical.hpp>
#include <theta/distributions/multi_categorical.hpp>

#include "distributions/checks.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

using theta::Categorical;
using theta::Index;
using theta::MultiCategorical;
using theta::Rng;
using namespace theta::test;

namespace {

const std::vector<std::int64_t> multi_nvec{3, 1, 4, 2};  // 10 logits; a dimension of one action
constexpr Index multi_logits = 10;

// D x B random actions (column-major: sample b's indices contiguous) of `nvec`.
std::vector<std::int64_t> multi_random_actions(Rng& rng, const std::vector<std::int64_t>& nvec, Index B) {
  std::vector<std::int64_t> actions;
  for (Index b = 0; b < B; ++b) {
    for (const std::int64_t n : nvec) actions.push_back(static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(n))));
  }
  return actions;
}

// Dimension d's entries of D x B actions.
std::vector<std::int64_t> multi_dimension_actions(const std::vector<std::int64_t>& actions, std::size_t D, std::size_t d) {
  std::vector<std::int64_t> out;
  for (std::size_t k = d; k < actions.size(); k += D) out.push_back(actions[k]);
  return out;
}

// Σ_b w_b f_b(logits) for a per-sample quantity computed by `per_sample(dist, out)`.
template <class F>
double multi_weighted_sum(const Eigen::MatrixXd& logits, const Eigen::VectorXd& w, F per_sample) {
  const MultiCategorical<double> dist(multi_nvec, logits);
  Eigen::VectorXd out(logits.cols());
  per_sample(dist, out);
  return w.dot(out);
}

// A sum(nvec) x B 0/1 mask with at least one valid entry per dimension and sample; sample 0
// keeps a single valid entry per dimension (the last), sample 1 masks nothing.
Eigen::MatrixXd multi_random_valid(Rng& rng, const std::vector<std::int64_t>& nvec, Index B) {
  Index total = 0;
  for (const std::int64_t n : nvec) total += static_cast<Index>(n);
  Eigen::MatrixXd valid(total, B);
  for (Index b = 0; b < B; ++b) {
    Index offset = 0;
    for (const std::int64_t n64 : nvec) {
      const auto n = static_cast<Index>(n64);
      for (Index k = 0; k < n; ++k) valid(offset + k, b) = rng.below(2) == 0 ? 0.0 : 1.0;
      if (valid.col(b).segment(offset, n).sum() == 0) valid(offset + static_cast<Index>(rng.below(static_cast<std::uint64_t>(n))), b) = 1;
      if (b == 0) {
        valid.col(b).segment(offset, n).setZero();
        valid(offset + n - 1, b) = 1;
      }
      if (b == 1) valid.col(b).segment(offset, n).setOnes();
      offset += n;
    }
  }
  return valid;
}

}  // namespace

TEST_CASE("MultiCategorical: log-prob, entropy and KL are the sums of the dimensions' Categorical values", "[unit]") {
  constexpr Index B = 7;
  Rng rng(31);
  const Eigen::MatrixXd logits = random_uniform(rng, multi_logits, B, -3, 3);
  const Eigen::MatrixXd logits_q = random_uniform(rng, multi_logits, B, -3, 3);
  const MultiCategorical<double> p(multi_nvec, logits), q(multi_nvec, logits_q);
  CHECK(p.n_dims() == 4);
  CHECK(p.n_logits() == multi_logits);
  CHECK(p.batch_size() == B);
  CHECK_FALSE(p.has_masked_actions());
  const std::vector<std::int64_t> actions = multi_random_actions(rng, multi_nvec, B);

  Eigen::VectorXd log_prob(B), entropy(B), kl(B);
  p.log_prob(actions, log_prob);
  p.entropy(entropy);
  kl_divergence(p, q, kl);
  Eigen::VectorXd ref_log_prob = Eigen::VectorXd::Zero(B), ref_entropy = Eigen::VectorXd::Zero(B),
                  ref_kl = Eigen::VectorXd::Zero(B);
  Eigen::MatrixXd stacked(multi_logits, B);
  Index offset = 0;
  for (std::size_t d = 0; d < multi_nvec.size(); ++d) {
    const auto n = static_cast<Index>(multi_nvec[d]);
    const Categorical<double> pd(logits.middleRows(offset, n)), qd(logits_q.middleRows(offset, n));
    Eigen::VectorXd term(B);
    pd.log_prob(multi_dimension_actions(actions, multi_nvec.size(), d), term);
    ref_log_prob += term;
    pd.entropy(term);
    ref_entropy += term;
    kl_divergence(pd, qd, term);
    ref_kl += term;
    CHECK(p.dimension(static_cast<Index>(d)).probs() == pd.probs());
    CHECK(p.offset(static_cast<Index>(d)) == offset);
    stacked.middleRows(offset, n) = pd.log_probs();
    offset += n;
  }
  // Summed in dimension order, as the reference: equal to the last bit.
  CHECK(log_prob == ref_log_prob);
  CHECK(entropy == ref_entropy);
  CHECK(kl == ref_kl);
  Eigen::MatrixXd log_probs(multi_logits, B);
  p.log_probs(log_probs);
  CHECK(log_probs == stacked);
  Eigen::MatrixXd probs(multi_logits, B);
  p.probs(probs);
  CHECK(max_err(probs, stacked.array().exp().matrix()) < 1e-15);

  // One dimension is the Categorical itself.
  const MultiCategorical<double> one({5}, logits.topRows(5));
  const Categorical<double> cat(logits.topRows(5));
  const std::vector<std::int64_t> single = multi_random_actions(rng, {5}, B);
  Eigen::VectorXd a(B), b(B);
  one.log_prob(single, a);
  cat.log_prob(single, b);
  CHECK(a == b);
  one.entropy(a);
  cat.entropy(b);
  CHECK(a == b);
}

TEST_CASE("MultiCategorical: gradients match central finite differences and stay in their dimension's rows",
          "[gradient]") {
  Rng rng(2025);
  for (const Index B : {1, 5}) {
    INFO("B = " << B);
    const Eigen::MatrixXd logits = random_uniform(rng, multi_logits, B, -3, 3);
    const Eigen::MatrixXd logits_q = random_uniform(rng, multi_logits, B, -3, 3);
    const Eigen::VectorXd w = random_uniform(rng, B, 1, -2, 2);
    const Eigen::VectorXd ones = Eigen::VectorXd::Ones(B);
    const std::vector<std::int64_t> actions = multi_random_actions(rng, multi_nvec, B);
    const MultiCategorical<double> p(multi_nvec, logits), q(multi_nvec, logits_q);
    Eigen::MatrixXd grad(multi_logits, B);
    for (const Eigen::VectorXd* weights : {&ones, &w}) {
      const bool weighted = weights == &w;
      INFO((weighted ? "weighted" : "unweighted"));
      auto log_prob = [&](const MultiCategorical<double>& d, Eigen::VectorXd& out) { d.log_prob(actions, out); };
      auto entropy = [&](const MultiCategorical<double>& d, Eigen::VectorXd& out) { d.entropy(out); };
      weighted ? p.grad_log_prob(actions, w, grad) : p.grad_log_prob(actions, grad);
      CHECK(max_err(grad, numerical_gradient(
                              [&](const Eigen::MatrixXd& x) { return multi_weighted_sum(x, *weights, log_prob); },
                              logits, fd_stencil)) < fd_tolerance);
      weighted ? p.grad_entropy(w, grad) : p.grad_entropy(grad);
      CHECK(max_err(grad, numerical_gradient(
                              [&](const Eigen::MatrixXd& x) { return multi_weighted_sum(x, *weights, entropy); },
                              logits, fd_stencil)) < fd_tolerance);
      auto kl_sum = [&](const Eigen::MatrixXd& lp, const Eigen::MatrixXd& lq) {
        Eigen::VectorXd out(B);
        kl_divergence(MultiCategorical<double>(multi_nvec, lp), MultiCategorical<double>(multi_nvec, lq), out);
        return weights->dot(out);
      };
      weighted ? grad_kl_divergence_p(p, q, w, grad) : grad_kl_divergence_p(p, q, grad);
      CHECK(max_err(grad, numerical_gradient([&](const Eigen::MatrixXd& x) { return kl_sum(x, logits_q); }, logits,
                                             fd_stencil)) < fd_tolerance);
      weighted ? grad_kl_divergence_q(p, q, w, grad) : grad_kl_divergence_q(p, q, grad);
      CHECK(max_err(grad, numerical_gradient([&](const Eigen::MatrixXd& x) { return kl_sum(logits, x); }, logits_q,
                                             fd_stencil)) < fd_tolerance);
    }
    // The dimension of one action has log p = 0 whatever its logit: no gradient at all.
    p.grad_log_prob(actions, w, grad);
    CHECK(grad.row(3).isZero(0.0));
    p.grad_entropy(grad);
    CHECK(grad.row(3).isZero(0.0));
  }
}

TEST_CASE("MultiCategorical: the Fisher-vector product is block-diagonal, the Hessian of KL(p_old || p_new)",
          "[gradient]") {
  Rng rng(78);
  constexpr Index B = 3;
  const Eigen::MatrixXd logits = random_uniform(rng, multi_logits, B, -2, 2);
  const Eigen::MatrixXd v = random_normal(rng, multi_logits, B);
  const Eigen::VectorXd w = random_uniform(rng, B, 1, 0, 1);
  const MultiCategorical<double> old(multi_nvec, logits);
  auto kl = [&](const Eigen::MatrixXd& new_logits) {
    Eigen::VectorXd out(B);
    kl_divergence(old, MultiCategorical<double>(multi_nvec, new_logits), out);
    return w.dot(out);
  };
  const Eigen::MatrixXd hv = hessian_times(kl, logits, v);
  Eigen::MatrixXd fvp(multi_logits, B);
  old.fisher_vector_product(v, w, fvp);
  CHECK(max_err(fvp, hv) < 1e-6);
  // Unweighted and in place: each dimension's block is diag(p_d) - p_d p_dᵀ.
  Eigen::MatrixXd in_place = v;
  old.fisher_vector_product(in_place, in_place);
  for (Index d = 0; d < old.n_dims(); ++d) {
    const Index o = old.offset(d), n = static_cast<Index>(multi_nvec[static_cast<std::size_t>(d)]);
    for (Index b = 0; b < B; ++b) {
      const Eigen::VectorXd p = old.dimension(d).probs().col(b);
      const Eigen::MatrixXd m = Eigen::MatrixXd(p.asDiagonal()) - p * p.transpose();
      CHECK(max_err(in_place.col(b).segment(o, n), m * v.col(b).segment(o, n)) < 1e-15);
    }
  }
}

TEST_CASE("MultiCategorical: sampling and the mode, dimension by dimension", "[unit]") {
  Eigen::MatrixXd logits(5, 2);
  logits << 0.0, 2.0,  // dimension 0: 3 actions
      1.0, -30.0,      //
      -1.0, 0.5,       //
      0.3, 1.0,        // dimension 1: 2 actions
      -0.2, 1.0;
  const MultiCategorical<double> dist({3, 2}, logits);
  std::vector<std::int64_t> mode(4);
  dist.mode(mode);
  CHECK(mode == std::vector<std::int64_t>{1, 0, 0, 0});  // ties: the first
  const int n = 100000;
  Eigen::MatrixXd counts = Eigen::MatrixXd::Zero(5, 2);
  Rng rng(99), replay(99);
  std::vector<std::int64_t> actions(4), again(4);
  for (int i = 0; i < n; ++i) {
    dist.sample(rng, actions);
    dist.sample(replay, again);
    REQUIRE(actions == again);  // the same seed, the same samples
    for (Index b = 0; b < 2; ++b) {
      counts(actions[static_cast<std::size_t>(2 * b)], b) += 1;
      counts(3 + actions[static_cast<std::size_t>(2 * b + 1)], b) += 1;
    }
  }
  Eigen::MatrixXd probs(5, 2);
  dist.probs(probs);
  for (Index k = 0; k < 5; ++k) {
    for (Index b = 0; b < 2; ++b) {
      const double p = probs(k, b), se = std::sqrt(p * (1 - p) / n);
      CHECK(std::abs(counts(k, b) / n - p) <= 5 * se + 1e-12);
    }
  }
}

TEST_CASE("MultiCategorical with masks per dimension: never samples a masked entry in 1,000,000 draws, exact zeros, "
          "entropy and KL over the valid actions",
          "[unit]") {
  const std::vector<std::int64_t> nvec{4, 3, 5};
  constexpr Index B = 50, rounds = 20'000;  // 1,000,000 draws of each dimension
  Rng rng(1516);
  const Eigen::MatrixXd valid_d = multi_random_valid(rng, nvec, B);
  // Masked entries get the largest logits: an unmasked sampler would pick them most.
  Eigen::MatrixXd logits_d = random_uniform(rng, 12, B, -1, 1);
  logits_d = (valid_d.array() == 0).select(8.0, logits_d.array()).matrix();
  const theta::Matrix<float> logits = logits_d.cast<float>(), valid = valid_d.cast<float>();
  MultiCategorical<float> dist(nvec, B);
  dist.set_logits(logits, valid);
  REQUIRE(dist.has_masked_actions());
  theta::Matrix<float> probs(12, B);
  dist.probs(probs);
  CHECK(((valid.array() == 0).select(probs.array(), 0.0f) == 0.0f).all());  // exactly 0

  Eigen::MatrixXd counts = Eigen::MatrixXd::Zero(12, B);
  std::vector<std::int64_t> actions(static_cast<std::size_t>(3 * B));
  const Index offsets[3] = {0, 4, 7};
  for (Index r = 0; r < rounds; ++r) {
    dist.sample(rng, actions);
    for (Index b = 0; b < B; ++b) {
      for (Index d = 0; d < 3; ++d) counts(offsets[d] + actions[static_cast<std::size_t>(3 * b + d)], b) += 1;
    }
  }
  CHECK((valid_d.array() == 0).select(counts.array(), 0.0).sum() == 0.0);  // not one masked entry
  for (Index b = 0; b < B; ++b) {
    for (Index k = 0; k < 12; ++k) {
      if (valid_d(k, b) == 0) continue;
      const double p = probs(k, b), se = std::sqrt(p * (1 - p) / static_cast<double>(rounds));
      INFO("entry " << k << " of sample " << b << ", p = " << p);
      CHECK(std::abs(counts(k, b) / static_cast<double>(rounds) - p) <= 5 * se + 1e-12);
    }
  }
}

TEST_CASE("MultiCategorical with masks: quantities of the valid actions only, and masked gradients exactly 0",
          "[gradient]") {
  const std::vector<std::int64_t> nvec{4, 3, 5};
  constexpr Index B = 9;
  Rng rng(1517);
  const Eigen::MatrixXd valid = multi_random_valid(rng, nvec, B);
  const Eigen::MatrixXd logits = random_uniform(rng, 12, B, -3, 3);
  const Eigen::MatrixXd logits_q = random_uniform(rng, 12, B, -3, 3);
  const Eigen::VectorXd w = random_uniform(rng, B, 1, -2, 2);
  MultiCategorical<double> p(nvec, B), q(nvec, B);
  p.set_logits(logits, valid);
  q.set_logits(logits_q, valid);
  // Each dimension's last valid entry as the action.
  std::vector<std::int64_t> actions;
  for (Index b = 0; b < B; ++b) {
    Index offset = 0;
    for (const std::int64_t n : nvec) {
      Index k = static_cast<Index>(n) - 1;
      while (valid(offset + k, b) == 0) --k;
      actions.push_back(k);
      offset += static_cast<Index>(n);
    }
  }

  // Entropy and KL: the sums over dimensions of Categoricals built from the valid logits alone.
  Eigen::VectorXd entropy(B), kl(B), log_prob(B);
  p.entropy(entropy);
  kl_divergence(p, q, kl);
  p.log_prob(actions, log_prob);
  for (Index b = 0; b < B; ++b) {
    double ref_entropy = 0, ref_kl = 0, ref_log_prob = 0;
    Index offset = 0;
    for (std::size_t d = 0; d < nvec.size(); ++d) {
      const auto n = static_cast<Index>(nvec[d]);
      std::vector<double> kept_p, kept_q;
      std::int64_t compact = 0;
      for (Index k = 0; k < n; ++k) {
        if (valid(offset + k, b) == 0) continue;
        if (k < actions[static_cast<std::size_t>(b) * nvec.size() + d]) ++compact;
        kept_p.push_back(logits(offset + k, b));
        kept_q.push_back(logits_q(offset + k, b));
      }
      const Eigen::Map<const Eigen::VectorXd> lp(kept_p.data(), static_cast<Index>(kept_p.size()));
      const Eigen::Map<const Eigen::VectorXd> lq(kept_q.data(), static_cast<Index>(kept_q.size()));
      const Categorical<double> cp(lp), cq(lq);
      Eigen::VectorXd one(1);
      cp.entropy(one);
      ref_entropy += one[0];
      kl_divergence(cp, cq, one);
      ref_kl += one[0];
      cp.log_prob(std::vector<std::int64_t>{compact}, one);
      ref_log_prob += one[0];
      offset += n;
    }
    INFO("sample " << b);
    CHECK(std::abs(entropy[b] - ref_entropy) < 1e-12);
    CHECK(std::abs(kl[b] - ref_kl) < 1e-12);
    CHECK(std::abs(log_prob[b] - ref_log_prob) < 1e-12);
  }
  CHECK(entropy.allFinite());
  CHECK(kl.allFinite());

  // Every gradient: exactly 0 at masked entries, finite differences over the valid ones (the
  // masked logits are replaced by -inf, so moving them changes nothing).
  auto masked = [&](const Eigen::MatrixXd& x) {
    MultiCategorical<double> d(nvec, B);
    d.set_logits(x, valid);
    return d;
  };
  Eigen::MatrixXd grad(12, B);
  const auto check = [&](const Eigen::MatrixXd& numeric, const char* what) {
    INFO(what);
    CHECK(((valid.array() == 0).select(grad.array(), 0.0) == 0.0).all());
    CHECK(max_err(grad, numeric) < fd_tolerance);
  };
  p.grad_log_prob(actions, w, grad);
  check(numerical_gradient(
            [&](const Eigen::MatrixXd& x) {
              Eigen::VectorXd out(B);
              masked(x).log_prob(actions, out);
              return w.dot(out);
            },
            logits, fd_stencil),
        "log-prob");
  p.grad_entropy(w, grad);
  check(numerical_gradient(
            [&](const Eigen::MatrixXd& x) {
              Eigen::VectorXd out(B);
              masked(x).entropy(out);
              return w.dot(out);
            },
            logits, fd_stencil),
        "entropy");
  grad_kl_divergence_p(p, q, w, grad);
  check(numerical_gradient(
            [&](const Eigen::MatrixXd& x) {
              Eigen::VectorXd out(B);
              kl_divergence(masked(x), q, out);
              return w.dot(out);
            },
            logits, fd_stencil),
        "KL, p");
  grad_kl_divergence_q(p, q, w, grad);
  check(numerical_gradient(
            [&](const Eigen::MatrixXd& x) {
              Eigen::VectorXd out(B);
              kl_divergence(p, masked(x), out);
              return w.dot(out);
            },
            logits_q, fd_stencil),
        "KL, q");
  const Eigen::MatrixXd v = random_normal(rng, 12, B);
  p.fisher_vector_product(v, w, grad);
  CHECK(((valid.array() == 0).select(grad.array(), 0.0) == 0.0).all());
}

TEST_CASE("MultiCategorical: errors name the call and the dimension", "[unit]") {
  Eigen::MatrixXd logits = Eigen::MatrixXd::Zero(5, 2);
  Eigen::MatrixXd valid = Eigen::MatrixXd::Ones(5, 2);
  valid.col(1).tail(2).setZero();  // sample 1 has no valid action in dimension 1
  MultiCategorical<double> dist({3, 2}, 2);
  CHECK(error_message_of([&] { dist.set_logits(logits, valid); }) ==
        "MultiCategorical::set_logits: dimension 1: Categorical::set_logits: sample 1 has no valid action (every "
        "action is masked)");
  valid(3, 1) = 1;
  valid(0, 0) = 0;
  dist.set_logits(logits, valid);
  Eigen::VectorXd out(2);
  CHECK(error_message_of([&] { dist.log_prob(std::vector<std::int64_t>{0, 0, 1, 0}, out); }) ==
        "MultiCategorical::log_prob: dimension 0: Categorical::log_prob: action 0 of sample 0 is masked (invalid, "
        "probability 0)");
  CHECK(error_message_of([&] { dist.log_prob(std::vector<std::int64_t>{1, 0, 1}, out); }) ==
        "MultiCategorical::log_prob: 3 action entries for 2 dimensions x 2 samples");
  CHECK(error_message_of([&] { dist.set_logits(Eigen::MatrixXd::Zero(4, 2)); }) ==
        "MultiCategorical::set_logits: logits are 4 x 2, expected 5 x B (sum(nvec) rows) with B >= 1");
  CHECK(error_message_of([] { MultiCategorical<double>({2, 0}); }) == "MultiCategorical: nvec[1] must be >= 1, got 0");
  CHECK(error_message_of([] { MultiCategorical<double>(std::vector<std::int64_t>{}); }) ==
        "MultiCategorical: nvec must have at least one dimension");
  const MultiCategorical<double> other({2, 3}, Eigen::MatrixXd::Zero(5, 2));
  CHECK(error_message_of([&] { kl_divergence(dist, other, out); }) ==
        "kl_divergence(MultiCategorical): p has nvec [3, 2], q has nvec [2, 3]");
}
