// What A3C's workers pay for the shared parameters (docs/algorithms/a3c.md, "Scaling"): one
// worker update's pull (relaxed copy of the shared parameters into the local copy) and push
// (shared RMSProp's hogwild_step), alone and with a second thread doing the same on the same
// buffers, against the ordinary vectorised RMSprop step. Sizes: 9k parameters (64-64 actor and
// critic on CartPole) and 133k (256-256); and shared Adam's push against its step.
//
//     theta-micro --benchmark_filter=Hogwild --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <theta/optim/adam.hpp>
#include <theta/optim/hogwild.hpp>
#include <theta/optim/rmsprop.hpp>

#include <benchmark/benchmark.h>

#include <memory>
#include <span>

namespace {

// One shared parameter vector and optimizer per size, for every thread of a benchmark.
struct SharedBuffers {
  explicit SharedBuffers(Eigen::Index n)
      : params(Eigen::VectorXf::Random(n)), rms(n, {.lr = 1e-4, .alpha = 0.99, .eps = 0.1}) {}
  Eigen::VectorXf params;
  theta::RmsProp<float> rms;
};

SharedBuffers& shared_buffers(Eigen::Index n) {
  static std::unique_ptr<SharedBuffers> small, large;
  auto& slot = n <= 9000 ? small : large;
  if (!slot || slot->params.size() != n) slot = std::make_unique<SharedBuffers>(n);
  return *slot;
}

void report_updates(benchmark::State& state, Eigen::Index n) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));  // updates (per thread, summed)
  state.counters["params"] = static_cast<double>(n);
}

// The ordinary step: one thread, plain memory, vectorised.
void BM_HogwildBaselinePlainStep(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  Eigen::VectorXf params = Eigen::VectorXf::Random(n);
  const Eigen::VectorXf grads = Eigen::VectorXf::Random(n) * 1e-2F;
  theta::RmsProp<float> rms(n, {.lr = 1e-4, .alpha = 0.99, .eps = 0.1});
  for (auto _ : state) {
    rms.step(params, grads);
    benchmark::DoNotOptimize(params.data());
    benchmark::ClobberMemory();
  }
  report_updates(state, n);
}

// A worker's shared-memory part of one update: pull, then push.
void BM_HogwildPullPush(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  if (state.thread_index() == 0) shared_buffers(n);  // built before the threads start timing
  SharedBuffers& shared = shared_buffers(n);
  Eigen::VectorXf local(n);
  const Eigen::VectorXf grads = Eigen::VectorXf::Random(n) * 1e-2F;
  const std::span<float> view(shared.params.data(), static_cast<std::size_t>(n));
  for (auto _ : state) {
    theta::relaxed_copy(view, local);
    shared.rms.hogwild_step(view, grads, 1e-4);
    benchmark::DoNotOptimize(local.data());
  }
  report_updates(state, n);
}

// The push alone.
void BM_HogwildPush(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  if (state.thread_index() == 0) shared_buffers(n);
  SharedBuffers& shared = shared_buffers(n);
  const Eigen::VectorXf grads = Eigen::VectorXf::Random(n) * 1e-2F;
  const std::span<float> view(shared.params.data(), static_cast<std::size_t>(n));
  for (auto _ : state) shared.rms.hogwild_step(view, grads, 1e-4);
  report_updates(state, n);
}

// The push of a shared Adam (RLlib's A3C settings: three buffers, parameters and two moments),
// one thread, against its ordinary step.
void BM_HogwildAdam(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  const bool shared_step = state.range(1) == 1;
  Eigen::VectorXf params = Eigen::VectorXf::Random(n);
  const Eigen::VectorXf grads = Eigen::VectorXf::Random(n) * 1e-2F;
  theta::Adam<float> adam(n, {.lr = 1e-4});
  const std::span<float> view(params.data(), static_cast<std::size_t>(n));
  for (auto _ : state) {
    if (shared_step) {
      adam.hogwild_step(view, grads, 1e-4);
    } else {
      adam.step(params, grads);
    }
    benchmark::DoNotOptimize(params.data());
    benchmark::ClobberMemory();
  }
  report_updates(state, n);
  state.SetLabel(shared_step ? "hogwild_step" : "step");
}

}  // namespace

BENCHMARK(BM_HogwildAdam)->Args({9000, 0})->Args({9000, 1})->Args({133000, 0})->Args({133000, 1});
BENCHMARK(BM_HogwildBaselinePlainStep)->Arg(9000)->Arg(133000);
BENCHMARK(BM_HogwildPush)->Arg(9000)->Arg(133000)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_HogwildPullPush)->Arg(9000)->Arg(133000)->Threads(1)->Threads(2)->UseRealTime();
