// Proves that Mlp's forward, backward, vjp and JVP allocate nothing once a workspace exists,
// with the two detectors of tests/support/allocation_counter.hpp (Eigen's
// EIGEN_RUNTIME_NO_MALLOC and a counting global operator new), which must be included first.

#include "support/allocation_counter.hpp"

#include <theta/nn/init.hpp>
#include <theta/nn/mlp.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <vector>

namespace {

using theta::Index;
using theta::Matrix;
using theta::Rng;
using theta::Vector;
using theta::nn::Activation;
using theta::nn::Mlp;

using theta::test::Allocations;
using theta::test::count_allocations;

// Written through so the optimiser cannot drop an allocation whose result is unused.
void* volatile sink = nullptr;

template <class T>
void check_mlp_no_allocation(const theta::nn::MlpConfig& config, Index capacity, Index batch) {
  INFO(config.inputs << " -> " << config.hidden.front() << " x " << config.hidden.size() << " -> " << config.outputs
                     << ", batch " << batch << " of " << capacity);
  Mlp<T> net(config);
  Rng rng(3);
  theta::nn::init_orthogonal(net, std::sqrt(2.0), 1.0, rng);
  auto ws = net.make_workspace(capacity);
  Matrix<T> x(config.inputs, batch), dy(config.outputs, batch), u(config.inputs, batch);
  Matrix<T> dx(config.inputs, batch), jv(config.outputs, batch);
  Vector<T> tangent(net.num_parameters()), fvp(net.num_parameters());
  for (auto* m : {&x, &dy, &u}) {
    for (Index k = 0; k < m->size(); ++k) m->data()[k] = rng.normal<T>();
  }
  for (Index k = 0; k < tangent.size(); ++k) tangent[k] = rng.normal<T>();

  const auto pass = [&] {
    net.zero_grad();
    net.forward(x, ws);
    net.backward(ws, dy);
    net.backward(ws, dy, dx);
    net.input_gradient(ws, dy, dx);
    net.jvp(ws, tangent, jv);
    net.jvp(ws, tangent, u, jv);
    fvp.setZero();
    net.vjp(ws, jv, fvp);
    auto in = ws.input(batch);  // the in-place input path
    in = x;
    net.forward(ws);
  };
  pass();  // warm-up (nothing should need it, but the claim is "after warm-up")
  const Allocations a = count_allocations(pass);
  CHECK(a.eigen == 0);
  CHECK(a.news == 0);
  // The calls did their work.
  CHECK(ws.output().allFinite());
  CHECK(net.gradients().norm() > 0);
  CHECK(jv.norm() > 0);
  CHECK(dx.norm() > 0);
}

}  // namespace

TEST_CASE("The allocation detectors work: Eigen's own 256-wide product and operator new are caught", "[alloc]") {
  // Eigen's GEMM heap-allocates its packing blocks beyond EIGEN_STACK_ALLOCATION_LIMIT, even
  // into a preallocated destination: exactly what the workspace avoids.
  Eigen::MatrixXf a = Eigen::MatrixXf::Ones(256, 256), b = a, c(256, 256);
  const Allocations product = count_allocations([&] { c.noalias() = a * b; });
  CHECK(product.eigen > 0);
  CHECK(c(0, 0) == 256.0f);

  const Allocations vector = count_allocations([] {
    auto v = std::make_unique<std::vector<int>>(100, 1);
    sink = v->data();
  });
  CHECK(vector.news > 0);

  // A small Eigen product stays on the stack, and a Map-to-Map copy allocates nothing.
  Eigen::MatrixXf s = Eigen::MatrixXf::Ones(8, 8), t(8, 8);
  const Allocations small = count_allocations([&] { t.noalias() = s * s; });
  CHECK(small.eigen == 0);
  CHECK(small.news == 0);
}

TEST_CASE("Mlp forward, backward, vjp and JVP allocate nothing after the workspace is built", "[alloc]") {
  const theta::nn::MlpConfig ppo{.inputs = 4, .hidden = {64, 64}, .outputs = 2};
  const theta::nn::MlpConfig sac_critic{
      .inputs = 4, .hidden = {256, 256}, .outputs = 1, .hidden_activation = Activation::relu};
  const theta::nn::MlpConfig sac_actor{
      .inputs = 3, .hidden = {256, 256}, .outputs = 2, .hidden_activation = Activation::relu};
  SECTION("64-64 tanh, batch 256") { check_mlp_no_allocation<float>(ppo, 256, 256); }
  SECTION("64-64 tanh, batch 100 of 256") { check_mlp_no_allocation<float>(ppo, 256, 100); }
  SECTION("256-256 relu critic, batch 256") { check_mlp_no_allocation<float>(sac_critic, 256, 256); }
  SECTION("256-256 relu critic, batch 100 of 256") { check_mlp_no_allocation<float>(sac_critic, 256, 100); }
  SECTION("256-256 relu actor, batch 256") { check_mlp_no_allocation<float>(sac_actor, 256, 256); }
  SECTION("256-256 relu actor, batch 1 of 256") { check_mlp_no_allocation<float>(sac_actor, 256, 1); }
  SECTION("256-256 relu critic in double, batch 256") { check_mlp_no_allocation<double>(sac_critic, 256, 256); }
}
