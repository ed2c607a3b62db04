#pragma once
// The second schema of the checkpoint fuzz target: the loaders of the components a trainer's
// checkpoint is made of (an optimizer, a random stream, recorded settings, the episode
// statistics, a replay buffer, a vector of savable environments). Each load must either succeed
// or raise CheckpointError and leave its component exactly as it was (two-phase rule); a
// component changed by a failed load aborts, so libFuzzer reports it.
// tests/io/checkpoint_test.cpp checks that corpus/checkpoint/components.ckpt (written by
// write_component_checkpoint()) loads.

#include <theta/buffer/replay_buffer.hpp>
#include <theta/env/classic/cartpole.hpp>
#include <theta/env/time_limit.hpp>
#include <theta/env/vector_env.hpp>
#include <theta/io/checkpoint.hpp>
#include <theta/io/state.hpp>
#include <theta/optim/adam.hpp>
#include <theta/train/episode_stats.hpp>

#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

namespace theta::fuzz {

struct Components {
  Adam<float> adam{5, {.lr = 1e-3}};
  EpisodeStats stats{4};
  ReplayBuffer<float> buffer{6, 2, 1};
  VectorEnv<TimeLimit<CartPole>> envs{2, 7};
  io::Settings settings = io::Settings("Fuzz::Config").add("n", 3).add("lr", 0.5);

  Components() { envs.reset(); }
};

// The bytes a component's save writes, to compare its state before and after a load.
template <class C>
std::vector<std::uint8_t> state_of(const C& component) {
  io::CheckpointWriter w("state", "", "");
  component.save(w.section("s"));
  return w.bytes();
}

inline std::vector<std::uint8_t> write_component_checkpoint() {
  Components c;
  Rng rng(3);
  // Set, not stepped: a step's float rounding depends on the compiler and its flags (FMA
  // contraction), and the seed must be the same bytes for every build.
  c.adam.set_state(1, Vector<float>::LinSpaced(5, -1.0F, 1.0F), Vector<float>::Constant(5, 0.25F));
  c.stats.add(12.5, 13);
  c.stats.add(-3.0, 4);
  for (int k = 0; k < 8; ++k) {
    c.buffer.add(Vector<float>::Constant(2, static_cast<float>(k)), Vector<float>::Constant(1, 0.5F), k * 0.1,
                 Vector<float>::Constant(2, static_cast<float>(k + 1)), k % 3 == 0);
  }
  const std::vector<int> actions = {0, 1};
  for (int k = 0; k < 5; ++k) c.envs.step(actions);
  io::CheckpointWriter w("Fuzz/components", io::scalar_name<float>(), "adam 5, stats 4, buffer 6 x (2, 1), envs 2");
  c.adam.save(w.section("adam"));
  io::save_rng(w.section("rng"), rng);
  c.settings.save(w.section("settings"));
  c.stats.save(w.section("stats"));
  c.buffer.save(w.section("buffer"));
  c.envs.save(w.section("envs"));
  return w.bytes();
}

// Loads one section into `component`; a CheckpointError from the component's load must leave
// it as it was. Bytes left over after a load that succeeded are the section's error, raised by
// finish() after the component took what it read (a trainer then restores its copies).
template <class C, class Load>
void load_section(io::CheckpointReader& r, const char* name, C& component, Load&& load) {
  const std::vector<std::uint8_t> before = state_of(component);
  auto s = r.section(name);
  try {
    load(s);
  } catch (const CheckpointError&) {
    if (state_of(component) != before) std::abort();  // a failed load changed the component
    throw;
  }
  s.finish();
}

/// Reads the component schema; throws CheckpointError on any bad input, aborts when a failed
/// load changed a component.
inline void read_component_checkpoint(std::span<const std::uint8_t> bytes) {
  auto r = io::CheckpointReader::parse(bytes, "fuzz input");
  Components c;
  load_section(r, "adam", c.adam, [&](io::CheckpointSectionReader& s) { c.adam.load(s); });
  {
    auto s = r.section("rng");
    (void)io::load_rng(s, "rng");
    s.finish();
  }
  {
    auto s = r.section("settings");
    c.settings.check(s);
    s.finish();
  }
  load_section(r, "stats", c.stats, [&](io::CheckpointSectionReader& s) { c.stats.load(s); });
  load_section(r, "buffer", c.buffer, [&](io::CheckpointSectionReader& s) { c.buffer.load(s); });
  // VectorEnv::load may leave copies loaded on an error (the trainers restore their own state),
  // so only its error is required here.
  {
    auto s = r.section("envs");
    (void)c.envs.load(s);
    s.finish();
  }
  r.finish();
  r.expect("Fuzz/components", io::scalar_name<float>(), "adam 5, stats 4, buffer 6 x (2, 1), envs 2");
}

}  // namespace theta::fuzz
