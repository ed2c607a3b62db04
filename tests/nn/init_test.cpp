#include <theta/nn/init.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using theta::Index;
using theta::Rng;
using theta::nn::Mlp;

TEMPLATE_TEST_CASE("init_orthogonal: W^T W or W W^T is gain^2 I, biases 0", "[unit]", float, double) {
  using T = TestType;
  Mlp<T> net({.inputs = 4, .hidden = {64, 256}, .outputs = 2});
  Rng rng(5);
  net.parameters().setOnes();
  const double hidden_gain = std::sqrt(2.0), output_gain = 0.01;
  theta::nn::init_orthogonal(net, hidden_gain, output_gain, rng);
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  for (Index l = 0; l < net.num_layers(); ++l) {
    INFO("layer " << l);
    const Eigen::MatrixXd w = net.layer(l).weight().template cast<double>();
    const double gain = l + 1 == net.num_layers() ? output_gain : hidden_gain;
    // Tall W (out >= in) has orthogonal columns; wide W orthogonal rows.
    const Eigen::MatrixXd gram = w.rows() >= w.cols() ? Eigen::MatrixXd(w.transpose() * w) : Eigen::MatrixXd(w * w.transpose());
    const Eigen::MatrixXd expected = gain * gain * Eigen::MatrixXd::Identity(gram.rows(), gram.cols());
    CHECK((gram - expected).cwiseAbs().maxCoeff() <= tol * gain * gain * 10);
    CHECK(net.layer(l).bias().isZero());
  }
  // Square layer: both products are gain^2 I.
  Mlp<double> square({.inputs = 16, .hidden = {}, .outputs = 16});
  theta::nn::init_orthogonal(square.layer(0), 3.0, rng);
  const Eigen::MatrixXd w = square.layer(0).weight();
  CHECK((w * w.transpose() - 9 * Eigen::MatrixXd::Identity(16, 16)).cwiseAbs().maxCoeff() <= 1e-12);
  CHECK((w.transpose() * w - 9 * Eigen::MatrixXd::Identity(16, 16)).cwiseAbs().maxCoeff() <= 1e-12);
}

TEST_CASE("init_orthogonal is Haar: no sign bias in the first column", "[unit]") {
  // Without the sign correction by diag(R), Householder QR makes R's diagonal negative and
  // the first column of Q anti-correlated with the first column of the normal matrix;
  // with it, entry (0, 0) averages 0 over draws.
  Rng rng(9);
  double sum = 0;
  const int draws = 4000;
  for (int i = 0; i < draws; ++i) {
    Mlp<double> net({.inputs = 3, .hidden = {}, .outputs = 3});
    theta::nn::init_orthogonal(net.layer(0), 1.0, rng);
    sum += net.layer(0).weight()(0, 0);
  }
  // Var of one entry of a Haar 3x3 orthogonal matrix is 1/3: the mean's sd is ~0.009.
  CHECK(std::abs(sum / draws) < 0.05);
}

TEST_CASE("init_xavier_uniform and init_torch_default draw in their ranges and fill them", "[unit]") {
  Mlp<float> net({.inputs = 4, .hidden = {64}, .outputs = 2});
  Rng rng(1);
  theta::nn::init_xavier_uniform(net, rng, 2.0);
  for (Index l = 0; l < net.num_layers(); ++l) {
    const auto layer = net.layer(l);
    const double a = 2.0 * std::sqrt(6.0 / static_cast<double>(layer.inputs() + layer.outputs()));
    CHECK(layer.weight().cwiseAbs().maxCoeff() <= a);
    CHECK(layer.weight().cwiseAbs().maxCoeff() > 0.8 * a);  // not a narrower range
    CHECK(layer.bias().isZero());
  }
  theta::nn::init_torch_default(net, rng);
  for (Index l = 0; l < net.num_layers(); ++l) {
    const auto layer = net.layer(l);
    const double bound = 1.0 / std::sqrt(static_cast<double>(layer.inputs()));
    CHECK(layer.weight().cwiseAbs().maxCoeff() <= bound);
    CHECK(layer.weight().cwiseAbs().maxCoeff() > 0.8 * bound);
    CHECK(layer.bias().cwiseAbs().maxCoeff() <= bound);
    CHECK(!layer.bias().isZero());
  }
  // Uniform: the mean of 4 x 64 weights is near 0 and the variance near bound^2 / 3.
  const auto w = net.layer(0).weight();
  const double mean = w.cast<double>().mean();
  const double var = (w.cast<double>().array() - mean).square().mean();
  CHECK(std::abs(mean) < 0.05);
  CHECK(var == Approx(0.25 / 3).epsilon(0.2));
}

TEST_CASE("Initialisers: the same seed gives the same weights, another seed others", "[unit]") {
  const theta::nn::MlpConfig config{.inputs = 4, .hidden = {64, 64}, .outputs = 2};
  for (int kind = 0; kind < 3; ++kind) {
    INFO("initialiser " << kind);
    Mlp<float> a(config), b(config), c(config);
    Rng ra(42), rb(42), rc(43);
    const auto init = [kind](Mlp<float>& net, Rng& rng) {
      if (kind == 0) theta::nn::init_orthogonal(net, std::sqrt(2.0), 0.01, rng);
      if (kind == 1) theta::nn::init_xavier_uniform(net, rng);
      if (kind == 2) theta::nn::init_torch_default(net, rng);
    };
    init(a, ra);
    init(b, rb);
    init(c, rc);
    CHECK(a.parameters() == b.parameters());
    CHECK(a.parameters() != c.parameters());
  }
}
