#pragma once
/// \file Arithmetic that gives the same bits as Python/numpy float64 code, whatever flags the
/// user compiles with. The classic environments reproduce Gymnasium step for step; three
/// compiler behaviours would break that, and each has a helper here:
///
/// - FMA contraction. g++ fuses `a * b + c` into one rounding by default (`-ffp-contract=fast`)
///   and clang within an expression (`on`) as soon as the target has FMA (`-march=native`).
///   `unfused(a * b)` hides the product behind an empty asm statement, so no compiler can fuse
///   it with the `+` or `-` it feeds. Unlike `__attribute__((optimize("fp-contract=off")))`,
///   which g++ 12 honours only by refusing to inline the function, this survives inlining and
///   costs nothing but the lost fusion.
/// - `x**2` in Python is libm `pow(x, 2.0)`, which differs from `x * x` by 1 ulp in about
///   0.08% of calls; compilers fold `pow(x, 2.0)` into `x * x`. `pow2` hides the exponent.
/// - g++ 12.2 at -O2 and above (SLP vectorizer) drops the rounding in `d[0] = (float)a;
///   d[1] = (float)b;` when `d` is double. `round_to_float` pins the float value.
///
/// The asm statements are empty: they emit no instruction, they only make a value opaque.

#include <cmath>
#include <concepts>

namespace theta::detail {

/// Returns `x` unchanged, as a value the optimiser cannot look through.
template <class T>
  requires std::same_as<T, float> || std::same_as<T, double>
[[nodiscard]] inline T opaque(T x) noexcept {
#if defined(__GNUC__) && (defined(__x86_64__) || (defined(__i386__) && defined(__SSE2_MATH__)))
  asm("" : "+x"(x));  // an SSE register: no spill to memory
#elif defined(__GNUC__) && defined(__aarch64__)
  asm("" : "+w"(x));
#elif defined(__GNUC__)
  asm("" : "+m"(x));
#else
  // MSVC contracts only under /fp:fast or /fp:contract; a volatile round trip is the portable
  // fallback.
  volatile T v = x;
  x = v;
#endif
  return x;
}

/// The product `p` (already rounded), barred from fusing with the addition it feeds:
/// `y + unfused(a * b)` rounds twice, as Python does.
[[nodiscard]] inline double unfused(double p) noexcept { return opaque(p); }

/// libm `pow(x, 2.0)`, what Python's `x**2` computes on floats (not always `x * x`).
[[nodiscard]] inline double pow2(double x) noexcept { return std::pow(x, opaque(2.0)); }

/// `x` rounded to the nearest float, as a double (numpy's `astype(float32)` kept in a double).
[[nodiscard]] inline double round_to_float(double x) noexcept {
  return static_cast<double>(opaque(static_cast<float>(x)));
}

/// Python's float `x % m` for m > 0 (floor modulo, numpy's `npy_divmod`): the result has the
/// sign of m, and an exact zero is +0.
[[nodiscard]] inline double floor_mod(double x, double m) noexcept {
  double r = std::fmod(x, m);
  if (r != 0.0) {
    if (r < 0.0) r += m;
  } else {
    r = 0.0;
  }
  return r;
}

/// Python's `min(max(x, low), high)` (Acrobot's `bound`, Pendulum's `np.clip` on a scalar):
/// ties keep `x`, as Python's `max` keeps its first argument.
[[nodiscard]] inline double clip(double x, double low, double high) noexcept {
  const double y = low > x ? low : x;
  return high < y ? high : y;
}

}  // namespace theta::detail
