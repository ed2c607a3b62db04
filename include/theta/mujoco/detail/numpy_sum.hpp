#pragma once
/// \file numpy's `np.sum` of a contiguous vector, bit for bit: the reward terms of Gymnasium's
/// MuJoCo environments are numpy sums, and a plain left-to-right loop differs from them in the
/// last bits once a vector has 8 entries or more (../shared/reference/mujoco/README.md,
/// "What bit-exactness needs", item 1).

#include <theta/env/detail/exact_math.hpp>

#include <cstddef>

namespace theta::mujoco::detail {

/// numpy's `pairwise_sum` (numpy/core/src/umath/loops_utils.h.src) over `x[0..n)`, accumulated
/// in `T`: fewer than 8 terms left to right from 0; up to 128, eight strided accumulators over
/// the multiple-of-8 prefix, combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)), then the tail left
/// to right; above 128, the two halves (the first a multiple of 8 long) summed recursively.
/// `np.sum` starts from the additive identity, so the reduction is `0 + pairwise_sum(x, n)`.
template <class T, class Term>
[[nodiscard]] T pairwise_sum(std::size_t n, const Term& term) noexcept {
  struct Sum {
    const Term& term;
    T operator()(std::size_t begin, std::size_t n) const noexcept {
      if (n < 8) {
        T res = 0;
        for (std::size_t i = 0; i < n; ++i) res += term(begin + i);
        return res;
      }
      if (n <= 128) {
        T r[8];
        for (std::size_t j = 0; j < 8; ++j) r[j] = term(begin + j);
        std::size_t i = 8;
        for (; i < n - n % 8; i += 8) {
          for (std::size_t j = 0; j < 8; ++j) r[j] += term(begin + i + j);
        }
        T res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; ++i) res += term(begin + i);
        return res;
      }
      std::size_t half = n / 2;
      half -= half % 8;
      return (*this)(begin, half) + (*this)(begin + half, n - half);
    }
  };
  return T(0) + Sum{term}(0, n);
}

/// `np.sum(np.square(x))` for `n` values of type `T` (float for a float32 action, double for
/// MuJoCo arrays). The squares are rounded before they are summed, as numpy's separate
/// `np.square` pass does: `opaque` keeps the compiler from fusing them into the additions.
template <class T>
[[nodiscard]] T sum_of_squares(const T* x, std::size_t n) noexcept {
  return pairwise_sum<T>(n, [x](std::size_t i) { return theta::detail::opaque(x[i] * x[i]); });
}

}  // namespace theta::mujoco::detail
