#pragma once
/// \file Ant: Gymnasium 1.3.0's Ant-v5 over MuJoCo, step for step (docs/mujoco.md).

#include <theta/core/rng.hpp>
#include <theta/mujoco/detail/locomotion.hpp>
#include <theta/mujoco/detail/task_state.hpp>
#include <theta/mujoco/model.hpp>
#include <theta/mujoco/mujoco_env.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace theta::mujoco {

/// The task of Ant-v5: walk forward on four legs. Reward `(w_f * vx + healthy) - (w_c *
/// sum(a^2) + w_k * sum(clip(cfrc_ext)^2))`, vx from the main body's `xpos`; terminates when
/// unhealthy (a non-finite state, or the torso height qpos[2] outside the closed z range).
struct AntTask {
  /// Gymnasium's constructor arguments, with its defaults. The z range is closed.
  struct Options {
    int frame_skip = 5;
    double forward_reward_weight = 1.0;
    double ctrl_cost_weight = 0.5;
    double contact_cost_weight = 5e-4;
    double healthy_reward = 1.0;
    /// The body whose `xpos` gives the velocity (Gymnasium also takes a name; here an index).
    int main_body = 1;
    bool terminate_when_unhealthy = true;
    double healthy_z_min = 0.2;
    double healthy_z_max = 1.0;
    double contact_force_min = -1.0;
    double contact_force_max = 1.0;
    double reset_noise_scale = 0.1;
    bool exclude_current_positions_from_observation = true;
    bool include_cfrc_ext_in_observation = true;
  };
  /// Gymnasium's `info` of the last step (`distance_from_origin` is not kept: numpy computes
  /// it with BLAS, whose rounding is not reproduced).
  struct Info {
    double x_position = 0;
    double y_position = 0;
    double x_velocity = 0;
    double y_velocity = 0;
    double reward_forward = 0;
    double reward_ctrl = 0;
    double reward_contact = 0;
    double reward_survive = 0;
  };
  static constexpr std::string_view id = "Ant-v5";

  Options options;
  Info info;

  AntTask() = default;
  explicit AntTask(const Options& options_) : options(options_) {}

  double xy_before[2] = {0, 0};

  void validate(const mjModel& m) const {
    detail::require_model_sizes(id, m, 3, 0, 2);
    require<ConfigError>(options.main_body >= 0 && options.main_body < m.nbody,
                         "{}: main_body must be a body index in [0, {}), got {}", id, m.nbody, options.main_body);
    require<ConfigError>(options.contact_force_min <= options.contact_force_max,
                         "{}: contact_force_min ({}) is above contact_force_max ({})", id, options.contact_force_min,
                         options.contact_force_max);
  }
  /// For checkpoints (`MujocoEnv::save`): the options (construction parameters; `load` refuses
  /// other ones, `frame_skip` is checked by the environment), the position read before the step
  /// and `info`.
  void save(io::CheckpointSectionWriter& out) const {
    detail::save_task_state(out, named_options(), std::span<const double>(xy_before), info);
  }
  void load(io::CheckpointSectionReader& in) {
    detail::load_task_state(in, id, named_options(), std::span<double>(xy_before), info);
  }
  /// The options `save` writes, by name.
  [[nodiscard]] std::array<detail::NamedOption, 13> named_options() const {
    return {{{"forward_reward_weight", options.forward_reward_weight},
             {"ctrl_cost_weight", options.ctrl_cost_weight},
             {"contact_cost_weight", options.contact_cost_weight},
             {"healthy_reward", options.healthy_reward},
             {"main_body", static_cast<double>(options.main_body)},
             {"terminate_when_unhealthy", static_cast<double>(options.terminate_when_unhealthy)},
             {"healthy_z_min", options.healthy_z_min},
             {"healthy_z_max", options.healthy_z_max},
             {"contact_force_min", options.contact_force_min},
             {"contact_force_max", options.contact_force_max},
             {"reset_noise_scale", options.reset_noise_scale},
             {"exclude_current_positions_from_observation",
              static_cast<double>(options.exclude_current_positions_from_observation)},
             {"include_cfrc_ext_in_observation", static_cast<double>(options.include_cfrc_ext_in_observation)}}};
  }
  [[nodiscard]] Index observation_size(const mjModel& m) const {
    return m.nq + m.nv - (options.exclude_current_positions_from_observation ? 2 : 0) +
           (options.include_cfrc_ext_in_observation ? 6 * (m.nbody - 1) : 0);
  }
  void reset(const mjModel& m, mjData& d, Rng& rng) {
    detail::add_uniform_qpos_noise(m, d, rng, options.reset_noise_scale);
    detail::set_normal_qvel(m, d, rng, options.reset_noise_scale);
    info = Info{.x_position = d.qpos[0], .y_position = d.qpos[1]};
  }
  // The main body's xpos before the step is the one the previous step's last substep left.
  void before_step(const mjModel&, const mjData& d) {
    xy_before[0] = d.xpos[3 * options.main_body];
    xy_before[1] = d.xpos[3 * options.main_body + 1];
  }
  [[nodiscard]] double contact_force(const mjData& d, int i) const {
    return std::clamp(d.cfrc_ext[i], options.contact_force_min, options.contact_force_max);
  }
  /// `[qpos[2:], qvel, clip(cfrc_ext[1:], -1, 1)]` (105 values for ant.xml).
  void observe(const mjModel& m, const mjData& d, Eigen::Ref<Eigen::VectorXd> obs) const {
    const int skip = options.exclude_current_positions_from_observation ? 2 : 0;
    Index at = detail::write(obs, 0, d.qpos + skip, m.nq - skip);
    at = detail::write(obs, at, d.qvel, m.nv);
    if (options.include_cfrc_ext_in_observation) {
      for (int i = 6; i < 6 * m.nbody; ++i) obs[at++] = contact_force(d, i);
    }
  }
  /// Every entry of `[qpos, qvel]` finite and the torso height in the closed z range.
  [[nodiscard]] bool is_healthy(const mjModel& m, const mjData& d) const {
    for (int i = 0; i < m.nq; ++i) {
      if (!std::isfinite(d.qpos[i])) return false;
    }
    for (int i = 0; i < m.nv; ++i) {
      if (!std::isfinite(d.qvel[i])) return false;
    }
    return options.healthy_z_min <= d.qpos[2] && d.qpos[2] <= options.healthy_z_max;
  }
  double reward(const mjModel& m, const mjData& d, const Action& action, double dt) {
    const double x_velocity = (d.xpos[3 * options.main_body] - xy_before[0]) / dt;
    const double y_velocity = (d.xpos[3 * options.main_body + 1] - xy_before[1]) / dt;
    const double forward_reward = detail::unfused(x_velocity * options.forward_reward_weight);
    const double healthy_reward = is_healthy(m, d) ? options.healthy_reward : 0.0;
    const double ctrl_cost = detail::unfused(detail::float_control_cost(options.ctrl_cost_weight, action));
    const double contact_sum = detail::pairwise_sum<double>(static_cast<std::size_t>(6 * m.nbody), [&](std::size_t i) {
      const double f = contact_force(d, static_cast<int>(i));
      return theta::detail::opaque(f * f);
    });
    const double contact_cost = detail::unfused(options.contact_cost_weight * contact_sum);
    info = {d.qpos[0],      d.qpos[1],  x_velocity,     y_velocity,
            forward_reward, -ctrl_cost, -contact_cost, healthy_reward};
    return (forward_reward + healthy_reward) - (ctrl_cost + contact_cost);
  }
  [[nodiscard]] bool terminated(const mjModel& m, const mjData& d) const {
    return options.terminate_when_unhealthy && !is_healthy(m, d);
  }
};

/// Gymnasium 1.3.0's Ant-v5, bit for bit on MuJoCo 2.2.2 (Debian 12). Observation:
/// `[qpos[2:], qvel, clip(cfrc_ext[1:], -1, 1)]` as doubles (105); action: 8 joint torques in
/// [-1, 1] as floats, not clipped by the environment. Reward: torso x velocity + 1 while
/// healthy - `0.5 * sum(a^2)` - `5e-4 * sum(clip(cfrc_ext)^2)`; terminates when the torso
/// height leaves [0.2, 1.0] (in practice by jumping above 1.0); 1000-step limit through
/// `TimeLimit`. The model's `init_qpos` custom numeric is not used (Gymnasium ignores it).
///
///     theta::TimeLimit<theta::mujoco::Ant> env(theta::mujoco::Ant("gymnasium/envs/mujoco/assets"));
class Ant : public MujocoEnv<AntTask> {
 public:
  using Options = AntTask::Options;
  using Info = AntTask::Info;
  static constexpr std::string_view id = AntTask::id;
  /// The file in Gymnasium's assets folder.
  static constexpr std::string_view model_file = "ant.xml";
  static constexpr std::int64_t max_episode_steps = 1000;
  static constexpr std::optional<double> reward_threshold = 6000.0;

  /// From a loaded model (share one model between copies).
  explicit Ant(ModelPtr model, Options options = {})
      : MujocoEnv(std::move(model), AntTask(options), {.frame_skip = options.frame_skip}) {}
  /// From Gymnasium's assets folder (loads `model_file` from it) or a model file.
  explicit Ant(const std::filesystem::path& assets, Options options = {})
      : Ant(load_model(detail::model_path(assets, model_file)), options) {}

  /// Gymnasium's `info` terms of the last step.
  [[nodiscard]] const Info& info() const noexcept { return task().info; }
};

}  // namespace theta::mujoco
