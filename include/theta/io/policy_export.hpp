#pragma once
/// \file Policy export: writes an actor's network, the observation normaliser and the action
/// transform to a policy file that theta/inference.hpp loads without the trainer (issue 13,
/// "Deployment"). Trainers call it from `export_policy(path)`; docs/checkpoints.md has the layout.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>
#include <theta/env/spaces.hpp>
#include <theta/io/checkpoint_writer.hpp>
#include <theta/io/policy_format.hpp>
#include <theta/nn/activation.hpp>
#include <theta/nn/detail/recurrent_cell.hpp>
#include <theta/nn/mlp.hpp>
#include <theta/normalize/observation_normalizer.hpp>

#include <Eigen/Core>

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace theta::io {

/// An actor whose deterministic action can be exported: it exposes the network whose output
/// the action is read from, `const nn::Mlp<Scalar>& network() const`. The trainer adds the
/// transform its algorithm uses: argmax over the outputs (discrete on-policy actors), the
/// first action-size outputs clipped to the bounds (Gaussian actors) or their tanh rescaled to
/// the bounds (SAC's squashed actors); for a `MaskedEnvironment`, argmax among the valid
/// actions of a mask given at inference (masked_argmax); for a `MultiDiscrete` space, the
/// argmax of each dimension's outputs (multi_argmax, masked_multi_argmax with a mask). An actor
/// whose deterministic `act` computes anything else must not satisfy this concept, or its
/// exported policy will act differently.
///
///     static_assert(theta::io::ExportableActor<theta::CategoricalPolicy<float>>);
template <class A>
concept ExportableActor = requires(const A& actor) {
  typename A::Scalar;
  { actor.network() } -> std::same_as<const nn::Mlp<typename A::Scalar>&>;
};

/// What a policy file holds. `normalizer` may be null (no observation normalisation); `low`
/// and `high` (the environment's action bounds, in double) are needed by `clip` and
/// `tanh_rescale` only, `nvec` by `multi_argmax` and `masked_multi_argmax` only.
///
///     theta::io::PolicyDescription<float> d{.network = &actor.network(), .normalizer = nullptr,
///                                           .transform = theta::io::ActionTransform::argmax,
///                                           .action_size = 2};
/// The recurrent layer a recurrent policy runs before its network (`network` then takes its
/// output h): the cell, the sizes, and its parameters in theta's (torch's) flat layout, W_ih,
/// W_hh, b_ih, b_hh (docs/nn.md).
template <Real T>
struct RecurrentDescription {
  nn::Cell cell = nn::Cell::lstm;
  Index inputs = 0;
  Index hidden = 0;
  const T* parameters = nullptr;
};

template <Real T>
struct PolicyDescription {
  const nn::Mlp<T>* network = nullptr;
  /// A recurrent layer before `network` (empty: none); the deployed policy then carries its
  /// state from one `predict` to the next.
  std::optional<RecurrentDescription<T>> recurrent;
  const ObservationNormalizer* normalizer = nullptr;
  ActionTransform transform = ActionTransform::argmax;
  Index action_size = 0;  ///< the number of actions (argmax), of dimensions (multi_argmax) or the action's size
  Eigen::VectorXd low;    ///< action bounds (clip, tanh_rescale)
  Eigen::VectorXd high;
  std::vector<std::int64_t> nvec = {};  ///< actions per dimension (multi_argmax), sum(nvec) network outputs
};

/// A recurrent actor (`RecurrentCategoricalPolicy`): a recurrent layer, then linear layers.
template <class A>
concept RecurrentExportableActor = requires(const A& actor) {
  actor.network().recurrent_layer();
  actor.network().linear(0);
  actor.network().num_linear();
};

/// Sets `policy.network` to the network `actor`'s deterministic action reads: an
/// `ExportableActor`'s own, or, for a `RecurrentExportableActor`, its recurrent layer as
/// `policy.recurrent` and a copy of its linear layers in `storage` (which must outlive `policy`).
template <Real T, class Actor>
  requires ExportableActor<Actor> || RecurrentExportableActor<Actor>
void describe_actor_network(PolicyDescription<T>& policy, const Actor& actor, std::optional<nn::Mlp<T>>& storage) {
  if constexpr (RecurrentExportableActor<Actor>) {
    const auto& net = actor.network();
    const auto& layer = net.recurrent_layer();
    nn::MlpConfig config{.inputs = layer.hidden(), .hidden = {}, .outputs = net.outputs(),
                         .hidden_activation = net.activation()};
    for (Index l = 0; l + 1 < net.num_linear(); ++l) config.hidden.push_back(net.linear(l).outputs());
    storage.emplace(config);
    for (Index l = 0; l < net.num_linear(); ++l) {
      storage->layer(l).weight() = net.linear(l).weight();
      storage->layer(l).bias() = net.linear(l).bias();
    }
    policy.network = &*storage;
    policy.recurrent = RecurrentDescription<T>{
        .cell = std::remove_cvref_t<decltype(layer)>::gates == 3 ? nn::Cell::gru : nn::Cell::lstm,
        .inputs = layer.inputs(),
        .hidden = layer.hidden(),
        .parameters = layer.parameters().data()};
  } else {
    policy.network = &actor.network();
  }
}

/// Sets the transform of a categorical actor over `space`: argmax over its n outputs, or
/// masked_argmax when the policy acts under action masks.
template <Real T>
void describe_discrete_actions(PolicyDescription<T>& policy, const Discrete& space, bool masked) {
  policy.transform = masked ? ActionTransform::masked_argmax : ActionTransform::argmax;
  policy.action_size = static_cast<Index>(space.n);
}

/// The same over a `MultiDiscrete` space: the argmax of each dimension (multi_argmax, or
/// masked_multi_argmax under action masks), nvec.size() indices from sum(nvec) outputs.
template <Real T>
void describe_discrete_actions(PolicyDescription<T>& policy, const MultiDiscrete& space, bool masked) {
  policy.transform = masked ? ActionTransform::masked_multi_argmax : ActionTransform::multi_argmax;
  policy.action_size = space.size();
  policy.nvec = space.nvec;
}

/// The policy file's bytes in a writer: header kind "Policy", then the sections
/// "observation", "network" and "action". The network is written as it evaluates (a network
/// with dropout exports its evaluation-mode function: the weights, no masks). No time stamp or
/// path: equal policies give equal bytes. Throws `ConfigError` for an inconsistent description.
template <Real T>
[[nodiscard]] CheckpointWriter policy_writer(const PolicyDescription<T>& policy) {
  require<ConfigError>(policy.network != nullptr, "export_policy: no network");
  const nn::Mlp<T>& net = *policy.network;
  const Index obs = policy.recurrent ? policy.recurrent->inputs : net.inputs();
  if (policy.recurrent) {
    require<ConfigError>(policy.recurrent->parameters != nullptr && policy.recurrent->inputs >= 1 &&
                             policy.recurrent->hidden == net.inputs(),
                         "export_policy: the recurrent layer ({} inputs, hidden {}) must feed the network ({} inputs)",
                         policy.recurrent->inputs, policy.recurrent->hidden, net.inputs());
  }
  const bool argmax = is_discrete(policy.transform);  // an index (or one per dimension), no bounds
  const bool multi = is_multi_discrete(policy.transform);
  require<ConfigError>(policy.action_size >= 1, "export_policy: action_size must be >= 1, got {}", policy.action_size);
  if (multi) {
    require<ConfigError>(static_cast<Index>(policy.nvec.size()) == policy.action_size,
                         "export_policy: the {} transform has {} dimensions (action_size) but nvec has {} entries",
                         to_string(policy.transform), policy.action_size, policy.nvec.size());
    Index total = 0;
    for (std::size_t d = 0; d < policy.nvec.size(); ++d) {
      require<ConfigError>(policy.nvec[d] >= 1, "export_policy: nvec[{}] must be >= 1, got {}", d, policy.nvec[d]);
      total += static_cast<Index>(policy.nvec[d]);
    }
    require<ConfigError>(net.outputs() == total, "export_policy: the network has {} outputs, the {} transform over "
                         "nvec needs exactly sum(nvec) = {}", net.outputs(), to_string(policy.transform), total);
  } else {
    require<ConfigError>(argmax ? net.outputs() == policy.action_size : net.outputs() >= policy.action_size,
                         "export_policy: the network has {} outputs, the {} transform needs {} {}", net.outputs(),
                         to_string(policy.transform), argmax ? "exactly" : "at least", policy.action_size);
  }
  if (!argmax) {
    require<ConfigError>(policy.low.size() == policy.action_size && policy.high.size() == policy.action_size,
                         "export_policy: the action bounds must have {} entries, got {} and {}", policy.action_size,
                         policy.low.size(), policy.high.size());
  }
  if (policy.normalizer != nullptr) {
    require<ConfigError>(policy.normalizer->statistics().dim() == obs,
                         "export_policy: the observation normaliser has {} components, the network {} inputs",
                         policy.normalizer->statistics().dim(), obs);
  }

  CheckpointWriter writer(std::string(policy_kind), scalar_name<T>(),
                          fmt::format("obs {}, {} {}", obs, to_string(policy.transform), policy.action_size));
  auto& o = writer.section("observation");
  o.u64(static_cast<std::uint64_t>(obs)).boolean(policy.normalizer != nullptr);
  if (policy.normalizer != nullptr) {
    const ObservationNormalizer& norm = *policy.normalizer;
    o.f64(norm.config().clip).f64(norm.config().epsilon).matrix(norm.statistics().mean()).matrix(norm.statistics().var());
  }
  if (policy.recurrent) {
    // Read by the deployed policy before "network" when present; readers that predate it
    // refuse the file at this section's name.
    const RecurrentDescription<T>& r = *policy.recurrent;
    const Index gates = r.cell == nn::Cell::gru ? 3 : 4, rows = gates * r.hidden;
    auto& rec = writer.section("recurrent");
    rec.string(r.cell == nn::Cell::gru ? "gru" : "lstm").u64(static_cast<std::uint64_t>(r.inputs));
    rec.u64(static_cast<std::uint64_t>(r.hidden));
    const T* p = r.parameters;
    rec.matrix(Eigen::Map<const Matrix<T>>(p, rows, r.inputs));
    rec.matrix(Eigen::Map<const Matrix<T>>(p + rows * r.inputs, rows, r.hidden));
    rec.matrix(Eigen::Map<const Matrix<T>>(p + rows * (r.inputs + r.hidden), rows, 1));
    rec.matrix(Eigen::Map<const Matrix<T>>(p + rows * (r.inputs + r.hidden + 1), rows, 1));
  }
  auto& n = writer.section("network");
  n.u64(static_cast<std::uint64_t>(net.num_layers()));
  n.u64(static_cast<std::uint64_t>(net.inputs()));
  for (Index l = 0; l < net.num_layers(); ++l) {
    n.u64(static_cast<std::uint64_t>(net.layer(l).outputs())).string(nn::to_string(net.activation(l)));
  }
  for (Index l = 0; l < net.num_layers(); ++l) n.matrix(net.layer(l).weight()).matrix(net.layer(l).bias());
  auto& a = writer.section("action");
  a.string(to_string(policy.transform)).u64(static_cast<std::uint64_t>(policy.action_size));
  if (multi) {
    for (const std::int64_t n : policy.nvec) a.u64(static_cast<std::uint64_t>(n));
  }
  if (!argmax) a.matrix(policy.low).matrix(policy.high);
  return writer;
}

/// Writes the policy file atomically (`write_file_atomically`): a failed export leaves an
/// existing file as it was.
///
///     theta::io::export_policy("cartpole.policy", description);
template <Real T>
void export_policy(const std::filesystem::path& path, const PolicyDescription<T>& policy) {
  policy_writer(policy).save(path);
}

}  // namespace theta::io
