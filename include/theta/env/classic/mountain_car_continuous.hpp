#pragma once
/// \file MountainCarContinuous: Gymnasium's MountainCarContinuous-v0, reproduced bit for bit
/// (docs/environments.md).

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

/// MountainCar with a continuous force (Moore 1990): Gymnasium 1.3.0's
/// MountainCarContinuous-v0, step for step. Observation `[position, velocity]` as float;
/// action a force in [-1, 1] (clipped for the dynamics); reward -0.1 a^2 per step with the
/// *unclipped* a, plus 100 on every step at the goal (position >= 0.45, velocity >=
/// `goal_velocity`), where the episode terminates. `step` never truncates: wrap it in
/// `TimeLimit` for the 999-step limit.
///
/// As in Gymnasium, the state is stored rounded to float after every step (reset leaves it
/// in double), and termination is decided on the double values before that rounding.
///
///     theta::TimeLimit<theta::MountainCarContinuous> env;   // MountainCarContinuous-v0
///     auto obs = env.reset(5);
///     auto result = env.step(theta::MountainCarContinuous::Action{0.5f});
class MountainCarContinuous {
 public:
  using Observation = Eigen::Matrix<float, 2, 1>;
  using Action = Eigen::Matrix<float, 1, 1>;
  /// `[position, velocity]` in double (float-valued after a step).
  using State = std::array<double, 2>;

  /// Gymnasium's constructor keyword arguments.
  struct Options {
    /// The car must reach the goal at least this fast (Gymnasium's `goal_velocity`).
    double goal_velocity = 0.0;
  };

  /// The Gymnasium registry id, used in error messages.
  static constexpr std::string_view id = "MountainCarContinuous-v0";
  /// The registered time limit (apply it with `TimeLimit`).
  static constexpr std::int64_t max_episode_steps = 999;
  /// The registered return at which the task counts as solved.
  static constexpr std::optional<double> reward_threshold = 90.0;

  MountainCarContinuous() = default;
  /// Throws `ConfigError` for a non-finite goal velocity.
  explicit MountainCarContinuous(Options options) : goal_velocity_(options.goal_velocity) {
    require<ConfigError>(std::isfinite(goal_velocity_), "{}: goal_velocity must be finite, got {}", id,
                         goal_velocity_);
  }

  /// `Box([-1.2, -0.07], [0.6, 0.07])`, the bounds rounded to float as in Gymnasium (the
  /// stored wall position float(-1.2) lies inside).
  [[nodiscard]] Box observation_space() const {
    return Box({static_cast<float>(min_position), static_cast<float>(-max_speed)},
               {static_cast<float>(max_position), static_cast<float>(max_speed)});
  }
  /// `Box([-1], [1])`: the force. Larger finite actions are clipped for the dynamics but
  /// still pay their full cost.
  [[nodiscard]] Box action_space() const { return Box({min_action}, {max_action}); }

  /// Starts an episode at rest, position uniform in [-0.6, -0.4), drawn from `Rng(seed)`.
  Observation reset(std::uint64_t seed) {
    Rng rng(seed);
    state_ = {rng.uniform(-0.6, -0.4), 0.0};
    started_ = true;
    return observation();
  }

  /// One semi-implicit Euler step of dt = 1 with force clip(a, -1, 1). Throws
  /// `EnvironmentError` for a non-finite action or before the first reset.
  StepResult<Observation> step(const Action& action) {
    using detail::unfused;
    detail::require_started(started_, id);
    detail::require_finite_action(action[0], id);
    const double a = action[0];
    const double force = detail::clip(a, min_action, max_action);
    auto [position, velocity] = state_;
    velocity = velocity + (unfused(force * power) - unfused(0.0025 * std::cos(3 * position)));
    velocity = detail::clip(velocity, -max_speed, max_speed);
    position = detail::clip(position + velocity, min_position, max_position);
    if (position == min_position && velocity < 0) velocity = 0.0;

    const bool terminated = position >= goal_position && velocity >= goal_velocity_;
    // Gymnasium: reward = 0; if terminated: reward = 100.0; reward -= math.pow(action[0], 2) * 0.1
    const double reward = (terminated ? 100.0 : 0.0) - unfused(detail::pow2(a) * 0.1);
    state_ = {detail::round_to_float(position), detail::round_to_float(velocity)};
    return {observation(), reward, terminated, false};
  }

  /// The observation of the current state: the state rounded to float.
  [[nodiscard]] Observation observation() const {
    return Observation(static_cast<float>(state_[0]), static_cast<float>(state_[1]));
  }

  /// The current state, e.g. to compare with Gymnasium's `env.unwrapped.state`.
  [[nodiscard]] const State& state() const noexcept { return state_; }
  /// Puts the environment in `state` (kept in double, as after a reset). Throws
  /// `EnvironmentError` for a non-finite component.
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

  /// Constants of MountainCarContinuous-v0.
  static constexpr double min_action = -1.0;
  static constexpr double max_action = 1.0;
  static constexpr double min_position = -1.2;
  static constexpr double max_position = 0.6;
  static constexpr double max_speed = 0.07;
  static constexpr double goal_position = 0.45;
  static constexpr double power = 0.0015;

 private:
  State state_{};
  double goal_velocity_ = 0.0;
  bool started_ = false;
};

}  // namespace theta
