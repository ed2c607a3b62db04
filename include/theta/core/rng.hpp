#pragma once
/// \file Rng: the one source of randomness. Seeded explicitly, split into independent
/// streams by a splitmix64 hash, with our own samplers so that a run does not depend on
/// the standard library's distributions.

#include <theta/core/error.hpp>

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>

namespace theta {

namespace detail {
__extension__ typedef unsigned __int128 uint128;  // GCC and clang; __extension__ keeps -Wpedantic quiet
}  // namespace detail

/// splitmix64 (Steele, Lea, Flood 2014): a bijective 64-bit mixer.
[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Hashes a seed and a stream id into the seed of an independent stream.
///
///     auto env_seed = derive_seed(config.seed, 7);   // stream 7 of this run
[[nodiscard]] constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) noexcept {
  return splitmix64(splitmix64(seed) ^ splitmix64(stream + 0x632be59bd9b4e019ULL));
}

/// xoshiro256++ (Blackman and Vigna 2019) seeded through splitmix64.
///
///     theta::Rng rng(42);
///     double u = rng.uniform();          // [0, 1)
///     float z = rng.normal<float>();     // N(0, 1)
///     theta::Rng child = rng.split(3);   // an independent stream
class Rng {
 public:
  using State = std::array<std::uint64_t, 4>;
  using result_type = std::uint64_t;

  /// Seeds the four state words from `seed` by splitmix64, as the xoshiro authors advise.
  explicit constexpr Rng(std::uint64_t seed = 0) noexcept { reseed(seed); }

  constexpr void reseed(std::uint64_t seed) noexcept {
    std::uint64_t x = seed;
    for (auto& word : state_) {
      x += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = x;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
  }

  /// An independent generator for stream `stream`, derived from this one's current state
  /// without advancing it.
  [[nodiscard]] constexpr Rng split(std::uint64_t stream) const noexcept {
    return Rng(derive_seed(state_[0] ^ std::rotl(state_[2], 17), stream));
  }

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return ~result_type{0}; }

  /// The next 64 random bits.
  constexpr result_type operator()() noexcept { return next(); }

  constexpr std::uint64_t next() noexcept {
    const std::uint64_t result = std::rotl(state_[0] + state_[3], 23) + state_[0];
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = std::rotl(state_[3], 45);
    return result;
  }

  /// Uniform in [0, 1) with the full mantissa of `T` (53 or 24 bits).
  template <class T = double>
  constexpr T uniform() noexcept {
    if constexpr (sizeof(T) == sizeof(float)) {
      return static_cast<T>(next() >> 40) * T(0x1.0p-24);
    } else {
      return static_cast<T>(next() >> 11) * T(0x1.0p-53);
    }
  }

  /// Uniform in [low, high).
  template <class T = double>
  constexpr T uniform(T low, T high) noexcept {
    return low + (high - low) * uniform<T>();
  }

  /// Uniform integer in [0, n) by Lemire's multiply-shift with rejection (no modulo bias).
  std::uint64_t below(std::uint64_t n) {
    require(n > 0, "Rng::below: n must be > 0, got {}", n);
    detail::uint128 m = static_cast<detail::uint128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<detail::uint128>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

  /// Standard normal by Box-Muller in double (one of the pair is used; no hidden cache, so
  /// the whole state is the four words).
  template <class T = double>
  T normal() noexcept {
    // 1 - u is in (0, 1], so the log is finite.
    const double u1 = 1.0 - uniform<double>();
    const double u2 = uniform<double>();
    return static_cast<T>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2));
  }

  /// Normal with the given mean and standard deviation.
  template <class T = double>
  T normal(T mean, T stddev) noexcept {
    return mean + stddev * normal<T>();
  }

  /// Index k with probability proportional to weights[k] (non-negative, finite, not all 0),
  /// by inverse CDF on one uniform draw.
  template <class T>
  std::ptrdiff_t categorical(std::span<const T> weights);

  /// The full state, to checkpoint and restore.
  [[nodiscard]] constexpr const State& state() const noexcept { return state_; }
  void set_state(const State& state) {
    require(state != State{}, "Rng::set_state: the all-zero state is invalid for xoshiro256++");
    state_ = state;
  }

  friend constexpr bool operator==(const Rng&, const Rng&) = default;

 private:
  State state_{};
};

template <class T>
std::ptrdiff_t Rng::categorical(std::span<const T> weights) {
  require(!weights.empty(), "Rng::categorical: weights must not be empty");
  double total = 0;
  for (const T w : weights) {
    require(std::isfinite(static_cast<double>(w)) && w >= T(0),
            "Rng::categorical: weights must be finite and >= 0, got {}", static_cast<double>(w));
    total += static_cast<double>(w);
  }
  require(total > 0, "Rng::categorical: weights must not all be 0");
  const double target = uniform<double>() * total;
  double cumulative = 0;
  for (std::size_t k = 0; k < weights.size(); ++k) {
    cumulative += static_cast<double>(weights[k]);
    if (target < cumulative) return static_cast<std::ptrdiff_t>(k);
  }
  // Rounding can leave target == total; return the last category with positive weight.
  for (std::size_t k = weights.size(); k-- > 0;) {
    if (weights[k] > T(0)) return static_cast<std::ptrdiff_t>(k);
  }
  return 0;
}

}  // namespace theta
