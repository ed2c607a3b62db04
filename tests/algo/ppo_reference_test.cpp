// One whole PPO update (2 epochs of one full-batch minibatch) against PyTorch: every actor and
// critic parameter and the logged statistics (tests/data/torch/updates.json, README.md).

#include <theta/algo/ppo.hpp>
#include <theta/core/rng.hpp>
#include <theta/buffer/gae.hpp>
#include <theta/policy/value_function.hpp>
#include <theta/policy/categorical_policy.hpp>
#include <theta/policy/gaussian_policy.hpp>

#include "algo/update_reference.hpp"

#include <catch2/catch.hpp>

#include <string>

using theta::test::Json;
using theta::test::UpdateResult;

namespace {

// ---- theta-side driver: everything that depends on PPO's API is in this function.
template <class Policy>
UpdateResult run_theta_ppo_update(const Json& c) {
  using namespace theta;
  const Json& cfg = c["config"];
  REQUIRE(cfg["value_loss"].string() == "mse");
  const ppo::Config config{.batch_size = cfg["batch_size"].integer(),
                           .n_epochs = cfg["n_epochs"].integer(),
                           .learning_rate = cfg["learning_rate"].number(),
                           .adam_eps = cfg["adam_eps"].number(),
                           .clip_range = cfg["clip_range"].number(),
                           .value_loss = ValueLoss::mse,
                           .normalize_advantage = cfg["normalize_advantage"].boolean(),
                           .ent_coef = cfg["ent_coef"].number(),
                           .vf_coef = cfg["vf_coef"].number(),
                           .max_grad_norm = cfg["max_grad_norm"].number(),
                           .actor = test::network_config(c["actor_network"]),
                           .critic = test::network_config(c["critic_network"])};
  return test::run_update<ppo::Ppo, Policy>(c, config, Gae<double>(cfg["gae_lambda"].number()));
}
// ---- end of the theta-side driver

template <class Policy>
void check_ppo_case(const Json& c) {
  INFO("ppo case " << c["name"].string());
  const UpdateResult result = run_theta_ppo_update<Policy>(c);
  theta::test::check_field("advantages", result.advantages, theta::test::flatten_rollout(c["advantages"]), 1e-12);
  theta::test::check_field("returns", result.returns, theta::test::flatten_rollout(c["returns"]), 1e-12);
  std::vector<std::string> stats{"policy_gradient_loss", "value_loss", "entropy_loss", "entropy", "approx_kl",
                                 "clip_fraction", "loss", "grad_norm", "explained_variance"};
  if constexpr (!Policy::is_discrete) stats.emplace_back("std");
  theta::test::check_update(c, result, stats);
}

}  // namespace

TEST_CASE("PPO: one update with a categorical policy matches PyTorch (ratios clipped in epoch 2)", "[reference]") {
  const Json& c = theta::test::reference_case("ppo", "categorical_obs4_a3");
  REQUIRE(c["epochs"][1]["gradient_held_by_clip"].integer() > 0);  // the clip acts on the gradient
  check_ppo_case<theta::CategoricalPolicy<double>>(c);
}

TEST_CASE("PPO: one update with a Gaussian policy matches PyTorch (ratios and gradient norm clipped)", "[reference]") {
  const Json& c = theta::test::reference_case("ppo", "gaussian_obs3_d2");
  REQUIRE(c["epochs"][1]["gradient_held_by_clip"].integer() > 0);
  REQUIRE(c["epochs"][0]["grad_clip_active"].boolean());
  check_ppo_case<theta::GaussianPolicy<double>>(c);
}
