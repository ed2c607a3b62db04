#pragma once
/// \file Saving and loading the state of components into checkpoint sections: random streams,
/// trainable components (through their flat `parameters()` view, or their own `save`/`load`),
/// and the settings a checkpoint records so that a load into a differently configured trainer
/// is refused by name.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace theta::io {

/// A component that writes its whole state into a checkpoint section and reads it back:
/// `c.save(out)` appends it, `c.load(in)` reads what `save` wrote in the same order, validates
/// it (CheckpointError naming what is wrong) and only then assigns. theta's optimizers,
/// normalisers, `EpisodeStats`, `ReplayBuffer` and savable environments satisfy it.
template <class C>
concept SectionState = requires(const C& c, C& target, CheckpointSectionWriter& out, CheckpointSectionReader& in) {
  c.save(out);
  target.load(in);
};

/// A component whose state goes into a checkpoint: its own `save`/`load` (`SectionState`), or
/// otherwise its flat `parameters()` view (every `Trainable` whose state is its parameters:
/// theta's policies, critics and Q-networks).
template <class C>
concept SavableComponent = SectionState<C> || requires(C& c) {
  { c.parameters() } -> std::same_as<Eigen::Map<Vector<typename C::Scalar>>>;
};

/// Appends the four words of `rng`'s state.
inline void save_rng(CheckpointSectionWriter& out, const Rng& rng) {
  for (const std::uint64_t word : rng.state()) out.u64(word);
}

/// Reads a stream written by `save_rng`; the all-zero state (which xoshiro256++ never leaves)
/// is refused, naming `what`.
inline Rng load_rng(CheckpointSectionReader& in, std::string_view what) {
  Rng::State state{};
  for (auto& word : state) word = in.u64();
  require<CheckpointError>(state != Rng::State{}, "checkpoint section '{}': the random stream {} has the all-zero state",
                           in.name(), what);
  Rng rng(0);
  rng.set_state(state);
  return rng;
}

/// The largest count (of steps, updates, episodes) a loader accepts: far beyond any run, and
/// small enough that counting on from it cannot overflow an int64.
inline constexpr std::int64_t max_saved_count = std::int64_t{1} << 62;

/// Reads a learning rate (finite, >= 0) and a step count (>= 0), as optimizers save them.
inline std::pair<double, std::int64_t> load_learning_rate_and_steps(CheckpointSectionReader& in, std::string_view who) {
  const double lr = in.f64();
  require<CheckpointError>(std::isfinite(lr) && lr >= 0, "checkpoint section '{}': {} learning rate {} is not >= 0",
                           in.name(), who, lr);
  const std::int64_t steps = in.i64();
  require<CheckpointError>(steps >= 0 && steps <= max_saved_count, "checkpoint section '{}': {} step count {} is out "
                           "of range", in.name(), who, steps);
  return {lr, steps};
}

/// Reads a vector of `n` values that must be finite (and >= 0 when `non_negative`).
template <class T>
Vector<T> load_finite_vector(CheckpointSectionReader& in, std::string_view what, Index n, bool non_negative = false) {
  Vector<T> v = in.matrix<T>(what, n, 1).col(0);
  for (Index i = 0; i < n; ++i) {
    require<CheckpointError>(std::isfinite(v[i]) && (!non_negative || v[i] >= T(0)),
                             "checkpoint section '{}': {}[{}] is {}{}", in.name(), what, i, v[i],
                             non_negative ? ", expected a finite value >= 0" : ", expected a finite value");
  }
  return v;
}

/// Writes `component` into a new section `name`: its own `save`, or its parameter vector.
template <SavableComponent C>
void save_component(CheckpointWriter& out, std::string name, const C& component) {
  CheckpointSectionWriter& section = out.section(std::move(name));
  if constexpr (SectionState<C>) {
    component.save(section);
  } else {
    // parameters() is a non-const member of a Trainable; reading through it changes nothing.
    section.matrix(const_cast<C&>(component).parameters());
  }
}

/// Reads section `name` into `component` (what `save_component` wrote). A parameter vector of
/// another size or scalar type raises CheckpointError; nothing is assigned before the whole
/// section was read.
template <SavableComponent C>
void load_component(CheckpointReader& in, std::string_view name, C& component) {
  CheckpointSectionReader section = in.section(name);
  if constexpr (SectionState<C>) {
    component.load(section);
    section.finish();
  } else {
    using T = typename C::Scalar;
    auto view = component.parameters();
    const Vector<T> values = load_finite_vector<T>(section, "parameters", view.size());
    section.finish();
    view = values;
  }
}

/// `save_component` for each (name, component) pair, in order:
///
///     io::save_components(out, "actor", actor, "critic", critic);
inline void save_components(CheckpointWriter&) {}
template <class C, class... Rest>
void save_components(CheckpointWriter& out, const char* name, const C& component, const Rest&... rest) {
  save_component(out, name, component);
  save_components(out, rest...);
}

/// `load_component` for each (name, component) pair, in the order `save_components` wrote them.
inline void load_components(CheckpointReader&) {}
template <class C, class... Rest>
void load_components(CheckpointReader& in, const char* name, C& component, Rest&... rest) {
  load_component(in, name, component);
  load_components(in, rest...);
}

/// The settings a checkpoint records, as (name, value) text pairs in a fixed order: a load
/// compares them with the loading object's own and refuses the first that differs, by name
/// ("ppo::Config::n_epochs is 20 here, the checkpoint was trained with 10"), because a resume
/// with other settings would not continue the saved run. Numbers are written in the shortest
/// form that reads back exactly.
///
///     io::Settings s("ppo::Config");
///     s.add("n_epochs", config.n_epochs).add("clip_range", config.clip_range.describe());
///     s.save(writer.section("ppo/config"));          // and at load: s.check(reader.section("ppo/config"))
class Settings {
 public:
  explicit Settings(std::string prefix) : prefix_(std::move(prefix)) {}

  template <class V>
  Settings& add(std::string_view name, const V& value) {
    entries_.emplace_back(fmt::format("{}::{}", prefix_, name), text(value));
    return *this;
  }

  void save(CheckpointSectionWriter& out) const {
    out.u64(entries_.size());
    for (const auto& [name, value] : entries_) out.string(name).string(value);
  }

  /// Reads a saved record and compares it with this one, field by field (the section may go on:
  /// the caller calls `finish()`).
  void check(CheckpointSectionReader& in) const {
    const std::uint64_t count = in.u64();
    // Each entry takes at least 16 bytes (two lengths): a corrupt count cannot allocate.
    require<CheckpointError>(count <= in.remaining() / 16 + 1, "checkpoint section '{}': {} settings in {} bytes",
                             in.name(), count, in.remaining());
    std::vector<std::pair<std::string, std::string>> saved;
    for (std::uint64_t i = 0; i < count; ++i) {
      std::string name = in.string();
      std::string value = in.string();
      saved.emplace_back(std::move(name), std::move(value));
    }
    for (std::size_t i = 0; i < std::max<std::size_t>(saved.size(), entries_.size()); ++i) {
      if (i >= saved.size())
        throw CheckpointError(fmt::format("checkpoint section '{}': {} is not recorded in the checkpoint", in.name(),
                                          entries_[i].first));
      if (i >= entries_.size() || saved[i].first != entries_[i].first)
        throw CheckpointError(fmt::format("checkpoint section '{}': the checkpoint records {}, expected {}", in.name(),
                                          saved[i].first, i < entries_.size() ? entries_[i].first : "nothing more"));
      if (saved[i].second != entries_[i].second)
        throw CheckpointError(fmt::format("checkpoint section '{}': {} is {} here, the checkpoint was saved with {}",
                                          in.name(), entries_[i].first, entries_[i].second, saved[i].second));
    }
  }

 private:
  template <class V>
  static std::string text(const V& value) {
    if constexpr (requires { value.describe(); }) {
      return value.describe();
    } else if constexpr (std::is_enum_v<V>) {
      return fmt::format("{}", static_cast<std::underlying_type_t<V>>(value));
    } else if constexpr (requires { value.has_value(); *value; }) {
      return value ? text(*value) : std::string("none");
    } else {
      return fmt::format("{}", value);
    }
  }

  std::string prefix_;
  std::vector<std::pair<std::string, std::string>> entries_;
};

}  // namespace theta::io
