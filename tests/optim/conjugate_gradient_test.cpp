#include <theta/core/rng.hpp>
#include <theta/optim/conjugate_gradient.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <catch2/catch.hpp>

#include <cmath>

using theta::ConjugateGradientWorkspace;
using theta::Rng;

namespace {

Eigen::MatrixXd random_spd(Rng& rng, Eigen::Index n, double ridge) {
  Eigen::MatrixXd m(n, n);
  for (Eigen::Index i = 0; i < m.size(); ++i) m(i) = rng.normal();
  return m.transpose() * m / double(n) + ridge * Eigen::MatrixXd::Identity(n, n);
}

}  // namespace

TEST_CASE("conjugate_gradient solves an SPD system and matches Eigen's LLT", "[unit]") {
  Rng rng(3);
  for (const Eigen::Index n : {1, 5, 40}) {
    INFO("n = " << n);
    const Eigen::MatrixXd a = random_spd(rng, n, 0.1);
    Eigen::VectorXd b(n);
    for (Eigen::Index i = 0; i < n; ++i) b[i] = rng.normal();
    int calls = 0;
    auto product = [&](const Eigen::Ref<const Eigen::VectorXd>& v, Eigen::Ref<Eigen::VectorXd> out) {
      ++calls;
      out.noalias() = a * v;
    };
    ConjugateGradientWorkspace<double> workspace(n);
    Eigen::VectorXd x(n);
    const auto result = theta::conjugate_gradient(product, b, x, int(4 * n), 1e-24, workspace);
    const Eigen::VectorXd expected = a.llt().solve(b);
    CHECK(result.converged);
    CHECK(result.iterations == calls);
    CHECK(result.residual_squared_norm < 1e-24);
    CHECK((x - expected).norm() <= 1e-9 * expected.norm());
    CHECK((a * x - b).norm() < 1e-10);
    CHECK(result.solution_energy == Approx(x.dot(a * x)).epsilon(1e-12));
  }
}

TEST_CASE("conjugate_gradient: solution_energy is xᵀA x also when stopped early", "[unit]") {
  // TRPO takes sᵀF s from here instead of another Fisher-vector product, after at most 15
  // iterations on systems far larger: every iteration count short of convergence must agree.
  Rng rng(5);
  const Eigen::Index n = 60;
  const Eigen::MatrixXd a = random_spd(rng, n, 1e-3);
  Eigen::VectorXd b(n);
  for (Eigen::Index i = 0; i < n; ++i) b[i] = rng.normal();
  auto product = [&](const Eigen::VectorXd& v, Eigen::VectorXd& out) { out.noalias() = a * v; };
  ConjugateGradientWorkspace<double> workspace(n);
  Eigen::VectorXd x(n);
  for (const int iterations : {1, 2, 5, 15}) {
    INFO(iterations << " iterations");
    const auto result = theta::conjugate_gradient(product, b, x, iterations, 1e-30, workspace);
    REQUIRE_FALSE(result.converged);
    CHECK(result.solution_energy == Approx(x.dot(a * x)).epsilon(1e-10));
  }
  // And in float, where the recurrence residual drifts from b - A x in the last bits only.
  const Eigen::MatrixXf af = a.cast<float>();
  const Eigen::VectorXf bf = b.cast<float>();
  auto product_f = [&](const Eigen::VectorXf& v, Eigen::VectorXf& out) { out.noalias() = af * v; };
  ConjugateGradientWorkspace<float> workspace_f(n);
  Eigen::VectorXf xf(n);
  const auto result_f = theta::conjugate_gradient(product_f, bf, xf, 15, 1e-30, workspace_f);
  CHECK(result_f.solution_energy == Approx(static_cast<double>(xf.dot(af * xf))).epsilon(1e-4));
}

TEST_CASE("conjugate_gradient: exact in as many steps as distinct eigenvalues, from x = 0", "[unit]") {
  // diag(2, 2, 5): two distinct eigenvalues, so two products solve it exactly.
  const Eigen::Vector3d d(2.0, 2.0, 5.0);
  const Eigen::Vector3d b(1.0, -3.0, 10.0);
  auto product = [&](const Eigen::VectorXd& v, Eigen::VectorXd& out) { out = d.cwiseProduct(v); };
  ConjugateGradientWorkspace<double> workspace;  // sized on first use
  Eigen::VectorXd x = Eigen::VectorXd::Constant(3, 99.0);  // the start is 0 whatever x holds
  const auto result = theta::conjugate_gradient(product, b, x, 10, 1e-20, workspace);
  CHECK(result.iterations == 2);
  CHECK(result.converged);
  CHECK((x - Eigen::Vector3d(0.5, -1.5, 2.0)).norm() < 1e-14);

  // One iteration: x = (bᵀb / bᵀA b) b, the steepest-descent step.
  const auto one = theta::conjugate_gradient(product, b, x, 1, 1e-20, workspace);
  CHECK(one.iterations == 1);
  CHECK_FALSE(one.converged);
  CHECK((x - b.squaredNorm() / b.dot(d.cwiseProduct(b)) * b).norm() < 1e-15);
}

TEST_CASE("conjugate_gradient: zero right-hand side, tolerance stop, breakdown", "[unit]") {
  const Eigen::Vector2d d(1.0, 3.0);
  auto product = [&](const Eigen::VectorXd& v, Eigen::VectorXd& out) { out = d.cwiseProduct(v); };
  ConjugateGradientWorkspace<double> workspace(2);
  Eigen::VectorXd x(2);
  const auto zero = theta::conjugate_gradient(product, Eigen::Vector2d::Zero(), x, 5, 1e-10, workspace);
  CHECK((zero.iterations == 0 && zero.converged && x.isZero(0)));
  // A loose tolerance (on the squared residual) stops before the exact answer.
  const auto loose = theta::conjugate_gradient(product, Eigen::Vector2d(1.0, 1.0), x, 5, 1.0, workspace);
  CHECK((loose.iterations == 1 && loose.converged && loose.residual_squared_norm < 1.0));

  auto indefinite = [](const Eigen::VectorXd& v, Eigen::VectorXd& out) { out = -v; };
  REQUIRE_THROWS_AS(theta::conjugate_gradient(indefinite, Eigen::Vector2d(1.0, 0.0), x, 5, 1e-10, workspace),
                    theta::NumericalError);
  REQUIRE_THROWS_WITH(theta::conjugate_gradient(product, Eigen::Vector2d(1.0, 0.0), x, 0, 1e-10, workspace),
                      "conjugate_gradient: iterations must be >= 1, got 0");
}

TEST_CASE("conjugate_gradient in float", "[unit]") {
  Rng rng(17);
  const Eigen::MatrixXf a = random_spd(rng, 20, 0.5).cast<float>();
  const Eigen::VectorXf b = Eigen::VectorXf::LinSpaced(20, -1, 1);
  auto product = [&](const Eigen::VectorXf& v, Eigen::VectorXf& out) { out.noalias() = a * v; };
  ConjugateGradientWorkspace<float> workspace(20);
  Eigen::VectorXf x(20);
  theta::conjugate_gradient(product, b, x, 60, 1e-10, workspace);
  const Eigen::VectorXf expected = a.llt().solve(b);
  CHECK((x - expected).norm() <= 1e-4f * expected.norm());
}
