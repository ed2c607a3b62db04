#include <theta/optim/clip_grad_norm.hpp>

#include "optim/reference.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <span>
#include <string>
#include <cmath>
#include <vector>

using namespace theta::test;

TEMPLATE_TEST_CASE("clip_grad_norm matches torch on every case of optimizers.json", "[conformance]", float, double) {
  using T = TestType;
  using V = theta::Vector<T>;
  const double tol = reference_tolerance<T>;
  const Json& cases = optimizers_reference()["clip_grad_norm"];
  REQUIRE(cases.size() >= 6);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Json& c = cases[i];
    INFO("case " << c["name"].string());
    const auto max_norm = static_cast<T>(c["max_norm"].number());
    const double total_norm = c["total_norm"].number();
    const double clip_coef = c["clip_coef"].number();

    // One buffer per tensor, clipped together.
    std::vector<V> tensors;
    for (std::size_t t = 0; t < c["grads"].size(); ++t) tensors.push_back(c["grads"][t].vector<double>().cast<T>());
    std::vector<Eigen::Ref<V>> views(tensors.begin(), tensors.end());
    const T norm = theta::clip_grad_norm(std::span<Eigen::Ref<V>>(views), max_norm);
    check_field("total_norm (buffers)", Eigen::Matrix<T, 1, 1>(norm), Eigen::Matrix<double, 1, 1>(total_norm), tol);
    for (std::size_t t = 0; t < tensors.size(); ++t) {
      const Eigen::VectorXd original = c["grads"][t].vector<double>();
      check_field("clipped_grads[" + std::to_string(t) + "]", tensors[t], c["clipped_grads"][t].vector<double>(), tol);
      // The applied factor, from an entry of the largest magnitude.
      Eigen::Index k = 0;
      original.cwiseAbs().maxCoeff(&k);
      if (original[k] != 0) {
        check_field("clip_coef", Eigen::Matrix<double, 1, 1>(double(tensors[t][k]) / double(T(original[k]))),
                    Eigen::Matrix<double, 1, 1>(clip_coef), tol);
      }
    }

    // The same gradients as one flat buffer.
    Eigen::Index n = 0;
    for (const auto& t : tensors) n += t.size();
    V flat(n), expected(n);
    Eigen::VectorXd flat_expected(n);
    for (std::size_t t = 0, offset = 0; t < tensors.size(); ++t) {
      const Eigen::VectorXd g = c["grads"][t].vector<double>();
      flat.segment(static_cast<Eigen::Index>(offset), g.size()) = g.cast<T>();
      flat_expected.segment(static_cast<Eigen::Index>(offset), g.size()) = c["clipped_grads"][t].vector<double>();
      offset += static_cast<std::size_t>(g.size());
    }
    const T flat_norm = theta::clip_grad_norm(flat, max_norm);
    check_field("total_norm (flat)", Eigen::Matrix<T, 1, 1>(flat_norm), Eigen::Matrix<double, 1, 1>(total_norm), tol);
    check_field("clipped_grads (flat)", flat, flat_expected, tol);
  }
}

TEST_CASE("clip_grad_norm: the coefficient is min(1, max_norm / (norm + 1e-6))", "[unit]") {
  Eigen::VectorXd g(2);
  g << 3.0, 4.0;  // norm 5
  CHECK(theta::clip_grad_norm(g, 1.0) == 5.0);
  CHECK(g.norm() == Approx(5.0 / (5.0 + 1e-6)).epsilon(1e-15));
  // Below max_norm by more than 1e-6: untouched, bit for bit.
  Eigen::VectorXf small(2);
  small << 0.3f, -0.4f;
  const Eigen::VectorXf before = small;
  CHECK(theta::clip_grad_norm(small, 0.5f) == Approx(0.5f));
  CHECK(small != before);  // 0.5 is within 1e-6 of max_norm 0.5: still scaled
  small = before;
  theta::clip_grad_norm(small, 1.0f);
  CHECK(small == before);
  REQUIRE_THROWS_WITH(theta::clip_grad_norm(small, 0.0f), "clip_grad_norm: max_norm must be > 0, got 0");
}
