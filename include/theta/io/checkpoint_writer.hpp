#pragma once
/// \file CheckpointWriter: builds a checkpoint in memory (header, then named sections, each
/// with its CRC-32) and saves it atomically. The byte layout is in docs/checkpoints.md.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>
#include <theta/io/atomic_file.hpp>
#include <theta/io/checkpoint_format.hpp>
#include <theta/io/crc32.hpp>

#include <Eigen/Core>

#include <bit>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace theta::io {

/// The payload of one section: typed values appended in little-endian order.
///
///     auto& s = writer.section("actor");
///     s.u64(steps).f64(learning_rate).matrix(parameters);
class CheckpointSectionWriter {
 public:
  explicit CheckpointSectionWriter(std::string name) : name_(std::move(name)) {}

  CheckpointSectionWriter& u8(std::uint8_t v) { return put<1>(v); }
  /// Stored as one byte, 0 or 1; the reader refuses anything else.
  CheckpointSectionWriter& boolean(bool v) { return put<1>(v ? 1 : 0); }
  CheckpointSectionWriter& u32(std::uint32_t v) { return put<4>(v); }
  CheckpointSectionWriter& u64(std::uint64_t v) { return put<8>(v); }
  /// Two's complement, as C++20 guarantees.
  CheckpointSectionWriter& i64(std::int64_t v) { return put<8>(static_cast<std::uint64_t>(v)); }
  /// The IEEE-754 bit pattern, so NaN payloads, -0 and infinities survive exactly.
  CheckpointSectionWriter& f32(float v) { return put<4>(std::bit_cast<std::uint32_t>(v)); }
  CheckpointSectionWriter& f64(double v) { return put<8>(std::bit_cast<std::uint64_t>(v)); }
  /// u64 length, then the bytes.
  CheckpointSectionWriter& string(std::string_view s) {
    u64(s.size());
    payload_.insert(payload_.end(), s.begin(), s.end());
    return *this;
  }
  /// A float or double matrix or vector: u8 element size (4 or 8), u64 rows, u64 cols, then
  /// the values column by column.
  template <class Derived>
    requires std::is_same_v<typename Derived::Scalar, float> || std::is_same_v<typename Derived::Scalar, double>
  CheckpointSectionWriter& matrix(const Eigen::DenseBase<Derived>& m) {
    using T = typename Derived::Scalar;
    u8(sizeof(T));
    u64(static_cast<std::uint64_t>(m.rows()));
    u64(static_cast<std::uint64_t>(m.cols()));
    payload_.reserve(payload_.size() + static_cast<std::size_t>(m.size()) * sizeof(T));
    for (Index j = 0; j < m.cols(); ++j)
      for (Index i = 0; i < m.rows(); ++i) {
        if constexpr (std::is_same_v<T, float>)
          f32(m(i, j));
        else
          f64(m(i, j));
      }
    return *this;
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::vector<std::uint8_t>& payload() const noexcept { return payload_; }

 private:
  template <std::size_t N>
  CheckpointSectionWriter& put(std::uint64_t v) {
    detail::put_le<N>(payload_, v);
    return *this;
  }

  std::string name_;
  std::vector<std::uint8_t> payload_;
};

/// Builds a whole checkpoint in memory. The header names what the file holds (`kind`, e.g.
/// "OnPolicyTrainer/ppo"), its scalar type ("float32" or "float64") and a shape description
/// (sizes of the networks, number of environments, ...) that a loader compares before it reads
/// anything. Then come named sections in the order they are opened; the reader reads them in
/// the same order. Nothing time- or path-dependent is written: equal states give equal bytes.
///
///     theta::io::CheckpointWriter writer("OnPolicyTrainer/ppo", theta::io::scalar_name<float>(), "obs 4, act 2");
///     writer.section("actor").matrix(actor.parameters());
///     writer.section("counters").u64(steps);
///     writer.save("run/ppo.ckpt");   // atomically
class CheckpointWriter {
 public:
  CheckpointWriter(std::string_view kind, std::string_view scalar, std::string_view shape)
      : kind_(kind), scalar_(scalar), shape_(shape) {}

  /// Opens a new section; the reference stays valid for the writer's lifetime. Names must be
  /// unique.
  CheckpointSectionWriter& section(std::string name) {
    require<Error>(!name.empty() && name.size() <= checkpoint_max_name_size,
                   "CheckpointWriter: a section name must have 1 to {} bytes, got {}", checkpoint_max_name_size,
                   name.size());
    for (const auto& s : sections_)
      require<Error>(s.name() != name, "CheckpointWriter: section '{}' written twice", name);
    return sections_.emplace_back(std::move(name));
  }

  /// The file's bytes: magic, version, header record, section records.
  [[nodiscard]] std::vector<std::uint8_t> bytes() const {
    std::vector<std::uint8_t> out(checkpoint_magic.begin(), checkpoint_magic.end());
    detail::put_le<4>(out, checkpoint_format_version);
    CheckpointSectionWriter header("");
    header.string(kind_).string(scalar_).string(shape_);
    append_record(out, nullptr, header.payload());
    for (const auto& s : sections_) append_record(out, &s.name(), s.payload());
    return out;
  }

  /// Writes the file atomically (`write_file_atomically`): a failed save leaves an existing
  /// checkpoint at `path` untouched.
  void save(const std::filesystem::path& path) const { write_file_atomically(path, bytes()); }

 private:
  // A record is [u64 name length, name bytes] (sections only), u64 payload length, payload,
  // then the CRC-32 of every byte of the record before it, lengths included, so a flipped
  // length is caught like a flipped value.
  static void append_record(std::vector<std::uint8_t>& out, const std::string* name,
                            const std::vector<std::uint8_t>& payload) {
    const std::size_t start = out.size();
    if (name != nullptr) {
      detail::put_le<8>(out, name->size());
      out.insert(out.end(), name->begin(), name->end());
    }
    detail::put_le<8>(out, payload.size());
    out.insert(out.end(), payload.begin(), payload.end());
    detail::put_le<4>(out, crc32(std::span(out).subspan(start)));
  }

  std::string kind_;
  std::string scalar_;
  std::string shape_;
  std::deque<CheckpointSectionWriter> sections_;
};

/// Saves `writer`'s checkpoint atomically; the same as `writer.save(path)`.
inline void save_atomically(const std::filesystem::path& path, const CheckpointWriter& writer) { writer.save(path); }

}  // namespace theta::io
