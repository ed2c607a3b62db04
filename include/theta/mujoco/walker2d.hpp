#pragma once
/// \file Walker2d: Gymnasium 1.3.0's Walker2d-v5 over MuJoCo, step for step (docs/mujoco.md).

#include <theta/core/rng.hpp>
#include <theta/mujoco/detail/locomotion.hpp>
#include <theta/mujoco/detail/task_state.hpp>
#include <theta/mujoco/model.hpp>
#include <theta/mujoco/mujoco_env.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace theta::mujoco {

/// The task of Walker2d-v5: walk forward without falling. Reward `(w_f * vx + healthy) - w_c *
/// sum(a^2)`; terminates when unhealthy (the torso height z = qpos[1] or the angle qpos[2]
/// outside their open ranges).
struct Walker2dTask {
  /// Gymnasium's constructor arguments, with its defaults. Ranges are open intervals.
  struct Options {
    int frame_skip = 4;
    double forward_reward_weight = 1.0;
    double ctrl_cost_weight = 1e-3;
    double healthy_reward = 1.0;
    bool terminate_when_unhealthy = true;
    double healthy_z_min = 0.8;
    double healthy_z_max = 2.0;
    double healthy_angle_min = -1.0;
    double healthy_angle_max = 1.0;
    double reset_noise_scale = 5e-3;
    bool exclude_current_positions_from_observation = true;
  };
  /// Gymnasium's `info` of the last step.
  struct Info {
    double x_position = 0;
    double z_distance_from_origin = 0;
    double x_velocity = 0;
    double reward_forward = 0;
    double reward_ctrl = 0;
    double reward_survive = 0;
  };
  static constexpr std::string_view id = "Walker2d-v5";

  Options options;
  Info info;

  Walker2dTask() = default;
  explicit Walker2dTask(const Options& options_) : options(options_) {}

  double x_before = 0;

  void validate(const mjModel& m) const { detail::require_model_sizes(id, m, 3, 0, 1); }
  /// For checkpoints (`MujocoEnv::save`): the options (construction parameters; `load` refuses
  /// other ones, `frame_skip` is checked by the environment), the position read before the step
  /// and `info`.
  void save(io::CheckpointSectionWriter& out) const {
    detail::save_task_state(out, named_options(), std::span<const double>(&x_before, 1), info);
  }
  void load(io::CheckpointSectionReader& in) {
    detail::load_task_state(in, id, named_options(), std::span<double>(&x_before, 1), info);
  }
  /// The options `save` writes, by name.
  [[nodiscard]] std::array<detail::NamedOption, 10> named_options() const {
    return {{{"forward_reward_weight", options.forward_reward_weight},
             {"ctrl_cost_weight", options.ctrl_cost_weight},
             {"healthy_reward", options.healthy_reward},
             {"terminate_when_unhealthy", static_cast<double>(options.terminate_when_unhealthy)},
             {"healthy_z_min", options.healthy_z_min},
             {"healthy_z_max", options.healthy_z_max},
             {"healthy_angle_min", options.healthy_angle_min},
             {"healthy_angle_max", options.healthy_angle_max},
             {"reset_noise_scale", options.reset_noise_scale},
             {"exclude_current_positions_from_observation",
              static_cast<double>(options.exclude_current_positions_from_observation)}}};
  }
  [[nodiscard]] Index observation_size(const mjModel& m) const {
    return m.nq + m.nv - (options.exclude_current_positions_from_observation ? 1 : 0);
  }
  void reset(const mjModel& m, mjData& d, Rng& rng) {
    detail::add_uniform_qpos_noise(m, d, rng, options.reset_noise_scale);
    detail::set_uniform_qvel(m, d, rng, options.reset_noise_scale);
    info = Info{.x_position = d.qpos[0], .z_distance_from_origin = d.qpos[1] - m.qpos0[1]};
  }
  void before_step(const mjModel&, const mjData& d) { x_before = d.qpos[0]; }
  /// `[qpos[1:], clip(qvel, -10, 10)]` (17 values for walker2d_v5.xml).
  void observe(const mjModel& m, const mjData& d, Eigen::Ref<Eigen::VectorXd> obs) const {
    const int skip = options.exclude_current_positions_from_observation ? 1 : 0;
    const Index at = detail::write(obs, 0, d.qpos + skip, m.nq - skip);
    detail::write(obs, at, d.qvel, m.nv, 10.0);
  }
  /// The height and the angle inside their open ranges.
  [[nodiscard]] bool is_healthy(const mjModel&, const mjData& d) const {
    const auto inside = [](double x, double low, double high) { return low < x && x < high; };
    return inside(d.qpos[1], options.healthy_z_min, options.healthy_z_max) &&
           inside(d.qpos[2], options.healthy_angle_min, options.healthy_angle_max);
  }
  double reward(const mjModel& m, const mjData& d, const Action& action, double dt) {
    const double x_velocity = (d.qpos[0] - x_before) / dt;
    const double forward_reward = detail::unfused(options.forward_reward_weight * x_velocity);
    // v5: the survive bonus only while healthy, on the same post-step state as `terminated`.
    const double healthy_reward = is_healthy(m, d) ? options.healthy_reward : 0.0;
    const double ctrl_cost = detail::unfused(detail::float_control_cost(options.ctrl_cost_weight, action));
    info = {d.qpos[0], d.qpos[1] - m.qpos0[1], x_velocity, forward_reward, -ctrl_cost, healthy_reward};
    return (forward_reward + healthy_reward) - ctrl_cost;
  }
  [[nodiscard]] bool terminated(const mjModel& m, const mjData& d) const {
    return options.terminate_when_unhealthy && !is_healthy(m, d);
  }
};

/// Gymnasium 1.3.0's Walker2d-v5, bit for bit on MuJoCo 2.2.2 (Debian 12). Observation:
/// `[qpos[1:], clip(qvel, -10, 10)]` as doubles (17); action: 6 joint torques in [-1, 1] as
/// floats, not clipped by the environment. Reward: forward velocity + 1 while healthy -
/// `1e-3 * sum(a^2)`; terminates when it falls (torso height outside (0.8, 2) or angle outside
/// (-1, 1)); 1000-step limit through `TimeLimit`. The v5 model gives both feet friction 1.9.
///
///     theta::TimeLimit<theta::mujoco::Walker2d> env(theta::mujoco::Walker2d("gymnasium/envs/mujoco/assets"));
class Walker2d : public MujocoEnv<Walker2dTask> {
 public:
  using Options = Walker2dTask::Options;
  using Info = Walker2dTask::Info;
  static constexpr std::string_view id = Walker2dTask::id;
  /// The file in Gymnasium's assets folder.
  static constexpr std::string_view model_file = "walker2d_v5.xml";
  static constexpr std::int64_t max_episode_steps = 1000;
  /// Walker2d-v5 registers no reward threshold.
  static constexpr std::optional<double> reward_threshold = std::nullopt;

  /// From a loaded model (share one model between copies).
  explicit Walker2d(ModelPtr model, Options options = {})
      : MujocoEnv(std::move(model), Walker2dTask(options), {.frame_skip = options.frame_skip}) {}
  /// From Gymnasium's assets folder (loads `model_file` from it) or a model file.
  explicit Walker2d(const std::filesystem::path& assets, Options options = {})
      : Walker2d(load_model(detail::model_path(assets, model_file)), options) {}

  /// Gymnasium's `info` terms of the last step.
  [[nodiscard]] const Info& info() const noexcept { return task().info; }
};

}  // namespace theta::mujoco
