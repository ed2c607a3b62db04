#include <theta/core/schedule.hpp>
#include <theta/optim.hpp>

#include <catch2/catch.hpp>

#include <cmath>

namespace {

// A user-written optimizer: sign SGD (Bernstein et al. 2018): a Config, a constructor from
// the size of the view it updates and its Config, a step, the learning rate.
struct SignSgd {
  struct Config {
    double lr = 0.01;
  };
  SignSgd(theta::Index /*size*/, const Config& config) : lr(config.lr) {}
  double lr;
  void step(Eigen::Ref<theta::Vector<float>> params, const Eigen::Ref<const theta::Vector<float>>& grads) {
    params.array() -= static_cast<float>(lr) * grads.array().sign();
  }
  [[nodiscard]] double learning_rate() const { return lr; }
  void set_learning_rate(double value) { lr = value; }
};

struct NoLearningRate {
  struct Config {};
  NoLearningRate(theta::Index, const Config&) {}
  void step(Eigen::Ref<theta::Vector<float>>, const Eigen::Ref<const theta::Vector<float>>&) {}
};

struct NoStep {
  struct Config {};
  NoStep(theta::Index, const Config&) {}
  [[nodiscard]] double learning_rate() const { return 0; }
  void set_learning_rate(double) {}
};

// What an algorithm does with any optimizer: set the scheduled rate, step on the gradient.
template <theta::Optimizer O>
float minimise_quadratic(O& optimizer, int steps) {
  theta::Vector<float> x = theta::Vector<float>::Constant(3, 2.0f);
  const theta::Schedule lr = theta::Schedule::linear(optimizer.learning_rate(), 0.0);
  for (int k = 0; k < steps; ++k) {
    optimizer.set_learning_rate(lr(1.0 - double(k) / steps));
    const theta::Vector<float> grad = 2.0f * x;  // ∇‖x‖²
    optimizer.step(x, grad);
  }
  return x.norm();
}

// Steps and rates, but not built from a view's size and a Config.
struct NoConfig {
  void step(Eigen::Ref<theta::Vector<float>>, const Eigen::Ref<const theta::Vector<float>>&) {}
  [[nodiscard]] double learning_rate() const { return 0; }
  void set_learning_rate(double) {}
};

}  // namespace

static_assert(theta::Optimizer<theta::Sgd<float>>);
static_assert(theta::Optimizer<theta::Adam<float>>);
static_assert(theta::Optimizer<theta::RmsProp<float>>);
static_assert(theta::Optimizer<theta::Adam<double>, double>);
static_assert(!theta::Optimizer<theta::Adam<double>, float>);  // a float buffer does not bind to a double optimizer
static_assert(theta::Optimizer<SignSgd>);
static_assert(!theta::Optimizer<NoLearningRate>);
static_assert(!theta::Optimizer<NoStep>);
static_assert(!theta::Optimizer<NoConfig>);
static_assert(!theta::Optimizer<int>);

TEST_CASE("Optimizer: the built-in optimizers and a user-written one plug into the same code", "[concept]") {
  SignSgd sign(3, {.lr = 0.05});
  theta::Adam<float> adam(3, {.lr = 0.1});
  theta::Sgd<float> sgd(3, {.lr = 0.1, .momentum = 0.5});
  theta::RmsProp<float> rms(3, {.lr = 0.05});
  const float start = std::sqrt(12.0f);
  CHECK(minimise_quadratic(sign, 100) < 0.1f * start);
  CHECK(minimise_quadratic(adam, 100) < 0.1f * start);
  CHECK(minimise_quadratic(sgd, 100) < 0.1f * start);
  CHECK(minimise_quadratic(rms, 100) < 0.1f * start);
  CHECK(sign.learning_rate() < 0.05);  // the schedule drove the rate down
}
