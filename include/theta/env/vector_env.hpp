#pragma once
/// \file VectorEnv: N copies of an environment stepped together, with resets owned here.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/core/thread_pool.hpp>
#include <theta/env/concepts.hpp>
#include <theta/env/savable.hpp>
#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace theta {

/// Options of a `VectorEnv`.
struct VectorEnvOptions {
  /// Threads that step the copies (1: the calling thread alone). Worth it only for expensive
  /// environments (physics simulators); results are identical to the sequential path.
  std::size_t threads = 1;
};

/// One episode that ended on the last `step`.
struct EpisodeRecord {
  std::size_t env = 0;        ///< index of the copy
  double episode_return = 0;  ///< undiscounted sum of rewards
  std::int64_t length = 0;    ///< steps in the episode
  bool terminated = false;    ///< false: cut by truncation only
};

/// N copies of `Env`. Observations are an `obs_dim x N` matrix (one column per copy).
///
/// Resets belong to the vector environment: when copy i ends an episode (terminated or
/// truncated), `final_observations().col(i)` keeps the true last observation (the truncation
/// bootstrap needs it) and `observations().col(i)` is the first observation of the next
/// episode. Copy i's k-th episode starts from `reset(derive_seed(derive_seed(seed, i), k))`, so
/// a run depends on the seed only, whatever the number of threads.
///
/// For a `MaskedEnvironment`, `action_masks().col(i)` is copy i's `action_mask` for the state
/// of `observations().col(i)` (after an automatic reset: the new episode's first state), read
/// after every reset and step; a mask with no valid action (in some dimension, for a
/// `MultiDiscrete` space), and an action the mask marks invalid, raise `EnvironmentError`
/// naming the copy, the step, the episode (and the dimension).
///
/// Actions are checked before any copy steps: an index outside `Discrete(n)`, a multi-discrete
/// action of the wrong size or with an entry outside its dimension's range, a continuous action
/// of the wrong size or not finite raise `EnvironmentError` naming the copy and the value.
///
///     theta::VectorEnv<theta::TimeLimit<theta::CartPole>> envs(8, /*seed=*/1);
///     envs.reset();
///     std::vector<int> actions(8, 1);
///     envs.step(actions);
///     for (auto& e : envs.finished_episodes()) fmt::print("{}\n", e.episode_return);
template <class Env>
  requires(diagnose_environment<Env>())
class VectorEnv {
 public:
  using Observation = typename Env::Observation;
  using Action = typename Env::Action;
  using ObservationScalar = typename Observation::Scalar;
  using ObservationMatrix = Matrix<ObservationScalar>;

  /// N copies of `prototype`.
  VectorEnv(std::size_t n, std::uint64_t seed, const Env& prototype = Env{}, VectorEnvOptions options = {})
    requires std::copy_constructible<Env>
      : VectorEnv(n, seed, [&](std::size_t) { return prototype; }, options) {}

  /// N copies made by `make(i)` (for environments that are not copyable or that share a model).
  template <std::invocable<std::size_t> Make>
    requires std::same_as<std::invoke_result_t<Make, std::size_t>, Env>
  VectorEnv(std::size_t n, std::uint64_t seed, Make make, VectorEnvOptions options = {})
      : seed_(seed), pool_(std::make_unique<ThreadPool>(options.threads)) {
    require<ConfigError>(n > 0, "VectorEnv: the number of environments must be > 0, got {}", n);
    envs_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) envs_.push_back(make(i));
    observation_space_ = envs_.front().observation_space();
    action_space_ = envs_.front().action_space();
    const Index obs_dim = observation_space_.size();
    require<EnvironmentError>(obs_dim > 0, "VectorEnv: the observation space must have size > 0, got {}", obs_dim);
    if constexpr (ContinuousEnvironment<Env>) {
      require<EnvironmentError>(action_space_.is_bounded(),
                                "VectorEnv: continuous action bounds must be finite");
    }
    if constexpr (MultiDiscreteEnvironment<Env>) {
      require<EnvironmentError>(action_space_.size() > 0, "VectorEnv: the MultiDiscrete action space has no dimension");
      for (std::size_t d = 0; d < action_space_.nvec.size(); ++d) {
        require<EnvironmentError>(action_space_.nvec[d] >= 1, "VectorEnv: the action space {} has nvec[{}] = {}, "
                                  "needs >= 1", to_string(action_space_), d, action_space_.nvec[d]);
      }
      require<EnvironmentError>(Action::RowsAtCompileTime == Eigen::Dynamic ||
                                    Action::RowsAtCompileTime == action_space_.size(),
                                "VectorEnv: 'Action' has {} entries, the action space {} has {} dimensions",
                                static_cast<Index>(Action::RowsAtCompileTime), to_string(action_space_),
                                action_space_.size());
    }
    const auto count = static_cast<Index>(n);
    observations_.setZero(obs_dim, count);
    final_observations_.setZero(obs_dim, count);
    rewards_.setZero(count);
    terminated_.assign(n, 0);
    truncated_.assign(n, 0);
    episode_returns_.assign(n, 0.0);
    episode_lengths_.assign(n, 0);
    episode_counts_.assign(n, 0);
    counts_before_step_.assign(n, 0);
    if constexpr (MaskedEnvironment<Env>) masks_.setConstant(action_mask_size(envs_.front()), count, true);
    ended_returns_.assign(n, 0.0);
    ended_lengths_.assign(n, 0);
    finished_.resize(n);
  }

  /// Number of copies.
  [[nodiscard]] std::size_t size() const noexcept { return envs_.size(); }
  [[nodiscard]] const Box& observation_space() const noexcept { return observation_space_; }
  [[nodiscard]] const auto& action_space() const noexcept { return action_space_; }
  [[nodiscard]] Index observation_size() const noexcept { return observation_space_.size(); }

  /// Starts a fresh episode in every copy and returns the observations.
  const ObservationMatrix& reset() {
    for (std::size_t i = 0; i < size(); ++i) {
      episode_counts_[i] = 0;
      reset_copy(i);
    }
    finished_count_ = 0;
    started_ = true;
    needs_restart_ = false;
    return observations_;
  }

  /// Starts a fresh episode in every copy, continuing each copy's episode count (so the seeds
  /// are new ones of the same sequence), and returns the observations. What `step` needs after
  /// an environment threw, and what a load does for environments that cannot be saved.
  const ObservationMatrix& restart() {
    for (std::size_t i = 0; i < size(); ++i) reset_copy(i);
    finished_count_ = 0;
    started_ = true;
    needs_restart_ = false;
    return observations_;
  }

  /// True after an environment threw inside `step`: which other copies had stepped by then
  /// depends on the thread count, so every copy must start a fresh episode (`restart()` or
  /// `reset()`) before the next `step`, which otherwise refuses. The trainers restart
  /// automatically at their next `learn`.
  [[nodiscard]] bool needs_restart() const noexcept { return needs_restart_; }

  /// Whether `save` keeps the copies' episodes (`SavableEnvironment`); otherwise a load
  /// starts fresh ones.
  static constexpr bool saves_episodes = SavableEnvironment<Env>;

  /// Writes the bookkeeping (episode counts, returns and lengths, current observations, flags)
  /// and, for a `SavableEnvironment` whose copies need no restart, every copy's state into a
  /// checkpoint section.
  void save(io::CheckpointSectionWriter& out) const {
    out.u64(size()).boolean(saves_episodes).boolean(started_).boolean(needs_restart_);
    for (std::size_t i = 0; i < size(); ++i) {
      out.u64(episode_counts_[i]).f64(episode_returns_[i]).i64(episode_lengths_[i]);
    }
    out.matrix(observations_);
    // After a throw the copies' states are whatever the failure left (a diverged simulation's
    // NaN): they restart anyway, so they are not saved.
    if constexpr (saves_episodes) {
      if (!needs_restart_)
        for (const Env& env : envs_) env.save(out);
    }
  }

  /// What `read` takes from a checkpoint section, for `commit` to install.
  struct LoadedState {
    std::vector<std::uint64_t> counts;
    std::vector<double> returns;
    std::vector<std::int64_t> lengths;
    ObservationMatrix observations;
    bool started = false;
    bool needs_restart = false;
    std::vector<Env> envs;  // copies loaded with the saved states (copyable savable types)
  };

  /// Reads and validates what `save` wrote, changing nothing here (a `SavableEnvironment` type
  /// that is not copyable is the exception: its copies load in place, and an error can leave
  /// some of them loaded). Refuses another number of copies or impossible values.
  LoadedState read(io::CheckpointSectionReader& in) const {
    const std::uint64_t n = in.u64();
    require<CheckpointError>(n == size(), "checkpoint section '{}': {} environment copies, this trainer has {}",
                             in.name(), n, size());
    const bool saved_episodes = in.boolean();
    require<CheckpointError>(saved_episodes == saves_episodes,
                             "checkpoint section '{}': the environments were saved {}, this type {}", in.name(),
                             saved_episodes ? "with their episodes" : "without their episodes",
                             saves_episodes ? "saves them" : "cannot save them");
    LoadedState state;
    state.started = in.boolean();
    state.needs_restart = in.boolean();
    state.counts.resize(size());
    state.returns.resize(size());
    state.lengths.resize(size());
    constexpr std::uint64_t limit = std::uint64_t{1} << 62;  // so that counting on cannot overflow
    for (std::size_t i = 0; i < size(); ++i) {
      state.counts[i] = in.u64();
      state.returns[i] = in.f64();
      state.lengths[i] = in.i64();
      require<CheckpointError>(std::isfinite(state.returns[i]) && state.lengths[i] >= 0 &&
                                   static_cast<std::uint64_t>(state.lengths[i]) < limit && state.counts[i] < limit &&
                                   (state.counts[i] > 0 || !state.started),
                               "checkpoint section '{}': copy {} has episode {}, return {}, length {}", in.name(), i,
                               state.counts[i], state.returns[i], state.lengths[i]);
    }
    state.observations = in.template matrix<ObservationScalar>("observations", observations_.rows(),
                                                               observations_.cols());
    require<CheckpointError>(state.observations.allFinite(), "checkpoint section '{}': the observations are not finite",
                             in.name());
    if constexpr (saves_episodes) {
      if (!state.needs_restart) {
        if constexpr (std::is_copy_constructible_v<Env>) {
          state.envs = envs_;
          for (Env& env : state.envs) env.load(in);
        } else {
          for (Env& env : const_cast<std::vector<Env>&>(envs_)) env.load(in);  // each validates before it assigns
        }
      }
    }
    return state;
  }

  /// Installs what `read` returned. With a `SavableEnvironment` every copy continues its
  /// episode exactly; otherwise (and when the copies had to restart) every copy starts a fresh
  /// episode from the next seed of its sequence, and the episode in progress is not counted.
  /// Returns true when the episodes continue.
  bool commit(LoadedState&& state) {
    if constexpr (saves_episodes && std::is_copy_constructible_v<Env>) {
      if (!state.needs_restart) envs_ = std::move(state.envs);
    }
    if constexpr (saves_episodes && MaskedEnvironment<Env>) {
      // The masks are not saved: they are the loaded states' own.
      if (state.started && !state.needs_restart) {
        for (std::size_t i = 0; i < size(); ++i) read_mask(i, "load");
      }
    }
    episode_counts_ = std::move(state.counts);
    episode_returns_ = std::move(state.returns);
    episode_lengths_ = std::move(state.lengths);
    observations_ = std::move(state.observations);
    started_ = state.started;
    needs_restart_ = state.needs_restart;
    finished_count_ = 0;
    if (started_ && (!saves_episodes || needs_restart_)) {
      restart();
      return false;
    }
    return true;
  }

  /// `commit(read(in))`.
  bool load(io::CheckpointSectionReader& in) { return commit(read(in)); }

  /// Marks the copies as needing a restart (see `needs_restart()`): for a caller that stepped
  /// them and then failed before it could use the step (the trainers, on a value they cannot
  /// represent).
  void mark_needs_restart() noexcept { needs_restart_ = true; }

  /// Whether `reset()` or a loaded checkpoint started the copies.
  [[nodiscard]] bool started() const noexcept { return started_; }

  /// Steps copy i with `actions[i]`; finished copies are reset (see the class comment).
  void step(std::span<const Action> actions) {
    require<EnvironmentError>(actions.size() == size(), "VectorEnv::step: got {} actions for {} environments",
                              actions.size(), size());
    for (std::size_t i = 0; i < size(); ++i) check_action(i, actions[i]);
    step_each([&](std::size_t i) -> const Action& { return actions[i]; });
  }

  /// Continuous actions as an `act_dim x N` matrix, one column per copy.
  template <class Derived>
    requires ContinuousEnvironment<Env>
  void step(const Eigen::MatrixBase<Derived>& actions) {
    require<EnvironmentError>(actions.cols() == static_cast<Index>(size()) && actions.rows() == action_space_.size(),
                              "VectorEnv::step: the action matrix is {}x{}, expected {}x{} (act_dim x n_envs)",
                              actions.rows(), actions.cols(), action_space_.size(), size());
    if (!actions.allFinite()) [[unlikely]] {
      for (std::size_t i = 0; i < size(); ++i) check_action(i, actions.col(static_cast<Index>(i)));
    }
    step_each([&](std::size_t i) -> Action {
      return actions.col(static_cast<Index>(i)).template cast<typename Action::Scalar>();
    });
  }

  /// The valid actions of every copy's current state (`MaskedEnvironment`): `n_actions x N`
  /// (sum(nvec) x N for `MultiDiscrete`), column i is copy i's `action_mask` for
  /// `observations().col(i)`, true = valid.
  [[nodiscard]] const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>& action_masks() const noexcept
    requires MaskedEnvironment<Env>
  {
    return masks_;
  }

  /// Current observations: for a copy that just finished, the first of its next episode.
  [[nodiscard]] const ObservationMatrix& observations() const noexcept { return observations_; }
  /// True last observations of the episodes that ended on the last step (other columns hold
  /// stale values).
  [[nodiscard]] const ObservationMatrix& final_observations() const noexcept { return final_observations_; }
  [[nodiscard]] const Eigen::VectorXd& rewards() const noexcept { return rewards_; }
  [[nodiscard]] bool terminated(std::size_t i) const { return terminated_[i] != 0; }
  [[nodiscard]] bool truncated(std::size_t i) const { return truncated_[i] != 0; }
  /// The episode of copy i ended on the last step (terminated or truncated).
  [[nodiscard]] bool done(std::size_t i) const { return (terminated_[i] | truncated_[i]) != 0; }
  /// The episodes that ended on the last step, in copy order.
  [[nodiscard]] std::span<const EpisodeRecord> finished_episodes() const noexcept {
    return {finished_.data(), finished_count_};
  }

  [[nodiscard]] Env& env(std::size_t i) { return envs_.at(i); }
  [[nodiscard]] const Env& env(std::size_t i) const { return envs_.at(i); }

 private:
  void reset_copy(std::size_t i) {
    const std::uint64_t episode_seed = derive_seed(derive_seed(seed_, i), episode_counts_[i]++);
    const Observation first = envs_[i].reset(episode_seed);
    check_observation(i, first, "reset");
    observations_.col(static_cast<Index>(i)) = first;
    episode_returns_[i] = 0.0;
    episode_lengths_[i] = 0;
    if constexpr (MaskedEnvironment<Env>) read_mask(i, "reset");
  }

  // Copy i's action mask for its current state, into column i (each copy writes its own column,
  // so the threads share nothing). Issue 15: a state with no valid action is an error that names
  // the copy, the step and the episode.
  void read_mask(std::size_t i, const char* where) {
    if constexpr (MaskedEnvironment<Env>) {
      auto column = masks_.col(static_cast<Index>(i));
      column.setConstant(false);
      const std::span<bool> entries(column.data(), static_cast<std::size_t>(column.size()));
      envs_[i].action_mask(entries);
      if constexpr (MultiDiscreteEnvironment<Env>) {
        const Index d = dimension_without_valid_action(action_space_, entries);
        if (d >= 0) [[unlikely]] {
          throw EnvironmentError(fmt::format("VectorEnv: environment {} has no valid action in dimension {} at step {} "
                                             "of episode {}: its {} entries of action_mask() after {} are false",
                                             i, d, episode_lengths_[i], episode_counts_[i] - 1,
                                             action_space_.nvec[static_cast<std::size_t>(d)], where));
        }
      } else if (!column.any()) [[unlikely]] {
        throw EnvironmentError(fmt::format("VectorEnv: environment {} has no valid action at step {} of episode {}: "
                                           "every entry of its action_mask() after {} is false",
                                           i, episode_lengths_[i], episode_counts_[i] - 1, where));
      }
    }
  }

  void check_observation(std::size_t i, const Observation& obs, const char* where) const {
    require<EnvironmentError>(obs.size() == observation_size(),
                              "VectorEnv: environment {} returned an observation of size {} from {} "
                              "(observation_space() has size {})",
                              i, obs.size(), where, observation_size());
    if (!obs.allFinite()) [[unlikely]] {
      throw EnvironmentError(fmt::format("VectorEnv: environment {} returned a non-finite observation from {} "
                                         "at step {} of episode {}",
                                         i, where, episode_lengths_[i], episode_counts_[i] - 1));
    }
  }

  // Issue 13: actions are checked before any copy steps, so the user's environment never sees
  // an index outside its Discrete(n), a non-finite value or a vector of the wrong size. Cheap:
  // one comparison per copy, or one pass over act_dim x N values.
  template <class A>
  void check_action(std::size_t i, const A& action) const {
    if constexpr (DiscreteEnvironment<Env>) {
      if (!action_space_.contains(static_cast<std::int64_t>(action))) [[unlikely]] {
        const std::int64_t n = action_space_.n;
        throw EnvironmentError(fmt::format(
            "VectorEnv: environment {} at step {} of episode {}: action must be {}, got {} (action_space() is "
            "Discrete({}))",
            i, episode_lengths_[i] + 1, episode_counts_[i] - 1,
            allowed_indices(n), action, n));
      }
      if constexpr (MaskedEnvironment<Env>) {
        if (!masks_(static_cast<Index>(action), static_cast<Index>(i))) [[unlikely]] {
          throw EnvironmentError(fmt::format("VectorEnv: environment {} at step {} of episode {}: action {} is "
                                             "invalid in this state (its action_mask() entry is false)",
                                             i, episode_lengths_[i] + 1, episode_counts_[i] - 1, action));
        }
      }
    } else if constexpr (MultiDiscreteEnvironment<Env>) {
      check_multi_discrete_action(i, action);
    } else {
      require<EnvironmentError>(action.size() == action_space_.size(),
                                "VectorEnv: environment {} at step {} of episode {}: the action has {} entries, "
                                "action_space() has {}",
                                i, episode_lengths_[i] + 1, episode_counts_[i] - 1, action.size(), action_space_.size());
      for (Index d = 0; d < action.size(); ++d) {
        if (!std::isfinite(action[d])) [[unlikely]] {
          throw EnvironmentError(fmt::format("VectorEnv: environment {} at step {} of episode {}: action[{}] must be "
                                             "finite, got {}",
                                             i, episode_lengths_[i] + 1, episode_counts_[i] - 1, d, action[d]));
        }
      }
    }
  }

  // "0", "0 or 1", "in {0, ..., n - 1}": the indices of a dimension of n choices, for errors.
  static std::string allowed_indices(std::int64_t n) {
    return n == 1 ? std::string("0") : n == 2 ? std::string("0 or 1") : fmt::format("in {{0, ..., {}}}", n - 1);
  }

  // One comparison per dimension, and one mask look-up per dimension for a masked environment.
  void check_multi_discrete_action(std::size_t i, const Action& action) const {
    const auto copy = static_cast<Index>(i);
    if (action.size() != action_space_.size()) [[unlikely]] {
      throw EnvironmentError(fmt::format("VectorEnv: environment {} at step {} of episode {}: the action has {} "
                                         "entries, action_space() {} has {} dimensions",
                                         i, episode_lengths_[i] + 1, episode_counts_[i] - 1, action.size(),
                                         to_string(action_space_), action_space_.size()));
    }
    Index offset = 0;
    for (Index d = 0; d < action.size(); ++d) {
      const auto n = action_space_.nvec[static_cast<std::size_t>(d)];
      const auto a = static_cast<std::int64_t>(action[d]);
      if (a < 0 || a >= n) [[unlikely]] {
        throw EnvironmentError(fmt::format("VectorEnv: environment {} at step {} of episode {}: action[{}] must be {}, "
                                           "got {} (action_space() is {})",
                                           i, episode_lengths_[i] + 1, episode_counts_[i] - 1, d,
                                           allowed_indices(n), a, to_string(action_space_)));
      }
      if constexpr (MaskedEnvironment<Env>) {
        if (!masks_(offset + static_cast<Index>(a), copy)) [[unlikely]] {
          throw EnvironmentError(fmt::format("VectorEnv: environment {} at step {} of episode {}: action[{}] = {} is "
                                             "invalid in this state (its action_mask() entry {} is false)",
                                             i, episode_lengths_[i] + 1, episode_counts_[i] - 1, d, a,
                                             offset + static_cast<Index>(a)));
        }
      }
      offset += static_cast<Index>(n);
    }
  }

  template <class GetAction>
  void step_each(GetAction&& get_action) {
    require<EnvironmentError>(started_, "VectorEnv::step called before reset()");
    require<EnvironmentError>(!needs_restart_,
                              "VectorEnv::step: an environment threw on an earlier step; call restart() or reset() "
                              "first");
    auto body = [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) step_copy(i, get_action(i));
    };
    // A copy that finishes an episode counts it; after a failure the counts are put back, so
    // the restarted episodes' seeds do not depend on which copies stepped.
    std::copy(episode_counts_.begin(), episode_counts_.end(), counts_before_step_.begin());
    try {
      pool_->parallel_for(size(), body);
    } catch (...) {
      // Which other copies stepped depends on the thread count: none of them may go on.
      std::copy(counts_before_step_.begin(), counts_before_step_.end(), episode_counts_.begin());
      needs_restart_ = true;
      finished_count_ = 0;
      throw;
    }
    finished_count_ = 0;
    for (std::size_t i = 0; i < size(); ++i) {
      if (done(i)) {
        finished_[finished_count_++] = EpisodeRecord{i, ended_returns_[i], ended_lengths_[i], terminated(i)};
      }
    }
  }

  void step_copy(std::size_t i, const Action& action) {
    StepResult<Observation> result = envs_[i].step(action);
    ++episode_lengths_[i];
    const auto column = static_cast<Index>(i);
    if (!std::isfinite(result.reward)) [[unlikely]] {
      throw EnvironmentError(fmt::format("VectorEnv: environment {} returned a non-finite reward ({}) at step {} "
                                         "of episode {}",
                                         i, result.reward, episode_lengths_[i], episode_counts_[i] - 1));
    }
    check_observation(i, result.observation, "step");
    rewards_[column] = result.reward;
    episode_returns_[i] += result.reward;
    terminated_[i] = result.terminated;
    truncated_[i] = result.truncated;
    if (result.terminated || result.truncated) {
      final_observations_.col(column) = result.observation;
      ended_returns_[i] = episode_returns_[i];
      ended_lengths_[i] = episode_lengths_[i];
      reset_copy(i);
    } else {
      observations_.col(column) = result.observation;
      if constexpr (MaskedEnvironment<Env>) read_mask(i, "step");
    }
  }

  std::vector<Env> envs_;
  std::uint64_t seed_;
  std::unique_ptr<ThreadPool> pool_;
  Box observation_space_;
  std::decay_t<decltype(std::declval<const Env&>().action_space())> action_space_{};
  ObservationMatrix observations_;
  ObservationMatrix final_observations_;
  Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic> masks_;  // MaskedEnvironment: mask size x N
  Eigen::VectorXd rewards_;
  std::vector<std::uint8_t> terminated_;
  std::vector<std::uint8_t> truncated_;
  std::vector<double> episode_returns_;
  std::vector<std::int64_t> episode_lengths_;
  std::vector<std::uint64_t> episode_counts_;
  std::vector<std::uint64_t> counts_before_step_;  // episode_counts_ before the current step
  // Return and length of the episode that just ended, per copy, so that the threads never
  // write shared bookkeeping; gathered into finished_ after the parallel loop.
  std::vector<double> ended_returns_;
  std::vector<std::int64_t> ended_lengths_;
  std::vector<EpisodeRecord> finished_;
  std::size_t finished_count_ = 0;
  bool started_ = false;
  bool needs_restart_ = false;
};

}  // namespace theta
