#pragma once
/// \file ONNX export of a policy (issue 13, "Deployment", optional): the same policy as
/// `export_policy` writes, as an ONNX model (IR version 8, opset 13) that any ONNX runtime
/// runs. The protobuf wire format is written here by hand (a few message types), so the export
/// needs no ONNX or protobuf library. docs/checkpoints.md, "ONNX export", has the graph.
///
///     theta::io::export_onnx("cartpole.onnx", trainer.policy_description());

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>
#include <theta/io/atomic_file.hpp>
#include <theta/io/checkpoint_format.hpp>
#include <theta/io/policy_export.hpp>
#include <theta/nn/activation.hpp>
#include <theta/normalize/detail/standardize.hpp>

#include <Eigen/Core>

#include <bit>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace theta::io {

namespace detail::protobuf {

/// One protobuf message being written: fields appended in the wire format (varint keys,
/// length-delimited strings and sub-messages, little-endian fixed32 floats).
class Message {
 public:
  Message& int64(int field, std::int64_t value) {
    key(field, 0);
    varint(static_cast<std::uint64_t>(value));  // negative values take ten bytes, as protobuf's int64
    return *this;
  }
  Message& float32(int field, float value) {
    key(field, 5);
    put_le<4>(bytes_, std::bit_cast<std::uint32_t>(value));
    return *this;
  }
  Message& string(int field, std::string_view value) {
    return raw(field, std::span(reinterpret_cast<const std::uint8_t*>(value.data()), value.size()));
  }
  Message& raw(int field, std::span<const std::uint8_t> value) {
    key(field, 2);
    varint(value.size());
    bytes_.insert(bytes_.end(), value.begin(), value.end());
    return *this;
  }
  Message& message(int field, const Message& value) { return raw(field, value.bytes_); }

  [[nodiscard]] const std::vector<std::uint8_t>& bytes() const noexcept { return bytes_; }

 private:
  void key(int field, int wire_type) { varint((static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint64_t>(wire_type)); }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      bytes_.push_back(static_cast<std::uint8_t>(v | 0x80));
      v >>= 7;
    }
    bytes_.push_back(static_cast<std::uint8_t>(v));
  }

  std::vector<std::uint8_t> bytes_;
};

}  // namespace detail::protobuf

namespace detail::onnx {

using protobuf::Message;

// Field numbers and enum values of onnx.proto (IR version 8) that the export uses.
inline constexpr int tensor_float = 1, tensor_int64 = 7, tensor_double = 11;
inline constexpr int attribute_int = 2;

template <class T>
inline constexpr int tensor_type = std::is_same_v<T, float> ? tensor_float : tensor_double;

/// The graph under construction: nodes, initializers (constant tensors), and fresh names.
class Graph {
 public:
  /// A constant tensor of doubles stored as `Element` (float, double or std::int64_t).
  template <class Element>
  std::string constant(std::string_view name, std::initializer_list<std::int64_t> dims, const Eigen::VectorXd& values) {
    Message t;
    for (const std::int64_t d : dims) t.int64(1, d);  // dims
    t.int64(2, std::is_same_v<Element, std::int64_t> ? tensor_int64 : tensor_type<Element>);  // data_type
    t.string(8, name);  // name
    std::vector<std::uint8_t> raw;
    for (Index i = 0; i < values.size(); ++i) {
      if constexpr (std::is_same_v<Element, float>) {
        put_le<4>(raw, std::bit_cast<std::uint32_t>(static_cast<float>(values[i])));
      } else if constexpr (std::is_same_v<Element, double>) {
        put_le<8>(raw, std::bit_cast<std::uint64_t>(values[i]));
      } else {
        put_le<8>(raw, static_cast<std::uint64_t>(static_cast<std::int64_t>(values[i])));
      }
    }
    t.raw(9, raw);  // raw_data, little-endian
    graph_.message(5, t);  // initializer
    return std::string(name);
  }

  /// Adds `op(inputs) -> output` with integer attributes; returns the output's name (a fresh
  /// one unless `name` is given).
  std::string node(std::string_view op, std::initializer_list<std::string_view> inputs,
                   std::initializer_list<std::pair<std::string_view, std::int64_t>> attributes = {},
                   std::string_view name = {}) {
    return node(op, std::span<const std::string_view>(inputs.begin(), inputs.size()), attributes, name);
  }
  /// The same with a run-time number of inputs (Concat).
  std::string node(std::string_view op, std::span<const std::string_view> inputs,
                   std::initializer_list<std::pair<std::string_view, std::int64_t>> attributes = {},
                   std::string_view name = {}) {
    const std::string output = name.empty() ? "t" + std::to_string(count_++) : std::string(name);
    Message n;
    for (const std::string_view in : inputs) n.string(1, in);  // input
    n.string(2, output);                                       // output
    n.string(3, output);                                       // name
    n.string(4, op);                                           // op_type
    for (const auto& [name, value] : attributes) {
      Message a;
      a.string(1, name).int64(3, value).int64(20, attribute_int);  // name, i, type
      n.message(5, a);
    }
    graph_.message(1, n);  // node
    return output;
  }

  /// A graph input or output: `name` of element type `type`, shape [batch, size] (or [batch]
  /// when `size` is 0).
  void value(int field, std::string_view name, int type, Index size) {
    Message dim_batch, dim_size, shape, tensor, type_proto, info;
    dim_batch.string(2, "batch");  // dim_param
    shape.message(1, dim_batch);
    if (size > 0) {
      dim_size.int64(1, size);  // dim_value
      shape.message(1, dim_size);
    }
    tensor.int64(1, type).message(2, shape);  // elem_type, shape
    type_proto.message(1, tensor);            // tensor_type
    info.string(1, name).message(2, type_proto);
    graph_.message(field, info);
  }

  /// The model around the graph.
  [[nodiscard]] std::vector<std::uint8_t> model() {
    graph_.string(2, "theta_policy");  // name
    Message opset;
    opset.string(1, "").int64(2, 13);  // the default domain, opset 13
    Message m;
    m.int64(1, 8);                // ir_version
    m.string(2, "theta");         // producer_name
    m.message(7, graph_);         // graph
    m.message(8, opset);          // opset_import
    return m.bytes();
  }

 private:
  Message graph_;
  int count_ = 0;
};

}  // namespace detail::onnx

/// The policy as the bytes of an ONNX model. Input `observation`: [batch, obs] in the policy's
/// scalar type; output `action`: [batch] int64 indices (argmax), [batch, D] int64 indices
/// (multi_argmax: one per dimension) or [batch, size] actions. The normaliser runs in double as
/// `ObservationNormalizer::normalize` (Cast, Sub, Mul, Cast, Max, Min); each layer is a Gemm
/// with transB and its activation; the transform is ArgMax; for multi_argmax, per dimension a
/// Slice of its nvec[d] outputs and an ArgMax, then a Concat; otherwise Slice, (Tanh, Mul,
/// Add,) Max and Min with the bounds. Policies that act under action masks (masked_argmax,
/// masked_multi_argmax) are refused: the graph has no mask input.
template <Real T>
[[nodiscard]] std::vector<std::uint8_t> onnx_model(const PolicyDescription<T>& policy) {
  (void)policy_writer(policy);  // the same checks as export_policy
  // Issue 15: a masked policy's action depends on a mask input this graph does not have yet;
  // exporting its plain argmax would take invalid actions.
  require<ConfigError>(!takes_action_mask(policy.transform),
                       "export_onnx: the policy acts under action masks (transform {}, a MaskedEnvironment); the ONNX "
                       "export has no mask input: use theta/inference.hpp, whose predict(observation, valid) applies "
                       "the mask",
                       to_string(policy.transform));
  // A recurrent policy carries a state from call to call; this graph is stateless.
  require<ConfigError>(!policy.recurrent,
                       "export_onnx: the policy is recurrent (a GRU or LSTM carrying its state from step to step); the "
                       "ONNX export has no state inputs and outputs: use theta/inference.hpp, whose predict carries the "
                       "state (reset() at each episode start)");
  using detail::onnx::Graph;
  const nn::Mlp<T>& net = *policy.network;
  constexpr int type = detail::onnx::tensor_type<T>;
  Graph g;
  std::string x = "observation";
  if (policy.normalizer != nullptr) {
    const ObservationNormalizer& norm = *policy.normalizer;
    const Index n = net.inputs();
    Eigen::VectorXd inv_std(n);
    theta::detail::inverse_std(norm.statistics().var(), norm.config().epsilon, inv_std);
    const auto clip = static_cast<double>(static_cast<T>(norm.config().clip));
    const std::string mean = g.constant<double>("obs_mean", {n}, norm.statistics().mean());
    const std::string scale = g.constant<double>("obs_inv_std", {n}, inv_std);
    const std::string lo = g.constant<T>("obs_clip_low", {}, Eigen::VectorXd::Constant(1, -clip));
    const std::string hi = g.constant<T>("obs_clip_high", {}, Eigen::VectorXd::Constant(1, clip));
    x = g.node("Cast", {x}, {{"to", detail::onnx::tensor_double}});
    x = g.node("Sub", {x, mean});
    x = g.node("Mul", {x, scale});
    x = g.node("Cast", {x}, {{"to", type}});
    x = g.node("Max", {x, lo});
    x = g.node("Min", {x, hi});
  }
  for (Index l = 0; l < net.num_layers(); ++l) {
    const auto layer = net.layer(l);
    // ONNX stores row-major: W (out x in) row-major is our column-major W^T.
    const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> wt = layer.weight().transpose();
    const std::string w = g.constant<T>("w" + std::to_string(l), {layer.outputs(), layer.inputs()},
                                        Eigen::Map<const Vector<T>>(wt.data(), wt.size()).template cast<double>());
    const std::string b = g.constant<T>("b" + std::to_string(l), {layer.outputs()}, layer.bias().template cast<double>());
    x = g.node("Gemm", {x, w, b}, {{"transB", 1}});
    switch (net.activation(l)) {
      case nn::Activation::identity: break;
      case nn::Activation::tanh: x = g.node("Tanh", {x}); break;
      case nn::Activation::relu: x = g.node("Relu", {x}); break;
      case nn::Activation::sigmoid: x = g.node("Sigmoid", {x}); break;
      case nn::Activation::elu: x = g.node("Elu", {x}); break;  // alpha 1, ONNX's default
    }
  }
  const Index size = policy.action_size;
  const bool multi = policy.transform == ActionTransform::multi_argmax;
  if (policy.transform == ActionTransform::argmax) {
    x = g.node("ArgMax", {x}, {{"axis", 1}, {"keepdims", 0}});  // the first maximum, as theta
  } else if (multi) {
    // Dimension d's logits are columns [o_d, o_d + nvec[d]); each ArgMax keeps its axis, so the
    // Concat of the D columns is [batch, D], as inference::Policy::predict returns them.
    std::vector<std::string> columns;
    std::int64_t offset = 0;
    for (std::size_t d = 0; d < policy.nvec.size(); ++d) {
      const std::string id = std::to_string(d);
      const auto end = offset + policy.nvec[d];
      const std::string starts = g.constant<std::int64_t>("dim" + id + "_start", {1}, Eigen::VectorXd::Constant(1, double(offset)));
      const std::string ends = g.constant<std::int64_t>("dim" + id + "_end", {1}, Eigen::VectorXd::Constant(1, double(end)));
      const std::string axes = g.constant<std::int64_t>("dim" + id + "_axis", {1}, Eigen::VectorXd::Ones(1));
      const std::string logits = g.node("Slice", {x, starts, ends, axes});
      columns.push_back(g.node("ArgMax", {logits}, {{"axis", 1}, {"keepdims", 1}}));  // the first maximum
      offset = end;
    }
    const std::vector<std::string_view> inputs(columns.begin(), columns.end());
    x = g.node("Concat", std::span<const std::string_view>(inputs), {{"axis", 1}});
  } else {
    if (net.outputs() > size) {
      const std::string starts = g.constant<std::int64_t>("slice_start", {1}, Eigen::VectorXd::Zero(1));
      const std::string ends = g.constant<std::int64_t>("slice_end", {1}, Eigen::VectorXd::Constant(1, double(size)));
      const std::string axes = g.constant<std::int64_t>("slice_axis", {1}, Eigen::VectorXd::Ones(1));
      x = g.node("Slice", {x, starts, ends, axes});
    }
    if (policy.transform == ActionTransform::tanh_rescale) {
      const std::string scale = g.constant<T>("action_scale", {size}, (policy.high - policy.low) / 2.0);
      const std::string offset = g.constant<T>("action_offset", {size}, (policy.high + policy.low) / 2.0);
      x = g.node("Tanh", {x});
      x = g.node("Mul", {x, scale});
      x = g.node("Add", {x, offset});
    }
    const std::string lo = g.constant<T>("action_low", {size}, policy.low);
    const std::string hi = g.constant<T>("action_high", {size}, policy.high);
    x = g.node("Max", {x, lo});
    x = g.node("Min", {x, hi});
  }
  // The output has a fixed name: an Identity node called `action`.
  (void)g.node("Identity", {x}, {}, "action");
  g.value(11, "observation", type, net.inputs());
  g.value(12, "action", is_discrete(policy.transform) ? detail::onnx::tensor_int64 : type,
          policy.transform == ActionTransform::argmax ? 0 : size);
  return g.model();
}

/// Writes the ONNX model atomically (`write_file_atomically`).
///
///     theta::io::export_onnx("pendulum.onnx", trainer.policy_description());
template <Real T>
void export_onnx(const std::filesystem::path& path, const PolicyDescription<T>& policy) {
  write_file_atomically(path, onnx_model(policy));
}

}  // namespace theta::io
