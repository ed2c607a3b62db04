// One whole A2C update (one RMSprop step over the rollout) against PyTorch: every actor and
// critic parameter and the logged statistics (tests/data/torch/updates.json, README.md).

#include <theta/algo/a2c.hpp>
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

// ---- theta-side driver: everything that depends on A2C's API is in this function.
template <class Policy>
UpdateResult run_theta_a2c_update(const Json& c) {
  using namespace theta;
  const Json& cfg = c["config"];
  REQUIRE(cfg["use_rms_prop"].boolean());
  const a2c::Config config{.learning_rate = cfg["learning_rate"].number(),
                           .rms_prop_alpha = cfg["rms_prop_alpha"].number(),
                           .rms_prop_eps = cfg["rms_prop_eps"].number(),
                           .normalize_advantage = cfg["normalize_advantage"].boolean(),
                           .ent_coef = cfg["ent_coef"].number(),
                           .vf_coef = cfg["vf_coef"].number(),
                           .max_grad_norm = cfg["max_grad_norm"].number(),
                           .actor = test::network_config(c["actor_network"]),
                           .critic = test::network_config(c["critic_network"])};
  // RMSprop: A2C's default optimizer.
  return test::run_update<a2c::A2c, Policy>(c, config, Gae<double>(cfg["gae_lambda"].number()));
}
// ---- end of the theta-side driver

template <class Policy>
void check_a2c_case(const Json& c) {
  INFO("a2c case " << c["name"].string());
  const UpdateResult result = run_theta_a2c_update<Policy>(c);
  theta::test::check_field("advantages", result.advantages, theta::test::flatten_rollout(c["advantages"]), 1e-12);
  theta::test::check_field("returns", result.returns, theta::test::flatten_rollout(c["returns"]), 1e-12);
  std::vector<std::string> stats{"policy_loss", "value_loss", "entropy_loss", "entropy", "grad_norm",
                                 "explained_variance"};
  if constexpr (!Policy::is_discrete) stats.emplace_back("std");
  theta::test::check_update(c, result, stats);
}

}  // namespace

TEST_CASE("A2C: one update with a categorical policy matches PyTorch (RMSprop, gradient norm clipped)", "[reference]") {
  const Json& c = theta::test::reference_case("a2c", "categorical_obs4_a3");
  REQUIRE(c["grad_clip_active"].boolean());
  check_a2c_case<theta::CategoricalPolicy<double>>(c);
}

TEST_CASE("A2C: one update with a Gaussian policy and normalised advantages matches PyTorch", "[reference]") {
  const Json& c = theta::test::reference_case("a2c", "gaussian_obs3_d2_normalized");
  REQUIRE(c["config"]["normalize_advantage"].boolean());
  check_a2c_case<theta::GaussianPolicy<double>>(c);
}
