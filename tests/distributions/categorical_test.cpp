#include <theta/distributions/categorical.hpp>

#include "distributions/checks.hpp"
#include "support/data_dir.hpp"
#include "support/json.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

using theta::Categorical;
using theta::Index;
using theta::Rng;
using namespace theta::test;

namespace {

std::vector<std::int64_t> actions_of(const Json& list) {
  std::vector<std::int64_t> actions;
  for (std::size_t i = 0; i < list.size(); ++i) actions.push_back(list[i].integer());
  return actions;
}

// Σ_b w_b f_b(logits) for a per-sample quantity computed by `per_sample(dist, out)`.
template <class F>
double weighted_sum(const Eigen::MatrixXd& logits, const Eigen::VectorXd& w, F per_sample) {
  Categorical<double> dist(logits);
  Eigen::VectorXd out(logits.cols());
  per_sample(dist, out);
  return w.dot(out);
}

}  // namespace

TEMPLATE_TEST_CASE("Categorical matches torch and SB3 on every case of distributions.json", "[conformance]", float,
                   double) {
  using T = TestType;
  const double tol = reference_tolerance<T>;
  const Json& cases = distributions_reference()["categorical"];
  REQUIRE(cases.size() >= 4);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Json& c = cases[i];
    INFO("case " << c["name"].string());
    require_known_fields(c, {"name", "batch", "n_actions", "logits", "logits_q", "actions", "probs", "log_prob", "entropy",
                             "kl", "grad_log_prob_logits", "grad_entropy_logits", "grad_kl_logits", "grad_kl_logits_q"});
    const theta::Matrix<T> logits = c["logits"].batch<double>().cast<T>();
    const theta::Matrix<T> logits_q = c["logits_q"].batch<double>().cast<T>();
    const auto actions = actions_of(c["actions"]);
    const Index K = c["n_actions"].integer(), B = c["batch"].integer();
    REQUIRE(logits.rows() == K);
    REQUIRE(logits.cols() == B);

    const Categorical<T> p(logits), q(logits_q);
    check_field("probs", p.probs(), c["probs"].batch<double>(), tol);

    theta::Vector<T> out(B);
    p.log_prob(actions, out);
    check_field("log_prob", out, c["log_prob"].vector<double>(), tol);
    p.entropy(out);
    check_field("entropy", out, c["entropy"].vector<double>(), tol);
    kl_divergence(p, q, out);
    check_field("kl", out, c["kl"].vector<double>(), tol);

    theta::Matrix<T> grad(K, B);
    p.grad_log_prob(actions, grad);
    check_field("grad_log_prob_logits", grad, c["grad_log_prob_logits"].batch<double>(), tol);
    p.grad_entropy(grad);
    check_field("grad_entropy_logits", grad, c["grad_entropy_logits"].batch<double>(), tol);
    grad_kl_divergence_p(p, q, grad);
    check_field("grad_kl_logits", grad, c["grad_kl_logits"].batch<double>(), tol);
    grad_kl_divergence_q(p, q, grad);
    check_field("grad_kl_logits_q", grad, c["grad_kl_logits_q"].batch<double>(), tol);
  }
}

TEST_CASE("Categorical: probabilities are a stable softmax, invariant to a shift of the logits", "[unit]") {
  Eigen::MatrixXd logits(3, 2);
  logits << 1000.0, -1000.0, 1001.0, -999.0, 999.0, -1001.0;  // exp() of these overflows or underflows
  const Categorical<double> dist(logits);
  REQUIRE(dist.probs().allFinite());
  const Eigen::Vector3d expected = Eigen::Vector3d(0.0, 1.0, -1.0).array().exp() / (1.0 + std::exp(1.0) + std::exp(-1.0));
  for (Index b = 0; b < 2; ++b) {
    CHECK(max_err(dist.probs().col(b), expected) < 1e-15);
    CHECK(std::abs(dist.probs().col(b).sum() - 1.0) < 1e-15);
  }
  std::array<std::int64_t, 2> mode{};
  dist.mode(mode);
  CHECK(mode == std::array<std::int64_t, 2>{1, 1});
}

TEST_CASE("Categorical: mode is the first most probable action", "[unit]") {
  Eigen::MatrixXf logits(4, 3);
  logits << 0, 5, 1,  //
      2, 5, 1,        //
      2, 1, 1,        //
      -1, 0, 3;
  const Categorical<float> dist(logits);
  std::array<std::int64_t, 3> mode{};
  dist.mode(mode);
  CHECK(mode == std::array<std::int64_t, 3>{1, 0, 3});
}

TEST_CASE("Categorical: gradients match central finite differences", "[gradient]") {
  Rng rng(2024);
  for (const auto& shape : std::vector<std::pair<Index, Index>>{{2, 1}, {3, 5}, {6, 4}}) {
    const Index K = shape.first, B = shape.second;
    INFO("K = " << K << ", B = " << B);
    const Eigen::MatrixXd logits = random_uniform(rng, K, B, -3, 3);
    const Eigen::MatrixXd logits_q = random_uniform(rng, K, B, -3, 3);
    const Eigen::VectorXd w = random_uniform(rng, B, 1, -2, 2);
    const Eigen::VectorXd ones = Eigen::VectorXd::Ones(B);
    std::vector<std::int64_t> actions(static_cast<std::size_t>(B));
    for (auto& a : actions) a = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(K)));
    const Categorical<double> p(logits), q(logits_q);
    Eigen::MatrixXd grad(K, B);

    // Unweighted overloads are the gradient of the plain batch sum, weighted ones of Σ w_b f_b.
    for (const Eigen::VectorXd* weights : {&ones, &w}) {
      const bool weighted = weights == &w;
      INFO((weighted ? "weighted" : "unweighted"));
      auto log_prob = [&](const Categorical<double>& d, Eigen::VectorXd& out) { d.log_prob(actions, out); };
      auto entropy = [&](const Categorical<double>& d, Eigen::VectorXd& out) { d.entropy(out); };
      weighted ? p.grad_log_prob(actions, w, grad) : p.grad_log_prob(actions, grad);
      CHECK(max_err(grad,
                    numerical_gradient([&](const Eigen::MatrixXd& x) { return weighted_sum(x, *weights, log_prob); },
                                       logits, fd_stencil)) < fd_tolerance);
      weighted ? p.grad_entropy(w, grad) : p.grad_entropy(grad);
      CHECK(max_err(grad,
                    numerical_gradient([&](const Eigen::MatrixXd& x) { return weighted_sum(x, *weights, entropy); },
                                       logits, fd_stencil)) < fd_tolerance);
      auto kl_sum = [&](const Eigen::MatrixXd& lp, const Eigen::MatrixXd& lq) {
        Eigen::VectorXd out(B);
        kl_divergence(Categorical<double>(lp), Categorical<double>(lq), out);
        return weights->dot(out);
      };
      weighted ? grad_kl_divergence_p(p, q, w, grad) : grad_kl_divergence_p(p, q, grad);
      CHECK(max_err(grad, numerical_gradient([&](const Eigen::MatrixXd& x) { return kl_sum(x, logits_q); }, logits,
                                             fd_stencil)) < fd_tolerance);
      weighted ? grad_kl_divergence_q(p, q, w, grad) : grad_kl_divergence_q(p, q, grad);
      CHECK(max_err(grad, numerical_gradient([&](const Eigen::MatrixXd& x) { return kl_sum(logits, x); }, logits_q,
                                             fd_stencil)) < fd_tolerance);
    }
  }
}

TEST_CASE("Categorical: the Fisher-vector product is the Hessian of KL(p_old || p_new) at p_new = p_old", "[gradient]") {
  Rng rng(77);
  for (const auto& shape : std::vector<std::pair<Index, Index>>{{2, 1}, {4, 3}, {6, 5}}) {
    const Index K = shape.first, B = shape.second;
    INFO("K = " << K << ", B = " << B);
    const Eigen::MatrixXd logits = random_uniform(rng, K, B, -2, 2);
    const Eigen::MatrixXd v = random_normal(rng, K, B);
    const Eigen::VectorXd w = random_uniform(rng, B, 1, 0, 1);
    const Categorical<double> old(logits);
    // Σ_b w_b KL(p_old,b || p_new,b) as a function of the new logits.
    auto kl = [&](const Eigen::MatrixXd& new_logits) {
      Eigen::VectorXd out(B);
      kl_divergence(old, Categorical<double>(new_logits), out);
      return w.dot(out);
    };
    const Eigen::MatrixXd hv = hessian_times(kl, logits, v);
    Eigen::MatrixXd fvp(K, B);
    old.fisher_vector_product(v, w, fvp);
    CHECK(max_err(fvp, hv) < 1e-6);
    // Unweighted, and computed in place (out aliases v).
    Eigen::MatrixXd in_place = v;
    old.fisher_vector_product(in_place, in_place);
    for (Index b = 0; b < B; ++b) {
      const Eigen::VectorXd p = old.probs().col(b);
      const Eigen::MatrixXd m = Eigen::MatrixXd(p.asDiagonal()) - p * p.transpose();
      CHECK(max_err(in_place.col(b), m * v.col(b)) < 1e-15);
    }
  }
}

TEST_CASE("Categorical: sampling follows the probabilities and the seed", "[unit]") {
  Eigen::MatrixXd logits(4, 2);
  logits << 0.0, 2.0,  //
      1.0, -30.0,      //
      -1.0, 0.5,       //
      0.3, 1.0;
  const Categorical<double> dist(logits);
  const int n = 200000;
  Eigen::MatrixXd counts = Eigen::MatrixXd::Zero(4, 2);
  Rng rng(99);
  std::array<std::int64_t, 2> actions{};
  for (int i = 0; i < n; ++i) {
    dist.sample(rng, actions);
    for (Index b = 0; b < 2; ++b) counts(actions[static_cast<std::size_t>(b)], b) += 1;
  }
  for (Index b = 0; b < 2; ++b) {
    for (Index k = 0; k < 4; ++k) {
      const double p = dist.probs()(k, b);
      const double sd = std::sqrt(p * (1 - p) / n);
      INFO("category " << k << " of sample " << b << ": frequency " << counts(k, b) / n << ", p " << p);
      CHECK(std::abs(counts(k, b) / n - p) <= 5 * sd + 1e-12);
    }
  }
  CHECK(counts(1, 1) == 0);  // p = 5e-15: never drawn in 2e5 draws

  Rng a(5), b(5);
  std::array<std::int64_t, 2> first{}, second{};
  for (int i = 0; i < 100; ++i) {
    dist.sample(a, first);
    dist.sample(b, second);
    REQUIRE(first == second);
  }
}

TEST_CASE("Categorical: shape errors name the call and the sizes", "[unit]") {
  const Categorical<float> dist(Eigen::MatrixXf::Zero(3, 2));
  theta::Vector<float> out(3);
  const std::array<std::int64_t, 2> actions{0, 1};
  REQUIRE_THROWS_WITH(dist.log_prob(actions, out), Catch::Contains("Categorical::log_prob") && Catch::Contains("3"));
  theta::Vector<float> good(2);
  const std::array<std::int64_t, 2> bad{0, 3};
  REQUIRE_THROWS_WITH(dist.log_prob(bad, good), Catch::Contains("action 3 of sample 1 is outside [0, 3)"));
  theta::Matrix<float> grad(2, 2);
  REQUIRE_THROWS_WITH(dist.grad_entropy(grad), Catch::Contains("grad_logits is 2 x 2, expected 3 x 2"));
}
