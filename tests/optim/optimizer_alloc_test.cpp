// The optimizer step, clipping and conjugate gradient allocate nothing after construction,
// counted by the two detectors of support/allocation_counter.hpp, which must come first.
#include "support/allocation_counter.hpp"

#include <theta/optim.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <optional>

using theta::test::Allocations;
using theta::test::count_allocations;

TEST_CASE("Optimizers, clipping and conjugate gradient allocate nothing after construction", "[alloc]") {
  const Eigen::Index n = 1000;
  Eigen::VectorXf params = Eigen::VectorXf::Random(n), grads = Eigen::VectorXf::Random(n), other = grads;
  theta::Adam<float> adam(n, {.weight_decay = 0.01});
  theta::Adam<float> adamw(n, {.weight_decay = 0.01, .decoupled_weight_decay = true});
  theta::Sgd<float> sgd(n, {.momentum = 0.9, .nesterov = true});
  theta::RmsProp<float> rms(n, {.tf_like = true});
  const Eigen::VectorXf diagonal = Eigen::VectorXf::LinSpaced(n, 1, 2);
  theta::ConjugateGradientWorkspace<float> workspace(n);
  Eigen::VectorXf x(n);

  const Eigen::VectorXf before = params;
  std::optional<theta::LineSearchStep> step;
  const Allocations a = count_allocations([&] {
    for (int k = 0; k < 3; ++k) {
      adam.step(params, grads);
      adamw.step(params, grads);
      sgd.step(params, grads);
      rms.step(params, grads);
    }
    theta::clip_grad_norm(grads, 0.5f);
    std::array<Eigen::Ref<Eigen::VectorXf>, 2> buffers{grads, other};
    theta::clip_grad_norm(std::span(buffers), 0.5f);
    auto product = [&](const Eigen::VectorXf& v, Eigen::VectorXf& out) { out = diagonal.cwiseProduct(v); };
    theta::conjugate_gradient(product, grads, x, 10, 1e-10, workspace);
    step = theta::backtracking_line_search([](double fraction) { return fraction < 0.6; }, 10);
  });
  CHECK(a.eigen == 0);
  CHECK(a.news == 0);
  // The calls did their work.
  CHECK(params != before);
  CHECK(x.allFinite());
  CHECK(step.has_value());
}

TEST_CASE("The allocation detectors see an optimizer built inside the counted region", "[alloc]") {
  // Construction allocates the moment buffers: the detectors must say so, or the test above
  // could pass with detectors that see nothing.
  const Allocations a = count_allocations([] {
    theta::Adam<float> adam(1000, {});
    CHECK(adam.size() == 1000);
  });
  CHECK(a.eigen > 0);
}
