#pragma once
/// \file The environment contract, as small concepts that refine each other.
///
/// An environment is any type with:
///
///     struct MyEnv {
///       using Observation = Eigen::Vector4f;          // an Eigen column vector
///       using Action = int;                           // an integer (discrete), an integer Eigen column vector
///                                                     // (multi-discrete) or a float Eigen column vector (continuous)
///       theta::Box observation_space() const;         // sizes and bounds of observations
///       theta::Discrete action_space() const;         // or theta::MultiDiscrete, or theta::Box with finite bounds
///       Observation reset(std::uint64_t seed);        // the first observation of an episode
///       theta::StepResult<Observation> step(const Action& action);  // never resets itself
///     };
///
/// `terminated` means the MDP ended (no bootstrap); `truncated` means the episode was cut
/// (bootstrap from the true final observation); both may be true and then `terminated` wins.
/// The environment never resets itself: `VectorEnv` and the trainers own resets.
///
/// A discrete or multi-discrete environment may also say which actions are valid in its current
/// state (`MaskedEnvironment`, docs/writing-an-environment.md, "Action masks"):
///
///     void action_mask(std::span<bool> valid) const;  // one entry per action (sum(nvec) for
///                                                     // MultiDiscrete), true = valid

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>
#include <theta/env/spaces.hpp>
#include <theta/env/step_result.hpp>

#include <Eigen/Core>

#include <concepts>
#include <cstdint>
#include <span>
#include <type_traits>

namespace theta {

/// An Eigen dense column vector of float or double: what observations and continuous
/// actions are made of.
template <class V>
concept EigenColumnVector =
    std::derived_from<V, Eigen::MatrixBase<V>> && V::ColsAtCompileTime == 1 &&
    (std::same_as<typename V::Scalar, float> || std::same_as<typename V::Scalar, double>);

/// An Eigen dense column vector of an integer type: what multi-discrete actions are made of
/// (`theta::MultiDiscreteAction`, `Eigen::Vector2i`, ...).
template <class V>
concept IntegerColumnVector =
    std::derived_from<V, Eigen::MatrixBase<V>> && V::ColsAtCompileTime == 1 && std::integral<typename V::Scalar>;

/// The type names `Observation`.
template <class E>
concept HasObservationType = requires { typename E::Observation; };

/// The type names `Action`.
template <class E>
concept HasActionType = requires { typename E::Action; };

/// `Observation` is an Eigen column vector of float or double.
template <class E>
concept HasVectorObservation = HasObservationType<E> && EigenColumnVector<typename E::Observation>;

/// `observation_space() const` returns a `Box`.
template <class E>
concept HasObservationSpace = requires(const E& env) {
  { env.observation_space() } -> std::convertible_to<Box>;
};

/// `action_space() const` exists.
template <class E>
concept HasActionSpace = requires(const E& env) { env.action_space(); };

/// `reset(seed)` returns an `Observation`.
template <class E>
concept HasReset = HasObservationType<E> && requires(E& env, std::uint64_t seed) {
  { env.reset(seed) } -> std::same_as<typename E::Observation>;
};

/// `step(action)` returns `StepResult<Observation>`.
template <class E>
concept HasStep = HasObservationType<E> && HasActionType<E> &&
                  requires(E& env, const typename E::Action& action) {
                    { env.step(action) } -> std::same_as<StepResult<typename E::Observation>>;
                  };

/// The environment contract (see the file comment).
template <class E>
concept Environment = HasObservationType<E> && HasActionType<E> && HasVectorObservation<E> &&
                      HasObservationSpace<E> && HasActionSpace<E> && HasReset<E> && HasStep<E>;

/// An environment whose actions are integers in `Discrete(n)`.
template <class E>
concept DiscreteEnvironment = Environment<E> && std::integral<typename E::Action> &&
                              requires(const E& env) {
                                { env.action_space() } -> std::same_as<Discrete>;
                              };

/// An environment whose actions are vectors in a bounded `Box`.
template <class E>
concept ContinuousEnvironment = Environment<E> && EigenColumnVector<typename E::Action> &&
                                requires(const E& env) {
                                  { env.action_space() } -> std::same_as<Box>;
                                };

/// An environment whose actions are vectors of indices in `MultiDiscrete(nvec)`: entry d in
/// {0, ..., nvec[d] - 1}. `Action` is an integer Eigen column vector (`theta::MultiDiscreteAction`,
/// or a fixed size such as `Eigen::Vector2i`).
template <class E>
concept MultiDiscreteEnvironment = Environment<E> && IntegerColumnVector<typename E::Action> &&
                                   requires(const E& env) {
                                     { env.action_space() } -> std::same_as<MultiDiscrete>;
                                   };

/// `action_mask(std::span<bool>) const` exists, with that signature.
template <class E>
concept HasActionMask = requires(const E& env, std::span<bool> valid) {
  { env.action_mask(valid) } -> std::same_as<void>;
};

/// A discrete or multi-discrete environment that says which actions are valid in its current
/// state (Huang and Ontanon 2020, "A Closer Look at Invalid Action Masking in Policy Gradient
/// Algorithms"): `action_mask(valid)` writes, for the state after the last `reset` or `step`,
/// one entry per action of `Discrete(n)` (n entries, true = valid), at least one of them valid;
/// for `MultiDiscrete(nvec)` the concatenation of one mask per dimension (sum(nvec) entries:
/// dimension 0's nvec[0] first, then dimension 1's, ...; sb3-contrib's MaskablePPO takes
/// MultiDiscrete masks in the same layout), at least one valid entry in every dimension.
/// The trainers read it before every action, sample among the valid actions only and keep the
/// mask with the transition, so that the update differentiates the distribution that acted.
///
///     void action_mask(std::span<bool> valid) const {
///       valid[0] = true;                  // "wait" is always allowed
///       valid[1] = deployed_ > 0;         // "roll back" only after a deploy
///     }
template <class E>
concept MaskedEnvironment = (DiscreteEnvironment<E> || MultiDiscreteEnvironment<E>) && HasActionMask<E>;

/// The number of entries of `E`'s action mask (`MaskedEnvironment`): n for `Discrete(n)`,
/// sum(nvec) for `MultiDiscrete(nvec)`.
template <MaskedEnvironment E>
[[nodiscard]] Index action_mask_size(const E& env) {
  if constexpr (MultiDiscreteEnvironment<E>) {
    return env.action_space().total();
  } else {
    return static_cast<Index>(env.action_space().n);
  }
}

/// The first dimension of a mask with no valid entry, or -1 when every dimension has one:
/// `Discrete` has one dimension (the whole mask), `MultiDiscrete` one per entry of nvec, laid
/// out as `MaskedEnvironment` says. `valid` must have the space's mask size.
[[nodiscard]] inline Index dimension_without_valid_action(const Discrete&, std::span<const bool> valid) noexcept {
  for (const bool v : valid) {
    if (v) return -1;
  }
  return 0;
}
[[nodiscard]] inline Index dimension_without_valid_action(const MultiDiscrete& space,
                                                          std::span<const bool> valid) noexcept {
  std::size_t offset = 0;
  for (std::size_t d = 0; d < space.nvec.size(); ++d) {
    const auto n = static_cast<std::size_t>(space.nvec[d]);
    bool any = false;
    for (std::size_t k = offset; k < offset + n; ++k) any = any || valid[k];
    if (!any) return static_cast<Index>(d);
    offset += n;
  }
  return -1;
}

namespace detail {
/// Checks an action mask handed to a `predict(observation, valid)`: `valid` must have the
/// space's mask size and a valid entry (in every dimension of a `MultiDiscrete` space).
/// Throws `EnvironmentError` starting with `who`.
template <class Space>
void require_action_mask(const Space& space, std::span<const bool> valid, const char* who) {
  if constexpr (std::same_as<Space, MultiDiscrete>) {
    require<EnvironmentError>(static_cast<Index>(valid.size()) == space.total(),
                              "{}: the action mask has {} entries, the action space {} has {} (sum(nvec))", who,
                              valid.size(), to_string(space), space.total());
    const Index d = dimension_without_valid_action(space, valid);
    require<EnvironmentError>(d < 0, "{}: the action mask has no valid action in dimension {}", who, d);
  } else {
    require<EnvironmentError>(static_cast<Index>(valid.size()) == space.n,
                              "{}: the action mask has {} entries, the action space has {} actions", who, valid.size(),
                              space.n);
    require<EnvironmentError>(dimension_without_valid_action(space, valid) < 0,
                              "{}: the action mask has no valid action", who);
  }
}
}  // namespace detail

/// The observation scalar (float for the built-in environments).
template <Environment E>
using observation_scalar_t = typename E::Observation::Scalar;

/// Checks the contract member by member and stops at the first thing that is missing, with
/// a message that names it. Use it as `static_assert(theta::diagnose_environment<MyEnv>())`;
/// `VectorEnv` and `check_environment` do.
template <class E>
consteval bool diagnose_environment() {
  if constexpr (!HasObservationType<E>) {
    static_assert(HasObservationType<E>,
                  "theta::Environment: the type has no member type 'Observation' "
                  "(add e.g. 'using Observation = Eigen::Vector4f;')");
    return false;
  } else if constexpr (!HasActionType<E>) {
    static_assert(HasActionType<E>,
                  "theta::Environment: the type has no member type 'Action' "
                  "(add 'using Action = int;', an integer Eigen column vector such as theta::MultiDiscreteAction, "
                  "or a float Eigen column vector such as Eigen::Vector2f)");
    return false;
  } else if constexpr (!HasVectorObservation<E>) {
    static_assert(HasVectorObservation<E>,
                  "theta::Environment: 'Observation' must be an Eigen column vector of float or double");
    return false;
  } else if constexpr (!HasObservationSpace<E>) {
    static_assert(HasObservationSpace<E>,
                  "theta::Environment: the type has no member function 'theta::Box observation_space() const'");
    return false;
  } else if constexpr (!HasActionSpace<E>) {
    static_assert(HasActionSpace<E>,
                  "theta::Environment: the type has no member function 'action_space() const' "
                  "(returning theta::Discrete, theta::MultiDiscrete or theta::Box)");
    return false;
  } else if constexpr (!HasReset<E>) {
    static_assert(HasReset<E>,
                  "theta::Environment: the type has no member function 'Observation reset(std::uint64_t seed)'");
    return false;
  } else if constexpr (!HasStep<E>) {
    static_assert(HasStep<E>,
                  "theta::Environment: the type has no member function "
                  "'theta::StepResult<Observation> step(const Action&)'");
    return false;
  } else if constexpr (!DiscreteEnvironment<E> && !MultiDiscreteEnvironment<E> && !ContinuousEnvironment<E>) {
    static_assert(DiscreteEnvironment<E> || MultiDiscreteEnvironment<E> || ContinuousEnvironment<E>,
                  "theta::Environment: 'Action' must be an integer with action_space() returning "
                  "theta::Discrete, an integer Eigen column vector (theta::MultiDiscreteAction) with action_space() "
                  "returning theta::MultiDiscrete, or a float or double Eigen column vector with action_space() "
                  "returning theta::Box");
    return false;
  } else if constexpr (requires { &E::action_mask; } && !HasActionMask<E>) {
    static_assert(HasActionMask<E>,
                  "theta::MaskedEnvironment: 'action_mask' must be 'void action_mask(std::span<bool> valid) const' "
                  "(one entry per action, true = valid)");
    return false;
  } else if constexpr (HasActionMask<E> && !DiscreteEnvironment<E> && !MultiDiscreteEnvironment<E>) {
    static_assert(DiscreteEnvironment<E> || MultiDiscreteEnvironment<E>,
                  "theta::MaskedEnvironment: action masks need a discrete action space (action_space() returning "
                  "theta::Discrete or theta::MultiDiscrete)");
    return false;
  } else {
    return true;
  }
}

}  // namespace theta
