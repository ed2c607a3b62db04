#pragma once
// A savable environment's state as checkpoint bytes and back, for the SavableEnvironment tests
// (tests/env/savable_test.cpp, tests/mujoco/savable_test.cpp).

#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>

#include <cstdint>
#include <vector>

namespace theta::test {

// The bytes of a checkpoint whose one section "env" holds `env.save`.
template <class Env>
std::vector<std::uint8_t> save_env(const Env& env) {
  io::CheckpointWriter writer("env-test", "float64", "none");
  env.save(writer.section("env"));
  return writer.bytes();
}

// Loads what `save_env` wrote into `env` and checks that every byte of the section was read.
template <class Env>
void load_env(Env& env, const std::vector<std::uint8_t>& bytes) {
  auto reader = io::CheckpointReader::parse(bytes);
  auto section = reader.section("env");
  env.load(section);
  section.finish();
}

}  // namespace theta::test
