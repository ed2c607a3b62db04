#pragma once
// The fixed schema the checkpoint fuzz target reads, shared with tests/io/checkpoint_test.cpp,
// which checks that corpus/checkpoint/valid.ckpt is exactly what write_fuzz_checkpoint() gives.

#include <theta/io/checkpoint.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace theta::fuzz {

inline std::vector<std::uint8_t> write_fuzz_checkpoint() {
  io::CheckpointWriter w("Fuzz/schema", io::scalar_name<double>(), "2 x 3, 3 x 1");
  Eigen::MatrixXd a(2, 3);
  a << 1, 2, 3, 4, 5, 6;
  w.section("scalars").u8(7).boolean(true).u32(0xABCD).u64(123456789).i64(-5).f32(0.5F).f64(-2.5).string("name");
  w.section("tensors").matrix(a).matrix(Eigen::VectorXf::LinSpaced(3, 0.0F, 1.0F));
  w.section("tail");
  return w.bytes();
}

/// Reads the schema like a two-phase loader would; throws CheckpointError on any bad input.
inline void read_fuzz_checkpoint(std::span<const std::uint8_t> bytes) {
  auto r = io::CheckpointReader::parse(bytes, "fuzz input");
  // Read the sections before checking the header so the fuzzer reaches the section cursors.
  auto s = r.section("scalars");
  (void)s.u8();
  (void)s.boolean();
  (void)s.u32();
  (void)s.u64();
  (void)s.i64();
  (void)s.f32();
  (void)s.f64();
  (void)s.string();
  s.finish();
  auto t = r.section("tensors");
  (void)t.matrix<double>("a", 2, 3);
  (void)t.matrix<float>("b", 3, 1);
  t.finish();
  r.section("tail").finish();
  r.finish();
  r.expect("Fuzz/schema", io::scalar_name<double>(), "2 x 3, 3 x 1");
}

/// Rewrites every CRC field that the record lengths locate, so that mutated inputs get past
/// the checksums and reach the section cursors (a random mutation almost never keeps a CRC
/// right). Stops at the first record that does not fit.
inline void repair_checksums(std::vector<std::uint8_t>& bytes) {
  const auto fits = [&](std::size_t p, std::uint64_t n) { return p <= bytes.size() && n <= bytes.size() - p; };
  const auto u64_at = [&](std::size_t p) { return io::detail::get_le<8>(bytes.data() + p); };
  const auto seal = [&](std::size_t start, std::size_t end) {
    const std::uint32_t crc = io::crc32(std::span(bytes).subspan(start, end - start));
    for (std::size_t i = 0; i < 4; ++i) bytes[end + i] = static_cast<std::uint8_t>(crc >> (8 * i));
  };
  std::size_t p = 12;
  if (!fits(p, 8) || !fits(p + 8, u64_at(p)) || !fits(p + 8 + u64_at(p), 4)) return;
  const std::size_t header_end = p + 8 + static_cast<std::size_t>(u64_at(p));
  seal(p, header_end);
  p = header_end + 4;
  while (p < bytes.size()) {
    const std::size_t start = p;
    if (!fits(p, 8) || !fits(p + 8, u64_at(p))) return;
    p += 8 + static_cast<std::size_t>(u64_at(p));
    if (!fits(p, 8) || !fits(p + 8, u64_at(p))) return;
    p += 8 + static_cast<std::size_t>(u64_at(p));
    if (!fits(p, 4)) return;
    seal(start, p);
    p += 4;
  }
}

}  // namespace theta::fuzz
