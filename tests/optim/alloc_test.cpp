// The optimizer step, clipping and conjugate gradient allocate nothing after construction
// (see tests/distributions/alloc_test.cpp for how the check works in Release builds).
#define EIGEN_RUNTIME_NO_MALLOC
#include <stdexcept>
#define eigen_assert(x) \
  do {                  \
    if (!(x)) throw std::runtime_error("eigen_assert failed: " #x); \
  } while (false)

#include <theta/optim.hpp>

#include <catch2/catch.hpp>

#include <array>

namespace {
struct NoMalloc {
  NoMalloc() { Eigen::internal::set_is_malloc_allowed(false); }
  ~NoMalloc() { Eigen::internal::set_is_malloc_allowed(true); }
  NoMalloc(const NoMalloc&) = delete;
  NoMalloc& operator=(const NoMalloc&) = delete;
};
}  // namespace

TEST_CASE("No-allocation guard: an allocation under the guard is caught", "[alloc]") {
  NoMalloc guard;
  REQUIRE_THROWS_WITH(Eigen::VectorXf(1000), Catch::Contains("heap allocation is forbidden"));
}

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

  NoMalloc guard;
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
  const auto step = theta::backtracking_line_search([](double fraction) { return fraction < 0.6; }, 10);
  CHECK(step.has_value());
}
