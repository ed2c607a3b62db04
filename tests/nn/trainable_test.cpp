#include <theta/nn/mlp.hpp>
#include <theta/nn/trainable.hpp>
#include <theta/policy/value_function.hpp>

#include <catch2/catch.hpp>

#include <string>

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
  // The type is spelled by the compiler: g++ writes Mlp<float>, clang Mlp<> (a default argument).
  const auto message = [&](const Eigen::VectorXf& v) -> std::string {
    try {
      theta::set_parameters(net, v);
    } catch (const theta::Error& e) {
      return e.what();
    }
    return "no error";
  };
  REQUIRE_THAT(message(short_values),
               Catch::StartsWith("theta::nn::Mlp<") &&
                   Catch::EndsWith(fmt::format(">::parameters(): has {} entries, got a vector of {}", n, n - 1)));
  REQUIRE_THAT(message(long_values),
               Catch::StartsWith("theta::nn::Mlp<") &&
                   Catch::EndsWith(fmt::format(">::parameters(): has {} entries, got a vector of {}", n, n + 1)));
  REQUIRE(net.parameters() == values);  // unchanged

  theta::ValueFunction<float> critic(3, {.hidden = {4}}, 1, 1, rng);
  const theta::Index m = critic.parameters().size();
  REQUIRE_THROWS_WITH(theta::set_parameters(critic, Eigen::VectorXf::Zero(m + 2)),
                      Catch::Contains("ValueFunction<") &&
                          Catch::Contains(fmt::format(">::parameters(): has {} entries, got a vector of {}", m, m + 2)));
  REQUIRE_NOTHROW(theta::set_parameters(critic, Eigen::VectorXf::Zero(m)));
}
