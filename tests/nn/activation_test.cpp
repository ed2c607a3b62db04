#include <theta/nn/activation.hpp>

#include <catch2/catch.hpp>

#include "support/finite_difference.hpp"

#include <array>
#include <cmath>
#include <vector>

using theta::nn::Activation;
using theta::test::central_difference;

namespace {

double reference(Activation f, double x) {
  switch (f) {
    case Activation::identity: return x;
    case Activation::tanh: return std::tanh(x);
    case Activation::relu: return x > 0 ? x : 0;
    case Activation::sigmoid: return 1 / (1 + std::exp(-x));
    case Activation::elu: return x > 0 ? x : std::expm1(x);
  }
  return 0;
}

constexpr std::array all{Activation::identity, Activation::tanh, Activation::relu, Activation::sigmoid,
                         Activation::elu};

}  // namespace

TEMPLATE_TEST_CASE("Activations match their formulas", "[unit]", float, double) {
  using T = TestType;
  // 37 points: not a multiple of any packet size, so the scalar tails run too.
  std::vector<T> x;
  for (int i = 0; i < 37; ++i) x.push_back(static_cast<T>(-6.0 + 12.0 * i / 36.0 + 0.013));
  const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-14;
  for (const Activation f : all) {
    INFO(theta::nn::to_string(f));
    std::vector<T> y = x;
    theta::nn::activate(f, std::span<T>(y));
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double ref = reference(f, static_cast<double>(x[i]));
      CHECK(std::abs(static_cast<double>(y[i]) - ref) <= tol * std::max(1.0, std::abs(ref)));
    }
  }
}

TEST_CASE("Activation derivatives from outputs match central differences", "[gradient]") {
  for (const Activation f : all) {
    INFO(theta::nn::to_string(f));
    std::vector<double> x;
    for (int i = 0; i < 37; ++i) x.push_back(-6.0 + 12.0 * i / 36.0 + 0.013);  // never exactly 0
    std::vector<double> y = x;
    theta::nn::activate(f, std::span<double>(y));
    std::vector<double> g(x.size(), 1.0);
    g[3] = -2.5;  // the derivative multiplies, it does not overwrite
    const std::vector<double> g0 = g;
    theta::nn::multiply_derivative(f, std::span<const double>(y), std::span<double>(g));
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double fd = central_difference([&](double t) { return reference(f, t); }, x[i], {.step = 1e-6});
      CHECK(std::abs(g[i] - g0[i] * fd) <= 1e-8);
    }
  }
}

TEST_CASE("ReLU has derivative 0 at 0, as in PyTorch; sizes must agree", "[unit]") {
  std::vector<float> a{0.0f, 1.0f}, g{5.0f, 5.0f};
  theta::nn::multiply_derivative(Activation::relu, std::span<const float>(a), std::span<float>(g));
  CHECK(g[0] == 0.0f);
  CHECK(g[1] == 5.0f);
  std::vector<float> shorter{1.0f};
  CHECK_THROWS_WITH(theta::nn::multiply_derivative(Activation::tanh, std::span<const float>(shorter), std::span<float>(g)),
                    Catch::Contains("output has 1 elements, gradient 2"));
  CHECK(theta::nn::to_string(Activation::elu) == "elu");
}
