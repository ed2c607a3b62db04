// Invalid-action masking in Categorical (issue 15): masked actions are never sampled, every
// quantity equals the one of the distribution over the valid actions alone, and masked logits
// get a gradient of exactly 0.
#include <theta/distributions/categorical.hpp>

#include "distributions/checks.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using theta::Categorical;
using theta::Index;
using theta::Rng;
using namespace theta::test;

namespace {

// A K x B matrix of 0/1 validity with at least one valid action per column; column 0 has a
// single valid action and column 1 none masked (the two edge cases).
Eigen::MatrixXd masked_random_valid(Rng& rng, Index K, Index B) {
  Eigen::MatrixXd valid(K, B);
  for (Index b = 0; b < B; ++b) {
    for (Index k = 0; k < K; ++k) valid(k, b) = rng.below(2) == 0 ? 0.0 : 1.0;
    if (valid.col(b).sum() == 0) valid(static_cast<Index>(rng.below(static_cast<std::uint64_t>(K))), b) = 1.0;
  }
  valid.col(0).setZero();
  valid(K - 1, 0) = 1.0;
  if (B > 1) valid.col(1).setOnes();
  return valid;
}

// The valid rows of column b of m, in order: the parameters of the distribution over the
// valid actions alone.
Eigen::VectorXd masked_compact(const Eigen::MatrixXd& m, const Eigen::MatrixXd& valid, Index b) {
  Eigen::VectorXd out(static_cast<Index>(valid.col(b).sum()));
  Index j = 0;
  for (Index k = 0; k < m.rows(); ++k) {
    if (valid(k, b) != 0) out[j++] = m(k, b);
  }
  return out;
}

// Checks column b of a K x B result against the compact reference: the valid rows equal
// `reference` (to rounding), the masked rows are exactly 0.
void masked_check_column(const Eigen::Ref<const Eigen::MatrixXd>& result, const Eigen::VectorXd& reference, const Eigen::MatrixXd& valid,
                         Index b, const char* what) {
  INFO(what << ", sample " << b);
  Index j = 0;
  for (Index k = 0; k < result.rows(); ++k) {
    if (valid(k, b) != 0) {
      CHECK(std::abs(result(k, b) - reference[j++]) < 1e-12);
    } else {
      CHECK(result(k, b) == 0.0);  // exactly: masked logits get no gradient
    }
  }
}

}  // namespace

TEST_CASE("Categorical never samples a masked action in millions of draws, and samples the valid ones by p",
          "[unit]") {
  constexpr Index K = 6, B = 100, rounds = 20'000;  // 2,000,000 draws
  Rng rng(15);
  const Eigen::MatrixXd valid_d = masked_random_valid(rng, K, B);
  // The masked actions get the largest logits, so an unmasked sampler would pick them most.
  Eigen::MatrixXd logits_d = random_uniform(rng, K, B, -1, 1);
  logits_d = (valid_d.array() == 0).select(8.0, logits_d.array()).matrix();
  const theta::Matrix<float> logits = logits_d.cast<float>(), valid = valid_d.cast<float>();
  Categorical<float> dist;
  dist.set_logits(logits, valid);
  REQUIRE(dist.has_masked_actions());
  CHECK(((valid.array() == 0).select(dist.probs().array(), 0.0f) == 0.0f).all());  // exactly 0

  Eigen::MatrixXd counts = Eigen::MatrixXd::Zero(K, B);
  std::vector<std::int64_t> actions(static_cast<std::size_t>(B));
  for (Index r = 0; r < rounds; ++r) {
    dist.sample(rng, actions);
    for (Index b = 0; b < B; ++b) counts(actions[static_cast<std::size_t>(b)], b) += 1;
  }
  CHECK((valid_d.array() == 0).select(counts.array(), 0.0).sum() == 0.0);  // not one masked action
  // Each valid action's frequency is its probability, within 5 standard errors.
  for (Index b = 0; b < B; ++b) {
    for (Index k = 0; k < K; ++k) {
      if (valid_d(k, b) == 0) continue;
      const double p = dist.probs()(k, b);
      const double se = std::sqrt(p * (1 - p) / static_cast<double>(rounds));
      INFO("action " << k << " of sample " << b << ", p = " << p);
      CHECK(std::abs(counts(k, b) / static_cast<double>(rounds) - p) <= 5 * se + 1e-12);
    }
  }
  // The single valid action of sample 0 is drawn every time.
  CHECK(counts(K - 1, 0) == static_cast<double>(rounds));
}

TEST_CASE("Categorical with masks: probabilities, log-probs, entropy, KL and the Fisher product are those over the "
          "valid actions only",
          "[unit]") {
  constexpr Index K = 7, B = 16;
  Rng rng(1515);
  const Eigen::MatrixXd valid = masked_random_valid(rng, K, B);
  const Eigen::MatrixXd logits = random_uniform(rng, K, B, -3, 3);
  const Eigen::MatrixXd logits_q = random_uniform(rng, K, B, -3, 3);
  const Eigen::MatrixXd v = random_normal(rng, K, B);
  Categorical<double> p, q;
  p.set_logits(logits, valid);
  q.set_logits(logits_q, valid);

  Eigen::VectorXd entropy(B), kl(B), log_prob(B);
  p.entropy(entropy);
  kl_divergence(p, q, kl);
  REQUIRE(entropy.allFinite());  // 0 log 0 = 0, not NaN
  REQUIRE(kl.allFinite());
  std::vector<std::int64_t> actions(static_cast<std::size_t>(B));
  for (Index b = 0; b < B; ++b) {  // the last valid action of each sample
    Index k = K - 1;
    while (valid(k, b) == 0) --k;
    actions[static_cast<std::size_t>(b)] = k;
  }
  p.log_prob(actions, log_prob);
  Eigen::MatrixXd fisher(K, B);
  p.fisher_vector_product(v, fisher);

  for (Index b = 0; b < B; ++b) {
    INFO("sample " << b);
    const Categorical<double> ref_p(masked_compact(logits, valid, b)), ref_q(masked_compact(logits_q, valid, b));
    Eigen::VectorXd one(1);
    masked_check_column(p.probs(), ref_p.probs().col(0), valid, b, "probs");
    ref_p.entropy(one);
    CHECK(std::abs(entropy[b] - one[0]) < 1e-12);
    kl_divergence(ref_p, ref_q, one);
    CHECK(std::abs(kl[b] - one[0]) < 1e-12);
    // The action's index among the valid ones.
    const auto a = static_cast<Index>(actions[static_cast<std::size_t>(b)]);
    const std::int64_t compact_action = static_cast<std::int64_t>(valid.col(b).head(a).sum());
    ref_p.log_prob(std::vector<std::int64_t>{compact_action}, one);
    CHECK(std::abs(log_prob[b] - one[0]) < 1e-12);
    Eigen::MatrixXd ref_fisher(ref_p.n_actions(), 1);
    ref_p.fisher_vector_product(masked_compact(v, valid, b), ref_fisher);
    masked_check_column(fisher, ref_fisher.col(0), valid, b, "fisher_vector_product");
  }
  // One valid action: a point mass, with entropy and KL exactly 0.
  CHECK(entropy[0] == 0.0);
  CHECK(kl[0] == 0.0);
  CHECK(log_prob[0] == 0.0);

  // The mode is the most probable valid action, even where a masked logit is larger.
  const Eigen::MatrixXd high = (valid.array() == 0).select(50.0, logits.array()).matrix();
  Categorical<double> h;
  h.set_logits(high, valid);
  std::vector<std::int64_t> mode(static_cast<std::size_t>(B));
  h.mode(mode);
  for (Index b = 0; b < B; ++b) {
    Index k = 0;
    (valid.col(b).array() == 0).select(-1e300, logits.col(b).array()).maxCoeff(&k);
    CHECK(mode[static_cast<std::size_t>(b)] == k);
  }
}

TEST_CASE("Categorical with masks: masked logits get a gradient of exactly 0, the valid ones that of the valid-only "
          "distribution",
          "[gradient]") {
  constexpr Index K = 5, B = 9;
  Rng rng(77);
  const Eigen::MatrixXd valid = masked_random_valid(rng, K, B);
  const Eigen::MatrixXd logits = random_uniform(rng, K, B, -3, 3);
  const Eigen::MatrixXd logits_q = random_uniform(rng, K, B, -3, 3);
  const Eigen::VectorXd w = random_uniform(rng, B, 1, -2, 2);
  std::vector<std::int64_t> actions(static_cast<std::size_t>(B));
  for (Index b = 0; b < B; ++b) {  // a random valid action
    std::vector<Index> allowed;
    for (Index k = 0; k < K; ++k)
      if (valid(k, b) != 0) allowed.push_back(k);
    actions[static_cast<std::size_t>(b)] = allowed[static_cast<std::size_t>(rng.below(allowed.size()))];
  }
  Categorical<double> p, q;
  p.set_logits(logits, valid);
  q.set_logits(logits_q, valid);
  Eigen::MatrixXd grad_log_prob(K, B), grad_entropy(K, B), grad_kl_p(K, B), grad_kl_q(K, B);
  p.grad_log_prob(actions, w, grad_log_prob);
  p.grad_entropy(w, grad_entropy);
  grad_kl_divergence_p(p, q, w, grad_kl_p);
  grad_kl_divergence_q(p, q, w, grad_kl_q);
  REQUIRE(grad_entropy.allFinite());
  REQUIRE(grad_kl_p.allFinite());

  for (Index b = 0; b < B; ++b) {
    const Categorical<double> ref_p(masked_compact(logits, valid, b)), ref_q(masked_compact(logits_q, valid, b));
    const Eigen::VectorXd wb = Eigen::VectorXd::Constant(1, w[b]);
    const auto a = static_cast<Index>(actions[static_cast<std::size_t>(b)]);
    const std::vector<std::int64_t> compact_action{static_cast<std::int64_t>(valid.col(b).head(a).sum())};
    Eigen::MatrixXd ref(ref_p.n_actions(), 1);
    ref_p.grad_log_prob(compact_action, wb, ref);
    masked_check_column(grad_log_prob, ref.col(0), valid, b, "grad_log_prob");
    ref_p.grad_entropy(wb, ref);
    masked_check_column(grad_entropy, ref.col(0), valid, b, "grad_entropy");
    grad_kl_divergence_p(ref_p, ref_q, wb, ref);
    masked_check_column(grad_kl_p, ref.col(0), valid, b, "grad_kl_divergence_p");
    grad_kl_divergence_q(ref_p, ref_q, wb, ref);
    masked_check_column(grad_kl_q, ref.col(0), valid, b, "grad_kl_divergence_q");
  }

  // And against finite differences of the masked functions themselves (a masked logit moves
  // nothing, so its numerical gradient is 0 as well).
  const auto masked_sum = [&](const Eigen::MatrixXd& x, auto per_sample) {
    Categorical<double> d;
    d.set_logits(x, valid);
    Eigen::VectorXd out(B);
    per_sample(d, out);
    return w.dot(out);
  };
  CHECK(max_err(grad_entropy, numerical_gradient(
                                  [&](const Eigen::MatrixXd& x) {
                                    return masked_sum(x, [](const Categorical<double>& d, Eigen::VectorXd& out) {
                                      d.entropy(out);
                                    });
                                  },
                                  logits, fd_stencil)) < fd_tolerance);
  CHECK(max_err(grad_kl_p, numerical_gradient(
                               [&](const Eigen::MatrixXd& x) {
                                 return masked_sum(x, [&](const Categorical<double>& d, Eigen::VectorXd& out) {
                                   kl_divergence(d, q, out);
                                 });
                               },
                               logits, fd_stencil)) < fd_tolerance);
}

TEST_CASE("Categorical: logits of -infinity mask exactly as a validity matrix does, and survive a snapshot",
          "[unit]") {
  constexpr Index K = 4, B = 6;
  Rng rng(3);
  const Eigen::MatrixXd valid = masked_random_valid(rng, K, B);
  const theta::Matrix<float> logits = random_uniform(rng, K, B, -2, 2).cast<float>();
  const theta::Matrix<float> with_inf =
      (valid.array() == 0).select(-std::numeric_limits<float>::infinity(), logits.array()).matrix();
  Categorical<float> by_matrix, by_inf;
  by_matrix.set_logits(logits, valid.cast<float>());
  by_inf.set_logits(with_inf);
  REQUIRE(by_inf.has_masked_actions());
  CHECK((by_matrix.probs().array() == by_inf.probs().array()).all());
  CHECK((by_matrix.log_probs().array() == by_inf.log_probs().array()).all());
  // The normalised log-probabilities (TRPO's snapshot keeps them) give the same distribution.
  Categorical<float> snapshot(by_matrix.log_probs());
  theta::Vector<float> kl(B), h1(B), h2(B);
  kl_divergence(snapshot, by_matrix, kl);
  CHECK(kl.cwiseAbs().maxCoeff() < 1e-6f);
  snapshot.entropy(h1);
  by_matrix.entropy(h2);
  CHECK(h1.allFinite());
  CHECK((h1 - h2).cwiseAbs().maxCoeff() < 1e-6f);
  // An unmasked distribution reports none.
  CHECK_FALSE(Categorical<float>(logits).has_masked_actions());
}

TEST_CASE("Categorical with masks: no valid action, a masked action's log-prob and mismatched KL masks are errors "
          "that name the sample",
          "[unit]") {
  Eigen::MatrixXd logits(3, 3);
  logits << 0, 1, 2, 1, 2, 0, 2, 0, 1;
  Eigen::MatrixXd valid(3, 3);
  valid << 1, 0, 1, 1, 0, 1, 0, 0, 1;  // sample 1 has no valid action
  Categorical<double> p;
  CHECK(error_message_of([&] { p.set_logits(logits, valid); }) ==
        "Categorical::set_logits: sample 1 has no valid action (every action is masked)");
  Eigen::MatrixXd all_inf = logits;
  all_inf.col(2).setConstant(-std::numeric_limits<double>::infinity());
  CHECK(error_message_of([&] { p.set_logits(all_inf); }) ==
        "Categorical::set_logits: sample 2 has no valid action (every action is masked)");

  valid(0, 1) = 1;  // sample 1: action 0 only
  p.set_logits(logits, valid);
  Eigen::VectorXd out(3);
  CHECK(error_message_of([&] { p.log_prob(std::vector<std::int64_t>{0, 2, 1}, out); }) ==
        "Categorical::log_prob: action 2 of sample 1 is masked (invalid, probability 0)");
  Eigen::MatrixXd grad(3, 3);
  CHECK(error_message_of([&] { p.grad_log_prob(std::vector<std::int64_t>{2, 0, 1}, grad); }) ==
        "Categorical::grad_log_prob: action 2 of sample 0 is masked (invalid, probability 0)");

  Eigen::MatrixXd other = valid;
  other(1, 2) = 0;
  Categorical<double> q;
  q.set_logits(logits, other);
  CHECK(error_message_of([&] { kl_divergence(p, q, out); }) ==
        "kl_divergence(Categorical): p and q must mask the same actions, but action 1 of sample 2 is valid in p and "
        "masked in q");
  CHECK(error_message_of([&] { grad_kl_divergence_p(p, q, grad); }).find("must mask the same actions") !=
        std::string::npos);
}
