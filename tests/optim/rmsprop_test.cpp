#include <theta/optim/rmsprop.hpp>

#include "optim/reference.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using theta::RmsProp;
using theta::RmsPropConfig;
using namespace theta::test;

namespace {

const char* const torch_rmsprop = "torch.optim.RMSprop";
const char* const sb3_tf_like = "stable_baselines3.common.sb2_compat.rmsprop_tf_like.RMSpropTFLike";

RmsPropConfig rmsprop_config_of(const Json& run) {
  const Json& h = run["hyperparameters"];
  REQUIRE(h["momentum"].number() == 0);
  REQUIRE_FALSE(h["centered"].boolean());
  REQUIRE(h["weight_decay"].number() == 0);
  return RmsPropConfig{.lr = h["lr"].number(),
                       .alpha = h["alpha"].number(),
                       .eps = h["eps"].number(),
                       .tf_like = run["optimizer"].string() == sb3_tf_like};
}

}  // namespace

TEMPLATE_TEST_CASE("RmsProp replays every torch and RMSpropTFLike run of optimizers.json", "[conformance]", float,
                   double) {
  using T = TestType;
  const auto runs = runs_of({torch_rmsprop, sb3_tf_like});
  REQUIRE(runs.size() >= 3);
  REQUIRE(runs_of({sb3_tf_like}).size() >= 1);
  for (const Json* run : runs) {
    INFO("run " << (*run)["name"].string());
    RmsProp<T> rms(7, rmsprop_config_of(*run));
    replay_open_loop<T>(*run, rms);
    const Json& state = (*run)["final_state"];
    CHECK(rms.step_count() == state["step"].integer());
    check_field("square_avg", rms.square_avg(), state["square_avg"].vector<double>(), reference_tolerance<T>);
  }
}

TEST_CASE("RmsProp replays every run closed loop in double", "[conformance]") {
  for (const Json* run : runs_of({torch_rmsprop, sb3_tf_like})) {
    INFO("run " << (*run)["name"].string());
    RmsProp<double> rms(7, rmsprop_config_of(*run));
    replay_closed_loop(*run, rms);
  }
}

TEST_CASE("RmsProp: hand-computed steps, torch and TF-like", "[unit]") {
  const double g1 = 0.5, g2 = -2.0, lr = 0.01, alpha = 0.9, eps = 1e-4;
  Eigen::VectorXd x = Eigen::VectorXd::Zero(1), grad(1);

  // torch: v starts at 0, eps outside the sqrt.
  RmsProp<double> torch_like(1, {.lr = lr, .alpha = alpha, .eps = eps});
  torch_like.step(x, (grad << g1).finished());
  double v = (1 - alpha) * g1 * g1;
  double expected = -lr * g1 / (std::sqrt(v) + eps);
  CHECK(x[0] == Approx(expected).epsilon(1e-15));
  torch_like.step(x, (grad << g2).finished());
  v = alpha * v + (1 - alpha) * g2 * g2;
  expected -= lr * g2 / (std::sqrt(v) + eps);
  CHECK(x[0] == Approx(expected).epsilon(1e-15));
  CHECK(torch_like.square_avg()[0] == Approx(v).epsilon(1e-15));

  // TF-like: v starts at 1, eps inside the sqrt, so the first steps are small.
  x.setZero();
  RmsProp<double> tf_like(1, {.lr = lr, .alpha = alpha, .eps = eps, .tf_like = true});
  CHECK(tf_like.square_avg()[0] == 1.0);
  tf_like.step(x, (grad << g1).finished());
  v = alpha * 1.0 + (1 - alpha) * g1 * g1;
  expected = -lr * g1 / std::sqrt(v + eps);
  CHECK(x[0] == Approx(expected).epsilon(1e-15));
  tf_like.step(x, (grad << g2).finished());
  v = alpha * v + (1 - alpha) * g2 * g2;
  expected -= lr * g2 / std::sqrt(v + eps);
  CHECK(x[0] == Approx(expected).epsilon(1e-15));
  tf_like.reset();
  CHECK((tf_like.square_avg()[0] == 1.0 && tf_like.step_count() == 0));
}

TEST_CASE("RmsProp: learning rate, state restore and bad configs", "[unit]") {
  RmsProp<float> rms(3, {.lr = 7e-4, .alpha = 0.99, .eps = 1e-5});
  CHECK(rms.learning_rate() == 7e-4);
  rms.set_learning_rate(1e-3);
  CHECK(rms.learning_rate() == 1e-3);
  Eigen::VectorXf x = Eigen::VectorXf::Ones(3), g = Eigen::VectorXf::LinSpaced(3, -1, 1);
  rms.step(x, g);
  RmsProp<float> restored(3, rms.config());
  restored.set_state(rms.step_count(), rms.square_avg());
  Eigen::VectorXf y = x;
  rms.step(x, g);
  restored.step(y, g);
  CHECK(x == y);
  REQUIRE_THROWS_WITH(RmsProp<float>(3, {.lr = -7e-4}), "RmsProp::Config::lr must be > 0, got -0.0007");
  REQUIRE_THROWS_WITH(RmsProp<float>(3, {.alpha = 1.0}), "RmsProp::Config::alpha must be in [0, 1), got 1");
  REQUIRE_THROWS_WITH(RmsProp<float>(3, {.eps = -1e-5}), "RmsProp::Config::eps must be > 0, got -1e-05");
  REQUIRE_THROWS_WITH(restored.set_state(1, -Eigen::VectorXf::Ones(3)), Catch::Contains("square_avg must be >= 0"));
}

// Issue 13: state setters check sizes in release builds too.
TEST_CASE("RmsProp::set_state rejects a short and a long square_avg, naming both sizes", "[unit]") {
  RmsProp<float> rms(3, {});
  REQUIRE_THROWS_WITH(rms.set_state(1, Eigen::VectorXf::Zero(2)),
                      Catch::Contains("RmsProp::set_state: square_avg has 2 entries, the optimizer has 3"));
  REQUIRE_THROWS_WITH(rms.set_state(1, Eigen::VectorXf::Zero(4)),
                      Catch::Contains("RmsProp::set_state: square_avg has 4 entries, the optimizer has 3"));
}
