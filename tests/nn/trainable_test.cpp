#include <theta/nn/mlp.hpp>
#include <theta/nn/trainable.hpp>
#include <theta/policy/value_function.hpp>

#include <catch2/catch.hpp>

// Issue 13: assigning to the parameters() view is checked only by Eigen's debug assertions.
TEST_CASE("set_parameters checks the size in every build, naming the type and both sizes", "[unit]") {
  theta::Rng rng(1);
  theta::nn::Mlp<float> net({.inputs = 3, .hidden = {4}, .outputs = 2});
  const theta::Index n = net.num_parameters();
  const Eigen::VectorXf values = Eigen::VectorXf::LinSpaced(n, -1, 1);
  theta::set_parameters(net, values);
  REQUIRE(net.parameters() == values);
  const Eigen::VectorXf short_values = Eigen::VectorXf::Zero(n - 1), long_values = Eigen::VectorXf::Zero(n + 1);
  REQUIRE_THROWS_AS(theta::set_parameters(net, short_values), theta::Error);
  REQUIRE_THROWS_WITH(theta::set_parameters(net, short_values),
                      fmt::format("theta::nn::Mlp<float>::parameters(): has {} entries, got a vector of {}", n, n - 1));
  REQUIRE_THROWS_WITH(theta::set_parameters(net, long_values),
                      fmt::format("theta::nn::Mlp<float>::parameters(): has {} entries, got a vector of {}", n, n + 1));
  REQUIRE(net.parameters() == values);  // unchanged

  theta::ValueFunction<float> critic(3, {.hidden = {4}}, 1, 1, rng);
  const theta::Index m = critic.parameters().size();
  REQUIRE_THROWS_WITH(theta::set_parameters(critic, Eigen::VectorXf::Zero(m + 2)),
                      Catch::Contains(fmt::format("ValueFunction<float>::parameters(): has {} entries, got a vector of {}",
                                                  m, m + 2)));
  REQUIRE_NOTHROW(theta::set_parameters(critic, Eigen::VectorXf::Zero(m)));
}
