// Hot-loop calls of the distributions allocate nothing once their storage is sized, counted
// by the two detectors of support/allocation_counter.hpp, which must come first.
#include "support/allocation_counter.hpp"

#include <theta/distributions.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>

using theta::Index;
using theta::test::Allocations;
using theta::test::count_allocations;

TEST_CASE("Distributions allocate nothing once sized", "[alloc]") {
  const Index K = 4, D = 3, B = 64;
  theta::Rng rng(1);
  const Eigen::MatrixXf logits = Eigen::MatrixXf::Random(K, B), logits2 = Eigen::MatrixXf::Random(K, B);
  const Eigen::MatrixXf mean = Eigen::MatrixXf::Random(D, B), log_std = Eigen::MatrixXf::Random(D, B) * 0.5f;
  const Eigen::VectorXf shared_log_std = Eigen::VectorXf::Constant(D, -0.5f);
  Eigen::VectorXf out(B), w = Eigen::VectorXf::Constant(B, 1.0f / B);
  Eigen::MatrixXf gk(K, B), gd(D, B), gs(D, B), g1(D, 1), actions(D, B);
  std::array<std::int64_t, B> discrete{};

  theta::Categorical<float> p(K, B), q(K, B);
  theta::DiagGaussian<float> gp(mean, shared_log_std), gq(mean, shared_log_std);
  theta::SquashedGaussian<float> sq(Eigen::VectorXf::Constant(D, 2.0f), Eigen::VectorXf::Zero(D));
  sq.set(mean, log_std);
  sq.rsample(rng);  // sizes nothing new, but proves the first call is also clean below

  const Allocations a = count_allocations([&] {
    p.set_logits(logits);
    q.set_logits(logits2);
    p.sample(rng, discrete);
    p.log_prob(discrete, out);
    p.entropy(out);
    kl_divergence(p, q, out);
    p.grad_log_prob(discrete, w, gk);
    p.grad_entropy(w, gk);
    grad_kl_divergence_p(p, q, w, gk);
    grad_kl_divergence_q(p, q, gk);
    p.fisher_vector_product(logits, w, gk);

    gp.set(mean, shared_log_std);
    gp.sample(rng, actions);
    gp.log_prob(actions, out);
    gp.entropy(out);
    kl_divergence(gp, gq, out);
    gp.grad_log_prob(actions, w, gd, g1);
    gp.grad_entropy(w, g1);
    grad_kl_divergence_p(gp, gq, w, gd, g1);
    grad_kl_divergence_q(gp, gq, gd, g1);
    gp.fisher_vector_product(mean, shared_log_std, w, gd, g1);

    sq.set(mean, log_std);
    sq.rsample(rng);
    sq.action(actions);
    sq.log_prob(out);
    sq.grad_log_prob(w, gd, gs);
    sq.grad_log_prob_u(gd);
    sq.grad_action_u(gd);
    sq.grad_through_sample(gd, gd, gs);
    sq.mode(actions);
  });
  CHECK(a.eigen == 0);
  CHECK(a.news == 0);
  // The calls did their work.
  CHECK(out.allFinite());
  CHECK(gd.allFinite());
  CHECK(actions.allFinite());
}

TEST_CASE("MultiCategorical allocates nothing once sized, masked or not", "[alloc]") {
  const Index B = 32;
  theta::Rng rng(2);
  const Eigen::MatrixXf logits = Eigen::MatrixXf::Random(7, B), logits2 = Eigen::MatrixXf::Random(7, B);
  Eigen::MatrixXf valid = Eigen::MatrixXf::Ones(7, B);
  valid.row(0).setZero();  // dimension 0's first action and dimension 1's last are masked
  valid.row(6).setZero();
  Eigen::VectorXf out(B), w = Eigen::VectorXf::Constant(B, 1.0f / B);
  Eigen::MatrixXf g(7, B);
  std::array<std::int64_t, 2 * B> actions{};
  theta::MultiCategorical<float> p({3, 4}, B), q({3, 4}, B);
  const Allocations a = count_allocations([&] {
    for (const bool masked : {false, true}) {
      masked ? p.set_logits(logits, valid) : p.set_logits(logits);
      masked ? q.set_logits(logits2, valid) : q.set_logits(logits2);
      p.sample(rng, actions);
      p.mode(actions);
      p.log_prob(actions, out);
      p.entropy(out);
      kl_divergence(p, q, out);
      p.grad_log_prob(actions, w, g);
      p.grad_entropy(w, g);
      grad_kl_divergence_p(p, q, w, g);
      grad_kl_divergence_q(p, q, g);
      p.fisher_vector_product(logits, w, g);
      p.log_probs(g);
    }
  });
  CHECK(a.eigen == 0);
  CHECK(a.news == 0);
  CHECK(out.allFinite());
}

TEST_CASE("The allocation detectors see distributions built inside the counted region", "[alloc]") {
  // Sizing a distribution allocates: the detectors must say so, or the test above could pass
  // with detectors that see nothing.
  const Allocations a = count_allocations([] {
    theta::Categorical<float> p(4, 64);
    CHECK(p.probs().size() == 4 * 64);
  });
  CHECK(a.eigen > 0);
}
