#pragma once
/// \file ReplayBuffer: off-policy storage of transitions in a preallocated ring, sampled
/// uniformly into preallocated batch storage.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/io/state.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>

namespace theta {

/// The size of the replay batches an off-policy update rule will see (the counterpart of the
/// on-policy `RolloutShape`). The trainer, which owns the buffer and samples the batches, hands
/// it to the rule, which sizes its workspaces once from it.
struct ReplayShape {
  Index obs_dim = 0;
  Index action_dim = 0;
  Index batch_size = 0;  ///< transitions per gradient step (`OffPolicyConfig::batch_size`)
};

/// A sampled batch of transitions, one column per sample. Built once for the largest batch;
/// `ReplayBuffer::sample` fills the first `size` columns without allocating.
template <Real T = Scalar>
struct ReplayBatch {
  ReplayBatch(Index capacity, Index obs_dim, Index action_dim)
      : observations(obs_dim, capacity),
        actions(action_dim, capacity),
        rewards(capacity),
        next_observations(obs_dim, capacity),
        terminated(capacity) {
    require<ConfigError>(capacity >= 1, "ReplayBatch: capacity must be >= 1, got {}", capacity);
  }

  /// The filled part: obs_dim x size, action_dim x size, size entries.
  [[nodiscard]] auto obs() const { return observations.leftCols(size); }
  [[nodiscard]] auto act() const { return actions.leftCols(size); }
  [[nodiscard]] auto rew() const { return rewards.head(size); }
  [[nodiscard]] auto next_obs() const { return next_observations.leftCols(size); }
  [[nodiscard]] auto done() const { return terminated.head(size); }
  [[nodiscard]] Index capacity() const noexcept { return rewards.size(); }

  Matrix<T> observations;
  Matrix<T> actions;
  Vector<T> rewards;
  Matrix<T> next_observations;
  Vector<T> terminated;  ///< 1 where the transition ended the MDP (no bootstrap), else 0
  Index size = 0;
};

/// A ring of the last `capacity` transitions (s, a, r, s', terminated), preallocated, for
/// off-policy algorithms (SAC). Any number of environments feed it, one `add` per
/// transition; the oldest transitions are overwritten once it is full.
///
/// Bootstrap rule (DESIGN.md): only `terminated` stops the bootstrap. A transition cut by a
/// time limit is stored with `terminated = false` and `next_observation` the true final
/// observation, so the target bootstraps from it (SB3 stores `done * (1 - timeout)`, the same
/// flag); when both flags are set, terminated wins. Storing the reset observation as s' or
/// treating a time limit as terminal are the two classic bugs this layout rules out.
///
///     theta::ReplayBuffer<float> buffer(1'000'000, obs_dim, action_dim);
///     buffer.add(obs.col(e), action.col(e), reward, next_obs.col(e), terminated);
///     theta::ReplayBatch<float> batch(256, obs_dim, action_dim);   // once
///     buffer.sample(256, rng, batch);                               // no allocation
template <Real T = Scalar>
class ReplayBuffer {
 public:
  /// Storage for `capacity` transitions (all of it allocated here, zeroed).
  ReplayBuffer(Index capacity, Index obs_dim, Index action_dim) {
    require<ConfigError>(capacity >= 1, "ReplayBuffer: capacity must be >= 1, got {}", capacity);
    require<ConfigError>(obs_dim >= 1, "ReplayBuffer: obs_dim must be >= 1, got {}", obs_dim);
    require<ConfigError>(action_dim >= 1, "ReplayBuffer: action_dim must be >= 1, got {}", action_dim);
    observations_.setZero(obs_dim, capacity);
    actions_.setZero(action_dim, capacity);
    rewards_.setZero(capacity);
    next_observations_.setZero(obs_dim, capacity);
    terminated_.setZero(capacity);
  }

  /// Stores one transition, overwriting the oldest when full. `observation` and
  /// `next_observation` have obs_dim entries, `action` action_dim (any Eigen vector
  /// expression of scalar `T`, e.g. a column of a batch).
  template <class O, class A, class N>
  void add(const Eigen::MatrixBase<O>& observation, const Eigen::MatrixBase<A>& action, double reward,
           const Eigen::MatrixBase<N>& next_observation, bool terminated) {
    require(observation.size() == obs_dim() && next_observation.size() == obs_dim() && action.size() == action_dim(),
            "ReplayBuffer::add: sizes {}, {}, {} (observation, action, next observation), expected {}, {}, {}",
            observation.size(), action.size(), next_observation.size(), obs_dim(), action_dim(), obs_dim());
    observations_.col(next_) = observation;
    actions_.col(next_) = action;
    rewards_[next_] = static_cast<T>(reward);
    next_observations_.col(next_) = next_observation;
    terminated_[next_] = terminated ? T(1) : T(0);
    next_ = next_ + 1 == capacity() ? 0 : next_ + 1;
    size_ = std::min(size_ + 1, capacity());
    ++added_;
  }

  /// Draws `batch_size` transitions uniformly, with replacement (SB3's `randint`), into the
  /// first columns of `out`. Allocates nothing.
  void sample(Index batch_size, Rng& rng, ReplayBatch<T>& out) const {
    require(size_ >= 1, "ReplayBuffer::sample: the buffer is empty");
    require(batch_size >= 1 && batch_size <= out.capacity(),
            "ReplayBuffer::sample: batch_size must be in [1, {}] (the batch's capacity), got {}", out.capacity(),
            batch_size);
    require(out.observations.rows() == obs_dim() && out.actions.rows() == action_dim(),
            "ReplayBuffer::sample: the batch was built for obs_dim {} and action_dim {}, the buffer has {} and {}",
            out.observations.rows(), out.actions.rows(), obs_dim(), action_dim());
    out.size = batch_size;
    for (Index j = 0; j < batch_size; ++j) {
      const auto k = static_cast<Index>(rng.below(static_cast<std::uint64_t>(size_)));
      out.observations.col(j) = observations_.col(k);
      out.actions.col(j) = actions_.col(k);
      out.rewards[j] = rewards_[k];
      out.next_observations.col(j) = next_observations_.col(k);
      out.terminated[j] = terminated_[k];
    }
  }

  /// Forgets every transition (the storage stays).
  void clear() noexcept {
    size_ = 0;
    next_ = 0;
    added_ = 0;
  }

  [[nodiscard]] Index capacity() const noexcept { return rewards_.size(); }
  /// Transitions held: min(added, capacity).
  [[nodiscard]] Index size() const noexcept { return size_; }
  /// Transitions added since construction or `clear` (including overwritten ones).
  [[nodiscard]] std::int64_t added() const noexcept { return added_; }
  [[nodiscard]] bool full() const noexcept { return size_ == capacity(); }
  [[nodiscard]] Index obs_dim() const noexcept { return observations_.rows(); }
  [[nodiscard]] Index action_dim() const noexcept { return actions_.rows(); }
  /// The slot the next `add` writes.
  [[nodiscard]] Index position() const noexcept { return next_; }

  /// Writes the buffer into a checkpoint section: its shape, position and counters, and the
  /// `size()` slots in use (not the unused capacity).
  void save(io::CheckpointSectionWriter& out) const {
    out.i64(capacity()).i64(obs_dim()).i64(action_dim()).i64(size_).i64(next_).i64(added_);
    out.matrix(observations_.leftCols(size_)).matrix(actions_.leftCols(size_)).matrix(rewards_.head(size_));
    out.matrix(next_observations_.leftCols(size_)).matrix(terminated_.head(size_));
  }
  /// Reads what `save` wrote; refuses another capacity or shape, impossible counters,
  /// non-finite values and flags other than 0 and 1. Assigns nothing on an error.
  void load(io::CheckpointSectionReader& in) {
    const std::int64_t capacity = in.i64(), obs = in.i64(), act = in.i64();
    require<CheckpointError>(capacity == this->capacity() && obs == obs_dim() && act == action_dim(),
                             "checkpoint section '{}': a replay buffer of {} transitions of obs_dim {} and action_dim "
                             "{}, this one holds {} of {} and {}", in.name(), capacity, obs, act, this->capacity(),
                             obs_dim(), action_dim());
    const std::int64_t size = in.i64(), next = in.i64(), added = in.i64();
    // Slots fill from 0; the next slot is size (mod capacity) until the buffer is full.
    const bool consistent = size >= 0 && size <= capacity && next >= 0 && next < capacity && added >= size &&
                            added <= io::max_saved_count &&
                            (size == capacity ? (added % capacity) == next : (added == size && next == size));
    require<CheckpointError>(consistent, "checkpoint section '{}': replay buffer size {}, position {} and count {} are "
                             "impossible for capacity {}", in.name(), size, next, added, capacity);
    const Matrix<T> o = in.matrix<T>("replay observations", obs, size);
    const Matrix<T> a = in.matrix<T>("replay actions", act, size);
    const Matrix<T> r = in.matrix<T>("replay rewards", size, 1);
    const Matrix<T> n = in.matrix<T>("replay next observations", obs, size);
    const Matrix<T> d = in.matrix<T>("replay terminated flags", size, 1);
    require<CheckpointError>(o.allFinite() && a.allFinite() && r.allFinite() && n.allFinite(),
                             "checkpoint section '{}': the replay buffer holds non-finite values", in.name());
    require<CheckpointError>(((d.array() == T(0)) || (d.array() == T(1))).all(),
                             "checkpoint section '{}': a replay terminated flag is neither 0 nor 1", in.name());
    observations_.leftCols(size) = o;
    actions_.leftCols(size) = a;
    rewards_.head(size) = r.col(0);
    next_observations_.leftCols(size) = n;
    terminated_.head(size) = d.col(0);
    size_ = size;
    next_ = next;
    added_ = added;
  }

  /// The storage, one column per slot (slot `position()` is the oldest once full).
  [[nodiscard]] const Matrix<T>& observations() const noexcept { return observations_; }
  [[nodiscard]] const Matrix<T>& actions() const noexcept { return actions_; }
  [[nodiscard]] const Vector<T>& rewards() const noexcept { return rewards_; }
  [[nodiscard]] const Matrix<T>& next_observations() const noexcept { return next_observations_; }
  [[nodiscard]] const Vector<T>& terminated() const noexcept { return terminated_; }

 private:
  Matrix<T> observations_;
  Matrix<T> actions_;
  Vector<T> rewards_;
  Matrix<T> next_observations_;
  Vector<T> terminated_;
  Index size_ = 0;
  Index next_ = 0;
  std::int64_t added_ = 0;
};

}  // namespace theta
