// HogwildOptimizer: the shared (relaxed-atomic) step is the ordinary step on one thread, and
// concurrent steps on the same parameters are defined behaviour (run under ThreadSanitizer by
// the tsan preset) that loses no step count.
#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <thread>
#include <vector>

namespace {

// An optimizer of the concept without a hogwild_step (AsyncTrainer applies it under a lock).
struct SignDescent {
  struct Config {
    double lr = 1e-3;
  };
  SignDescent(theta::Index, const Config& config) : lr(config.lr) {}
  void step(Eigen::Ref<theta::Vector<float>> params, const Eigen::Ref<const theta::Vector<float>>& grads) {
    params.array() -= static_cast<float>(lr) * grads.array().sign();
  }
  double learning_rate() const { return lr; }
  void set_learning_rate(double value) { lr = value; }
  double lr;
};

theta::Vector<float> gradient_at(int k, theta::Index n) {
  theta::Rng rng(static_cast<std::uint64_t>(100 + k));
  theta::Vector<float> g(n);
  for (theta::Index i = 0; i < n; ++i) g[i] = static_cast<float>(rng.normal());
  return g;
}

// Steps a copy with step() and a copy with hogwild_step() through the same gradients: 37
// entries (less than a chunk, not a multiple of any vector width) and 600 (three chunks, the
// last one partial).
template <class Opt, class T = float>
void require_same_as_step(const typename Opt::Config& config) {
  for (const theta::Index n : {theta::Index{37}, theta::Index{600}}) {
    INFO("n = " << n);
    theta::Vector<T> a = gradient_at(0, n).template cast<T>(), b = a;
    Opt plain(n, config), shared(n, config);
    for (int k = 1; k <= 6; ++k) {
      const theta::Vector<T> g = gradient_at(k, n).template cast<T>();
      plain.step(a, g);
      shared.hogwild_step(std::span<T>(b.data(), static_cast<std::size_t>(n)), g, config.lr);
    }
    CHECK(plain.step_count() == 6);
    CHECK(shared.step_count() == 6);
    for (theta::Index i = 0; i < n; ++i) REQUIRE(a[i] == b[i]);
  }
}

}  // namespace

TEST_CASE("RmsProp, Adam and Sgd satisfy HogwildOptimizer; an optimizer without hogwild_step does not",
          "[unit][concept]") {
  STATIC_REQUIRE(theta::HogwildOptimizer<theta::RmsProp<float>, float>);
  STATIC_REQUIRE(theta::HogwildOptimizer<theta::Adam<double>, double>);
  STATIC_REQUIRE(theta::HogwildOptimizer<theta::Sgd<float>, float>);
  STATIC_REQUIRE(theta::Optimizer<SignDescent, float>);
  STATIC_REQUIRE_FALSE(theta::HogwildOptimizer<SignDescent, float>);
}

TEST_CASE("hogwild_step on one thread equals step, bit for bit", "[unit]") {
  SECTION("RmsProp") { require_same_as_step<theta::RmsProp<float>>({.lr = 1e-2, .alpha = 0.9, .eps = 0.1}); }
  SECTION("RmsProp, TF-like") { require_same_as_step<theta::RmsProp<float>>({.lr = 1e-2, .tf_like = true}); }
  SECTION("Adam") { require_same_as_step<theta::Adam<float>>({.lr = 1e-2}); }
  SECTION("Adam, L2 weight decay") { require_same_as_step<theta::Adam<float>>({.lr = 1e-2, .weight_decay = 0.1}); }
  SECTION("AdamW") {
    require_same_as_step<theta::Adam<float>>({.lr = 1e-2, .weight_decay = 0.1, .decoupled_weight_decay = true});
  }
  SECTION("Adam, double, L2") {
    require_same_as_step<theta::Adam<double>, double>({.lr = 1e-2, .weight_decay = 0.1});
  }
  SECTION("Sgd") { require_same_as_step<theta::Sgd<float>>({.lr = 1e-2}); }
  SECTION("Sgd, momentum") { require_same_as_step<theta::Sgd<float>>({.lr = 1e-2, .momentum = 0.9}); }
  SECTION("Sgd, Nesterov") { require_same_as_step<theta::Sgd<float>>({.lr = 1e-2, .momentum = 0.9, .nesterov = true}); }
}

TEST_CASE("a shared step visits every entry once, in chunks, from a start that spreads with the step number", "[unit]") {
  using Relaxed = theta::detail::RelaxedAccess;
  for (const theta::Index n : {0, 1, 2, 37, 1000}) {
    std::vector<theta::Index> starts;
    for (std::int64_t step = 1; step <= 64; ++step) {
      // Two shared buffers: entry i holds i and -i; the loop sees local copies of a chunk.
      std::vector<double> a(static_cast<std::size_t>(n)), b(static_cast<std::size_t>(n));
      for (theta::Index i = 0; i < n; ++i) {
        a[static_cast<std::size_t>(i)] = static_cast<double>(i);
        b[static_cast<std::size_t>(i)] = -static_cast<double>(i);
      }
      theta::Index start = -1;
      Relaxed::for_chunks(n, step, std::array<double*, 2>{a.data(), b.data()},
                          [&](theta::Index begin, theta::Index count, std::array<double*, 2> local) {
                            if (start < 0) start = begin;
                            REQUIRE(count >= 1);
                            REQUIRE(count <= Relaxed::chunk);
                            REQUIRE(begin + count <= n);
                            for (theta::Index i = 0; i < count; ++i) {
                              REQUIRE(local[0][i] == static_cast<double>(begin + i));  // the chunk was copied in
                              REQUIRE(local[1][i] == -static_cast<double>(begin + i));
                              local[0][i] += 0.5;  // and is written back
                              local[1][i] -= 0.25;
                            }
                          });
      for (theta::Index i = 0; i < n; ++i) {
        REQUIRE(a[static_cast<std::size_t>(i)] == static_cast<double>(i) + 0.5);  // visited exactly once
        REQUIRE(b[static_cast<std::size_t>(i)] == -static_cast<double>(i) - 0.25);
      }
      starts.push_back(start);
    }
    if (n == 1000) {
      // Consecutive steps (threads stepping at the same time) start at least n / 8 apart, circularly.
      for (std::size_t k = 1; k < starts.size(); ++k) {
        const theta::Index d = std::abs(starts[k] - starts[k - 1]);
        CHECK(std::min(d, n - d) >= n / 8);
      }
    }
  }
  // The plain step runs in order.
  std::vector<theta::Index> begins;
  theta::detail::PlainAccess::for_range(10, 7, [&](theta::Index begin, theta::Index end) {
    begins.push_back(begin);
    CHECK(end == 10);
  });
  CHECK(begins == std::vector<theta::Index>{0});
}

TEST_CASE("hogwild_step checks sizes and takes its learning rate as given", "[unit]") {
  theta::RmsProp<float> rms(4, {.lr = 1.0});
  theta::Vector<float> x = theta::Vector<float>::Zero(3);
  const theta::Vector<float> g = theta::Vector<float>::Ones(4);
  CHECK_THROWS_WITH(rms.hogwild_step(std::span<float>(x.data(), 3), g, 0.1),
                    Catch::Contains("RmsProp::hogwild_step") && Catch::Contains("3"));
  theta::Vector<float> y = theta::Vector<float>::Zero(4);
  rms.hogwild_step(std::span<float>(y.data(), 4), g, 0.0);  // lr 0: a step that moves nothing
  CHECK(y.isZero());
  CHECK(rms.step_count() == 1);
  CHECK(rms.learning_rate() == 1.0);  // the optimizer's own rate is not touched
}

TEST_CASE("relaxed_copy copies every entry and checks the size", "[unit]") {
  theta::Vector<float> shared = gradient_at(3, 10), out(10);
  theta::relaxed_copy(std::span<float>(shared.data(), 10), out);
  CHECK(out == shared);
  theta::Vector<float> short_out(9);
  CHECK_THROWS_WITH(theta::relaxed_copy(std::span<float>(shared.data(), 10), short_out),
                    Catch::Contains("10 shared parameters into a vector of 9"));
}

TEST_CASE("concurrent hogwild steps: every step counted, each entry a whole number of kept steps", "[unit]") {
  // Plain SGD with a gradient of 1 and lr 2^-10: every entry ends at -k/1024 exactly, where k,
  // the steps that entry kept, is at most both threads' (none lost) and at least 1: a thread
  // preempted between its load and its store of an entry overwrites whatever the other
  // stored meanwhile (Hogwild! loses updates; it never invents or tears them).
  const theta::Index n = 4096;
  const int steps = 400;
  const double lr = 1.0 / 1024;
  theta::Sgd<float> sgd(n, {.lr = lr});
  theta::Vector<float> x = theta::Vector<float>::Zero(n);
  const theta::Vector<float> ones = theta::Vector<float>::Ones(n);
  const auto work = [&] {
    for (int k = 0; k < steps; ++k) sgd.hogwild_step(std::span<float>(x.data(), static_cast<std::size_t>(n)), ones, lr);
  };
  std::thread other(work);
  work();
  other.join();
  CHECK(sgd.step_count() == 2 * steps);
  for (theta::Index i = 0; i < n; ++i) {
    const double kept = -static_cast<double>(x[i]) * 1024;
    REQUIRE(kept == std::floor(kept));
    REQUIRE(kept >= 1);
    REQUIRE(kept <= 2 * steps);
  }
}

TEST_CASE("concurrent shared RMSProp steps keep the statistics finite and non-negative", "[unit]") {
  const theta::Index n = 1000;
  theta::RmsProp<float> rms(n, {.lr = 1e-3, .alpha = 0.99, .eps = 0.1});
  theta::Vector<float> x = theta::Vector<float>::Zero(n);
  const auto work = [&](int seed) {
    for (int k = 0; k < 200; ++k) {
      const theta::Vector<float> g = gradient_at(seed * 1000 + k, n);
      rms.hogwild_step(std::span<float>(x.data(), static_cast<std::size_t>(n)), g, 1e-3);
    }
  };
  std::thread other(work, 1);
  work(2);
  other.join();
  CHECK(rms.step_count() == 400);
  CHECK(x.allFinite());
  CHECK((rms.square_avg().array() >= 0).all());
  CHECK((rms.square_avg().array() > 0).all());
}
