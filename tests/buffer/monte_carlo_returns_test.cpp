#include <theta/buffer/gae.hpp>
#include <theta/buffer/monte_carlo_returns.hpp>
#include <theta/buffer/rollout_buffer.hpp>

#include <catch2/catch.hpp>

#include <vector>

using theta::MonteCarloReturns;
using theta::RolloutBuffer;

namespace {
RolloutBuffer<double> episode(const std::vector<double>& rewards, const std::vector<double>& values) {
  const auto n = static_cast<theta::Index>(rewards.size());
  RolloutBuffer<double> buffer(n, 1, 1, 1);
  for (theta::Index t = 0; t < n; ++t) {
    buffer.rewards(t)[0] = rewards[static_cast<std::size_t>(t)];
    buffer.values(t)[0] = values[static_cast<std::size_t>(t)];
  }
  return buffer;
}
}  // namespace

TEST_CASE("MonteCarloReturns: discounted returns of an episode, advantages G - V", "[unit]") {
  auto buffer = episode({1, 2, 3}, {0.5, 0.25, 0.125});
  buffer.set_done(2, 0, true, false);
  MonteCarloReturns<double>{}.estimate(buffer, Eigen::VectorXd::Constant(1, 100.0), 0.5);
  REQUIRE(buffer.returns()[2] == 3.0);
  REQUIRE(buffer.returns()[1] == 2.0 + 0.5 * 3.0);
  REQUIRE(buffer.returns()[0] == 1.0 + 0.5 * 3.5);
  REQUIRE(buffer.advantages()[0] == 2.75 - 0.5);
  REQUIRE(buffer.advantages()[1] == 3.5 - 0.25);
}

TEST_CASE("MonteCarloReturns: truncation bootstraps from the final value, a cut rollout from last_values", "[unit]") {
  auto buffer = episode({1, 1, 1}, {0, 0, 0});
  buffer.set_done(0, 0, false, true);
  buffer.set_final_value(0, 0, 4.0);
  MonteCarloReturns<double>{}.estimate(buffer, Eigen::VectorXd::Constant(1, 8.0), 0.5);
  REQUIRE(buffer.returns()[0] == 1.0 + 0.5 * 4.0);
  REQUIRE(buffer.returns()[2] == 1.0 + 0.5 * 8.0);
  REQUIRE(buffer.returns()[1] == 1.0 + 0.5 * 5.0);
  // both flags: terminated wins
  buffer.set_done(0, 0, true, true);
  MonteCarloReturns<double>{}.estimate(buffer, Eigen::VectorXd::Constant(1, 8.0), 0.5);
  REQUIRE(buffer.returns()[0] == 1.0);
}

TEST_CASE("MonteCarloReturns equals GAE with lambda 1, bit for bit", "[unit]") {
  auto mc = episode({0.3, -1.7, 2.9, 0.1, 5.5}, {0, 0, 0, 0, 0});
  auto gae = mc;
  mc.set_done(2, 0, true, false);
  gae.set_done(2, 0, true, false);
  MonteCarloReturns<double>{}.estimate(mc, Eigen::VectorXd::Zero(1), 0.99);
  theta::Gae<double>(1.0).estimate(gae, Eigen::VectorXd::Zero(1), 0.99);
  for (int t = 0; t < 5; ++t) {
    REQUIRE(mc.returns()[t] == gae.returns()[t]);
    REQUIRE(mc.advantages()[t] == gae.advantages()[t]);
  }
  // With values too, and the advantages are G - V.
  auto mc_v = episode({0.3, -1.7, 2.9}, {0.4, -0.2, 1.1});
  auto gae_v = mc_v;
  MonteCarloReturns<double>{}.estimate(mc_v, Eigen::VectorXd::Constant(1, 0.7), 0.99);
  theta::Gae<double>(1.0).estimate(gae_v, Eigen::VectorXd::Constant(1, 0.7), 0.99);
  for (int t = 0; t < 3; ++t) {
    REQUIRE(mc_v.advantages()[t] == gae_v.advantages()[t]);
    REQUIRE(mc_v.advantages()[t] == Approx(mc_v.returns()[t] - mc_v.values()[t]).epsilon(1e-14));
  }
}

TEST_CASE("MonteCarloReturns rejects last_values of the wrong size", "[unit]") {
  RolloutBuffer<float> buffer(2, 3, 4, 1);
  REQUIRE_THROWS_WITH(MonteCarloReturns<float>{}.estimate(buffer, Eigen::VectorXf::Zero(2), 0.99f),
                      Catch::Contains("last_values has 2 entries for 3 envs"));
}
