// One whole REINFORCE update (one episode, normalised returns, one Adam step; the baseline's
// Adam step when there is one) against PyTorch: every actor and baseline parameter and the
// logged statistics (tests/data/torch/updates.json, README.md).

#include <theta/algo/reinforce.hpp>
#include <theta/core/rng.hpp>
#include <theta/buffer/monte_carlo_returns.hpp>
#include <theta/policy/categorical_policy.hpp>
#include <theta/policy/gaussian_policy.hpp>

#include "algo/update_reference.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using theta::test::Json;
using theta::test::UpdateResult;

namespace {

// ---- theta-side driver: everything that depends on REINFORCE's API is in this function.
template <class Policy>
UpdateResult run_theta_reinforce_update(const Json& c) {
  using namespace theta;
  const Json& cfg = c["config"];
  const reinforce::Config config{.learning_rate = cfg["learning_rate"].number(),
                                 .adam_eps = cfg["adam_eps"].number(),
                                 .normalize_returns = cfg["normalize_returns"].boolean(),
                                 .use_baseline = cfg["use_baseline"].boolean(),
                                 .baseline_learning_rate = cfg["baseline_learning_rate"].number(),
                                 .max_grad_norm = cfg["max_grad_norm"].number(),
                                 .actor = test::network_config(c["actor_network"]),
                                 .critic = test::network_config(c["critic_network"])};
  // One episode of used_steps < n_steps; the buffer's values are V(s) with a baseline, 0 without.
  REQUIRE(cfg["used_steps"].integer() < cfg["n_steps"].integer());
  return test::run_update<reinforce::Reinforce, Policy>(c, config, MonteCarloReturns<double>{});
}
// ---- end of the theta-side driver

template <class Policy>
void check_reinforce_case(const Json& c, std::vector<std::string> stats) {
  INFO("reinforce case " << c["name"].string());
  const UpdateResult result = run_theta_reinforce_update<Policy>(c);
  theta::test::check_field("advantages", result.advantages, theta::test::flatten_rollout(c["advantages"]), 1e-12);
  theta::test::check_field("returns", result.returns, theta::test::flatten_rollout(c["returns"]), 1e-12);
  theta::test::check_update(c, result, stats);
}

}  // namespace

TEST_CASE("REINFORCE: one update of a categorical policy with the acting dropout masks matches PyTorch",
          "[reference]") {
  const Json& c = theta::test::reference_case("reinforce", "categorical_obs4_a3_dropout");
  REQUIRE(c["actor_network"]["dropout"].number() > 0);
  REQUIRE(!c["config"]["use_baseline"].boolean());
  // Without a baseline the critic is untouched: its expected parameters are its initial ones.
  check_reinforce_case<theta::CategoricalPolicy<double>>(c, {"policy_loss", "entropy", "grad_norm"});
}

TEST_CASE("REINFORCE: one update of a Gaussian policy with a learned baseline matches PyTorch", "[reference]") {
  const Json& c = theta::test::reference_case("reinforce", "gaussian_obs3_d2_baseline");
  REQUIRE(c["config"]["use_baseline"].boolean());
  check_reinforce_case<theta::GaussianPolicy<double>>(c, {"policy_loss", "entropy", "grad_norm", "value_loss", "explained_variance"});
}
