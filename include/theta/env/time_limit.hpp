#pragma once
/// \file TimeLimit: cuts episodes after a number of steps, with Gymnasium's semantics.

#include <theta/core/error.hpp>
#include <theta/env/concepts.hpp>
#include <theta/env/savable.hpp>

#include <cstdint>
#include <span>
#include <utility>

namespace theta {

namespace detail {
template <class Env>
constexpr std::int64_t default_episode_limit() {
  if constexpr (requires { Env::max_episode_steps; }) {
    return Env::max_episode_steps;
  } else {
    return 0;  // no registered limit: the constructor then requires one
  }
}
}  // namespace detail

/// Wraps an environment and sets `truncated` once the number of steps since the last reset
/// reaches `max_episode_steps` (Gymnasium's `TimeLimit`): the flag is OR-ed with the
/// environment's own, so `terminated` and `truncated` can both be true on the last step, and
/// it stays true if the caller keeps stepping. `reset` zeroes the counter. The default limit
/// is `Env::max_episode_steps` when the environment declares one (CartPole: 500).
///
///     theta::TimeLimit<theta::CartPole> env;          // CartPole-v1: 500 steps
///     theta::TimeLimit<MyEnv> custom(MyEnv{}, 1000);  // a limit for your own environment
template <Environment Env>
class TimeLimit {
 public:
  using Observation = typename Env::Observation;
  using Action = typename Env::Action;

  explicit TimeLimit(Env env = Env{}, std::int64_t max_episode_steps = detail::default_episode_limit<Env>())
      : env_(std::move(env)), max_episode_steps_(max_episode_steps) {
    require<ConfigError>(max_episode_steps_ > 0, "TimeLimit: max_episode_steps must be > 0, got {}",
                         max_episode_steps_);
  }

  [[nodiscard]] Box observation_space() const { return env_.observation_space(); }
  [[nodiscard]] auto action_space() const { return env_.action_space(); }

  Observation reset(std::uint64_t seed) {
    elapsed_steps_ = 0;
    return env_.reset(seed);
  }

  StepResult<Observation> step(const Action& action) {
    StepResult<Observation> result = env_.step(action);
    ++elapsed_steps_;
    result.truncated = result.truncated || elapsed_steps_ >= max_episode_steps_;
    return result;
  }

  /// The wrapped environment's action mask (`MaskedEnvironment`, when the wrapped one is).
  void action_mask(std::span<bool> valid) const
    requires MaskedEnvironment<Env>
  {
    env_.action_mask(valid);
  }

  /// Steps taken since the last reset.
  [[nodiscard]] std::int64_t elapsed_steps() const noexcept { return elapsed_steps_; }
  /// Sets the step counter, e.g. to resume an episode from a recorded state.
  void set_elapsed_steps(std::int64_t steps) noexcept { elapsed_steps_ = steps; }
  [[nodiscard]] std::int64_t max_episode_steps() const noexcept { return max_episode_steps_; }

  /// Writes the step counter and the wrapped environment's state (`SavableEnvironment`, when
  /// the wrapped environment is).
  void save(io::CheckpointSectionWriter& out) const
    requires SavableEnvironment<Env>
  {
    out.i64(max_episode_steps_).i64(elapsed_steps_);
    env_.save(out);
  }
  /// Restores what `save` wrote; another limit, a counter outside [0, limit] or an error of
  /// the wrapped environment's load raises `CheckpointError` and changes nothing.
  void load(io::CheckpointSectionReader& in)
    requires SavableEnvironment<Env>
  {
    const std::int64_t limit = in.i64();
    require<CheckpointError>(limit == max_episode_steps_,
                             "checkpoint section '{}': TimeLimit was saved with max_episode_steps = {}, this one has {}",
                             in.name(), limit, max_episode_steps_);
    const std::int64_t elapsed = in.i64();
    require<CheckpointError>(elapsed >= 0 && elapsed <= limit,
                             "checkpoint section '{}': TimeLimit's elapsed steps {} are outside [0, {}]", in.name(),
                             elapsed, limit);
    env_.load(in);  // changes nothing when it throws
    elapsed_steps_ = elapsed;
  }

  /// The wrapped environment.
  [[nodiscard]] Env& env() noexcept { return env_; }
  [[nodiscard]] const Env& env() const noexcept { return env_; }

 private:
  Env env_;
  std::int64_t max_episode_steps_;
  std::int64_t elapsed_steps_ = 0;
};

}  // namespace theta
