#pragma once
/// \file Little binary writers and readers for the state of theta's components: each value
/// is written raw (native byte order), and every read is checked, so a short or mismatched
/// stream raises `CheckpointError` naming what was being read instead of leaving garbage.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <istream>
#include <ostream>
#include <string_view>
#include <type_traits>

namespace theta::io {

/// Writes a trivially copyable value.
template <class V>
  requires std::is_trivially_copyable_v<V>
void write(std::ostream& out, const V& value) {
  out.write(reinterpret_cast<const char*>(&value), sizeof(V));
}

/// Reads a trivially copyable value; `what` names it in the error.
template <class V>
  requires std::is_trivially_copyable_v<V>
V read(std::istream& in, std::string_view what) {
  V value{};
  in.read(reinterpret_cast<char*>(&value), sizeof(V));
  require<CheckpointError>(static_cast<std::size_t>(in.gcount()) == sizeof(V), "checkpoint: truncated while reading {}",
                           what);
  return value;
}

/// Writes a tag that `expect_tag` checks, so that a stream of another component is refused.
inline void write_tag(std::ostream& out, std::string_view tag) {
  write(out, static_cast<std::uint32_t>(tag.size()));
  out.write(tag.data(), static_cast<std::streamsize>(tag.size()));
}

inline void expect_tag(std::istream& in, std::string_view tag) {
  const auto size = read<std::uint32_t>(in, tag);
  require<CheckpointError>(size == tag.size() && size < 256, "checkpoint: expected section '{}'", tag);
  char buffer[256];
  in.read(buffer, static_cast<std::streamsize>(size));
  require<CheckpointError>(static_cast<std::size_t>(in.gcount()) == size && std::string_view(buffer, size) == tag,
                           "checkpoint: expected section '{}'", tag);
}

/// Writes a dense Eigen matrix or vector with its shape.
template <class Derived>
void write_matrix(std::ostream& out, const Eigen::DenseBase<Derived>& m) {
  write(out, static_cast<std::int64_t>(m.rows()));
  write(out, static_cast<std::int64_t>(m.cols()));
  for (Index j = 0; j < m.cols(); ++j)
    for (Index i = 0; i < m.rows(); ++i) write(out, m(i, j));
}

/// Reads into `m`, which must already have the stored shape (the model defines the shapes; a
/// checkpoint of another model is refused).
template <class Derived>
void read_matrix(std::istream& in, Eigen::DenseBase<Derived>& m, std::string_view what) {
  const auto rows = read<std::int64_t>(in, what);
  const auto cols = read<std::int64_t>(in, what);
  require<CheckpointError>(rows == m.rows() && cols == m.cols(), "checkpoint: {} is {}x{} in the file but {}x{} here",
                           what, rows, cols, m.rows(), m.cols());
  for (Index j = 0; j < m.cols(); ++j)
    for (Index i = 0; i < m.rows(); ++i) m(i, j) = read<typename Derived::Scalar>(in, what);
}

}  // namespace theta::io
