#pragma once
/// \file Acrobot: Gymnasium's Acrobot-v1, reproduced bit for bit (docs/environments.md).

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

/// Swing the tip of a two-link pendulum above a line by torquing the middle joint (Sutton
/// 1996; the "book" dynamics of RLPy): Gymnasium 1.3.0's Acrobot-v1, step for step.
/// Observation `[cos t1, sin t1, cos t2, sin t2, dt1, dt2]` as float; action 0, 1, 2 applies a
/// torque of -1, 0, +1; reward -1 per step and 0 on the step that reaches the goal, where the
/// episode terminates. `step` never truncates: wrap it in `TimeLimit` for the 500-step limit.
///
/// Gymnasium indexes its torque list with the action, so it silently maps -1, -2, -3 to the
/// torques +1, 0, -1; here every action outside {0, 1, 2} throws.
///
///     theta::TimeLimit<theta::Acrobot> env;   // Acrobot-v1
///     auto obs = env.reset(7);
///     auto result = env.step(2);   // torque +1
class Acrobot {
 public:
  using Observation = Eigen::Matrix<float, 6, 1>;
  using Action = int;
  /// `[theta1, theta2, dtheta1, dtheta2]` in double; theta2 is relative to link 1, angles are
  /// wrapped to [-pi, pi].
  using State = std::array<double, 4>;

  /// The Gymnasium registry id, used in error messages.
  static constexpr std::string_view id = "Acrobot-v1";
  /// The registered time limit (apply it with `TimeLimit`).
  static constexpr std::int64_t max_episode_steps = 500;
  /// The registered return at which the task counts as solved.
  static constexpr std::optional<double> reward_threshold = -100.0;

  /// `Box(-high, high)` with high = float32 [1, 1, 1, 1, 4 pi, 9 pi].
  [[nodiscard]] Box observation_space() const {
    const double v1 = static_cast<float>(max_vel_1);
    const double v2 = static_cast<float>(max_vel_2);
    return Box({-1.0, -1.0, -1.0, -1.0, -v1, -v2}, {1.0, 1.0, 1.0, 1.0, v1, v2});
  }
  /// `Discrete(3)`: torque -1, 0, +1 on the joint between the links.
  [[nodiscard]] Discrete action_space() const { return Discrete{3}; }

  /// Starts an episode: every state component uniform in [-0.1, 0.1), drawn from `Rng(seed)`
  /// and rounded to float, as Gymnasium's reset does (`astype(np.float32)`).
  Observation reset(std::uint64_t seed) {
    Rng rng(seed);
    for (double& s : state_) s = detail::round_to_float(rng.uniform(-0.1, 0.1));
    started_ = true;
    return observation();
  }

  /// Integrates the torque for 0.2 s with one classic RK4 step, wraps the angles and clips
  /// the velocities. Throws `EnvironmentError` for an action outside {0, 1, 2} or before the
  /// first reset.
  StepResult<Observation> step(const Action& action) {
    using detail::unfused;
    detail::require_started(started_, id);
    detail::require_discrete_action(action, 3, id);
    const double torque = static_cast<double>(action - 1);  // Gymnasium's AVAIL_TORQUE[action]

    // RK4 over [0, dt] as Gymnasium's rk4: h/2 = 0.1 and h/6 computed as dt / 6.0. The
    // torque component has derivative 0 and stays unchanged.
    constexpr double half = dt / 2.0;
    constexpr double sixth = dt / 6.0;
    const State& y = state_;
    const State k1 = derivatives(y, torque);
    const State k2 = derivatives(axpy(y, half, k1), torque);
    const State k3 = derivatives(axpy(y, half, k2), torque);
    const State k4 = derivatives(axpy(y, dt, k3), torque);
    State next;
    for (std::size_t i = 0; i < 4; ++i) {
      next[i] = y[i] + unfused(sixth * (((k1[i] + unfused(2 * k2[i])) + unfused(2 * k3[i])) + k4[i]));
    }
    next[0] = wrap(next[0]);
    next[1] = wrap(next[1]);
    next[2] = detail::clip(next[2], -max_vel_1, max_vel_1);
    next[3] = detail::clip(next[3], -max_vel_2, max_vel_2);
    state_ = next;

    const bool terminated = -std::cos(state_[0]) - std::cos(state_[1] + state_[0]) > 1.0;
    return {observation(), terminated ? 0.0 : -1.0, terminated, false};
  }

  /// The observation of the current state, computed in double and rounded to float.
  [[nodiscard]] Observation observation() const {
    const auto [theta1, theta2, dtheta1, dtheta2] = state_;
    Observation obs;
    obs[0] = static_cast<float>(std::cos(theta1));
    obs[1] = static_cast<float>(std::sin(theta1));
    obs[2] = static_cast<float>(std::cos(theta2));
    obs[3] = static_cast<float>(std::sin(theta2));
    obs[4] = static_cast<float>(dtheta1);
    obs[5] = static_cast<float>(dtheta2);
    return obs;
  }

  /// The current state, e.g. to compare with Gymnasium's `env.unwrapped.state`.
  [[nodiscard]] const State& state() const noexcept { return state_; }
  /// Puts the environment in `state` (taken as is: no rounding to float, no wrapping).
  /// Throws `EnvironmentError` for a non-finite component.
  void set_state(const State& state) {
    detail::require_finite_state(state, id);
    state_ = state;
    started_ = true;
  }

  /// Writes the current episode's state (`SavableEnvironment`): after `load`, another
  /// environment continues the episode bit for bit.
  void save(io::CheckpointSectionWriter& out) const {
    detail::save_classic_state(out, id, started_, state_);
  }
  /// Restores what `save` wrote; a checkpoint of another environment, of other construction
  /// parameters or with a non-finite state raises `CheckpointError` and changes nothing.
  void load(io::CheckpointSectionReader& in) {
    const auto saved = detail::load_classic_state<4>(in, id);
    state_ = saved.state;
    started_ = saved.started;
  }

  /// Physical constants of Acrobot-v1 (both links: mass 1, length 1, centre of mass 0.5,
  /// moment of inertia 1).
  static constexpr double link_mass_1 = 1.0;
  static constexpr double link_mass_2 = 1.0;
  static constexpr double link_length_1 = 1.0;
  static constexpr double link_com_pos_1 = 0.5;
  static constexpr double link_com_pos_2 = 0.5;
  static constexpr double link_moi = 1.0;
  static constexpr double gravity = 9.8;
  static constexpr double dt = 0.2;
  static constexpr double max_vel_1 = 4 * std::numbers::pi;
  static constexpr double max_vel_2 = 9 * std::numbers::pi;

 private:
  static State axpy(const State& y, double h, const State& k) {
    State out;
    for (std::size_t i = 0; i < 4; ++i) out[i] = y[i] + detail::unfused(h * k[i]);
    return out;
  }

  // Gymnasium's wrap(x, -pi, pi): whole turns are removed one at a time.
  static double wrap(double x) {
    constexpr double pi = std::numbers::pi;
    constexpr double turn = pi - -pi;
    while (x > pi) x = x - turn;
    while (x < -pi) x = x + turn;
    return x;
  }

  // Gymnasium's _dsdt with book_or_nips = "book". Constant sub-expressions are folded in
  // Python's order (all of them are exact); x**2 of a variable is libm pow.
  static State derivatives(const State& s, double a) {
    using detail::pow2;
    using detail::unfused;
    constexpr double m1 = link_mass_1, m2 = link_mass_2, l1 = link_length_1;
    constexpr double lc1 = link_com_pos_1, lc2 = link_com_pos_2, i1 = link_moi, i2 = link_moi;
    constexpr double g = gravity;
    constexpr double pi = std::numbers::pi;
    const auto [theta1, theta2, dtheta1, dtheta2] = s;
    const double cos2 = std::cos(theta2);
    const double sin2 = std::sin(theta2);

    const double d1 =
        m1 * (lc1 * lc1) + unfused(m2 * ((l1 * l1 + lc2 * lc2) + unfused(2 * l1 * lc2 * cos2))) + i1 + i2;
    const double d2 = unfused(m2 * ((lc2 * lc2) + unfused(l1 * lc2 * cos2))) + i2;
    const double phi2 = unfused(m2 * lc2 * g * std::cos(theta1 + theta2 - pi / 2.0));
    const double phi1 = unfused(-m2 * l1 * lc2 * pow2(dtheta2) * sin2) -
                        unfused(2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin2) +
                        unfused((m1 * lc1 + m2 * l1) * g * std::cos(theta1 - pi / 2)) + phi2;
    const double ddtheta2 = (a + unfused(d2 / d1 * phi1) - unfused(m2 * l1 * lc2 * pow2(dtheta1) * sin2) - phi2) /
                            (m2 * (lc2 * lc2) + i2 - pow2(d2) / d1);
    const double ddtheta1 = -(unfused(d2 * ddtheta2) + phi1) / d1;
    return {dtheta1, dtheta2, ddtheta1, ddtheta2};
  }

  State state_{};
  bool started_ = false;
};

}  // namespace theta
