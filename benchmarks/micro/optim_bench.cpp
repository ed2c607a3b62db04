// Adam step throughput: theta's fused single-pass loop against the naive three-expression
// Eigen version, over 9k parameters (a 64-64 actor-critic) and 200k (a 256-256 SAC critic
// pair). TARGETS.md: fused 0.18 ns/param, three expressions about 1.6x that.
//
//     theta-micro --benchmark_filter=Adam --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <theta/optim/adam.hpp>

#include <benchmark/benchmark.h>

#include <cmath>

namespace {

// Time per parameter (CPU time / parameters stepped), printed with an SI prefix: 180ps = 0.18 ns.
void report_time_per_param(benchmark::State& state, Eigen::Index n) {
  state.counters["time_per_param"] = benchmark::Counter(
      static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * n);
}

void BM_AdamFused(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  Eigen::VectorXf params = Eigen::VectorXf::Random(n);
  const Eigen::VectorXf grads = Eigen::VectorXf::Random(n) * 1e-2f;
  theta::Adam<float> adam(n, {.lr = 1e-4});
  for (auto _ : state) {
    adam.step(params, grads);
    benchmark::DoNotOptimize(params.data());
    benchmark::ClobberMemory();
  }
  report_time_per_param(state, n);
}

// The same update as three Eigen expressions (m, v, then x), each a separate pass.
void BM_AdamNaiveEigen(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  Eigen::VectorXf params = Eigen::VectorXf::Random(n);
  const Eigen::VectorXf grads = Eigen::VectorXf::Random(n) * 1e-2f;
  Eigen::VectorXf m = Eigen::VectorXf::Zero(n), v = Eigen::VectorXf::Zero(n);
  const float lr = 1e-4f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  int t = 0;
  for (auto _ : state) {
    ++t;
    const auto step_size = static_cast<float>(lr / (1.0 - std::pow(0.9, t)));
    const auto inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(0.999, t)));
    m = beta1 * m + (1 - beta1) * grads;
    v = beta2 * v + (1 - beta2) * grads.cwiseAbs2();
    params.array() -= step_size * m.array() / (v.array().sqrt() * inv_sqrt_bc2 + eps);
    benchmark::DoNotOptimize(params.data());
    benchmark::ClobberMemory();
  }
  report_time_per_param(state, n);
}

}  // namespace

BENCHMARK(BM_AdamFused)->Arg(9000)->Arg(200000);
BENCHMARK(BM_AdamNaiveEigen)->Arg(9000)->Arg(200000);
