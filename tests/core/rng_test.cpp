#include <theta/core/rng.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <vector>

using theta::Rng;

TEST_CASE("Rng: the same seed gives the same stream; other seeds differ", "[unit]") {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    REQUIRE(x == b.next());
    REQUIRE(x != c.next());
  }
}

TEST_CASE("Rng: xoshiro256++ matches the reference output of its authors' code", "[unit]") {
  // State {1, 2, 3, 4}: the first outputs of xoshiro256plusplus.c (Blackman and Vigna),
  // computed by hand from the published algorithm: rotl(s0 + s3, 23) + s0.
  Rng rng;
  rng.set_state({1, 2, 3, 4});
  REQUIRE(rng.next() == (std::uint64_t{5} << 23) + 1);
}

TEST_CASE("Rng: splitmix64 matches its published first output for seed 0", "[unit]") {
  // splitmix64 with state 0 (Vigna's splitmix64.c): first output 0xe220a8397b1dcdaf.
  REQUIRE(theta::splitmix64(0) == 0xe220a8397b1dcdafULL);
}

TEST_CASE("Rng: derived streams are distinct and reproducible", "[unit]") {
  REQUIRE(theta::derive_seed(1, 0) == theta::derive_seed(1, 0));
  REQUIRE(theta::derive_seed(1, 0) != theta::derive_seed(1, 1));
  REQUIRE(theta::derive_seed(1, 0) != theta::derive_seed(2, 0));
  Rng parent(9);
  const Rng before = parent;
  Rng s0 = parent.split(0), s1 = parent.split(1);
  REQUIRE(parent == before);  // split does not advance the parent
  REQUIRE(s0.next() != s1.next());
}

TEST_CASE("Rng: state save and restore replays the stream", "[unit]") {
  Rng rng(7);
  for (int i = 0; i < 10; ++i) rng.next();
  const auto saved = rng.state();
  std::array<double, 5> first{};
  for (auto& x : first) x = rng.normal();
  rng.set_state(saved);
  for (const double x : first) REQUIRE(rng.normal() == x);
  REQUIRE_THROWS_WITH(rng.set_state({0, 0, 0, 0}), Catch::Contains("all-zero"));
}

TEST_CASE("Rng: uniform and normal moments", "[unit]") {
  Rng rng(123);
  const int n = 200000;
  double sum = 0, sum2 = 0, usum = 0;
  double umin = 1, umax = 0;
  float fmin = 1, fmax = 0;
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal();
    sum += z;
    sum2 += z * z;
    const double u = rng.uniform();
    usum += u;
    umin = std::min(umin, u);
    umax = std::max(umax, u);
    const float f = rng.uniform<float>();
    fmin = std::min(fmin, f);
    fmax = std::max(fmax, f);
  }
  // Standard errors: mean 1/sqrt(n) = 0.0022, variance sqrt(2/n) = 0.0032; 5 sigma bounds.
  REQUIRE(std::abs(sum / n) < 0.012);
  REQUIRE(std::abs(sum2 / n - 1.0) < 0.016);
  REQUIRE(std::abs(usum / n - 0.5) < 0.0033);
  REQUIRE(umin >= 0.0);
  REQUIRE(umax < 1.0);
  REQUIRE(fmin >= 0.0f);
  REQUIRE(fmax < 1.0f);
}

TEST_CASE("Rng: below is unbiased and in range", "[unit]") {
  Rng rng(5);
  std::array<int, 3> counts{};
  for (int i = 0; i < 30000; ++i) ++counts[rng.below(3)];
  for (const int c : counts) REQUIRE(std::abs(c - 10000) < 500);  // sd = 82
  REQUIRE_THROWS_WITH(rng.below(0), Catch::Contains("n must be > 0"));
}

TEST_CASE("Rng: categorical follows the weights and rejects bad weights", "[unit]") {
  Rng rng(11);
  const std::vector<double> w{0.1, 0.0, 0.6, 0.3};
  std::array<int, 4> counts{};
  const int n = 100000;
  for (int i = 0; i < n; ++i) ++counts[static_cast<std::size_t>(rng.categorical(std::span<const double>(w)))];
  REQUIRE(counts[1] == 0);
  for (std::size_t k = 0; k < 4; ++k) REQUIRE(std::abs(counts[k] / double(n) - w[k]) < 0.008);
  const std::vector<double> negative{0.5, -0.1};
  REQUIRE_THROWS_WITH(rng.categorical(std::span<const double>(negative)), Catch::Contains("must be finite and >= 0"));
  const std::vector<float> zeros{0.0f, 0.0f};
  REQUIRE_THROWS_WITH(rng.categorical(std::span<const float>(zeros)), Catch::Contains("not all be 0"));
}
