#pragma once
/// \file Humanoid: Gymnasium 1.3.0's Humanoid-v5 over MuJoCo, step for step (docs/mujoco.md).

#include <theta/core/rng.hpp>
#include <theta/mujoco/detail/locomotion.hpp>
#include <theta/mujoco/detail/task_state.hpp>
#include <theta/mujoco/model.hpp>
#include <theta/mujoco/mujoco_env.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace theta::mujoco {

/// The task of Humanoid-v5: walk forward without falling. Reward `(1.25 vx + 5 healthy) -
/// (0.1 sum(ctrl^2) + min(5e-7 sum(cfrc_ext^2), 10))`, vx from the mass centre; terminates when
/// the torso height qpos[2] leaves the open z range.
struct HumanoidTask {
  /// Gymnasium's constructor arguments, with its defaults. The z range is open.
  struct Options {
    int frame_skip = 5;
    double forward_reward_weight = 1.25;
    double ctrl_cost_weight = 0.1;
    double contact_cost_weight = 5e-7;
    double contact_cost_min = -std::numeric_limits<double>::infinity();
    double contact_cost_max = 10.0;
    double healthy_reward = 5.0;
    bool terminate_when_unhealthy = true;
    double healthy_z_min = 1.0;
    double healthy_z_max = 2.0;
    double reset_noise_scale = 1e-2;
    bool exclude_current_positions_from_observation = true;
    bool include_cinert_in_observation = true;
    bool include_cvel_in_observation = true;
    bool include_qfrc_actuator_in_observation = true;
    bool include_cfrc_ext_in_observation = true;
  };
  /// Gymnasium's `info` of the last step (the tendon arrays are in `data()`).
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
  static constexpr std::string_view id = "Humanoid-v5";

  Options options;
  Info info;

  HumanoidTask() = default;
  explicit HumanoidTask(const Options& options_) : options(options_) {}

  double xy_before[2] = {0, 0};

  void validate(const mjModel& m) const {
    detail::require_model_sizes(id, m, 3, 6, 2);
    require<ConfigError>(options.contact_cost_min <= options.contact_cost_max,
                         "{}: contact_cost_min ({}) is above contact_cost_max ({})", id, options.contact_cost_min,
                         options.contact_cost_max);
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
  [[nodiscard]] std::array<detail::NamedOption, 15> named_options() const {
    return {{{"forward_reward_weight", options.forward_reward_weight},
             {"ctrl_cost_weight", options.ctrl_cost_weight},
             {"contact_cost_weight", options.contact_cost_weight},
             {"contact_cost_min", options.contact_cost_min},
             {"contact_cost_max", options.contact_cost_max},
             {"healthy_reward", options.healthy_reward},
             {"terminate_when_unhealthy", static_cast<double>(options.terminate_when_unhealthy)},
             {"healthy_z_min", options.healthy_z_min},
             {"healthy_z_max", options.healthy_z_max},
             {"reset_noise_scale", options.reset_noise_scale},
             {"exclude_current_positions_from_observation",
              static_cast<double>(options.exclude_current_positions_from_observation)},
             {"include_cinert_in_observation", static_cast<double>(options.include_cinert_in_observation)},
             {"include_cvel_in_observation", static_cast<double>(options.include_cvel_in_observation)},
             {"include_qfrc_actuator_in_observation",
              static_cast<double>(options.include_qfrc_actuator_in_observation)},
             {"include_cfrc_ext_in_observation", static_cast<double>(options.include_cfrc_ext_in_observation)}}};
  }
  [[nodiscard]] Index observation_size(const mjModel& m) const {
    const int bodies = m.nbody - 1;
    return m.nq + m.nv - (options.exclude_current_positions_from_observation ? 2 : 0) +
           (options.include_cinert_in_observation ? 10 * bodies : 0) +
           (options.include_cvel_in_observation ? 6 * bodies : 0) +
           (options.include_qfrc_actuator_in_observation ? m.nv - 6 : 0) +
           (options.include_cfrc_ext_in_observation ? 6 * bodies : 0);
  }
  void reset(const mjModel& m, mjData& d, Rng& rng) {
    detail::add_uniform_qpos_noise(m, d, rng, options.reset_noise_scale);
    detail::set_uniform_qvel(m, d, rng, options.reset_noise_scale);
    info = Info{.x_position = d.qpos[0], .y_position = d.qpos[1]};
  }
  /// x and y of the mass centre, sum(body_mass * xipos) / sum(body_mass) over all bodies (the
  /// xipos of the last substep's evaluation, as Gymnasium reads them): the products rounded,
  /// summed body after body (numpy's reduction over the outer axis), divided by numpy's
  /// pairwise sum of the masses.
  static void mass_centre(const mjModel& m, const mjData& d, double (&xy)[2]) {
    const double total_mass = detail::pairwise_sum<double>(static_cast<std::size_t>(m.nbody),
                                                           [&](std::size_t b) { return m.body_mass[b]; });
    for (int j = 0; j < 2; ++j) {
      double sum = 0;
      for (int b = 0; b < m.nbody; ++b) sum += detail::unfused(m.body_mass[b] * d.xipos[3 * b + j]);
      xy[j] = sum / total_mass;
    }
  }
  void before_step(const mjModel& m, const mjData& d) { mass_centre(m, d, xy_before); }
  /// `[qpos[2:], qvel, cinert[1:], cvel[1:], qfrc_actuator[6:], cfrc_ext[1:]]` (348 values for
  /// humanoid.xml); cfrc_ext is not clipped here, unlike Ant.
  void observe(const mjModel& m, const mjData& d, Eigen::Ref<Eigen::VectorXd> obs) const {
    const int skip = options.exclude_current_positions_from_observation ? 2 : 0;
    Index at = detail::write(obs, 0, d.qpos + skip, m.nq - skip);
    at = detail::write(obs, at, d.qvel, m.nv);
    if (options.include_cinert_in_observation) at = detail::write(obs, at, d.cinert + 10, 10 * (m.nbody - 1));
    if (options.include_cvel_in_observation) at = detail::write(obs, at, d.cvel + 6, 6 * (m.nbody - 1));
    if (options.include_qfrc_actuator_in_observation) at = detail::write(obs, at, d.qfrc_actuator + 6, m.nv - 6);
    if (options.include_cfrc_ext_in_observation) detail::write(obs, at, d.cfrc_ext + 6, 6 * (m.nbody - 1));
  }
  [[nodiscard]] bool is_healthy(const mjModel&, const mjData& d) const {
    return options.healthy_z_min < d.qpos[2] && d.qpos[2] < options.healthy_z_max;
  }
  double reward(const mjModel& m, const mjData& d, const Action&, double dt) {
    double xy_after[2];
    mass_centre(m, d, xy_after);
    const double x_velocity = (xy_after[0] - xy_before[0]) / dt;
    const double y_velocity = (xy_after[1] - xy_before[1]) / dt;
    const double forward_reward = detail::unfused(options.forward_reward_weight * x_velocity);
    const double healthy_reward = is_healthy(m, d) ? options.healthy_reward : 0.0;
    // Humanoid squares MuJoCo's double ctrl, not the float32 action (same values, double sums).
    const double ctrl_cost = detail::unfused(
        options.ctrl_cost_weight * detail::sum_of_squares<double>(d.ctrl, static_cast<std::size_t>(m.nu)));
    const double contact_sum = detail::sum_of_squares<double>(d.cfrc_ext, static_cast<std::size_t>(6 * m.nbody));
    const double contact_cost = std::clamp(detail::unfused(options.contact_cost_weight * contact_sum),
                                           options.contact_cost_min, options.contact_cost_max);
    info = {d.qpos[0],      d.qpos[1],  x_velocity,     y_velocity,
            forward_reward, -ctrl_cost, -contact_cost, healthy_reward};
    return (forward_reward + healthy_reward) - (ctrl_cost + contact_cost);
  }
  [[nodiscard]] bool terminated(const mjModel& m, const mjData& d) const {
    return options.terminate_when_unhealthy && !is_healthy(m, d);
  }
};

/// Gymnasium 1.3.0's Humanoid-v5, bit for bit on MuJoCo 2.2.2 (Debian 12). Observation: 348
/// doubles (positions without x and y, velocities, the bodies' com-based inertias and
/// velocities, actuator forces, external contact forces); action: 17 torques in [-0.4, 0.4]
/// as floats, not clipped by the environment. Reward: 1.25 x velocity of the mass centre + 5
/// while healthy - `0.1 * sum(ctrl^2)` - `min(5e-7 * sum(cfrc_ext^2), 10)`; terminates when the
/// torso height leaves (1, 2); 1000-step limit through `TimeLimit`.
///
///     theta::TimeLimit<theta::mujoco::Humanoid> env(theta::mujoco::Humanoid("gymnasium/envs/mujoco/assets"));
class Humanoid : public MujocoEnv<HumanoidTask> {
 public:
  using Options = HumanoidTask::Options;
  using Info = HumanoidTask::Info;
  static constexpr std::string_view id = HumanoidTask::id;
  /// The file in Gymnasium's assets folder.
  static constexpr std::string_view model_file = "humanoid.xml";
  static constexpr std::int64_t max_episode_steps = 1000;
  /// Humanoid-v5 registers no reward threshold.
  static constexpr std::optional<double> reward_threshold = std::nullopt;

  /// From a loaded model (share one model between copies).
  explicit Humanoid(ModelPtr model, Options options = {})
      : MujocoEnv(std::move(model), HumanoidTask(options), {.frame_skip = options.frame_skip}) {}
  /// From Gymnasium's assets folder (loads `model_file` from it) or a model file.
  explicit Humanoid(const std::filesystem::path& assets, Options options = {})
      : Humanoid(load_model(detail::model_path(assets, model_file)), options) {}

  /// Gymnasium's `info` terms of the last step.
  [[nodiscard]] const Info& info() const noexcept { return task().info; }
};

}  // namespace theta::mujoco
