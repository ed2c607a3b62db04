#pragma once
/// \file Hopper: Gymnasium 1.3.0's Hopper-v5 over MuJoCo, step for step (docs/mujoco.md).

#include <theta/core/rng.hpp>
#include <theta/mujoco/detail/locomotion.hpp>
#include <theta/mujoco/detail/task_state.hpp>
#include <theta/mujoco/model.hpp>
#include <theta/mujoco/mujoco_env.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace theta::mujoco {

/// The task of Hopper-v5: hop forward without falling. Reward `(w_f * vx + healthy) - w_c *
/// sum(a^2)`; terminates when unhealthy (a state entry outside the open state range, the torso
/// height z = qpos[1] or the angle qpos[2] outside their open ranges).
struct HopperTask {
  /// Gymnasium's constructor arguments, with its defaults. Ranges are open intervals.
  struct Options {
    int frame_skip = 4;
    double forward_reward_weight = 1.0;
    double ctrl_cost_weight = 1e-3;
    double healthy_reward = 1.0;
    bool terminate_when_unhealthy = true;
    double healthy_state_min = -100.0;
    double healthy_state_max = 100.0;
    double healthy_z_min = 0.7;
    double healthy_z_max = std::numeric_limits<double>::infinity();
    double healthy_angle_min = -0.2;
    double healthy_angle_max = 0.2;
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
  static constexpr std::string_view id = "Hopper-v5";

  Options options;
  Info info;

  HopperTask() = default;
  explicit HopperTask(const Options& options_) : options(options_) {}

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
  [[nodiscard]] std::array<detail::NamedOption, 12> named_options() const {
    return {{{"forward_reward_weight", options.forward_reward_weight},
             {"ctrl_cost_weight", options.ctrl_cost_weight},
             {"healthy_reward", options.healthy_reward},
             {"terminate_when_unhealthy", static_cast<double>(options.terminate_when_unhealthy)},
             {"healthy_state_min", options.healthy_state_min},
             {"healthy_state_max", options.healthy_state_max},
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
  /// `[qpos[1:], clip(qvel, -10, 10)]` (11 values for hopper.xml).
  void observe(const mjModel& m, const mjData& d, Eigen::Ref<Eigen::VectorXd> obs) const {
    const int skip = options.exclude_current_positions_from_observation ? 1 : 0;
    const Index at = detail::write(obs, 0, d.qpos + skip, m.nq - skip);
    detail::write(obs, at, d.qvel, m.nv, 10.0);
  }
  /// Every entry of `[qpos, qvel][2:]` and the height and angle inside their open ranges.
  [[nodiscard]] bool is_healthy(const mjModel& m, const mjData& d) const {
    const auto inside = [](double x, double low, double high) { return low < x && x < high; };
    for (int i = 2; i < m.nq + m.nv; ++i) {
      const double x = i < m.nq ? d.qpos[i] : d.qvel[i - m.nq];
      if (!inside(x, options.healthy_state_min, options.healthy_state_max)) return false;
    }
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

/// Gymnasium 1.3.0's Hopper-v5, bit for bit on MuJoCo 2.2.2 (Debian 12). Observation:
/// `[qpos[1:], clip(qvel, -10, 10)]` as doubles (11); action: 3 joint torques in [-1, 1] as
/// floats, not clipped by the environment. Reward: forward velocity + 1 while healthy -
/// `1e-3 * sum(a^2)`; terminates when it falls; 1000-step limit through `TimeLimit`.
///
///     theta::TimeLimit<theta::mujoco::Hopper> env(theta::mujoco::Hopper("gymnasium/envs/mujoco/assets"));
class Hopper : public MujocoEnv<HopperTask> {
 public:
  using Options = HopperTask::Options;
  using Info = HopperTask::Info;
  static constexpr std::string_view id = HopperTask::id;
  /// The file in Gymnasium's assets folder.
  static constexpr std::string_view model_file = "hopper.xml";
  static constexpr std::int64_t max_episode_steps = 1000;
  static constexpr std::optional<double> reward_threshold = 3800.0;

  /// From a loaded model (share one model between copies).
  explicit Hopper(ModelPtr model, Options options = {})
      : MujocoEnv(std::move(model), HopperTask(options), {.frame_skip = options.frame_skip}) {}
  /// From Gymnasium's assets folder (loads `model_file` from it) or a model file.
  explicit Hopper(const std::filesystem::path& assets, Options options = {})
      : Hopper(load_model(detail::model_path(assets, model_file)), options) {}

  /// Gymnasium's `info` terms of the last step.
  [[nodiscard]] const Info& info() const noexcept { return task().info; }
};

}  // namespace theta::mujoco
