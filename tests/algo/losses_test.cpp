#include <theta/algo/losses.hpp>
#include <theta/core/rng.hpp>

#include <catch2/catch.hpp>

#include "support/data_dir.hpp"
#include "support/finite_difference.hpp"
#include "support/json.hpp"
#include "support/reference_checks.hpp"

#include <cmath>

using theta::test::Json;
using theta::test::max_err;
using theta::test::rel_err;
using theta::test::numerical_gradient;

namespace {

Json load() {
  const auto path = theta::test::data_dir("THETA_TORCH_REFERENCE", "torch") / "losses.json";
  return Json::load(path.string());
}

template <class T>
void check_ppo_policy(const Json& k, double tol) {
  INFO(k["name"].string() << (sizeof(T) == 4 ? " float" : " double"));
  theta::Vector<T> adv = k["advantages"].vector<T>();
  if (k["normalize_advantage"].boolean()) theta::normalize_advantages(adv);
  REQUIRE(max_err(adv, k["advantages_used"].vector()) <= tol);
  theta::Vector<T> grad(adv.size());
  const auto stats = theta::clipped_surrogate<T>(k["old_log_prob"].vector<T>(), k["new_log_prob"].vector<T>(), adv,
                                                 static_cast<T>(k["clip_range"].number()), grad);
  REQUIRE(rel_err(stats.loss, k["policy_loss"].number()) <= tol);
  REQUIRE(max_err(grad, k["grad_policy_loss_new_log_prob"].vector()) <= tol);
  REQUIRE(rel_err(stats.clip_fraction, k["clip_fraction"].number()) <= tol);
  REQUIRE(rel_err(stats.approx_kl, k["approx_kl"].number()) <= tol);
}

template <class T>
void check_value_loss(const Json& k, double tol) {
  INFO(k["name"].string() << (sizeof(T) == 4 ? " float" : " double"));
  const auto v = k["values"].vector<T>();
  const auto old = k["old_values"].vector<T>();
  const auto ret = k["returns"].vector<T>();
  const auto clip = static_cast<T>(k["clip"].number());
  theta::Vector<T> grad(v.size());
  using theta::ValueLoss;
  REQUIRE(rel_err(theta::value_loss<T>(ValueLoss::mse, v, old, ret, clip, grad), k["sb3_loss"].number()) <= tol);
  REQUIRE(max_err(grad, k["sb3_grad"].vector()) <= tol);
  REQUIRE(rel_err(theta::value_loss<T>(ValueLoss::sb3_clipped, v, old, ret, clip, grad), k["sb3_loss_clipped"].number()) <= tol);
  REQUIRE(max_err(grad, k["sb3_grad_clipped"].vector()) <= tol);
  REQUIRE(rel_err(theta::value_loss<T>(ValueLoss::cleanrl_clipped, v, old, ret, clip, grad),
              k["cleanrl_loss_clipped"].number()) <= tol);
  REQUIRE(max_err(grad, k["cleanrl_grad_clipped"].vector()) <= tol);
}

}  // namespace

TEST_CASE("PPO clipped surrogate and advantage normalisation match SB3", "[conformance]") {
  const Json data = load();
  REQUIRE(data["ppo_policy"].size() >= 6);
  for (const auto& k : data["ppo_policy"].array()) {
    check_ppo_policy<double>(k, 1e-12);
    check_ppo_policy<float>(k, 1e-5);
  }
}

TEST_CASE("Value losses match SB3 and CleanRL", "[conformance]") {
  const Json data = load();
  REQUIRE(data["value_loss"].size() >= 2);
  for (const auto& k : data["value_loss"].array()) {
    check_value_loss<double>(k, 1e-12);
    check_value_loss<float>(k, 1e-5);
  }
}

TEST_CASE("Explained variance matches SB3", "[conformance]") {
  const Json data = load();
  int checked = 0;
  for (const auto& k : data["explained_variance"].array()) {
    INFO(k["name"].string());
    const double ev = theta::explained_variance(k["y_pred"].vector(), k["y_true"].vector());
    if (k["explained_variance"].is_null()) {
      REQUIRE(std::isnan(ev));
    } else {
      REQUIRE(rel_err(ev, k["explained_variance"].number()) <= 1e-12);
    }
    ++checked;
  }
  REQUIRE(checked == 3);
}

TEST_CASE("Loss gradients match finite differences", "[gradient]") {
  theta::Rng rng(2);
  const int n = 9;
  Eigen::VectorXd old_lp(n), new_lp(n), adv(n), v(n), old_v(n), ret(n);
  for (int i = 0; i < n; ++i) {
    old_lp[i] = rng.normal();
    new_lp[i] = old_lp[i] + 0.3 * rng.normal();
    adv[i] = rng.normal();
    v[i] = rng.normal();
    old_v[i] = v[i] + 0.4 * rng.normal();
    ret[i] = rng.normal();
  }
  Eigen::VectorXd grad(n), scratch(n);
  theta::clipped_surrogate<double>(old_lp, new_lp, adv, 0.2, grad);
  const Eigen::VectorXd fd_surrogate = numerical_gradient(
      [&](const Eigen::VectorXd& lp) { return theta::clipped_surrogate<double>(old_lp, lp, adv, 0.2, scratch).loss; },
      new_lp, {.step = 1e-6});
  for (int i = 0; i < n; ++i) REQUIRE(grad[i] == Approx(fd_surrogate[i]).margin(1e-8));
  for (const auto kind : {theta::ValueLoss::mse, theta::ValueLoss::sb3_clipped, theta::ValueLoss::cleanrl_clipped}) {
    theta::value_loss<double>(kind, v, old_v, ret, 0.2, grad);
    const Eigen::VectorXd fd_value = numerical_gradient(
        [&](const Eigen::VectorXd& x) { return theta::value_loss<double>(kind, x, old_v, ret, 0.2, scratch); },
        v, {.step = 1e-6});
    for (int i = 0; i < n; ++i) REQUIRE(grad[i] == Approx(fd_value[i]).margin(1e-8));
  }
}
