// One whole TRPO update (surrogate gradient, conjugate gradient on the exact Fisher, line
// search, critic Adam passes) against PyTorch with double-backprop Fisher-vector products:
// every actor and critic parameter and the logged statistics (tests/data/torch/updates.json).

#include <theta/algo/trpo.hpp>
#include <theta/core/rng.hpp>
#include <theta/buffer/gae.hpp>
#include <theta/policy/categorical_policy.hpp>
#include <theta/policy/gaussian_policy.hpp>

#include "algo/update_reference.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using theta::test::Json;
using theta::test::UpdateResult;

namespace {

// ---- theta-side driver: everything that depends on TRPO's API is in this function.
template <class Policy>
UpdateResult run_theta_trpo_update(const Json& c) {
  using namespace theta;
  const Json& cfg = c["config"];
  const trpo::Config config{.target_kl = cfg["target_kl"].number(),
                            .cg_damping = cfg["cg_damping"].number(),
                            .cg_max_steps = static_cast<int>(cfg["cg_max_steps"].integer()),
                            .cg_residual_tol = cfg["cg_residual_tol"].number(),
                            .line_search_max_iter = static_cast<int>(cfg["line_search_max_iter"].integer()),
                            .line_search_shrinking_factor = cfg["line_search_shrinking_factor"].number(),
                            .normalize_advantage = cfg["normalize_advantage"].boolean(),
                            .batch_size = cfg["batch_size"].integer(),
                            .n_critic_updates = static_cast<int>(cfg["n_critic_updates"].integer()),
                            .learning_rate = cfg["learning_rate"].number(),
                            .adam_eps = cfg["adam_eps"].number(),
                            .actor = test::network_config(c["actor_network"]),
                            .critic = test::network_config(c["critic_network"])};
  return test::run_update<trpo::Trpo, Policy>(c, config, Gae<double>(cfg["gae_lambda"].number()));
}
// ---- end of the theta-side driver

template <class Policy>
void check_trpo_case(const Json& c) {
  INFO("trpo case " << c["name"].string());
  const UpdateResult result = run_theta_trpo_update<Policy>(c);
  theta::test::check_field("advantages", result.advantages, theta::test::flatten_rollout(c["advantages"]), 1e-12);
  theta::test::check_field("returns", result.returns, theta::test::flatten_rollout(c["returns"]), 1e-12);
  std::vector<std::string> stats{"policy_objective",   "kl_divergence_loss", "approx_kl",  "is_line_search_success",
                                 "line_search_fraction", "cg_iterations",      "value_loss", "entropy",
                                 "explained_variance"};
  if constexpr (!Policy::is_discrete) stats.emplace_back("std");
  theta::test::check_update(c, result, stats);
}

}  // namespace

TEST_CASE("TRPO: one update with a categorical policy matches PyTorch (full step accepted)", "[reference]") {
  const Json& c = theta::test::reference_case("trpo", "categorical_obs4_a3");
  REQUIRE(c["stats"]["line_search_fraction"].number() == 1.0);
  check_trpo_case<theta::CategoricalPolicy<double>>(c);
}

TEST_CASE("TRPO: one update with a Gaussian policy matches PyTorch (line search backtracks once)", "[reference]") {
  const Json& c = theta::test::reference_case("trpo", "gaussian_obs3_d2_backtracking");
  REQUIRE(c["line_search"].size() == 2);  // the full step exceeds target_kl, 0.8 of it is taken
  check_trpo_case<theta::GaussianPolicy<double>>(c);
}
