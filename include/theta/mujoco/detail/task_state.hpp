#pragma once
/// \file The checkpoint state of the built-in locomotion tasks: their options (construction
/// parameters, compared on load), the position they read before a step and their `Info`.

#include <theta/core/error.hpp>
#include <theta/env/savable.hpp>
#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <span>
#include <string_view>
#include <type_traits>

namespace theta::mujoco::detail {

/// One construction parameter of a task, as a double (ints and bools are exact in one).
struct NamedOption {
  std::string_view name;
  double value;
};

/// `Info` is a struct of doubles only; it is saved as the array of them.
template <class Info>
constexpr std::size_t info_doubles = sizeof(Info) / sizeof(double);

template <class Info>
std::array<double, info_doubles<Info>> info_as_array(const Info& info) {
  static_assert(std::is_trivially_copyable_v<Info> && sizeof(Info) % sizeof(double) == 0);
  return std::bit_cast<std::array<double, info_doubles<Info>>>(info);
}

/// Writes the options, then `before` (the positions `before_step` read), then `info`.
template <std::size_t N, class Info>
void save_task_state(io::CheckpointSectionWriter& out, const std::array<NamedOption, N>& options,
                     std::span<const double> before, const Info& info) {
  for (const auto& o : options) out.f64(o.value);
  for (const double x : before) out.f64(x);
  for (const double x : info_as_array(info)) out.f64(x);
}

/// Reads what `save_task_state` wrote: refuses other options (a checkpoint of Hopper with
/// another healthy range) and non-finite values, and assigns `before` and `info` only after
/// everything was read. `before` holds at most two positions.
template <std::size_t N, class Info>
void load_task_state(io::CheckpointSectionReader& in, std::string_view id, const std::array<NamedOption, N>& options,
                     std::span<double> before, Info& info) {
  for (const auto& o : options) theta::detail::load_classic_parameter(in, id, o.name, o.value);
  std::array<double, 2> saved_before{};
  require<Error>(before.size() <= saved_before.size(), "load_task_state: at most 2 positions, got {}", before.size());
  const auto finite = [&](std::string_view what, std::size_t i) {
    const double x = in.f64();
    require<CheckpointError>(std::isfinite(x), "checkpoint section '{}': {} task {}[{}] is not finite ({})",
                             in.name(), id, what, i, x);
    return x;
  };
  for (std::size_t i = 0; i < before.size(); ++i) saved_before[i] = finite("position before the step", i);
  std::array<double, info_doubles<Info>> saved_info{};
  for (std::size_t i = 0; i < saved_info.size(); ++i) saved_info[i] = finite("info", i);
  std::copy_n(saved_before.begin(), before.size(), before.begin());
  info = std::bit_cast<Info>(saved_info);
}

}  // namespace theta::mujoco::detail
