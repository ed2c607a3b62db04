#include <theta/distributions/diag_gaussian.hpp>

#include "distributions/checks.hpp"
#include "support/data_dir.hpp"
#include "support/json.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <vector>

using theta::DiagGaussian;
using theta::Index;
using theta::Rng;
using namespace theta::test;

namespace {

// log_std of a case: [D] (shared, D x 1) or [B][D] (D x B).
Eigen::MatrixXd log_std_of(const Json& field, bool shared) {
  return shared ? Eigen::MatrixXd(field.vector<double>()) : field.batch<double>();
}

struct Shape {
  Index dim, batch;
  bool shared;
};

}  // namespace

TEMPLATE_TEST_CASE("DiagGaussian matches torch and SB3 on every case of distributions.json", "[conformance]", float,
                   double) {
  using T = TestType;
  using M = theta::Matrix<T>;
  const double tol = reference_tolerance<T>;
  const Json& cases = distributions_reference()["diag_gaussian"];
  REQUIRE(cases.size() >= 4);
  bool saw_shared = false;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Json& c = cases[i];
    INFO("case " << c["name"].string());
    require_known_fields(c, {"name", "batch", "dim", "log_std_shared", "mean", "log_std", "actions", "mean_q", "log_std_q",
                             "log_prob", "entropy", "kl", "kl_per_dim", "grad_log_prob_mean", "grad_log_prob_log_std",
                             "grad_entropy_log_std", "grad_kl_mean", "grad_kl_log_std", "grad_kl_mean_q",
                             "grad_kl_log_std_q"});
    const bool shared = c["log_std_shared"].boolean();
    saw_shared = saw_shared || shared;
    const Index D = c["dim"].integer(), B = c["batch"].integer();
    const M mean = c["mean"].batch<double>().cast<T>();
    const M mean_q = c["mean_q"].batch<double>().cast<T>();
    const M log_std = log_std_of(c["log_std"], shared).cast<T>();
    const M log_std_q = log_std_of(c["log_std_q"], shared).cast<T>();
    const M actions = c["actions"].batch<double>().cast<T>();
    REQUIRE(mean.rows() == D);
    REQUIRE(mean.cols() == B);
    REQUIRE(log_std.cols() == (shared ? 1 : B));

    const DiagGaussian<T> p(mean, log_std), q(mean_q, log_std_q);
    REQUIRE(p.log_std_shared() == (shared || B == 1));

    theta::Vector<T> out(B);
    p.log_prob(actions, out);
    check_field("log_prob", out, c["log_prob"].vector<double>(), tol);
    p.entropy(out);
    check_field("entropy", out, c["entropy"].vector<double>(), tol);
    kl_divergence(p, q, out);
    check_field("kl", out, c["kl"].vector<double>(), tol);
    M per_dim(D, B);
    kl_divergence_per_dim(p, q, per_dim);
    check_field("kl_per_dim", per_dim, c["kl_per_dim"].batch<double>(), tol);

    M grad_mean(D, B), grad_log_std(log_std.rows(), log_std.cols());
    p.grad_log_prob(actions, grad_mean, grad_log_std);
    check_field("grad_log_prob_mean", grad_mean, c["grad_log_prob_mean"].batch<double>(), tol);
    check_field("grad_log_prob_log_std", grad_log_std, log_std_of(c["grad_log_prob_log_std"], shared), tol);
    p.grad_entropy(grad_log_std);
    check_field("grad_entropy_log_std", grad_log_std, log_std_of(c["grad_entropy_log_std"], shared), tol);
    grad_kl_divergence_p(p, q, grad_mean, grad_log_std);
    check_field("grad_kl_mean", grad_mean, c["grad_kl_mean"].batch<double>(), tol);
    check_field("grad_kl_log_std", grad_log_std, log_std_of(c["grad_kl_log_std"], shared), tol);
    grad_kl_divergence_q(p, q, grad_mean, grad_log_std);
    check_field("grad_kl_mean_q", grad_mean, c["grad_kl_mean_q"].batch<double>(), tol);
    check_field("grad_kl_log_std_q", grad_log_std, log_std_of(c["grad_kl_log_std_q"], shared), tol);
  }
  CHECK(saw_shared);
}

TEST_CASE("DiagGaussian: closed forms at hand-checked points", "[unit]") {
  // N(0, 1) in 2 dimensions at the mean: log p = -log 2π, H = 1 + log 2π.
  const DiagGaussian<double> standard(Eigen::MatrixXd::Zero(2, 1), Eigen::MatrixXd::Zero(2, 1));
  Eigen::VectorXd out(1);
  standard.log_prob(Eigen::MatrixXd::Zero(2, 1), out);
  CHECK(out[0] == Approx(-std::log(2 * std::numbers::pi)).epsilon(1e-15));
  standard.entropy(out);
  CHECK(out[0] == Approx(1 + std::log(2 * std::numbers::pi)).epsilon(1e-15));
  // KL(N(1, 1) || N(0, e^2)) = 1 + (1 + 1)/(2 e^2) - 1/2.
  Eigen::MatrixXd one(1, 1), zero = Eigen::MatrixXd::Zero(1, 1);
  one << 1.0;
  const DiagGaussian<double> p(one, zero), q(zero, one);
  kl_divergence(p, q, out);
  CHECK(out[0] == Approx(1 + 2 / (2 * std::exp(2.0)) - 0.5).epsilon(1e-15));
  Eigen::MatrixXd mode(1, 1);
  p.mode(mode);
  CHECK(mode(0, 0) == 1.0);
}

TEST_CASE("DiagGaussian: gradients match central finite differences", "[gradient]") {
  Rng rng(31);
  for (const Shape s : {Shape{1, 1, false}, Shape{3, 5, false}, Shape{3, 5, true}, Shape{2, 1, true}, Shape{4, 6, true}}) {
    const Index D = s.dim, B = s.batch, S = s.shared ? 1 : B;
    INFO("D = " << D << ", B = " << B << (s.shared ? ", shared log_std" : ", per-sample log_std"));
    const Eigen::MatrixXd mean = random_normal(rng, D, B), mean_q = random_normal(rng, D, B);
    const Eigen::MatrixXd log_std = random_uniform(rng, D, S, -1.0, 0.5);
    const Eigen::MatrixXd log_std_q = random_uniform(rng, D, S, -1.0, 0.5);
    Eigen::MatrixXd actions = mean + random_normal(rng, D, B);
    const Eigen::VectorXd w = random_uniform(rng, B, 1, -2, 2);
    const DiagGaussian<double> p(mean, log_std), q(mean_q, log_std_q);

    auto weighted = [&](const Eigen::MatrixXd& m, const Eigen::MatrixXd& ls, auto per_sample) {
      Eigen::VectorXd out(B);
      per_sample(DiagGaussian<double>(m, ls), out);
      return w.dot(out);
    };
    auto log_prob = [&](const DiagGaussian<double>& d, Eigen::VectorXd& out) { d.log_prob(actions, out); };
    auto entropy = [&](const DiagGaussian<double>& d, Eigen::VectorXd& out) { d.entropy(out); };

    Eigen::MatrixXd grad_mean(D, B), grad_log_std(D, S);
    p.grad_log_prob(actions, w, grad_mean, grad_log_std);
    CHECK(max_err(grad_mean, numerical_gradient([&](const auto& x) { return weighted(x, log_std, log_prob); }, mean,
                                                fd_stencil)) < fd_tolerance);
    CHECK(max_err(grad_log_std, numerical_gradient([&](const auto& x) { return weighted(mean, x, log_prob); }, log_std,
                                                   fd_stencil)) < fd_tolerance);
    p.grad_entropy(w, grad_log_std);
    CHECK(max_err(grad_log_std, numerical_gradient([&](const auto& x) { return weighted(mean, x, entropy); }, log_std,
                                                   fd_stencil)) < fd_tolerance);

    auto kl_sum = [&](const Eigen::MatrixXd& mp, const Eigen::MatrixXd& lp, const Eigen::MatrixXd& mq,
                      const Eigen::MatrixXd& lq) {
      Eigen::VectorXd out(B);
      kl_divergence(DiagGaussian<double>(mp, lp), DiagGaussian<double>(mq, lq), out);
      return w.dot(out);
    };
    grad_kl_divergence_p(p, q, w, grad_mean, grad_log_std);
    CHECK(max_err(grad_mean, numerical_gradient([&](const auto& x) { return kl_sum(x, log_std, mean_q, log_std_q); },
                                                mean, fd_stencil)) < fd_tolerance);
    CHECK(max_err(grad_log_std, numerical_gradient([&](const auto& x) { return kl_sum(mean, x, mean_q, log_std_q); },
                                                   log_std, fd_stencil)) < fd_tolerance);
    grad_kl_divergence_q(p, q, w, grad_mean, grad_log_std);
    CHECK(max_err(grad_mean, numerical_gradient([&](const auto& x) { return kl_sum(mean, log_std, x, log_std_q); },
                                                mean_q, fd_stencil)) < fd_tolerance);
    CHECK(max_err(grad_log_std, numerical_gradient([&](const auto& x) { return kl_sum(mean, log_std, mean_q, x); },
                                                   log_std_q, fd_stencil)) < fd_tolerance);

    // The unweighted overloads are the weighted ones with w = 1.
    const Eigen::VectorXd ones = Eigen::VectorXd::Ones(B);
    Eigen::MatrixXd gm1(D, B), gl1(D, S), gm2(D, B), gl2(D, S);
    p.grad_log_prob(actions, gm1, gl1);
    p.grad_log_prob(actions, ones, gm2, gl2);
    CHECK(max_err(gm1, gm2) == 0.0);
    CHECK(max_err(gl1, gl2) == 0.0);
    p.grad_entropy(gl1);
    CHECK(max_err(gl1, Eigen::MatrixXd::Constant(D, S, s.shared ? double(B) : 1.0)) == 0.0);
    grad_kl_divergence_p(p, q, gm1, gl1);
    grad_kl_divergence_p(p, q, ones, gm2, gl2);
    CHECK((max_err(gm1, gm2) == 0.0 && max_err(gl1, gl2) == 0.0));
    grad_kl_divergence_q(p, q, gm1, gl1);
    grad_kl_divergence_q(p, q, ones, gm2, gl2);
    CHECK((max_err(gm1, gm2) == 0.0 && max_err(gl1, gl2) == 0.0));
  }
}

TEST_CASE("DiagGaussian: the Fisher-vector product is the Hessian of KL(p_old || p_new) at p_new = p_old",
          "[gradient]") {
  Rng rng(404);
  for (const Shape s : {Shape{1, 1, false}, Shape{3, 4, false}, Shape{3, 4, true}, Shape{2, 1, true}}) {
    const Index D = s.dim, B = s.batch, S = s.shared ? 1 : B;
    INFO("D = " << D << ", B = " << B << (s.shared ? ", shared log_std" : ", per-sample log_std"));
    const Eigen::MatrixXd mean = random_normal(rng, D, B);
    const Eigen::MatrixXd log_std = random_uniform(rng, D, S, -1.0, 0.5);
    const Eigen::MatrixXd v_mean = random_normal(rng, D, B), v_log_std = random_normal(rng, D, S);
    const Eigen::VectorXd w = random_uniform(rng, B, 1, 0, 1);
    const DiagGaussian<double> old(mean, log_std);

    // The parameters (mean, log_std) stacked in one vector, so the Hessian covers the cross terms.
    const Index n_mean = D * B, n = n_mean + D * S;
    auto kl = [&](const Eigen::VectorXd& theta) {
      const Eigen::MatrixXd m = theta.head(n_mean).reshaped(D, B);
      const Eigen::MatrixXd ls = theta.tail(D * S).reshaped(D, S);
      Eigen::VectorXd out(B);
      kl_divergence(old, DiagGaussian<double>(m, ls), out);
      return w.dot(out);
    };
    Eigen::VectorXd theta0(n), v(n);
    theta0 << mean.reshaped(), log_std.reshaped();
    v << v_mean.reshaped(), v_log_std.reshaped();
    const double h = 1e-4;
    Eigen::VectorXd hv(n);
    for (Index i = 0; i < n; ++i) {
      Eigen::VectorXd e = Eigen::VectorXd::Zero(n);
      e[i] = h;
      hv[i] = (kl(theta0 + e + h * v) - kl(theta0 + e - h * v) - kl(theta0 - e + h * v) + kl(theta0 - e - h * v)) /
              (4 * h * h);
    }
    Eigen::MatrixXd out_mean(D, B), out_log_std(D, S);
    old.fisher_vector_product(v_mean, v_log_std, w, out_mean, out_log_std);
    Eigen::VectorXd fvp(n);
    fvp << out_mean.reshaped(), out_log_std.reshaped();
    CHECK(max_err(fvp, hv) < 1e-6);

    // Unweighted: 1/σ² and 2 (2B for a shared log_std), no cross term.
    old.fisher_vector_product(v_mean, v_log_std, out_mean, out_log_std);
    for (Index b = 0; b < B; ++b) {
      const Index sb = s.shared ? 0 : b;
      CHECK(max_err(out_mean.col(b), v_mean.col(b).cwiseQuotient((2 * log_std.col(sb)).array().exp().matrix())) < 1e-15);
    }
    CHECK(max_err(out_log_std, 2.0 * (s.shared ? double(B) : 1.0) * v_log_std) < 1e-15);
  }
}

TEST_CASE("DiagGaussian: sampling has the right moments and follows the seed", "[unit]") {
  for (const bool shared : {true, false}) {
    INFO((shared ? "shared log_std" : "per-sample log_std"));
    Eigen::MatrixXd mean(2, 2), log_std(2, shared ? 1 : 2);
    mean << 1.0, -3.0, 0.5, 2.0;
    if (shared) {
      log_std << 0.0, -1.0;
    } else {
      log_std << 0.0, 0.7, -1.0, 0.2;
    }
    const DiagGaussian<double> dist(mean, log_std);
    const int n = 100000;
    Rng rng(12);
    Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(2, 2), sum2 = Eigen::MatrixXd::Zero(2, 2), x(2, 2);
    for (int i = 0; i < n; ++i) {
      dist.sample(rng, x);
      sum += x;
      sum2 += x.cwiseProduct(x);
    }
    for (Index b = 0; b < 2; ++b) {
      for (Index d = 0; d < 2; ++d) {
        const double sd = std::exp(log_std(d, shared ? 0 : b));
        const double m = sum(d, b) / n, var = sum2(d, b) / n - m * m;
        INFO("dim " << d << " sample " << b << ": mean " << m << ", variance " << var);
        // 5 standard errors: σ/√n for the mean, σ²√(2/n) for the variance.
        CHECK(std::abs(m - mean(d, b)) < 5 * sd / std::sqrt(n));
        CHECK(std::abs(var - sd * sd) < 5 * sd * sd * std::sqrt(2.0 / n));
      }
    }
    Rng a(3), b(3);
    Eigen::MatrixXd xa(2, 2), xb(2, 2);
    dist.sample(a, xa);
    dist.sample(b, xb);
    CHECK(xa == xb);
  }
}

TEST_CASE("DiagGaussian: log_std must be D x 1 or D x B", "[unit]") {
  REQUIRE_THROWS_WITH(DiagGaussian<float>(Eigen::MatrixXf::Zero(2, 3), Eigen::MatrixXf::Zero(2, 2)),
                      Catch::Contains("log_std is 2 x 2; with mean 2 x 3 it must be 2 x 1 (shared) or 2 x 3"));
  const DiagGaussian<float> p(Eigen::MatrixXf::Zero(2, 3), Eigen::MatrixXf::Zero(2, 1));
  Eigen::MatrixXf grad_mean(2, 3), grad_log_std(2, 3);
  REQUIRE_THROWS_WITH(p.grad_log_prob(Eigen::MatrixXf::Zero(2, 3), grad_mean, grad_log_std),
                      Catch::Contains("grad_log_std is 2 x 3, expected 2 x 1"));
}
