#pragma once
/// \file Private: C = start + op(A) op(B) for the products of a network pass, where the start
/// is C itself, zero or a bias (`Start`), allocation-free, on the kernel that suits the shape
/// (docs/nn.md has the table):
///
/// - Eigen's coefficient-based product for tiny shapes, GEMV for one row or one column;
/// - thin kernels for a depth <= 8, 1-4 rows or (for dW) <= 8 columns, and GEMV per column for
///   a few columns: Eigen's GEMM packs 48-row panels for these;
/// - a register-blocked kernel without packing when the rows are whole packets (every hidden
///   layer of the usual widths): 200-235 GFLOP/s where Eigen's packed kernel runs at 127-147;
/// - otherwise Eigen's own kernel (`general_matrix_matrix_product::run`) with a
///   `level3_blocking` whose A' and B' blocks point into buffers the caller reserved once.
///   `C.noalias() = A * B` would build a fresh `gemm_blocking_space` per call, and beyond
///   EIGEN_STACK_ALLOCATION_LIMIT its blocks go to the heap; on the target VM each such call
///   page-faulted and SAC ran 4-5x slower (TARGETS.md).

#include <theta/core/scalar.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <type_traits>
#include <utility>

namespace theta::nn::detail {

/// Products this thin in one dimension skip Eigen's GEMM for the kernels below: a depth of at
/// most kSmallDepth (a first layer on a 4-dimensional observation), at most kFewRows rows (an
/// output layer with 1-4 units) or, for dW = dz x^T, at most kFewCols columns (a first
/// layer's weight gradient). Eigen packs them into 48-row panels and runs at 20-80 GFLOP/s
/// where these loops run at the speed of their loads.
inline constexpr Index kSmallDepth = 8;
inline constexpr Index kFewRows = 4;
inline constexpr Index kFewCols = 8;
/// The largest transposed op(A) (a Wᵀ) copied for the unpacked kernels: 1M entries, a 1024 x
/// 1024 layer (4 MiB in float).
inline constexpr Index kMaxCopy = Index{1} << 20;

/// Packing storage for Eigen's GEMM (the A' and B' blocks of Goto's algorithm).
template <Real T>
class GemmBuffers {
 public:
  /// Grows the buffers so that a rows x cols x depth product packs without allocating.
  void reserve(Index rows, Index cols, Index depth) {
    Index kc = depth, mc = rows, nc = cols;
    Eigen::internal::computeProductBlockingSizes<T, T, 1>(kc, mc, nc, Index{1});
    // The kernels below copy a transposed op(A), rows x depth, here, up to kMaxCopy entries;
    // a larger transposed product takes Eigen's GEMM, which packs in blocks instead.
    const Index copy = rows * depth <= kMaxCopy ? rows * depth : 0;
    if (a_.size() < std::max(kc * mc, copy)) a_.resize(std::max(kc * mc, copy));
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
  [[nodiscard]] Index a_size() const noexcept { return a_.size(); }
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

/// What C starts from before a product is added: its current values (C += op(A) op(B)), zero
/// (C = op(A) op(B)) or a bias broadcast over the columns (C = b 1^T + op(A) op(B)). The
/// kernels that write C in one pass start their accumulators from it, so nothing clears or
/// broadcasts C first.
template <class T>
struct Start {
  enum class Mode { add, zero, bias };
  Mode mode = Mode::add;
  const T* bias = nullptr;  ///< rows entries, for Mode::bias

  /// The starting value of C(i, j) given C's column j.
  [[nodiscard]] T value(const T* cj, Index i) const noexcept {
    return mode == Mode::add ? cj[i] : mode == Mode::bias ? bias[i] : T(0);
  }
};

namespace thin {

template <class T>
using Packet = typename Eigen::internal::packet_traits<T>::type;
template <class T>
inline constexpr Index kLanes = Eigen::internal::unpacket_traits<Packet<T>>::size;

/// The packet of `start` at rows [i, i + lanes) of C's column `cj`.
template <class P, class T>
EIGEN_ALWAYS_INLINE P start_packet(const Start<T>& start, const T* cj, Index i) {
  using namespace Eigen::internal;
  switch (start.mode) {
    case Start<T>::Mode::add:
      return ploadu<P>(cj + i);
    case Start<T>::Mode::bias:
      return ploadu<P>(start.bias + i);
    case Start<T>::Mode::zero:
      break;
  }
  return pset1<P>(T(0));
}

/// Calls `f(std::integral_constant<Index, N>{})` with N = n, for 1 <= n <= Max, so the
/// kernels unroll their short loops and keep their accumulators in registers.
template <Index Max, class F>
void with_constant(Index n, F&& f) {
  if constexpr (Max >= 1) {
    if (n == Max) {
      f(std::integral_constant<Index, Max>{});
    } else {
      with_constant<Max - 1>(n, std::forward<F>(f));
    }
  }
}

/// C (rows x cols) = start + A (rows x Depth, column-major) op(B), Depth small: each column
/// of C is started once, gets Depth fused multiply-adds per packet and is stored.
/// op(B)(p, j) is b[p + j Depth], or b[j + p cols] when `TransposeB`.
template <Index Depth, bool TransposeB, class T>
void small_depth(Index rows, Index cols, const T* a, const T* b, T* c, Start<T> start) {
  using namespace Eigen::internal;
  using P = Packet<T>;
  constexpr Index lanes = kLanes<T>;
  const Index vector_rows = rows - rows % lanes;
  for (Index j = 0; j < cols; ++j) {
    T bj[Depth];
    for (Index p = 0; p < Depth; ++p) bj[p] = TransposeB ? b[j + p * cols] : b[p + j * Depth];
    T* cj = c + j * rows;
    for (Index i = 0; i < vector_rows; i += lanes) {
      P acc = start_packet<P>(start, cj, i);
      for (Index p = 0; p < Depth; ++p) acc = pmadd(ploadu<P>(a + i + p * rows), pset1<P>(bj[p]), acc);
      pstoreu(cj + i, acc);
    }
    for (Index i = vector_rows; i < rows; ++i) {
      T v = start.value(cj, i);
      for (Index p = 0; p < Depth; ++p) v += a[i + p * rows] * bj[p];
      cj[i] = v;
    }
  }
}

/// C (Rows x cols) += op(A) B^T with B stored cols x depth, Rows small (dW of an output
/// layer): outer products accumulated over the depth in registers, a chunk of C's rows
/// (stored with stride Rows) at a time. op(A)(i, p) is a[i + p Rows], or a[p + i depth]
/// when `TransposeA`.
template <Index Rows, bool TransposeA, class T>
void few_rows_outer(Index cols, Index depth, const T* a, const T* b, T* c) {
  using namespace Eigen::internal;
  using P = Packet<T>;
  constexpr Index lanes = kLanes<T>;
  constexpr Index chunk = 4;  // packets of C's row per pass: 4 Rows accumulators each
  const auto a_at = [&](Index i, Index p) { return TransposeA ? a[p + i * depth] : a[i + p * Rows]; };
  Index j = 0;
  while (j + lanes <= cols) {
    const Index packets = std::min<Index>(chunk, (cols - j) / lanes);
    P acc[Rows][chunk];
    for (Index i = 0; i < Rows; ++i) {
      for (Index q = 0; q < chunk; ++q) acc[i][q] = pset1<P>(T(0));
    }
    if (packets == chunk) {
      for (Index p = 0; p < depth; ++p) {
        const T* bp = b + j + p * cols;
        P bq[chunk];
        for (Index q = 0; q < chunk; ++q) bq[q] = ploadu<P>(bp + q * lanes);
        for (Index i = 0; i < Rows; ++i) {
          const P ai = pset1<P>(a_at(i, p));
          for (Index q = 0; q < chunk; ++q) acc[i][q] = pmadd(ai, bq[q], acc[i][q]);
        }
      }
    } else {
      for (Index p = 0; p < depth; ++p) {
        const T* bp = b + j + p * cols;
        for (Index q = 0; q < packets; ++q) {
          const P bq = ploadu<P>(bp + q * lanes);
          for (Index i = 0; i < Rows; ++i) acc[i][q] = pmadd(pset1<P>(a_at(i, p)), bq, acc[i][q]);
        }
      }
    }
    alignas(64) T lane_values[lanes];
    for (Index q = 0; q < packets; ++q) {
      for (Index i = 0; i < Rows; ++i) {
        pstoreu(lane_values, acc[i][q]);
        for (Index l = 0; l < lanes; ++l) c[i + (j + q * lanes + l) * Rows] += lane_values[l];
      }
    }
    j += packets * lanes;
  }
  for (; j < cols; ++j) {
    for (Index i = 0; i < Rows; ++i) {
      T sum = 0;
      for (Index p = 0; p < depth; ++p) sum += a_at(i, p) * b[j + p * cols];
      c[i + j * Rows] += sum;
    }
  }
}

/// C (rows x Cols) += A B^T with A stored rows x depth, B stored Cols x depth, Cols small
/// (dW of a first layer): Cols accumulators per packet of C's column, over the depth.
template <Index Cols, class T>
void few_cols_outer(Index rows, Index depth, const T* a, const T* b, T* c) {
  using namespace Eigen::internal;
  using P = Packet<T>;
  constexpr Index lanes = kLanes<T>;
  const Index vector_rows = rows - rows % lanes;
  for (Index i = 0; i < vector_rows; i += lanes) {
    P acc[Cols];
    for (Index k = 0; k < Cols; ++k) acc[k] = pset1<P>(T(0));
    for (Index p = 0; p < depth; ++p) {
      const P ap = ploadu<P>(a + i + p * rows);
      for (Index k = 0; k < Cols; ++k) acc[k] = pmadd(ap, pset1<P>(b[k + p * Cols]), acc[k]);
    }
    for (Index k = 0; k < Cols; ++k) pstoreu(c + i + k * rows, padd(ploadu<P>(c + i + k * rows), acc[k]));
  }
  for (Index i = vector_rows; i < rows; ++i) {
    for (Index k = 0; k < Cols; ++k) {
      T sum = 0;
      for (Index p = 0; p < depth; ++p) sum += a[i + p * rows] * b[k + p * Cols];
      c[i + k * rows] += sum;
    }
  }
}

/// C (Rows x cols) += A B, Rows small, with A's rows contiguous (`a_rows`: Rows x depth
/// stored row after row) and B stored depth x cols (an output layer's forward pass): one dot
/// product per entry of C.
template <Index Rows, class T>
void few_rows_dot(Index cols, Index depth, const T* a_rows, const T* b, T* c) {
  using namespace Eigen::internal;
  using P = Packet<T>;
  constexpr Index lanes = kLanes<T>;
  const Index vector_depth = depth - depth % lanes;
  for (Index j = 0; j < cols; ++j) {
    const T* bj = b + j * depth;
    P acc[Rows];
    for (Index i = 0; i < Rows; ++i) acc[i] = pset1<P>(T(0));
    for (Index p = 0; p < vector_depth; p += lanes) {
      const P bp = ploadu<P>(bj + p);
      for (Index i = 0; i < Rows; ++i) acc[i] = pmadd(ploadu<P>(a_rows + i * depth + p), bp, acc[i]);
    }
    for (Index i = 0; i < Rows; ++i) {
      T sum = predux(acc[i]);
      for (Index p = vector_depth; p < depth; ++p) sum += a_rows[i * depth + p] * bj[p];
      c[i + j * Rows] += sum;
    }
  }
}

/// dst (rows x depth) = src^T for src stored depth x rows, both column-major, in 16 x 16
/// blocks: a plain transpose of a 256 x 256 matrix strides 1 KiB per element and thrashes
/// the cache sets.
template <class T>
void transpose_into(Index rows, Index depth, const T* src, T* dst) {
  constexpr Index block = 16;
  for (Index i0 = 0; i0 < rows; i0 += block) {
    const Index i1 = std::min(rows, i0 + block);
    for (Index p0 = 0; p0 < depth; p0 += block) {
      const Index p1 = std::min(depth, p0 + block);
      for (Index i = i0; i < i1; ++i) {
        for (Index p = p0; p < p1; ++p) dst[i + p * rows] = src[p + i * depth];
      }
    }
  }
}

/// Register tile of the blocked kernel: Packets packets of rows x Cols columns of C, kept in
/// registers while p runs over [k_begin, k_end), started from `start`. op(A) column-major
/// (lda = rows), op(B)(p, j) is b[p + j depth] or, with `TransposeB`, b[j + p cols].
template <Index Packets, Index Cols, bool TransposeB, class T>
EIGEN_ALWAYS_INLINE void register_tile(Index rows, Index cols, Index depth, Index i0, Index j0, Index k_begin,
                                       Index k_end, const T* a, const T* b, T* c, const Start<T>& start) {
  using namespace Eigen::internal;
  using P = Packet<T>;
  constexpr Index lanes = kLanes<T>;
  P acc[Packets][Cols];
  for (Index r = 0; r < Cols; ++r) {
    for (Index q = 0; q < Packets; ++q) acc[q][r] = start_packet<P>(start, c + (j0 + r) * rows, i0 + q * lanes);
  }
  for (Index p = k_begin; p < k_end; ++p) {
    P av[Packets];
    for (Index q = 0; q < Packets; ++q) av[q] = ploadu<P>(a + i0 + q * lanes + p * rows);
    for (Index r = 0; r < Cols; ++r) {
      const P bv = pset1<P>(TransposeB ? b[j0 + r + p * cols] : b[p + (j0 + r) * depth]);
      for (Index q = 0; q < Packets; ++q) acc[q][r] = pmadd(av[q], bv, acc[q][r]);
    }
  }
  for (Index r = 0; r < Cols; ++r) {
    for (Index q = 0; q < Packets; ++q) pstoreu(c + i0 + q * lanes + (j0 + r) * rows, acc[q][r]);
  }
}

/// C (rows x cols) = start + A B with A column-major in place (no packing) and op(B) read by
/// broadcasts: register tiles of kTilePackets packets x kTileCols columns (24 accumulators
/// with 32 vector registers, 12 with 16), the depth in blocks that keep A's slice in L1.
/// Rows must be a multiple of the packet size. For the 64- and 256-wide layers of RL
/// networks this runs at 200-213 GFLOP/s where Eigen's packed 48 x 4 kernel runs at 127-147
/// (docs/nn.md), and it packs nothing.
template <bool TransposeB, class T>
void register_blocked(Index rows, Index cols, Index depth, const T* a, const T* b, T* c, Start<T> start) {
  constexpr Index lanes = kLanes<T>;
  constexpr bool many_registers = EIGEN_ARCH_DEFAULT_NUMBER_OF_REGISTERS >= 32;
  constexpr Index tile_packets = many_registers ? 4 : 2;
  constexpr Index tile_cols = 6;
  // A's slice for one row block and depth block: tile_packets * lanes rows x depth_block.
  constexpr Index depth_block = 128;
  const Index vector_rows = rows - rows % lanes;
  for (Index k0 = 0; k0 < depth; k0 += depth_block) {
    const Index k1 = std::min(depth, k0 + depth_block);
    const Start<T> block_start = k0 == 0 ? start : Start<T>{};  // later depth blocks add to C
    Index i = 0;
    for (; i < vector_rows; ) {
      const Index packets = std::min<Index>(tile_packets, (vector_rows - i) / lanes);
      with_constant<tile_packets>(packets, [&](auto mp) {
        constexpr Index MP = decltype(mp)::value;
        Index j = 0;
        for (; j + tile_cols <= cols; j += tile_cols) {
          register_tile<MP, tile_cols, TransposeB>(rows, cols, depth, i, j, k0, k1, a, b, c, block_start);
        }
        if (j < cols) {
          with_constant<tile_cols - 1>(cols - j, [&](auto nr) {
            register_tile<MP, decltype(nr)::value, TransposeB>(rows, cols, depth, i, j, k0, k1, a, b, c, block_start);
          });
        }
      });
      i += packets * lanes;
    }
    // Rows short of a packet: scalar (gemm sends only whole packets here; this keeps the
    // kernel right for any row count).
    for (Index j = 0; j < cols; ++j) {
      for (Index r = vector_rows; r < rows; ++r) {
        T sum = 0;
        for (Index p = k0; p < k1; ++p) sum += a[r + p * rows] * (TransposeB ? b[j + p * cols] : b[p + j * depth]);
        c[r + j * rows] = block_start.value(c + j * rows, r) + sum;
      }
    }
  }
}

}  // namespace thin

/// C = start + op(A) op(B) for column-major operands with tight leading dimensions: op(A) is
/// rows x depth, op(B) depth x cols, C rows x cols with leading dimension `rows`. A is stored
/// rows x depth (or depth x rows when `TransposeA`), B depth x cols (or cols x depth).
/// `gemm_add`, `gemm_set` and `affine` below name the three starts.
template <bool TransposeA, bool TransposeB, Real T>
void gemm(Index rows, Index cols, Index depth, const T* a, const T* b, T* c, GemmBuffers<T>& buffers, Start<T> start) {
  using ConstMatrixMap = Eigen::Map<const Matrix<T>>;
  if (rows == 0 || cols == 0) return;
  // The paths that cannot start from `start` get C set to it first, then add to it.
  const auto set_start = [&] {
    if (start.mode == Start<T>::Mode::zero) {
      Eigen::Map<Matrix<T>>(c, rows, cols).setZero();
    } else if (start.mode == Start<T>::Mode::bias) {
      Eigen::Map<Matrix<T>>(c, rows, cols).colwise() = Eigen::Map<const Vector<T>>(start.bias, rows);
    }
  };
  if (depth == 0) {
    set_start();
    return;
  }
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
    set_start();
    Eigen::Map<Matrix<T>>(c, rows, cols).noalias() += op_a().lazyProduct(op_b());
    return;
  }
  // One column or one row: GEMV, as Eigen does. With tight storage the single row of op(A)
  // (or column of op(B)) and of C is contiguous, so GEMV reads and writes in place and never
  // copies to a temporary.
  if (cols == 1) {
    set_start();
    Eigen::Map<Vector<T>>(c, rows).noalias() += op_a() * Eigen::Map<const Vector<T>>(b, depth);
    return;
  }
  if (rows == 1) {
    set_start();
    Eigen::Map<Vector<T>>(c, cols).noalias() += op_b().transpose() * Eigen::Map<const Vector<T>>(a, depth);
    return;
  }

  // Thin products (see kSmallDepth): loops on Eigen's packets. Copies of a transposed op(A)
  // go to the A' buffer; a product that was not reserved and does not fit takes the GEMM.
  const bool fits_copy = buffers.a_size() >= rows * depth;
  if (depth <= kSmallDepth && (!TransposeA || fits_copy)) {
    const T* columns = a;  // op(A), column-major rows x depth
    if constexpr (TransposeA) {
      thin::transpose_into(rows, depth, a, buffers.a());
      columns = buffers.a();
    }
    thin::with_constant<kSmallDepth>(depth, [&](auto d) {
      thin::small_depth<decltype(d)::value, TransposeB>(rows, cols, columns, b, c, start);
    });
    return;
  }
  if constexpr (TransposeB) {
    if (rows <= kFewRows) {
      set_start();
      thin::with_constant<kFewRows>(rows, [&](auto r) {
        thin::few_rows_outer<decltype(r)::value, TransposeA>(cols, depth, a, b, c);
      });
      return;
    }
    if (!TransposeA && cols <= kFewCols) {
      set_start();
      thin::with_constant<kFewCols>(cols, [&](auto k) { thin::few_cols_outer<decltype(k)::value>(rows, depth, a, b, c); });
      return;
    }
  } else {
    if (rows <= kFewRows && (TransposeA || fits_copy)) {
      set_start();
      const T* a_rows = a;  // op(A)'s rows, each contiguous
      if constexpr (!TransposeA) {
        Eigen::Map<Matrix<T>>(buffers.a(), depth, rows) = op_a().transpose();
        a_rows = buffers.a();
      }
      thin::with_constant<kFewRows>(rows, [&](auto r) { thin::few_rows_dot<decltype(r)::value>(cols, depth, a_rows, b, c); });
      return;
    }
    // A few columns (a small batch, as when acting in a few environments): GEMV per column
    // reads A in place, where GEMM would pack all of it first.
    if (cols <= kFewRows) {
      set_start();
      for (Index j = 0; j < cols; ++j) {
        Eigen::Map<Vector<T>>(c + j * rows, rows).noalias() += op_a() * Eigen::Map<const Vector<T>>(b + j * depth, depth);
      }
      return;
    }
  }

  // Rows in whole packets (every hidden layer of the usual widths): register-blocked,
  // unpacked.
  if (rows % thin::kLanes<T> == 0 && (!TransposeA || fits_copy)) {
    const T* columns = a;
    if constexpr (TransposeA) {
      thin::transpose_into(rows, depth, a, buffers.a());
      columns = buffers.a();
    }
    thin::register_blocked<TransposeB>(rows, cols, depth, columns, b, c, start);
    return;
  }

  set_start();
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

/// C += op(A) op(B) (see `gemm`).
template <bool TransposeA, bool TransposeB, Real T>
void gemm_add(Index rows, Index cols, Index depth, const T* a, const T* b, T* c, GemmBuffers<T>& buffers) {
  gemm<TransposeA, TransposeB>(rows, cols, depth, a, b, c, buffers, Start<T>{});
}

/// C = op(A) op(B): C is only written (a backward pass's dx = W^T dz, without clearing dx).
template <bool TransposeA, bool TransposeB, Real T>
void gemm_set(Index rows, Index cols, Index depth, const T* a, const T* b, T* c, GemmBuffers<T>& buffers) {
  gemm<TransposeA, TransposeB>(rows, cols, depth, a, b, c, buffers, Start<T>{.mode = Start<T>::Mode::zero});
}

/// Z = b 1^T + W X (an affine layer on a batch): W rows x depth, X depth x cols, b rows
/// entries, all column-major and tight; the kernels start from the bias, so Z is only written.
/// A depth <= kSmallDepth takes the small-depth kernel for every batch, one column included.
template <Real T>
void affine(Index rows, Index cols, Index depth, const T* w, const T* x, const T* bias, T* z, GemmBuffers<T>& buffers) {
  const Start<T> start{.mode = Start<T>::Mode::bias, .bias = bias};
  if (depth >= 1 && depth <= kSmallDepth) {
    thin::with_constant<kSmallDepth>(depth, [&](auto d) { thin::small_depth<decltype(d)::value, false>(rows, cols, w, x, z, start); });
    return;
  }
  gemm<false, false>(rows, cols, depth, w, x, z, buffers, start);
}

/// The kernels' float and double instances, written once for both uses below: `extern
/// template` (with THETA_EXTERN_KERNELS) and `template` (theta/nn/instantiate_kernels.hpp).
#define THETA_DETAIL_KERNEL_INSTANCES_OF(prefix, T)                                                        \
  prefix void gemm<false, false, T>(Index, Index, Index, const T*, const T*, T*, GemmBuffers<T>&, Start<T>); \
  prefix void gemm<false, true, T>(Index, Index, Index, const T*, const T*, T*, GemmBuffers<T>&, Start<T>);  \
  prefix void gemm<true, false, T>(Index, Index, Index, const T*, const T*, T*, GemmBuffers<T>&, Start<T>);  \
  prefix void gemm<true, true, T>(Index, Index, Index, const T*, const T*, T*, GemmBuffers<T>&, Start<T>);   \
  prefix void affine<T>(Index, Index, Index, const T*, const T*, const T*, T*, GemmBuffers<T>&);
#define THETA_DETAIL_KERNEL_INSTANCES(prefix)  \
  THETA_DETAIL_KERNEL_INSTANCES_OF(prefix, float) \
  THETA_DETAIL_KERNEL_INSTANCES_OF(prefix, double)

// A program of several translation units can compile the kernels once instead of once per
// unit: define THETA_EXTERN_KERNELS in every unit and include
// <theta/nn/instantiate_kernels.hpp> in exactly one (docs/nn.md, "Build time").
#ifdef THETA_EXTERN_KERNELS
THETA_DETAIL_KERNEL_INSTANCES(extern template)
#endif

}  // namespace theta::nn::detail
