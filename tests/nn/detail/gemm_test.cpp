#include <theta/nn/detail/gemm.hpp>

#include <theta/core/rng.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <limits>

using theta::Index;
using theta::nn::detail::gemm_add;
using theta::nn::detail::GemmBuffers;

namespace {

// C += op(A) op(B) (gemm_add), C = op(A) op(B) (gemm_set, on a C of NaN that must never be
// read) and C = b 1^T + op(A) op(B) (the bias start, also on NaN), against Eigen's product.
template <bool TA, bool TB, class T>
void check_shape(Index rows, Index cols, Index depth, GemmBuffers<T>& buffers, theta::Rng& rng) {
  using M = theta::Matrix<T>;
  using V = theta::Vector<T>;
  using Start = theta::nn::detail::Start<T>;
  M a(TA ? depth : rows, TA ? rows : depth), b(TB ? cols : depth, TB ? depth : cols), c0(rows, cols);
  V bias(rows);
  for (auto* m : {&a, &b, &c0}) {
    for (Index k = 0; k < m->size(); ++k) m->data()[k] = rng.normal<T>();
  }
  for (Index k = 0; k < rows; ++k) bias[k] = rng.normal<T>();
  const M op_a = TA ? M(a.transpose()) : a;
  const M op_b = TB ? M(b.transpose()) : b;
  const M product = op_a * op_b;
  // Sums of `depth` products of N(0,1) entries: rounding grows like sqrt(depth) eps.
  const T tol = std::numeric_limits<T>::epsilon() * T(8) * std::sqrt(static_cast<T>(depth)) * T(4);
  for (const auto mode : {Start::Mode::add, Start::Mode::zero, Start::Mode::bias}) {
    INFO(rows << " x " << cols << " x " << depth << ", transpose " << TA << TB << ", start "
              << static_cast<int>(mode));
    M c = mode == Start::Mode::add ? c0 : M::Constant(rows, cols, std::numeric_limits<T>::quiet_NaN());
    M expected = product;
    if (mode == Start::Mode::add) {
      expected += c0;
      gemm_add<TA, TB>(rows, cols, depth, a.data(), b.data(), c.data(), buffers);
    } else if (mode == Start::Mode::zero) {
      theta::nn::detail::gemm_set<TA, TB>(rows, cols, depth, a.data(), b.data(), c.data(), buffers);
    } else {
      expected.colwise() += bias;
      theta::nn::detail::gemm<TA, TB>(rows, cols, depth, a.data(), b.data(), c.data(), buffers,
                                      Start{.mode = mode, .bias = bias.data()});
    }
    REQUIRE(c.allFinite());
    CHECK(((c - expected).cwiseAbs().array() / (T(1) + expected.cwiseAbs().array())).maxCoeff() <= tol);
  }
}

template <class T>
void check_all(GemmBuffers<T>& buffers) {
  theta::Rng rng(11);
  // Tiny (coefficient-based), one column, one row, and full GEMM shapes, including blocks
  // that do not divide the sizes.
  // Then the thin kernels: depth <= 8 (each depth, rows with and without a packet tail), 2-4
  // rows (outer products and dot products, chunk and lane tails), 2-8 columns, and 2-4
  // columns (GEMV per column).
  // Last, rows in whole packets (register-blocked: tile and column remainders, depth blocks
  // of 128 and a remainder).
  // Row counts that are odd multiples of 4, 8 and 16 leave a one-packet row tile at every
  // vector width (SSE2, AVX2, AVX-512; float and double).
  const std::array<std::array<Index, 3>, 35> shapes{{
      {2, 3, 4},    {7, 1, 9},     {1, 33, 17},  {64, 256, 4}, {1, 256, 64}, {256, 4, 256},
      {65, 130, 257}, {3, 300, 2}, {300, 3, 5},  {64, 40, 1},  {37, 21, 3},  {70, 9, 8},
      {2, 64, 300}, {3, 100, 41},  {4, 17, 64},  {2, 2, 64},   {64, 4, 300}, {70, 7, 100},
      {19, 8, 33},  {64, 2, 64},   {33, 3, 40},  {4, 129, 9},
      {64, 40, 30}, {48, 13, 300}, {256, 100, 256}, {32, 9, 12}, {128, 70, 129}, {16, 6, 17},
      {24, 13, 20}, {12, 13, 20}, {20, 13, 20}, {64, 11, 20}, {32, 14, 40}, {70, 5, 40}, {64, 6, 40},
  }};
  for (const auto& [rows, cols, depth] : shapes) {
    check_shape<false, false>(rows, cols, depth, buffers, rng);
    check_shape<false, true>(rows, cols, depth, buffers, rng);
    check_shape<true, false>(rows, cols, depth, buffers, rng);
    check_shape<true, true>(rows, cols, depth, buffers, rng);
  }
}

}  // namespace

TEMPLATE_TEST_CASE("gemm_add, gemm_set and a bias start match Eigen's product on every dispatch path", "[unit]", float, double) {
  SECTION("with buffers reserved for the largest shape") {
    GemmBuffers<TestType> buffers;
    buffers.reserve(300, 300, 300);
    check_all(buffers);
  }
  SECTION("with unreserved (empty) buffers: blocks shrink, results do not change") {
    GemmBuffers<TestType> buffers;
    REQUIRE(buffers.size() == 0);
    check_all(buffers);
  }
}

TEMPLATE_TEST_CASE("affine writes b + W x whatever Z held, on both paths", "[unit]", float, double) {
  using M = theta::Matrix<TestType>;
  using V = theta::Vector<TestType>;
  theta::Rng rng(12);
  GemmBuffers<TestType> buffers;
  // Depth <= 8 takes the small-depth kernel (with and without a packet tail of rows), rows
  // in whole packets the register-blocked one (129: a second depth block), the others
  // broadcast b and add the product.
  for (const auto& [rows, cols, depth] : std::array<std::array<Index, 3>, 7>{
           {{64, 256, 4}, {19, 7, 1}, {3, 5, 8}, {1, 9, 3}, {64, 256, 64}, {5, 1, 9}, {64, 256, 129}}}) {
    INFO(rows << " x " << cols << " x " << depth);
    M w(rows, depth), x(depth, cols), z(rows, cols);
    V b(rows);
    for (auto* m : {&w, &x, &z}) {
      for (Index k = 0; k < m->size(); ++k) m->data()[k] = rng.normal<TestType>();
    }
    for (Index k = 0; k < rows; ++k) b[k] = rng.normal<TestType>();
    const M expected = (w * x).colwise() + b;
    theta::nn::detail::affine(rows, cols, depth, w.data(), x.data(), b.data(), z.data(), buffers);
    const TestType tol = std::numeric_limits<TestType>::epsilon() * TestType(32) * std::sqrt(TestType(depth));
    CHECK(((z - expected).cwiseAbs().array() / (TestType(1) + expected.cwiseAbs().array())).maxCoeff() <= tol);
  }
}
