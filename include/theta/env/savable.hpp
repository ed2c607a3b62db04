#pragma once
/// \file SavableEnvironment: the opt-in refinement of the environment contract for
/// environments whose episodes continue exactly across a checkpoint (docs/checkpoints.md).

#include <theta/core/error.hpp>
#include <theta/env/concepts.hpp>
#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>

namespace theta {

/// An environment that writes the state of its current episode into a checkpoint section and
/// restores it:
///
/// - `env.save(out)` appends everything the next `step` depends on (the physical state, any
///   flags and counters, and the state of any random stream it draws from) to `out`;
/// - `env.load(in)` reads what `save` wrote, in the same order, and validates it (a value the
///   environment could not have reached, or a checkpoint of another environment or of other
///   construction parameters, raises `CheckpointError` naming it). On an error the environment
///   is left exactly as it was: read everything first, then assign.
///
/// After `b.load(...)` of what `a.save(...)` wrote, `b.step(x)` returns bit for bit what
/// `a.step(x)` returns, for every later action. Every built-in classic-control environment and
/// `TimeLimit` over a savable environment satisfies it.
template <class E>
concept SavableEnvironment =
    Environment<E> && requires(const E& env, E& target, io::CheckpointSectionWriter& out, io::CheckpointSectionReader& in) {
      env.save(out);
      target.load(in);
    };

namespace detail {

/// The common part of a classic-control environment's saved state: its id, whether an
/// episode was started, and its state vector.
template <std::size_t N>
void save_classic_state(io::CheckpointSectionWriter& out, std::string_view id, bool started,
                        const std::array<double, N>& state) {
  out.string(id).boolean(started);
  for (const double s : state) out.f64(s);
}

template <std::size_t N>
struct ClassicState {
  bool started = false;
  std::array<double, N> state{};
};

/// Reads what `save_classic_state` wrote for the environment `id`, refusing another
/// environment's state and non-finite values.
template <std::size_t N>
ClassicState<N> load_classic_state(io::CheckpointSectionReader& in, std::string_view id) {
  const std::string saved = in.string();
  require<CheckpointError>(saved == id, "checkpoint section '{}': the state of {}, this environment is {}", in.name(),
                           saved, id);
  ClassicState<N> s;
  s.started = in.boolean();
  for (std::size_t i = 0; i < N; ++i) {
    s.state[i] = in.f64();
    require<CheckpointError>(std::isfinite(s.state[i]), "checkpoint section '{}': {} state[{}] is not finite ({})",
                             in.name(), id, i, s.state[i]);
  }
  return s;
}

/// Reads a construction parameter written with `out.f64(value)` and requires it to equal the
/// environment's own (a checkpoint of Pendulum with g = 9.81 does not load into one with g = 10).
inline void load_classic_parameter(io::CheckpointSectionReader& in, std::string_view id, std::string_view name,
                                   double current) {
  const double saved = in.f64();
  require<CheckpointError>(saved == current, "checkpoint section '{}': {} was saved with {} = {}, this one has {}",
                           in.name(), id, name, saved, current);
}

}  // namespace detail
}  // namespace theta
