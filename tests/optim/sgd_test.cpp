#include <theta/optim/sgd.hpp>

#include "optim/reference.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using theta::Sgd;
using theta::SgdConfig;
using namespace theta::test;

namespace {

SgdConfig sgd_config_of(const Json& run) {
  const Json& h = run["hyperparameters"];
  REQUIRE(h["dampening"].number() == 0);
  REQUIRE(h["weight_decay"].number() == 0);
  REQUIRE_FALSE(h["maximize"].boolean());
  return SgdConfig{.lr = h["lr"].number(), .momentum = h["momentum"].number(), .nesterov = h["nesterov"].boolean()};
}

}  // namespace

TEMPLATE_TEST_CASE("Sgd replays every torch run of optimizers.json", "[conformance]", float, double) {
  using T = TestType;
  const auto runs = runs_of({"torch.optim.SGD"});
  REQUIRE(runs.size() >= 2);
  for (const Json* run : runs) {
    INFO("run " << (*run)["name"].string());
    Sgd<T> sgd(7, sgd_config_of(*run));
    replay_open_loop<T>(*run, sgd);
    check_field("momentum_buffer", sgd.momentum_buffer(), (*run)["final_state"]["momentum_buffer"].vector<double>(),
                reference_tolerance<T>);
  }
}

TEST_CASE("Sgd replays every run closed loop in double", "[conformance]") {
  for (const Json* run : runs_of({"torch.optim.SGD"})) {
    INFO("run " << (*run)["name"].string());
    Sgd<double> sgd(7, sgd_config_of(*run));
    replay_closed_loop(*run, sgd);
  }
}

TEST_CASE("Sgd: hand-computed steps, plain, momentum and Nesterov", "[unit]") {
  // Gradients g1 = 1, g2 = 2, g3 = -1 on one parameter from 0, lr 0.1, μ 0.5.
  const double g[3] = {1.0, 2.0, -1.0};
  Eigen::VectorXd x = Eigen::VectorXd::Zero(1), grad(1);

  Sgd<double> plain(1, {.lr = 0.1});
  for (const double gk : g) plain.step(x, (grad << gk).finished());
  CHECK(x[0] == Approx(-0.1 * (1 + 2 - 1)).epsilon(1e-15));

  // Momentum: b1 = g1 = 1 (copied, not μ·0 + g), b2 = 0.5 + 2 = 2.5, b3 = 1.25 - 1 = 0.25.
  x.setZero();
  Sgd<double> momentum(1, {.lr = 0.1, .momentum = 0.5});
  for (const double gk : g) momentum.step(x, (grad << gk).finished());
  CHECK(x[0] == Approx(-0.1 * (1 + 2.5 + 0.25)).epsilon(1e-15));
  CHECK(momentum.momentum_buffer()[0] == Approx(0.25).epsilon(1e-15));

  // Nesterov: steps use g + μ b: 1 + 0.5, 2 + 1.25, -1 + 0.125.
  x.setZero();
  Sgd<double> nesterov(1, {.lr = 0.1, .momentum = 0.5, .nesterov = true});
  for (const double gk : g) nesterov.step(x, (grad << gk).finished());
  CHECK(x[0] == Approx(-0.1 * (1.5 + 3.25 - 0.875)).epsilon(1e-15));
  CHECK(nesterov.step_count() == 3);
}

TEST_CASE("Sgd: learning rate, state restore and bad configs", "[unit]") {
  Sgd<float> sgd(2, {.lr = 0.5, .momentum = 0.9});
  CHECK(sgd.learning_rate() == 0.5);
  Eigen::VectorXf x = Eigen::VectorXf::Zero(2), g = Eigen::VectorXf::Ones(2);
  sgd.step(x, g);
  Sgd<float> restored(2, {.lr = 0.5, .momentum = 0.9});
  restored.set_state(sgd.step_count(), sgd.momentum_buffer());
  Eigen::VectorXf y = x;
  sgd.step(x, g);
  restored.step(y, g);
  CHECK(x == y);
  sgd.set_learning_rate(0.25);
  CHECK(sgd.learning_rate() == 0.25);

  REQUIRE_THROWS_WITH(Sgd<float>(2, {.lr = 0}), "Sgd::Config::lr must be > 0, got 0");
  REQUIRE_THROWS_WITH(Sgd<float>(2, {.momentum = -0.9}), "Sgd::Config::momentum must be >= 0, got -0.9");
  REQUIRE_THROWS_WITH(Sgd<float>(2, {.nesterov = true}), "Sgd::Config::nesterov requires momentum > 0, got momentum 0");
}

// Issue 13: state setters check sizes in release builds too.
TEST_CASE("Sgd::set_state rejects a short and a long momentum buffer, naming both sizes", "[unit]") {
  Sgd<float> sgd(3, {.lr = 0.1, .momentum = 0.9});
  REQUIRE_THROWS_WITH(sgd.set_state(1, Eigen::VectorXf::Zero(2)),
                      Catch::Contains("Sgd::set_state: momentum_buffer has 2 entries, the optimizer has 3"));
  REQUIRE_THROWS_WITH(sgd.set_state(1, Eigen::VectorXf::Zero(4)),
                      Catch::Contains("Sgd::set_state: momentum_buffer has 4 entries, the optimizer has 3"));
}
