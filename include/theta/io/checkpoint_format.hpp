#pragma once
/// \file The constants of theta's checkpoint format and its little-endian encoding of numbers
/// (docs/checkpoints.md has the byte layout). Shared by `CheckpointWriter` and
/// `CheckpointReader`; users normally include `theta/io/checkpoint.hpp`.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

namespace theta::io {

/// The first 8 bytes of every checkpoint. The high first byte and the CR LF / Ctrl-Z tail
/// (PNG's trick) reveal a file mangled by a text-mode transfer.
inline constexpr std::array<std::uint8_t, 8> checkpoint_magic{0x89, 'T', 'H', 'C', 'K', '\r', '\n', 0x1A};

/// The format version this build writes and the only one it reads.
inline constexpr std::uint32_t checkpoint_format_version = 1;

/// The longest section name, so that a corrupt name length is caught before it is used.
inline constexpr std::uint64_t checkpoint_max_name_size = 255;

/// The scalar type's name in a checkpoint header: "float32" or "float64".
///
///     CheckpointWriter writer("OnPolicyTrainer/ppo", scalar_name<float>(), shape);
template <class T>
  requires std::is_same_v<T, float> || std::is_same_v<T, double>
[[nodiscard]] constexpr std::string_view scalar_name() noexcept {
  return std::is_same_v<T, float> ? "float32" : "float64";
}

// Floats are stored as their IEEE-754 bit patterns; a platform with another representation
// could not read or write these files.
static_assert(std::numeric_limits<float>::is_iec559 && std::numeric_limits<double>::is_iec559,
              "theta checkpoints store IEEE-754 floats");

namespace detail {

/// Appends the `N` low bytes of `value`, least significant first, whatever the host order.
template <std::size_t N, class Out>
void put_le(Out& out, std::uint64_t value) {
  for (std::size_t i = 0; i < N; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

/// Reads `N` bytes at `p` as a little-endian unsigned number.
template <std::size_t N>
[[nodiscard]] std::uint64_t get_le(const std::uint8_t* p) noexcept {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < N; ++i) value |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return value;
}

/// Appends `value` to a message: text as it is, integers in decimal (a `std::uint8_t` too).
inline void append_text(std::string& out, std::string_view value) { out.append(value); }
template <class I>
  requires std::is_integral_v<I>
void append_text(std::string& out, I value) {
  if constexpr (std::is_signed_v<I>) {
    out.append(std::to_string(static_cast<long long>(value)));
  } else {
    out.append(std::to_string(static_cast<unsigned long long>(value)));
  }
}

/// Concatenates the pieces of an error message without fmt (the reader is fmt-free so that
/// theta/inference.hpp can use it): `text("byte ", 12, " of ", 40)` is "byte 12 of 40".
template <class... Pieces>
[[nodiscard]] std::string text(const Pieces&... pieces) {
  std::string out;
  (append_text(out, pieces), ...);
  return out;
}

/// `0x` and eight lower-case hex digits, as fmt's `{:#010x}`: "0xcbf43926".
[[nodiscard]] inline std::string hex32(std::uint32_t value) {
  std::string out = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) out.push_back("0123456789abcdef"[(value >> shift) & 0xFU]);
  return out;
}

}  // namespace detail
}  // namespace theta::io
