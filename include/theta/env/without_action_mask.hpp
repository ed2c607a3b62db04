#pragma once
/// \file WithoutActionMask: a `MaskedEnvironment` with its action mask hidden, to train on it
/// without masking (the baseline that masking is measured against, issue 15).

#include <theta/env/concepts.hpp>
#include <theta/env/savable.hpp>

#include <cstdint>
#include <utility>

namespace theta {

/// `Env` without its `action_mask`: a trainer on it samples every action, and the
/// environment's own handling of an invalid one (a penalty, a refusal, an error) applies.
/// Everything else is forwarded, saving and loading too when `Env` is a `SavableEnvironment`.
///
///     theta::OnPolicyTrainer<theta::TimeLimit<theta::WithoutActionMask<MyEnv>>, theta::ppo::Ppo> unmasked(
///         config, {}, {}, theta::TimeLimit(theta::WithoutActionMask(MyEnv{}), 100));
template <Environment Env>
class WithoutActionMask {
 public:
  using Observation = typename Env::Observation;
  using Action = typename Env::Action;

  explicit WithoutActionMask(Env env = Env{}) : env_(std::move(env)) {}

  [[nodiscard]] Box observation_space() const { return env_.observation_space(); }
  [[nodiscard]] auto action_space() const { return env_.action_space(); }
  Observation reset(std::uint64_t seed) { return env_.reset(seed); }
  StepResult<Observation> step(const Action& action) { return env_.step(action); }

  void save(io::CheckpointSectionWriter& out) const
    requires SavableEnvironment<Env>
  {
    env_.save(out);
  }
  void load(io::CheckpointSectionReader& in)
    requires SavableEnvironment<Env>
  {
    env_.load(in);
  }

  /// The wrapped environment (its `action_mask` is still there for a hand-written policy).
  [[nodiscard]] Env& env() noexcept { return env_; }
  [[nodiscard]] const Env& env() const noexcept { return env_; }

 private:
  Env env_;
};

}  // namespace theta
