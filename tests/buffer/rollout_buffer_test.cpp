#include <theta/buffer/rollout_buffer.hpp>

#include <catch2/catch.hpp>

using theta::RolloutBuffer;

TEST_CASE("RolloutBuffer rejects bad sizes", "[unit]") {
  REQUIRE_THROWS_WITH(RolloutBuffer<float>(0, 1, 1, 1), Catch::Contains("n_steps must be > 0, got 0"));
  REQUIRE_THROWS_WITH(RolloutBuffer<float>(1, 1, 1, 1, -1), Catch::Contains("context_rows must be >= 0, got -1"));
  RolloutBuffer<float> buffer(2, 3, 4, 1);
  REQUIRE(buffer.observations(1).cols() == 3);
  REQUIRE(buffer.observations(1).rows() == 4);
}

TEST_CASE("RolloutBuffer: the batch view covers the used steps, time-major", "[unit]") {
  RolloutBuffer<double> buffer(3, 2, 2, 1, /*context_rows=*/1);
  for (theta::Index t = 0; t < 3; ++t) {
    for (theta::Index e = 0; e < 2; ++e) {
      buffer.observations(t).col(e).setConstant(10.0 * static_cast<double>(t) + static_cast<double>(e));
      buffer.actions(t)(0, e) = static_cast<double>(e);
      buffer.contexts(t)(0, e) = static_cast<double>(t);
      buffer.log_probs(t)[e] = -static_cast<double>(t);
    }
  }
  buffer.set_used_steps(2);
  const theta::RolloutBatch<double> batch = buffer.batch();
  REQUIRE(batch.size() == 4);
  REQUIRE(batch.observations.cols() == 4);
  REQUIRE(batch.observations(0, buffer.column(1, 1)) == 11.0);
  REQUIRE(batch.actions(0, 3) == 1.0);
  REQUIRE(batch.contexts.rows() == 1);
  REQUIRE(batch.contexts(0, 2) == 1.0);
  REQUIRE(batch.log_probs[2] == -1.0);
  REQUIRE(batch.advantages.size() == 4);
  REQUIRE_THROWS_WITH(buffer.set_used_steps(4), Catch::Contains("used steps must be in [1, 3], got 4"));
}
