#pragma once
/// \file The names shared by the policy file's writer (theta/io/policy_export.hpp) and its
/// reader (theta/inference.hpp), with the standard library only. docs/checkpoints.md,
/// "Export and deployment", has the layout.

#include <optional>
#include <string_view>

namespace theta::io {

/// The checkpoint kind of an exported policy file.
inline constexpr std::string_view policy_kind = "Policy";

/// How an exported policy turns its network's output into the action it takes.
///
///     theta::io::to_string(theta::io::ActionTransform::tanh_rescale) == "tanh_rescale"
enum class ActionTransform {
  /// The index of the first largest of the network's n outputs (a categorical policy's mode).
  argmax,
  /// The same among the actions a mask marks valid, the mask given with each observation: a
  /// categorical policy trained on a `MaskedEnvironment` (issue 15). Its `predict` needs the mask.
  masked_argmax,
  /// One index per dimension of a `MultiDiscrete(nvec)` space: the first largest of dimension
  /// d's nvec[d] outputs, the outputs being the dimensions' logits stacked (sum(nvec) of them).
  /// The file stores nvec after the action size (the number of dimensions).
  multi_argmax,
  /// `multi_argmax` among the entries a mask marks valid, the mask (sum(nvec) entries, one mask
  /// per dimension, concatenated) given with each observation: a multi-discrete
  /// `MaskedEnvironment`. Its `predict` needs the mask.
  masked_multi_argmax,
  /// The first `action_size` outputs (a Gaussian's mean) clipped to [low, high].
  clip,
  /// offset + scale * tanh(mean), mean the first `action_size` outputs, with scale = (high -
  /// low) / 2 and offset = (high + low) / 2 computed in double and rounded to the network's
  /// scalar, then clipped to [low, high] against rounding (SAC's deterministic action).
  tanh_rescale,
};

/// The transform's name in a policy file: "argmax", "masked_argmax", "multi_argmax",
/// "masked_multi_argmax", "clip" or "tanh_rescale". A file is read by name, so a reader that
/// predates a transform refuses its files with "unknown action transform" (and the layout of
/// the others never changes: the checkpoint format version stays 1).
[[nodiscard]] constexpr std::string_view to_string(ActionTransform t) noexcept {
  switch (t) {
    case ActionTransform::argmax: return "argmax";
    case ActionTransform::masked_argmax: return "masked_argmax";
    case ActionTransform::multi_argmax: return "multi_argmax";
    case ActionTransform::masked_multi_argmax: return "masked_multi_argmax";
    case ActionTransform::clip: return "clip";
    case ActionTransform::tanh_rescale: return "tanh_rescale";
  }
  return "unknown";
}

/// True for the transforms whose action is an index (argmax, masked_argmax), or one index per
/// dimension (multi_argmax, masked_multi_argmax).
[[nodiscard]] constexpr bool is_discrete(ActionTransform t) noexcept {
  return t == ActionTransform::argmax || t == ActionTransform::masked_argmax || t == ActionTransform::multi_argmax ||
         t == ActionTransform::masked_multi_argmax;
}

/// True for the transforms over a `MultiDiscrete` space (multi_argmax, masked_multi_argmax).
[[nodiscard]] constexpr bool is_multi_discrete(ActionTransform t) noexcept {
  return t == ActionTransform::multi_argmax || t == ActionTransform::masked_multi_argmax;
}

/// True for the transforms that take the state's action mask with each observation.
[[nodiscard]] constexpr bool takes_action_mask(ActionTransform t) noexcept {
  return t == ActionTransform::masked_argmax || t == ActionTransform::masked_multi_argmax;
}

/// The transform named `name`, or nothing for an unknown name.
[[nodiscard]] constexpr std::optional<ActionTransform> action_transform_from(std::string_view name) noexcept {
  for (const ActionTransform t : {ActionTransform::argmax, ActionTransform::masked_argmax, ActionTransform::multi_argmax,
                                  ActionTransform::masked_multi_argmax, ActionTransform::clip,
                                  ActionTransform::tanh_rescale}) {
    if (to_string(t) == name) return t;
  }
  return std::nullopt;
}

}  // namespace theta::io
