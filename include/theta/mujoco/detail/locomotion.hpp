#pragma once
/// \file Pieces shared by the Gymnasium v5 locomotion environments.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/env/detail/exact_math.hpp>
#include <theta/mujoco/detail/numpy_sum.hpp>
#include <theta/mujoco/mujoco_env.hpp>

#include <mujoco/mujoco.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <string_view>

namespace theta::mujoco::detail {

using theta::detail::unfused;

/// `assets / default_file` when `assets` is a directory (Gymnasium's assets folder), else
/// `assets` itself (a model file, Gymnasium's `xml_file`).
inline std::filesystem::path model_path(const std::filesystem::path& assets, std::string_view default_file) {
  return std::filesystem::is_directory(assets) ? assets / default_file : assets;
}

/// The model has at least the sizes the task indexes.
inline void require_model_sizes(std::string_view id, const mjModel& m, int min_nq, int min_nv, int min_nbody) {
  require<ConfigError>(m.nq >= min_nq && m.nv >= min_nv && m.nbody >= min_nbody,
                       "{}: the model has nq = {}, nv = {}, nbody = {}; this task needs at least nq = {}, nv = {}, "
                       "nbody = {} (is it the right model file?)",
                       id, m.nq, m.nv, m.nbody, min_nq, min_nv, min_nbody);
}

/// `qpos = qpos0 + U(-scale, scale)` on every entry (quaternions included, left un-normalised,
/// as Gymnasium does).
inline void add_uniform_qpos_noise(const mjModel& m, mjData& d, Rng& rng, double scale) {
  for (int i = 0; i < m.nq; ++i) d.qpos[i] = m.qpos0[i] + rng.uniform(-scale, scale);
}

/// `qvel = U(-scale, scale)` (Hopper, Walker2d, Humanoid).
inline void set_uniform_qvel(const mjModel& m, mjData& d, Rng& rng, double scale) {
  for (int i = 0; i < m.nv; ++i) d.qvel[i] = rng.uniform(-scale, scale);
}

/// `qvel = scale * N(0, 1)` (HalfCheetah, Ant).
inline void set_normal_qvel(const mjModel& m, mjData& d, Rng& rng, double scale) {
  for (int i = 0; i < m.nv; ++i) d.qvel[i] = scale * rng.normal();
}

/// Gymnasium's `weight * np.sum(np.square(action))` on the float32 action: squares and sum in
/// float (numpy keeps the dtype), then a double product (numpy 1.x promotes a Python float
/// times a float32 scalar to double).
inline double float_control_cost(double weight, const Action& action) {
  const float sum = sum_of_squares<float>(action.data(), static_cast<std::size_t>(action.size()));
  return weight * static_cast<double>(sum);
}

/// Writes `x[0..n)` into `obs` from `at`, clipped to [-limit, limit] when `limit` > 0, and
/// returns the next position.
inline Index write(Eigen::Ref<Eigen::VectorXd> obs, Index at, const mjtNum* x, int n, double limit = 0) {
  for (int i = 0; i < n; ++i) obs[at + i] = limit > 0 ? std::clamp(x[i], -limit, limit) : x[i];
  return at + n;
}

}  // namespace theta::mujoco::detail
