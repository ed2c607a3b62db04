#pragma once
/// \file CartPole: Gymnasium's CartPole-v1, reproduced bit for bit (docs/environments.md).

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
#include <limits>
#include <numbers>
#include <optional>
#include <string_view>

namespace theta {

/// Balance a pole on a cart by pushing the cart left or right (Barto, Sutton and Anderson
/// 1983): Gymnasium 1.3.0's CartPole-v1, step for step. Observation `[x, x_dot, theta,
/// theta_dot]` as float; action 0 pushes left, 1 pushes right; reward 1 per step; the episode
/// terminates when |x| > 2.4 or |theta| > 12 degrees. `step` never truncates: wrap the
/// environment in `TimeLimit` for CartPole-v1's 500-step limit.
///
///     theta::TimeLimit<theta::CartPole> env;   // CartPole-v1
///     auto obs = env.reset(42);
///     auto [next, reward, terminated, truncated] = env.step(1);
class CartPole {
 public:
  using Observation = Eigen::Matrix<float, 4, 1>;
  using Action = int;
  /// `[x, x_dot, theta, theta_dot]` in double, Gymnasium's `env.unwrapped.state`.
  using State = std::array<double, 4>;

  /// Gymnasium's constructor keyword arguments.
  struct Options {
    /// Reward 0 per step and -1 on termination (Sutton and Barto) instead of 1 per step.
    bool sutton_barto_reward = false;
  };

  /// The Gymnasium registry id, used in error messages.
  static constexpr std::string_view id = "CartPole-v1";
  /// The registered time limit (apply it with `TimeLimit`).
  static constexpr std::int64_t max_episode_steps = 500;
  /// The registered return at which the task counts as solved.
  static constexpr std::optional<double> reward_threshold = 475.0;

  CartPole() = default;
  explicit CartPole(Options options) : sutton_barto_reward_(options.sutton_barto_reward) {}

  /// `Box(-high, high)` with high = float32 [4.8, inf, 2 * 12 degrees, inf], Gymnasium's bounds
  /// (a terminal observation still lies inside).
  [[nodiscard]] Box observation_space() const {
    constexpr double inf = std::numeric_limits<double>::infinity();
    const double x = static_cast<float>(x_threshold * 2);
    const double theta = static_cast<float>(theta_threshold * 2);
    return Box({-x, -inf, -theta, -inf}, {x, inf, theta, inf});
  }
  /// `Discrete(2)`: 0 pushes left, 1 pushes right.
  [[nodiscard]] Discrete action_space() const { return Discrete{2}; }

  /// Starts an episode: every state component uniform in [-0.05, 0.05), drawn from
  /// `Rng(seed)` (Gymnasium's distribution, not its PCG64 stream).
  Observation reset(std::uint64_t seed) {
    Rng rng(seed);
    for (double& s : state_) s = rng.uniform(-0.05, 0.05);
    fallen_ = false;
    started_ = true;
    return observation();
  }

  /// Applies a force of -10 (action 0) or +10 (action 1) for 0.02 s (explicit Euler).
  /// Throws `EnvironmentError` for an action outside {0, 1} or before the first reset.
  StepResult<Observation> step(const Action& action) {
    using detail::unfused;
    detail::require_started(started_, id);
    detail::require_discrete_action(action, 2, id);
    const auto [x, x_dot, theta, theta_dot] = state_;

    // The force comes first in Gymnasium's expressions; every product that feeds a sum is
    // kept unfused and every expression keeps Python's left-to-right order.
    const double force = action == 1 ? force_mag : -force_mag;
    const double costheta = std::cos(theta);
    const double sintheta = std::sin(theta);
    const double temp = (force + unfused(polemass_length * (theta_dot * theta_dot) * sintheta)) / total_mass;
    const double thetaacc = (unfused(gravity * sintheta) - unfused(costheta * temp)) /
                            (length * (4.0 / 3.0 - masspole * (costheta * costheta) / total_mass));
    const double xacc = temp - polemass_length * thetaacc * costheta / total_mass;

    // Explicit Euler: every update uses the old values.
    state_ = {x + unfused(tau * x_dot), x_dot + unfused(tau * xacc), theta + unfused(tau * theta_dot),
              theta_dot + unfused(tau * thetaacc)};

    const bool terminated = state_[0] < -x_threshold || state_[0] > x_threshold || state_[2] < -theta_threshold ||
                            state_[2] > theta_threshold;
    return {observation(), reward(terminated), terminated, false};
  }

  /// The observation of the current state: the state rounded to float.
  [[nodiscard]] Observation observation() const {
    Observation obs;
    for (int i = 0; i < 4; ++i) obs[i] = static_cast<float>(state_[static_cast<std::size_t>(i)]);
    return obs;
  }

  /// The current state, e.g. to compare with Gymnasium's `env.unwrapped.state`.
  [[nodiscard]] const State& state() const noexcept { return state_; }
  /// Puts the environment in `state` as if an episode had just started there (the memory of a
  /// past termination is cleared). Throws `EnvironmentError` for a non-finite component.
  void set_state(const State& state) {
    detail::require_finite_state(state, id);
    state_ = state;
    fallen_ = false;
    started_ = true;
  }

  /// Writes the current episode's state (`SavableEnvironment`): after `load`, another
  /// environment continues the episode bit for bit.
  void save(io::CheckpointSectionWriter& out) const {
    detail::save_classic_state(out, id, started_, state_);
    out.boolean(fallen_);
    out.f64(sutton_barto_reward_ ? 1.0 : 0.0);
  }
  /// Restores what `save` wrote; a checkpoint of another environment, of other construction
  /// parameters or with a non-finite state raises `CheckpointError` and changes nothing.
  void load(io::CheckpointSectionReader& in) {
    const auto saved = detail::load_classic_state<4>(in, id);
    const bool fallen = in.boolean();
    detail::load_classic_parameter(in, id, "sutton_barto_reward", sutton_barto_reward_ ? 1.0 : 0.0);
    state_ = saved.state;
    started_ = saved.started;
    fallen_ = fallen;
  }

  /// Physical constants of CartPole-v1.
  static constexpr double gravity = 9.8;
  static constexpr double masscart = 1.0;
  static constexpr double masspole = 0.1;
  static constexpr double total_mass = masspole + masscart;
  static constexpr double length = 0.5;  // half the pole's length
  static constexpr double polemass_length = masspole * length;
  static constexpr double force_mag = 10.0;
  static constexpr double tau = 0.02;  // seconds per step
  static constexpr double theta_threshold = 12 * 2 * std::numbers::pi / 360;
  static constexpr double x_threshold = 2.4;

 private:
  // Gymnasium's rule after the pole has fallen: the physics goes on; the first terminal step
  // earns the normal reward, every later step that is still terminal earns 0 (-1 in
  // Sutton-Barto mode), and a step back inside the bounds earns the normal reward again.
  double reward(bool terminated) {
    if (!terminated) return sutton_barto_reward_ ? 0.0 : 1.0;
    if (!fallen_) {
      fallen_ = true;
      return sutton_barto_reward_ ? -1.0 : 1.0;
    }
    return sutton_barto_reward_ ? -1.0 : 0.0;
  }

  State state_{};
  bool fallen_ = false;  // Gymnasium's steps_beyond_terminated is not None
  bool sutton_barto_reward_ = false;
  bool started_ = false;
};

}  // namespace theta
