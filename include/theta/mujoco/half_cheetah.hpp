#pragma once
/// \file HalfCheetah: Gymnasium 1.3.0's HalfCheetah-v5 over MuJoCo, step for step (docs/mujoco.md).

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

/// The task of HalfCheetah-v5: run forward. Reward `w_f * vx - w_c * sum(a^2)` with vx the
/// x velocity of the root over the step; it never terminates.
struct HalfCheetahTask {
  /// Gymnasium's constructor arguments, with its defaults.
  struct Options {
    int frame_skip = 5;
    double forward_reward_weight = 1.0;
    double ctrl_cost_weight = 0.1;
    double reset_noise_scale = 0.1;
    bool exclude_current_positions_from_observation = true;
  };
  /// Gymnasium's `info` of the last step (of the reset after `reset`).
  struct Info {
    double x_position = 0;
    double x_velocity = 0;
    double reward_forward = 0;
    double reward_ctrl = 0;
  };
  static constexpr std::string_view id = "HalfCheetah-v5";

  Options options;
  Info info;

  HalfCheetahTask() = default;
  explicit HalfCheetahTask(const Options& options_) : options(options_) {}

  double x_before = 0;

  void validate(const mjModel& m) const { detail::require_model_sizes(id, m, 1, 0, 1); }
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
  [[nodiscard]] std::array<detail::NamedOption, 4> named_options() const {
    return {{{"forward_reward_weight", options.forward_reward_weight},
             {"ctrl_cost_weight", options.ctrl_cost_weight},
             {"reset_noise_scale", options.reset_noise_scale},
             {"exclude_current_positions_from_observation",
              static_cast<double>(options.exclude_current_positions_from_observation)}}};
  }
  [[nodiscard]] Index observation_size(const mjModel& m) const {
    return m.nq + m.nv - (options.exclude_current_positions_from_observation ? 1 : 0);
  }
  void reset(const mjModel& m, mjData& d, Rng& rng) {
    detail::add_uniform_qpos_noise(m, d, rng, options.reset_noise_scale);
    detail::set_normal_qvel(m, d, rng, options.reset_noise_scale);
    info = Info{.x_position = d.qpos[0]};
  }
  void before_step(const mjModel&, const mjData& d) { x_before = d.qpos[0]; }
  /// `[qpos[1:], qvel]` (17 values for half_cheetah.xml).
  void observe(const mjModel& m, const mjData& d, Eigen::Ref<Eigen::VectorXd> obs) const {
    const int skip = options.exclude_current_positions_from_observation ? 1 : 0;
    const Index at = detail::write(obs, 0, d.qpos + skip, m.nq - skip);
    detail::write(obs, at, d.qvel, m.nv);
  }
  double reward(const mjModel&, const mjData& d, const Action& action, double dt) {
    const double x_velocity = (d.qpos[0] - x_before) / dt;
    const double forward_reward = detail::unfused(options.forward_reward_weight * x_velocity);
    const double ctrl_cost = detail::unfused(detail::float_control_cost(options.ctrl_cost_weight, action));
    info = {d.qpos[0], x_velocity, forward_reward, -ctrl_cost};
    return forward_reward - ctrl_cost;
  }
  [[nodiscard]] bool terminated(const mjModel&, const mjData&) const { return false; }
};

/// Gymnasium 1.3.0's HalfCheetah-v5, bit for bit on MuJoCo 2.2.2 (Debian 12). Observation:
/// `[qpos[1:], qvel]` as doubles (17); action: 6 joint torques in [-1, 1] as floats, not
/// clipped by the environment (the control cost sees the raw action). Reward: forward
/// velocity minus `0.1 * sum(a^2)`; never terminates; 1000-step limit through `TimeLimit`.
///
///     theta::TimeLimit<theta::mujoco::HalfCheetah> env(theta::mujoco::HalfCheetah("gymnasium/envs/mujoco/assets"));
///     auto obs = env.reset(0);
class HalfCheetah : public MujocoEnv<HalfCheetahTask> {
 public:
  using Options = HalfCheetahTask::Options;
  using Info = HalfCheetahTask::Info;
  static constexpr std::string_view id = HalfCheetahTask::id;
  /// The file in Gymnasium's assets folder.
  static constexpr std::string_view model_file = "half_cheetah.xml";
  static constexpr std::int64_t max_episode_steps = 1000;
  static constexpr std::optional<double> reward_threshold = 4800.0;

  /// From a loaded model (share one model between copies).
  explicit HalfCheetah(ModelPtr model, Options options = {})
      : MujocoEnv(std::move(model), HalfCheetahTask(options), {.frame_skip = options.frame_skip}) {}
  /// From Gymnasium's assets folder (loads `model_file` from it) or a model file.
  explicit HalfCheetah(const std::filesystem::path& assets, Options options = {})
      : HalfCheetah(load_model(detail::model_path(assets, model_file)), options) {}

  /// Gymnasium's `info` terms of the last step.
  [[nodiscard]] const Info& info() const noexcept { return task().info; }
};

}  // namespace theta::mujoco
