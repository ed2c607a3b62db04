// Mlp forward and forward+backward throughput against a bare Eigen product loop of the same
// shapes, measured in the same benchmark body (interleaved, so machine noise hits both).
//
// Counters: GFLOP/s of theta (2 * in * out * batch per product: forward W x; backward dW and,
// above the first layer, W^T dz), the same for Eigen's `noalias()` products into
// preallocated matrices, and vs_eigen = theta / Eigen speed (target >= 0.8).
//
//     build/release/benchmarks/theta-micro --benchmark_filter='^nn_'
//         --benchmark_repetitions=5 --benchmark_report_aggregates_only=true   (one line)

#include <theta/nn/init.hpp>
#include <theta/nn/mlp.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <vector>

namespace {

using theta::Index;
using theta::Matrix;
using theta::nn::Activation;
using theta::nn::Mlp;
using theta::nn::MlpConfig;

constexpr Index kBatch = 256;

const MlpConfig kPpoActor{.inputs = 4, .hidden = {64, 64}, .outputs = 2, .hidden_activation = Activation::tanh};
const MlpConfig kPpoCritic{.inputs = 4, .hidden = {64, 64}, .outputs = 1, .hidden_activation = Activation::tanh};
// The PPO actor without its tanh: what is left is products, bias and copies, so vs_eigen
// isolates the kernel path from the activation (which the bare Eigen loop does not compute).
const MlpConfig kPpoActorIdentity{
    .inputs = 4, .hidden = {64, 64}, .outputs = 2, .hidden_activation = Activation::identity};
const MlpConfig kSacCritic{.inputs = 4, .hidden = {256, 256}, .outputs = 1, .hidden_activation = Activation::relu};
const MlpConfig kSacActor{.inputs = 3, .hidden = {256, 256}, .outputs = 2, .hidden_activation = Activation::relu};

// The bare-Eigen reference: the same products, nothing else, on preallocated matrices.
struct EigenLayers {
  std::vector<Matrix<float>> w, dw, a, dz, dx;

  explicit EigenLayers(const Mlp<float>& net) {
    a.push_back(Matrix<float>::Random(net.inputs(), kBatch));
    for (Index l = 0; l < net.num_layers(); ++l) {
      const auto layer = net.layer(l);
      w.emplace_back(layer.weight());
      dw.push_back(Matrix<float>::Zero(layer.outputs(), layer.inputs()));
      a.push_back(Matrix<float>::Zero(layer.outputs(), kBatch));
      dz.push_back(Matrix<float>::Random(layer.outputs(), kBatch) * 1e-3f);
      dx.push_back(Matrix<float>::Zero(layer.inputs(), kBatch));
    }
  }

  void forward() {
    for (std::size_t l = 0; l < w.size(); ++l) a[l + 1].noalias() = w[l] * a[l];
  }

  void backward() {
    for (std::size_t l = w.size(); l-- > 0;) {
      dw[l].noalias() += dz[l] * a[l].transpose();
      if (l > 0) dx[l].noalias() = w[l].transpose() * dz[l];
    }
  }
};

double forward_flops(const Mlp<float>& net) {
  double flops = 0;
  for (Index l = 0; l < net.num_layers(); ++l) {
    flops += 2.0 * static_cast<double>(net.layer(l).inputs() * net.layer(l).outputs() * kBatch);
  }
  return flops;
}

double backward_flops(const Mlp<float>& net) {
  double flops = 0;
  for (Index l = 0; l < net.num_layers(); ++l) {
    const double product = 2.0 * static_cast<double>(net.layer(l).inputs() * net.layer(l).outputs() * kBatch);
    flops += l > 0 ? 2 * product : product;
  }
  return flops;
}

template <class F>
double seconds(F&& pass) {
  const auto start = std::chrono::steady_clock::now();
  pass();
  benchmark::ClobberMemory();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void run(benchmark::State& state, const MlpConfig& config, bool with_backward) {
  Mlp<float> net(config);
  theta::Rng rng(1);
  theta::nn::init_orthogonal(net, std::sqrt(2.0), 1.0, rng);
  auto ws = net.make_workspace(kBatch);
  const Matrix<float> x = Matrix<float>::Random(config.inputs, kBatch);
  const Matrix<float> dy = Matrix<float>::Random(config.outputs, kBatch);
  EigenLayers eigen(net);

  const auto theta_pass = [&] {
    net.forward(x, ws);
    if (with_backward) net.backward(ws, dy);
    benchmark::DoNotOptimize(net.gradients().data());
  };
  const auto eigen_pass = [&] {
    eigen.forward();
    if (with_backward) eigen.backward();
    benchmark::DoNotOptimize(eigen.dw.back().data());
  };
  theta_pass();
  eigen_pass();

  // Each iteration times one theta pass and one Eigen pass; the reported time is theta's.
  double theta_seconds = 0, eigen_seconds = 0;
  for (auto _ : state) {
    const double t = seconds(theta_pass);
    eigen_seconds += seconds(eigen_pass);
    theta_seconds += t;
    state.SetIterationTime(t);
  }

  const double flops = forward_flops(net) + (with_backward ? backward_flops(net) : 0.0);
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] = flops * iterations / theta_seconds * 1e-9;
  state.counters["eigen_GFLOP/s"] = flops * iterations / eigen_seconds * 1e-9;
  state.counters["vs_eigen"] = eigen_seconds / theta_seconds;
}

void nn_forward_ppo_actor_4_64_64_2_tanh(benchmark::State& s) { run(s, kPpoActor, false); }
void nn_forward_backward_ppo_actor_4_64_64_2_tanh(benchmark::State& s) { run(s, kPpoActor, true); }
void nn_forward_ppo_critic_4_64_64_1_tanh(benchmark::State& s) { run(s, kPpoCritic, false); }
void nn_forward_backward_ppo_critic_4_64_64_1_tanh(benchmark::State& s) { run(s, kPpoCritic, true); }
void nn_forward_ppo_actor_4_64_64_2_identity(benchmark::State& s) { run(s, kPpoActorIdentity, false); }
void nn_forward_backward_ppo_actor_4_64_64_2_identity(benchmark::State& s) { run(s, kPpoActorIdentity, true); }
void nn_forward_sac_critic_4_256_256_1_relu(benchmark::State& s) { run(s, kSacCritic, false); }
void nn_forward_backward_sac_critic_4_256_256_1_relu(benchmark::State& s) { run(s, kSacCritic, true); }
void nn_forward_sac_actor_3_256_256_2_relu(benchmark::State& s) { run(s, kSacActor, false); }
void nn_forward_backward_sac_actor_3_256_256_2_relu(benchmark::State& s) { run(s, kSacActor, true); }

}  // namespace

BENCHMARK(nn_forward_ppo_actor_4_64_64_2_tanh)->UseManualTime();
BENCHMARK(nn_forward_backward_ppo_actor_4_64_64_2_tanh)->UseManualTime();
BENCHMARK(nn_forward_ppo_critic_4_64_64_1_tanh)->UseManualTime();
BENCHMARK(nn_forward_backward_ppo_critic_4_64_64_1_tanh)->UseManualTime();
BENCHMARK(nn_forward_ppo_actor_4_64_64_2_identity)->UseManualTime();
BENCHMARK(nn_forward_backward_ppo_actor_4_64_64_2_identity)->UseManualTime();
BENCHMARK(nn_forward_sac_critic_4_256_256_1_relu)->UseManualTime();
BENCHMARK(nn_forward_backward_sac_critic_4_256_256_1_relu)->UseManualTime();
BENCHMARK(nn_forward_sac_actor_3_256_256_2_relu)->UseManualTime();
BENCHMARK(nn_forward_backward_sac_actor_3_256_256_2_relu)->UseManualTime();
