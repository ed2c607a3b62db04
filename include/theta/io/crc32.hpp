#pragma once
/// \file CRC-32 (IEEE 802.3, the polynomial of zlib, PNG and gzip), table-driven with a
/// table built at compile time. Checkpoints protect each section with it (issue 13).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace theta::io {

namespace detail {
inline constexpr std::array<std::uint32_t, 256> crc32_table = [] {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t n = 0; n < 256; ++n) {
    std::uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;  // reflected 0x04C11DB7
    table[n] = c;
  }
  return table;
}();
}  // namespace detail

/// Continues a CRC-32 over `bytes`; start with `crc = 0`. Chaining calls over consecutive
/// pieces gives the CRC of their concatenation.
///
///     crc32(bytes_of("123456789")) == 0xCBF43926
[[nodiscard]] constexpr std::uint32_t crc32(std::span<const std::uint8_t> bytes, std::uint32_t crc = 0) noexcept {
  crc = ~crc;
  for (const std::uint8_t b : bytes) crc = detail::crc32_table[(crc ^ b) & 0xFFU] ^ (crc >> 8);
  return ~crc;
}

}  // namespace theta::io
