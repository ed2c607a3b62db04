#include <theta/optim/adam.hpp>

#include "optim/reference.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using theta::Adam;
using theta::AdamConfig;
using namespace theta::test;

namespace {

AdamConfig adam_config_of(const Json& run) {
  const Json& h = run["hyperparameters"];
  REQUIRE_FALSE(h["amsgrad"].boolean());
  REQUIRE_FALSE(h["maximize"].boolean());
  return AdamConfig{.lr = h["lr"].number(),
                    .beta1 = h["betas"][0].number(),
                    .beta2 = h["betas"][1].number(),
                    .eps = h["eps"].number(),
                    .weight_decay = h["weight_decay"].number(),
                    .decoupled_weight_decay = run["optimizer"].string() == "torch.optim.AdamW"};
}

// Adam from the published update rule, one scalar at a time, with nothing shared with the
// implementation (no fused loop, no precomputed step size).
struct ScalarAdam {
  AdamConfig c;
  std::vector<double> m, v;
  int t = 0;
  void step(std::vector<double>& x, const std::vector<double>& grad) {
    ++t;
    for (std::size_t i = 0; i < x.size(); ++i) {
      double g = grad[i];
      if (c.decoupled_weight_decay) {
        x[i] -= c.lr * c.weight_decay * x[i];
      } else {
        g += c.weight_decay * x[i];
      }
      m[i] = c.beta1 * m[i] + (1 - c.beta1) * g;
      v[i] = c.beta2 * v[i] + (1 - c.beta2) * g * g;
      const double m_hat = m[i] / (1 - std::pow(c.beta1, t));
      const double v_hat_sqrt = std::sqrt(v[i]) / std::sqrt(1 - std::pow(c.beta2, t));
      x[i] -= c.lr * m_hat / (v_hat_sqrt + c.eps);
    }
  }
};

}  // namespace

TEMPLATE_TEST_CASE("Adam and AdamW replay every torch run of optimizers.json", "[conformance]", float, double) {
  using T = TestType;
  const auto runs = runs_of({"torch.optim.Adam", "torch.optim.AdamW"});
  REQUIRE(runs.size() >= 5);
  for (const Json* run : runs) {
    INFO("run " << (*run)["name"].string());
    Adam<T> adam(7, adam_config_of(*run));
    replay_open_loop<T>(*run, adam);
    const Json& state = (*run)["final_state"];
    CHECK(adam.step_count() == state["step"].integer());
    check_field("exp_avg", adam.exp_avg(), state["exp_avg"].vector<double>(), reference_tolerance<T>);
    check_field("exp_avg_sq", adam.exp_avg_sq(), state["exp_avg_sq"].vector<double>(), reference_tolerance<T>);
  }
}

TEST_CASE("Adam and AdamW replay every run closed loop in double", "[conformance]") {
  for (const Json* run : runs_of({"torch.optim.Adam", "torch.optim.AdamW"})) {
    INFO("run " << (*run)["name"].string());
    Adam<double> adam(7, adam_config_of(*run));
    replay_closed_loop(*run, adam);
  }
}

TEST_CASE("Adam: the first step moves each parameter by lr·g/(|g| + eps)", "[unit]") {
  // With m = v = 0, bias correction gives m̂ = g and v̂ = g² exactly.
  Eigen::VectorXd x(3), g(3);
  x << 1.0, -2.0, 0.5;
  g << 0.5, -4.0, 1e-3;
  Adam<double> adam(3, {.lr = 0.1});
  const Eigen::VectorXd x0 = x;
  adam.step(x, g);
  for (int i = 0; i < 3; ++i) CHECK(x[i] == Approx(x0[i] - 0.1 * g[i] / (std::abs(g[i]) + 1e-8)).epsilon(1e-14));
  CHECK(adam.exp_avg() == ((1 - 0.9) * g).eval());
}

TEST_CASE("Adam: several steps follow the published formulas (L2, decoupled, none)", "[unit]") {
  for (const AdamConfig config : {AdamConfig{.lr = 0.05, .beta1 = 0.8, .beta2 = 0.99, .eps = 1e-6},
                                  AdamConfig{.lr = 0.05, .eps = 1e-3, .weight_decay = 0.1},
                                  AdamConfig{.lr = 0.02, .weight_decay = 0.3, .decoupled_weight_decay = true}}) {
    INFO("lr " << config.lr << " wd " << config.weight_decay << " decoupled " << config.decoupled_weight_decay);
    ScalarAdam reference{config, std::vector<double>(4, 0.0), std::vector<double>(4, 0.0)};
    Adam<double> adam(4, config);
    std::vector<double> x_ref{0.3, -1.2, 2.0, 0.0};
    Eigen::VectorXd x = Eigen::Map<Eigen::VectorXd>(x_ref.data(), 4);
    for (int k = 0; k < 6; ++k) {
      const std::vector<double> g{std::sin(k + 1.0), -0.5 * k, 1e-4 * (k - 2), x_ref[3] - 1.0};
      reference.step(x_ref, g);
      adam.step(x, Eigen::Map<const Eigen::VectorXd>(g.data(), 4));
      for (int i = 0; i < 4; ++i) CHECK(x[i] == Approx(x_ref[static_cast<std::size_t>(i)]).epsilon(1e-13).margin(1e-15));
    }
    CHECK(adam.step_count() == 6);
  }
}

TEST_CASE("Adam: learning rate get/set, and a zero rate still updates the moments", "[unit]") {
  Adam<float> adam(2, {.lr = 3e-4, .eps = 1e-5});
  CHECK(adam.learning_rate() == 3e-4);
  adam.set_learning_rate(0.0);
  Eigen::VectorXf x = Eigen::VectorXf::Ones(2), g = Eigen::VectorXf::Constant(2, 2.0f);
  adam.step(x, g);
  CHECK(x == Eigen::VectorXf::Ones(2));
  CHECK(adam.exp_avg().isApprox(Eigen::VectorXf::Constant(2, 0.2f)));
  REQUIRE_THROWS_WITH(adam.set_learning_rate(-1.0), "Adam::set_learning_rate: lr must be >= 0, got -1");
}

TEST_CASE("Adam: saving and restoring the state continues the run bit for bit", "[unit]") {
  Adam<float> a(5, {.lr = 1e-2});
  Eigen::VectorXf xa = Eigen::VectorXf::LinSpaced(5, -1, 1);
  auto grad = [](const Eigen::VectorXf& x, int k) { return (x.array().sin() + 0.1f * float(k)).matrix().eval(); };
  for (int k = 0; k < 4; ++k) a.step(xa, grad(xa, k));
  Adam<float> b(5, {.lr = 1e-2});
  b.set_state(a.step_count(), a.exp_avg(), a.exp_avg_sq());
  Eigen::VectorXf xb = xa;
  for (int k = 4; k < 9; ++k) {
    a.step(xa, grad(xa, k));
    b.step(xb, grad(xb, k));
  }
  CHECK(xa == xb);
  CHECK(b.step_count() == 9);
  a.reset();
  CHECK((a.step_count() == 0 && a.exp_avg().isZero(0) && a.exp_avg_sq().isZero(0)));
  REQUIRE_THROWS_WITH(b.set_state(1, Eigen::VectorXf::Zero(4), Eigen::VectorXf::Zero(5)),
                      Catch::Contains("moments have 4 and 5 entries, the optimizer has 5"));
}

TEST_CASE("Adam: a bad config names the field, the rule and the value", "[unit]") {
  using theta::ConfigError;
  REQUIRE_THROWS_AS(Adam<float>(3, {.lr = -1}), ConfigError);
  REQUIRE_THROWS_WITH(Adam<float>(3, {.lr = -1}), "Adam::Config::lr must be > 0, got -1");
  REQUIRE_THROWS_WITH(Adam<float>(3, {.lr = NAN}), "Adam::Config::lr must be finite, got nan");
  REQUIRE_THROWS_WITH(Adam<float>(3, {.beta1 = 1.0}), "Adam::Config::beta1 must be in [0, 1), got 1");
  REQUIRE_THROWS_WITH(Adam<float>(3, {.beta2 = -0.5}), "Adam::Config::beta2 must be in [0, 1), got -0.5");
  REQUIRE_THROWS_WITH(Adam<float>(3, {.eps = 0}), "Adam::Config::eps must be > 0, got 0");
  REQUIRE_THROWS_WITH(Adam<float>(3, {.weight_decay = -0.01}), "Adam::Config::weight_decay must be >= 0, got -0.01");
  Adam<float> adam(3);
  Eigen::VectorXf x(3), g(4);
  REQUIRE_THROWS_WITH(adam.step(x, g), Catch::Contains("params has 3 entries and grads 4, the optimizer was built for 3"));
}

// Issue 13: state setters check sizes in release builds too.
TEST_CASE("Adam::set_state rejects short and long moments, naming the sizes", "[unit]") {
  Adam<float> adam(3, {});
  const Eigen::VectorXf ok = Eigen::VectorXf::Zero(3);
  REQUIRE_THROWS_WITH(adam.set_state(1, Eigen::VectorXf::Zero(2), ok),
                      Catch::Contains("Adam::set_state: moments have 2 and 3 entries, the optimizer has 3"));
  REQUIRE_THROWS_WITH(adam.set_state(1, ok, Eigen::VectorXf::Zero(4)),
                      Catch::Contains("Adam::set_state: moments have 3 and 4 entries, the optimizer has 3"));
}
