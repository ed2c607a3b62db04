#pragma once
/// \file MountainCar: Gymnasium's MountainCar-v0, reproduced bit for bit (docs/environments.md).

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/env/detail/classic_checks.hpp>
#include <theta/env/detail/exact_math.hpp>
#include <theta/env/savable.hpp>
#include <theta/env/spaces.hpp>
#include <theta/env/step_result.hpp>

#include <Eigen/Core>

#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

namespace theta {

/// Drive an underpowered car up a hill by rocking it back and forth (Moore 1990): Gymnasium
/// 1.3.0's MountainCar-v0, step for step. Observation `[position, velocity]` as float; action
/// 0 accelerates left, 1 not at all, 2 right; reward -1 per step; the episode terminates when
/// position >= 0.5 with velocity >= `goal_velocity`. `step` never truncates: wrap it in
/// `TimeLimit` for the 200-step limit.
///
///     theta::TimeLimit<theta::MountainCar> env;   // MountainCar-v0
///     auto obs = env.reset(3);
///     auto result = env.step(2);   // push right
class MountainCar {
 public:
  using Observation = Eigen::Matrix<float, 2, 1>;
  using Action = int;
  /// `[position, velocity]` in double.
  using State = std::array<double, 2>;

  /// Gymnasium's constructor keyword arguments.
  struct Options {
    /// The car must reach the goal at least this fast (Gymnasium's `goal_velocity`).
    double goal_velocity = 0.0;
  };

  /// The Gymnasium registry id, used in error messages.
  static constexpr std::string_view id = "MountainCar-v0";
  /// The registered time limit (apply it with `TimeLimit`).
  static constexpr std::int64_t max_episode_steps = 200;
  /// The registered return at which the task counts as solved.
  static constexpr std::optional<double> reward_threshold = -110.0;

  MountainCar() = default;
  /// Throws `ConfigError` for a non-finite goal velocity.
  explicit MountainCar(Options options) : goal_velocity_(options.goal_velocity) {
    require<ConfigError>(std::isfinite(goal_velocity_), "{}: goal_velocity must be finite, got {}", id,
                         goal_velocity_);
  }

  /// `Box([-1.2, -0.07], [0.6, 0.07])`, the bounds rounded to float as in Gymnasium.
  [[nodiscard]] Box observation_space() const {
    return Box({static_cast<float>(min_position), static_cast<float>(-max_speed)},
               {static_cast<float>(max_position), static_cast<float>(max_speed)});
  }
  /// `Discrete(3)`: accelerate left, do nothing, accelerate right.
  [[nodiscard]] Discrete action_space() const { return Discrete{3}; }

  /// Starts an episode at rest, position uniform in [-0.6, -0.4), drawn from `Rng(seed)`.
  Observation reset(std::uint64_t seed) {
    Rng rng(seed);
    state_ = {rng.uniform(-0.6, -0.4), 0.0};
    started_ = true;
    return observation();
  }

  /// One semi-implicit Euler step of dt = 1: velocity first, then position from the new
  /// velocity; the left wall at -1.2 stops the car. Throws `EnvironmentError` for an action
  /// outside {0, 1, 2} or before the first reset.
  StepResult<Observation> step(const Action& action) {
    using detail::unfused;
    detail::require_started(started_, id);
    detail::require_discrete_action(action, 3, id);
    auto [position, velocity] = state_;
    // Gymnasium sums the two terms before adding them to the velocity.
    velocity = velocity + (unfused((action - 1) * force) + unfused(std::cos(3 * position) * -gravity));
    velocity = detail::clip(velocity, -max_speed, max_speed);
    position = detail::clip(position + velocity, min_position, max_position);
    if (position == min_position && velocity < 0) velocity = 0.0;
    state_ = {position, velocity};
    const bool terminated = position >= goal_position && velocity >= goal_velocity_;
    return {observation(), -1.0, terminated, false};
  }

  /// The observation of the current state: the state rounded to float.
  [[nodiscard]] Observation observation() const {
    return Observation(static_cast<float>(state_[0]), static_cast<float>(state_[1]));
  }

  /// The current state, e.g. to compare with Gymnasium's `env.unwrapped.state`.
  [[nodiscard]] const State& state() const noexcept { return state_; }
  /// Puts the environment in `state`. Throws `EnvironmentError` for a non-finite component.
  void set_state(const State& state) {
    detail::require_finite_state(state, id);
    state_ = state;
    started_ = true;
  }

  /// Writes the current episode's state (`SavableEnvironment`): after `load`, another
  /// environment continues the episode bit for bit.
  void save(io::CheckpointSectionWriter& out) const {
    detail::save_classic_state(out, id, started_, state_);
    out.f64(goal_velocity_);
  }
  /// Restores what `save` wrote; a checkpoint of another environment, of other construction
  /// parameters or with a non-finite state raises `CheckpointError` and changes nothing.
  void load(io::CheckpointSectionReader& in) {
    const auto saved = detail::load_classic_state<2>(in, id);
    detail::load_classic_parameter(in, id, "goal_velocity", goal_velocity_);
    state_ = saved.state;
    started_ = saved.started;
  }

  /// Constants of MountainCar-v0.
  static constexpr double min_position = -1.2;
  static constexpr double max_position = 0.6;
  static constexpr double max_speed = 0.07;
  static constexpr double goal_position = 0.5;
  static constexpr double force = 0.001;
  static constexpr double gravity = 0.0025;

 private:
  State state_{};
  double goal_velocity_ = 0.0;
  bool started_ = false;
};

}  // namespace theta
