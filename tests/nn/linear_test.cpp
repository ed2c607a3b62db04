#include <theta/nn/linear.hpp>

#include <catch2/catch.hpp>

#include <vector>

using theta::Index;
using theta::nn::Linear;

TEST_CASE("Linear views a layer in a flat buffer: W column-major, then b", "[unit]") {
  REQUIRE(Linear<float>::size(3, 2) == 8);
  std::vector<double> params(8), grads(8);
  for (std::size_t k = 0; k < params.size(); ++k) {
    params[k] = static_cast<double>(k);
    grads[k] = -static_cast<double>(k);
  }
  const Linear<double> layer(3, 2, params.data(), grads.data());
  REQUIRE(layer.inputs() == 3);
  REQUIRE(layer.outputs() == 2);
  REQUIRE(layer.num_parameters() == 8);
  // W(i, j) at j * out + i; b(i) at out * in + i.
  REQUIRE(layer.weight()(1, 0) == 1.0);
  REQUIRE(layer.weight()(0, 2) == 4.0);
  REQUIRE(layer.bias()(1) == 7.0);
  REQUIRE(layer.weight_grad()(1, 2) == -5.0);
  REQUIRE(layer.bias_grad()(0) == -6.0);
  layer.weight()(0, 0) = 10.0;
  REQUIRE(params[0] == 10.0);

  const Linear<const double> read_only = layer;
  REQUIRE(read_only.weight()(0, 0) == 10.0);
  REQUIRE(read_only.parameter_data() == params.data());
  STATIC_REQUIRE(!std::is_assignable_v<decltype(read_only.weight()(0, 0)), double>);

  // A parameters-only view (a slice of a tangent vector) has no gradient storage.
  const Linear<const double> tangent(3, 2, params.data());
  REQUIRE(tangent.gradient_data() == nullptr);
  REQUIRE(tangent.bias_grad().data() == nullptr);
}
