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

}  // namespace theta::fuzz
