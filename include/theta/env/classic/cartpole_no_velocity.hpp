#pragma once
/// \file CartPoleNoVelocity: CartPole-v1 with the velocities hidden, a partially observed task
/// for recurrent policies (docs/environments.md).

#include <theta/env/classic/cartpole.hpp>
#include <theta/env/savable.hpp>
#include <theta/env/spaces.hpp>
#include <theta/env/step_result.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace theta {

/// CartPole-v1 observed through the cart position and the pole angle only: `[x, theta]` as
/// float, the velocities hidden, so that balancing needs memory (a policy must infer the
/// velocities from past observations). The dynamics, rewards, termination and reset are
/// `CartPole`'s, step for step; wrap it in `TimeLimit` for the 500-step limit. This is the
/// CartPoleNoVelEnv of sb3-contrib's recurrent PPO tests (tests/test_lstm.py), whose bounds
/// are 2 x_threshold and 2 theta_threshold; rl-baselines3-zoo's CartPoleNoVel-v1
/// (MaskVelocityWrapper) keeps four components and sets the velocities to 0 instead, which
/// gives a network the same information.
///
///     theta::TimeLimit<theta::CartPoleNoVelocity> env;   // CartPoleNoVel-v1
///     auto obs = env.reset(42);                         // [x, theta]
///     auto [next, reward, terminated, truncated] = env.step(1);
class CartPoleNoVelocity {
 public:
  using Observation = Eigen::Matrix<float, 2, 1>;
  using Action = CartPole::Action;
  using State = CartPole::State;
  using Options = CartPole::Options;

  /// rl-baselines3-zoo's registry id, used in error messages and checkpoints.
  static constexpr std::string_view id = "CartPoleNoVel-v1";
  /// CartPole-v1's time limit (apply it with `TimeLimit`).
  static constexpr std::int64_t max_episode_steps = CartPole::max_episode_steps;
  /// CartPole-v1's solved return, which the rewards of the same dynamics keep.
  static constexpr std::optional<double> reward_threshold = CartPole::reward_threshold;

  CartPoleNoVelocity() = default;
  explicit CartPoleNoVelocity(Options options) : cartpole_(options) {}

  /// `Box(-high, high)` with high = float32 [2 x_threshold, 2 theta_threshold] (CartPole's
  /// bounds of the two shown components).
  [[nodiscard]] Box observation_space() const {
    const Box full = cartpole_.observation_space();
    return Box({full.low[0], full.low[2]}, {full.high[0], full.high[2]});
  }
  /// `Discrete(2)`: 0 pushes left, 1 pushes right.
  [[nodiscard]] Discrete action_space() const { return cartpole_.action_space(); }

  /// Starts an episode exactly as `CartPole::reset(seed)` does.
  Observation reset(std::uint64_t seed) { return shown(cartpole_.reset(seed)); }

  /// `CartPole::step`, observed without the velocities (the same errors, naming CartPole-v1).
  StepResult<Observation> step(const Action& action) {
    const StepResult<CartPole::Observation> full = cartpole_.step(action);
    return {shown(full.observation), full.reward, full.terminated, full.truncated};
  }

  /// The observation of the current state: x and theta rounded to float.
  [[nodiscard]] Observation observation() const { return shown(cartpole_.observation()); }
  /// The full state `[x, x_dot, theta, theta_dot]`, velocities included.
  [[nodiscard]] const State& state() const noexcept { return cartpole_.state(); }
  /// `CartPole::set_state`: a fresh start in `state`.
  void set_state(const State& state) { cartpole_.set_state(state); }

  /// Writes this environment's id, then the CartPole's state (`SavableEnvironment`).
  void save(io::CheckpointSectionWriter& out) const {
    out.string(id);
    cartpole_.save(out);
  }
  /// Restores what `save` wrote; a checkpoint of another environment (a plain CartPole's
  /// included) or of other options raises `CheckpointError` and changes nothing.
  void load(io::CheckpointSectionReader& in) {
    const std::string saved = in.string();
    require<CheckpointError>(saved == id, "checkpoint section '{}': the state of {}, this environment is {}",
                             in.name(), saved, id);
    cartpole_.load(in);  // changes nothing when it throws
  }

 private:
  static Observation shown(const CartPole::Observation& full) { return Observation(full[0], full[2]); }

  CartPole cartpole_;
};

}  // namespace theta
