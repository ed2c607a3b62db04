#pragma once
/// \file Private: C += op(A) op(B) on Eigen's own GEMM kernel, with the packing blocks in
/// buffers the caller reserved once.
///
/// Why: `C.noalias() = A * B` builds a fresh `gemm_blocking_space` per call, and beyond
/// EIGEN_STACK_ALLOCATION_LIMIT (every 256-wide layer) its packing blocks A' and B' go to the
/// heap. On the target VM each such call page-faults and SAC ran 4-5x slower (TARGETS.md).
/// A library cannot set that macro for its users, so we call the same kernel
/// (`general_matrix_matrix_product::run`) with a `level3_blocking` whose blocks point into
/// our own storage. Dispatch mirrors Eigen's `generic_product_impl<..., GemmProduct>`:
/// coefficient-based for tiny products, GEMV for one row or one column, GEMM otherwise, with
/// the same blocking sizes, so the speed is Eigen's.

#include <theta/core/scalar.hpp>

#include <Eigen/Core>

#include <algorithm>

namespace theta::nn::detail {

/// Packing storage for Eigen's GEMM (the A' and B' blocks of Goto's algorithm).
template <Real T>
class GemmBuffers {
 public:
  /// Grows the buffers so that a rows x cols x depth product packs without allocating.
  void reserve(Index rows, Index cols, Index depth) {
    Index kc = depth, mc = rows, nc = cols;
    Eigen::internal::computeProductBlockingSizes<T, T, 1>(kc, mc, nc, Index{1});
    if (a_.size() < kc * mc) a_.resize(kc * mc);
    if (b_.size() < kc * nc) b_.resize(kc * nc);
  }

  /// Shrinks Eigen's blocking sizes, if needed, to what the buffers hold. Any positive sizes
  /// are correct for the kernel (it clips every block to the matrix); this only matters for a
  /// product that was not reserved, which then runs with smaller blocks instead of allocating.
  void fit(Index& kc, Index& mc, Index& nc) const noexcept {
    const Index size_a = std::max<Index>(a_.size(), 1);
    const Index size_b = std::max<Index>(b_.size(), 1);
    kc = std::clamp<Index>(kc, 1, std::min(size_a, size_b));
    mc = std::clamp<Index>(mc, 1, size_a / kc);
    nc = std::clamp<Index>(nc, 1, size_b / kc);
  }

  [[nodiscard]] T* a() noexcept { return a_.data(); }
  [[nodiscard]] T* b() noexcept { return b_.data(); }
  [[nodiscard]] Index size() const noexcept { return a_.size() + b_.size(); }

 private:
  Vector<T> a_;
  Vector<T> b_;
};

/// A `level3_blocking` over borrowed memory: Eigen's kernel packs into `a` and `b` and never
/// allocates when both are non-null.
template <Real T>
class BorrowedBlocking : public Eigen::internal::level3_blocking<T, T> {
 public:
  BorrowedBlocking(T* a, T* b, Index kc, Index mc, Index nc) noexcept {
    this->m_blockA = a;
    this->m_blockB = b;
    this->m_kc = kc;
    this->m_mc = mc;
    this->m_nc = nc;
  }
};

/// C += op(A) op(B) for column-major operands with tight leading dimensions: op(A) is
/// rows x depth, op(B) depth x cols, C rows x cols with leading dimension `rows`. A is stored
/// rows x depth (or depth x rows when `TransposeA`), B depth x cols (or cols x depth).
template <bool TransposeA, bool TransposeB, Real T>
void gemm_add(Index rows, Index cols, Index depth, const T* a, const T* b, T* c, GemmBuffers<T>& buffers) {
  using ConstMatrixMap = Eigen::Map<const Matrix<T>>;
  if (rows == 0 || cols == 0 || depth == 0) return;
  const auto op_a = [&] {
    if constexpr (TransposeA) {
      return ConstMatrixMap(a, depth, rows).transpose();
    } else {
      return ConstMatrixMap(a, rows, depth);
    }
  };
  const auto op_b = [&] {
    if constexpr (TransposeB) {
      return ConstMatrixMap(b, cols, depth).transpose();
    } else {
      return ConstMatrixMap(b, depth, cols);
    }
  };

  // Tiny products: Eigen's own threshold for its coefficient-based product (no packing).
  if (rows + cols + depth < EIGEN_GEMM_TO_COEFFBASED_THRESHOLD) {
    Eigen::Map<Matrix<T>>(c, rows, cols).noalias() += op_a().lazyProduct(op_b());
    return;
  }
  // One column or one row: GEMV, as Eigen does. With tight storage the single row of op(A)
  // (or column of op(B)) and of C is contiguous, so GEMV reads and writes in place and never
  // copies to a temporary.
  if (cols == 1) {
    Eigen::Map<Vector<T>>(c, rows).noalias() += op_a() * Eigen::Map<const Vector<T>>(b, depth);
    return;
  }
  if (rows == 1) {
    Eigen::Map<Vector<T>>(c, cols).noalias() += op_b().transpose() * Eigen::Map<const Vector<T>>(a, depth);
    return;
  }

  using Product = Eigen::internal::general_matrix_matrix_product<
      Index, T, TransposeA ? Eigen::RowMajor : Eigen::ColMajor, false, T,
      TransposeB ? Eigen::RowMajor : Eigen::ColMajor, false, Eigen::ColMajor, 1>;
  // The blocking Eigen would compute for this shape (gemm_blocking_space(rows, cols, depth,
  // 1, true)), cut to the reserved buffers.
  Index kc = depth, mc = rows, nc = cols;
  Eigen::internal::computeProductBlockingSizes<T, T, 1>(kc, mc, nc, Index{1});
  buffers.fit(kc, mc, nc);
  BorrowedBlocking<T> blocking(buffers.a(), buffers.b(), kc, mc, nc);
  // A row-major op(X) of a column-major stored X has its stored leading dimension as stride.
  Product::run(rows, cols, depth, a, TransposeA ? depth : rows, b, TransposeB ? cols : depth, c, 1, rows, T(1),
               blocking, nullptr);
}

}  // namespace theta::nn::detail
