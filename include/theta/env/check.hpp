#pragma once
/// \file check_environment: the run-time half of the environment contract.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/env/concepts.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace theta {

/// What `check_environment` ran.
struct EnvironmentCheck {
  std::int64_t steps = 0;     ///< steps taken in each of the two identical runs
  std::int64_t episodes = 0;  ///< episodes started in each run
};

/// Checks at run time what the compiler cannot: the observation size agrees with
/// `observation_space()`, observations and rewards are finite, a continuous action space has
/// finite bounds, and the same seed replays the same trajectory (observations, rewards and
/// flags bit for bit) under the same actions. Random actions come from a stream derived from
/// `seed`. Throws `EnvironmentError` naming the step and the value on the first failure.
///
/// A `MultiDiscrete` action space must have at least one dimension, each with nvec >= 1, and
/// a fixed-size `Action` one entry per dimension.
///
/// For a `MaskedEnvironment` it also reads `action_mask` after every reset and step, requires
/// at least one valid action (in every dimension of a multi-discrete space; naming the step,
/// and the dimension, of a mask without one), takes random actions among the valid ones only,
/// and requires the same seed to replay the same masks.
///
///     MyEnv env;
///     theta::check_environment(env, /*seed=*/0);   // throws if something is wrong
template <class Env>
  requires(diagnose_environment<Env>())
EnvironmentCheck check_environment(Env& env, std::uint64_t seed, std::int64_t steps = 1000) {
  require<ConfigError>(steps > 0, "check_environment: steps must be > 0, got {}", steps);
  using Observation = typename Env::Observation;
  using Action = typename Env::Action;

  const Box observation_space = env.observation_space();
  const Index obs_dim = observation_space.size();
  require<EnvironmentError>(obs_dim > 0, "check_environment: observation_space() has size 0");
  const auto action_space = env.action_space();
  if constexpr (DiscreteEnvironment<Env>) {
    require<EnvironmentError>(action_space.n > 0, "check_environment: action_space() is Discrete({}), needs n > 0",
                              action_space.n);
  } else if constexpr (MultiDiscreteEnvironment<Env>) {
    require<EnvironmentError>(action_space.size() > 0, "check_environment: action_space() is a MultiDiscrete with no "
                              "dimension");
    for (std::size_t d = 0; d < action_space.nvec.size(); ++d) {
      require<EnvironmentError>(action_space.nvec[d] > 0,
                                "check_environment: action_space() is a MultiDiscrete with nvec[{}] = {}, needs >= 1",
                                d, action_space.nvec[d]);
    }
    // A fixed-size Action must have one entry per dimension.
    if constexpr (Action::RowsAtCompileTime != Eigen::Dynamic) {
      require<EnvironmentError>(Action::RowsAtCompileTime == action_space.size(),
                                "check_environment: 'Action' has {} entries, action_space() has {} dimensions",
                                static_cast<Index>(Action::RowsAtCompileTime), action_space.size());
    }
  } else {
    require<EnvironmentError>(action_space.size() > 0, "check_environment: action_space() is a Box of size 0");
    for (Index i = 0; i < action_space.size(); ++i) {
      require<EnvironmentError>(std::isfinite(action_space.low[i]) && std::isfinite(action_space.high[i]),
                                "check_environment: continuous action bounds must be finite, got [{}, {}] at "
                                "index {}",
                                action_space.low[i], action_space.high[i], i);
    }
  }

  struct Record {
    Observation observation;
    double reward;
    bool terminated;
    bool truncated;
    std::vector<bool> mask;  // MaskedEnvironment: the valid actions after this record
  };

  // A MaskedEnvironment's mask of the current state, checked for a valid action.
  Index mask_size = 0;
  if constexpr (MaskedEnvironment<Env>) mask_size = action_mask_size(env);
  const std::unique_ptr<bool[]> mask(new bool[static_cast<std::size_t>(mask_size)]);
  const auto read_mask = [&](std::int64_t step, const char* where) {
    std::vector<bool> valid;
    if constexpr (MaskedEnvironment<Env>) {
      const std::span<bool> entries(mask.get(), static_cast<std::size_t>(mask_size));
      std::fill(entries.begin(), entries.end(), false);
      env.action_mask(entries);
      valid.assign(entries.begin(), entries.end());
      const Index dimension = dimension_without_valid_action(action_space, entries);
      if constexpr (MultiDiscreteEnvironment<Env>) {
        require<EnvironmentError>(dimension < 0,
                                  "check_environment: action_mask() after {} at step {} has no valid action in "
                                  "dimension {} (its {} entries are false)",
                                  where, step, dimension,
                                  dimension < 0 ? 0 : action_space.nvec[static_cast<std::size_t>(dimension)]);
      } else {
        require<EnvironmentError>(dimension < 0,
                                  "check_environment: action_mask() after {} at step {} has no valid action (all {} "
                                  "entries are false)",
                                  where, step, mask_size);
      }
    }
    return valid;
  };
  // A uniformly random valid index among `entries` (read_mask found one).
  const auto random_valid = [](Rng& rng, std::span<const bool> entries) -> std::int64_t {
    const auto count = static_cast<std::uint64_t>(std::count(entries.begin(), entries.end(), true));
    std::uint64_t pick = rng.below(count);
    for (std::size_t k = 0; k < entries.size(); ++k) {
      if (entries[k] && pick-- == 0) return static_cast<std::int64_t>(k);
    }
    return 0;  // unreachable
  };
  // A uniformly random valid action (any action without a mask; each dimension of a
  // multi-discrete one independently among its valid entries).
  const auto random_action = [&](Rng& rng) -> Action {
    if constexpr (MultiDiscreteEnvironment<Env>) {
      if constexpr (MaskedEnvironment<Env>) {
        Action action = Action::Zero(action_space.size());
        std::size_t offset = 0;
        for (Index d = 0; d < action_space.size(); ++d) {
          const auto n = static_cast<std::size_t>(action_space.nvec[static_cast<std::size_t>(d)]);
          action[d] = static_cast<typename Action::Scalar>(random_valid(rng, {mask.get() + offset, n}));
          offset += n;
        }
        return action;
      } else {
        return action_space.template sample<typename Action::Scalar>(rng);
      }
    } else if constexpr (MaskedEnvironment<Env>) {
      return static_cast<Action>(random_valid(rng, {mask.get(), static_cast<std::size_t>(mask_size)}));
    } else if constexpr (DiscreteEnvironment<Env>) {
      return static_cast<Action>(action_space.sample(rng));
    } else {
      return action_space.template sample<typename Action::Scalar>(rng);
    }
  };
  const auto check_observation = [&](const Observation& obs, std::int64_t step, const char* where) {
    require<EnvironmentError>(obs.size() == obs_dim,
                              "check_environment: {} at step {} returned an observation of size {}, but "
                              "observation_space() has size {}",
                              where, step, obs.size(), obs_dim);
    for (Index k = 0; k < obs.size(); ++k) {
      require<EnvironmentError>(std::isfinite(static_cast<double>(obs[k])),
                                "check_environment: {} at step {} returned a non-finite observation[{}] = {}", where,
                                step, k, static_cast<double>(obs[k]));
    }
  };

  const auto run = [&](std::vector<Record>& trace) {
    Rng action_rng(derive_seed(seed, 0x616374696f6eULL));  // "action"
    std::uint64_t episode = 0;
    EnvironmentCheck report;
    Observation first = env.reset(derive_seed(seed, episode++));
    check_observation(first, 0, "reset()");
    trace.push_back({first, 0.0, false, false, read_mask(0, "reset()")});
    report.episodes = 1;
    for (std::int64_t t = 1; t <= steps; ++t) {
      const Action action = random_action(action_rng);
      StepResult<Observation> result = env.step(action);
      check_observation(result.observation, t, "step()");
      require<EnvironmentError>(std::isfinite(result.reward),
                                "check_environment: step() at step {} returned a non-finite reward {}", t,
                                result.reward);
      const bool done = result.terminated || result.truncated;
      // The mask of a state that ended an episode is never used (the next action follows a reset).
      trace.push_back({result.observation, result.reward, result.terminated, result.truncated,
                       done ? std::vector<bool>{} : read_mask(t, "step()")});
      if (done) {
        if (t == steps) break;
        Observation next = env.reset(derive_seed(seed, episode++));
        check_observation(next, t, "reset()");
        trace.push_back({next, 0.0, false, false, read_mask(t, "reset()")});
        ++report.episodes;
      }
    }
    report.steps = steps;
    return report;
  };

  std::vector<Record> first_run, second_run;
  first_run.reserve(static_cast<std::size_t>(steps) + 1);
  second_run.reserve(static_cast<std::size_t>(steps) + 1);
  const EnvironmentCheck report = run(first_run);
  run(second_run);
  for (std::size_t k = 0; k < first_run.size(); ++k) {
    const Record& a = first_run[k];
    const Record& b = second_run[k];
    const bool same = a.observation.size() == b.observation.size() &&
                      (a.observation.array() == b.observation.array()).all() && a.reward == b.reward &&
                      a.terminated == b.terminated && a.truncated == b.truncated;
    require<EnvironmentError>(same,
                              "check_environment: the same seed did not replay the same trajectory: record {} "
                              "differs (reward {} vs {}, terminated {} vs {}, truncated {} vs {}); does reset(seed) "
                              "reseed every source of randomness?",
                              k, a.reward, b.reward, a.terminated, b.terminated, a.truncated, b.truncated);
    require<EnvironmentError>(a.mask == b.mask,
                              "check_environment: the same seed did not replay the same action masks: record {} "
                              "differs; does action_mask() depend only on the state that reset(seed) and step() "
                              "produce?",
                              k);
  }
  return report;
}

}  // namespace theta
