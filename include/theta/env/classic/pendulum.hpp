#pragma once
/// \file Pendulum: Gymnasium's Pendulum-v1, reproduced bit for bit (docs/environments.md).

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
#include <numbers>
#include <optional>
#include <string_view>

namespace theta {

/// Swing a pendulum up and keep it upright with a bounded torque: Gymnasium 1.3.0's
/// Pendulum-v1, step for step. Observation `[cos theta, sin theta, theta_dot]` as float
/// (theta = 0 is upright); action a torque in [-2, 2] (out-of-range values are clipped);
/// reward -(angle^2 + 0.1 theta_dot^2 + 0.001 torque^2) from the state before the step. It
/// never terminates; wrap it in `TimeLimit` for the 200-step limit.
///
///     theta::TimeLimit<theta::Pendulum> env;   // Pendulum-v1
///     auto obs = env.reset(11);
///     auto result = env.step(theta::Pendulum::Action{1.5f});
class Pendulum {
 public:
  using Observation = Eigen::Matrix<float, 3, 1>;
  using Action = Eigen::Matrix<float, 1, 1>;
  /// `[theta, theta_dot]` in double. theta is not wrapped: it grows as the pendulum spins.
  using State = std::array<double, 2>;

  /// Gymnasium's constructor keyword arguments.
  struct Options {
    /// Gravitational acceleration (Gymnasium's `g`).
    double g = 10.0;
  };

  /// The Gymnasium registry id, used in error messages.
  static constexpr std::string_view id = "Pendulum-v1";
  /// The registered time limit (apply it with `TimeLimit`).
  static constexpr std::int64_t max_episode_steps = 200;
  /// Pendulum-v1 registers no reward threshold.
  static constexpr std::optional<double> reward_threshold = std::nullopt;

  Pendulum() = default;
  /// Throws `ConfigError` for a non-finite g.
  explicit Pendulum(Options options) : g_(options.g) {
    require<ConfigError>(std::isfinite(g_), "{}: g must be finite, got {}", id, g_);
  }

  /// `Box([-1, -1, -8], [1, 1, 8])`.
  [[nodiscard]] Box observation_space() const { return Box({-1.0, -1.0, -max_speed}, {1.0, 1.0, max_speed}); }
  /// `Box([-2], [2])`: the torque.
  [[nodiscard]] Box action_space() const { return Box({-max_torque}, {max_torque}); }

  /// Starts an episode: theta uniform in [-pi, pi), theta_dot uniform in [-1, 1), drawn from
  /// `Rng(seed)`.
  Observation reset(std::uint64_t seed) {
    Rng rng(seed);
    const double theta = rng.uniform(-std::numbers::pi, std::numbers::pi);
    const double theta_dot = rng.uniform(-1.0, 1.0);
    state_ = {theta, theta_dot};
    started_ = true;
    return observation();
  }

  /// One semi-implicit Euler step of dt = 0.05 with torque clip(a, -2, 2); the cost is taken
  /// on the state before the step. Throws `EnvironmentError` for a non-finite action or
  /// before the first reset.
  StepResult<Observation> step(const Action& action) {
    using detail::pow2;
    using detail::unfused;
    detail::require_started(started_, id);
    detail::require_finite_action(action[0], id);
    const double u = detail::clip(action[0], -max_torque, max_torque);
    const auto [theta, theta_dot] = state_;

    const double cost = pow2(angle_normalize(theta)) + unfused(0.1 * pow2(theta_dot)) + unfused(0.001 * pow2(u));
    // Gymnasium: 3 * g / (2 * l) * sin(th) + 3.0 / (m * l**2) * u, with m = l = 1.
    const double gain = 3 * g_ / (2 * length);
    const double torque_gain = 3.0 / (mass * (length * length));
    double new_theta_dot =
        theta_dot + unfused((unfused(gain * std::sin(theta)) + unfused(torque_gain * u)) * dt);
    new_theta_dot = detail::clip(new_theta_dot, -max_speed, max_speed);
    const double new_theta = theta + unfused(new_theta_dot * dt);
    state_ = {new_theta, new_theta_dot};
    return {observation(), -cost, false, false};
  }

  /// The observation of the current state, computed in double and rounded to float.
  [[nodiscard]] Observation observation() const {
    return Observation(static_cast<float>(std::cos(state_[0])), static_cast<float>(std::sin(state_[0])),
                       static_cast<float>(state_[1]));
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
    out.f64(g_);
  }
  /// Restores what `save` wrote; a checkpoint of another environment, of other construction
  /// parameters or with a non-finite state raises `CheckpointError` and changes nothing.
  void load(io::CheckpointSectionReader& in) {
    const auto saved = detail::load_classic_state<2>(in, id);
    detail::load_classic_parameter(in, id, "g", g_);
    state_ = saved.state;
    started_ = saved.started;
  }

  /// An angle mapped to [-pi, pi) with Python's floor modulo: ((x + pi) mod 2 pi) - pi.
  [[nodiscard]] static double angle_normalize(double x) noexcept {
    constexpr double pi = std::numbers::pi;
    return detail::floor_mod(x + pi, 2 * pi) - pi;
  }

  /// Constants of Pendulum-v1.
  static constexpr double max_speed = 8.0;
  static constexpr double max_torque = 2.0;
  static constexpr double dt = 0.05;
  static constexpr double mass = 1.0;
  static constexpr double length = 1.0;

  /// Gravitational acceleration in use.
  [[nodiscard]] double g() const noexcept { return g_; }

 private:
  State state_{};
  double g_ = 10.0;
  bool started_ = false;
};

}  // namespace theta
