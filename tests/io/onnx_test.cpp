// theta/io/onnx.hpp: the protobuf wire format written by hand, and the model's fixed parts.
// Running the models in ONNX Runtime is io.onnx_runtime (tests/io/onnx_check.js).

#include <catch2/catch.hpp>
#include <theta/io/onnx.hpp>
#include <theta/theta.hpp>

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

namespace {

bool contains(const std::vector<std::uint8_t>& bytes, std::string_view text) {
  return std::search(bytes.begin(), bytes.end(), text.begin(), text.end()) != bytes.end();
}

}  // namespace

TEST_CASE("protobuf fields in the wire format", "[unit]") {
  using theta::io::detail::protobuf::Message;
  // Field 1 varint 150: the protobuf documentation's example, 08 96 01.
  CHECK(Message().int64(1, 150).bytes() == std::vector<std::uint8_t>{0x08, 0x96, 0x01});
  // Field 2 string "testing": 12 07 74 65 73 74 69 6e 67.
  CHECK(Message().string(2, "testing").bytes() ==
        std::vector<std::uint8_t>{0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'});
  // Negative int64: ten bytes; field 20 needs a two-byte key (20 << 3 = 160: a0 01).
  CHECK(Message().int64(20, -1).bytes() ==
        std::vector<std::uint8_t>{0xa0, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
  // Field 2 fixed32 1.0f: 15 00 00 80 3f.
  CHECK(Message().float32(2, 1.0F).bytes() == std::vector<std::uint8_t>{0x15, 0x00, 0x00, 0x80, 0x3f});
  // A nested message is length-delimited.
  CHECK(Message().message(3, Message().int64(1, 150)).bytes() == std::vector<std::uint8_t>{0x1a, 0x03, 0x08, 0x96, 0x01});
}

TEST_CASE("An ONNX model of a policy: IR version, opset, ops, and equal bytes for equal policies", "[unit]") {
  using Env = theta::TimeLimit<theta::Pendulum>;
  const theta::NetworkConfig net{.hidden = {16}};
  theta::OnPolicyTrainer<Env, theta::ppo::Ppo> trainer({.n_envs = 2, .n_steps = 16, .normalize_observations = true},
                                                       {.batch_size = 32, .actor = net, .critic = net});
  trainer.learn(32);
  const auto model = theta::io::onnx_model(trainer.policy_description());
  REQUIRE(model.size() > 300);
  CHECK(model[0] == 0x08);  // ir_version ...
  CHECK(model[1] == 0x08);  // ... 8
  for (const char* op : {"Cast", "Sub", "Mul", "Max", "Min", "Gemm", "Tanh", "Identity", "observation", "action"}) {
    INFO(op);
    CHECK(contains(model, op));
  }
  CHECK(model == theta::io::onnx_model(trainer.policy_description()));

  theta::OffPolicyTrainer<Env> sac({.learning_starts = 10, .batch_size = 8}, {.actor = net, .critic = net});
  const auto squashed = theta::io::onnx_model(sac.policy_description());
  CHECK(contains(squashed, "Slice"));  // the mean half of [mean; log-std]
  CHECK(!contains(squashed, "Cast"));  // no normaliser

  theta::OnPolicyTrainer<theta::TimeLimit<theta::CartPole>, theta::a2c::A2c> discrete({.n_envs = 1},
                                                                                      {.actor = net, .critic = net});
  CHECK(contains(theta::io::onnx_model(discrete.policy_description()), "ArgMax"));
}
