// IncidentResponse allocates nothing in reset, step and action_mask (the environment contract's
// hot path), counted by the two detectors of support/allocation_counter.hpp, which must come first.
#include "support/allocation_counter.hpp"

#include "incident_response.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdint>

TEST_CASE("IncidentResponse: reset, step and action_mask allocate nothing", "[alloc]") {
  using theta::examples::IncidentResponse;
  IncidentResponse env;
  theta::Rng rng(3);
  std::array<bool, IncidentResponse::action_count> mask{};
  std::int64_t steps = 0;
  float checksum = 0;  // keeps the observations alive
  const theta::test::Allocations a = theta::test::count_allocations([&] {
    for (std::uint64_t episode = 0; episode < 500; ++episode) {
      checksum += env.reset(episode).sum();
      for (;;) {
        env.action_mask(mask);
        const auto step = env.step(static_cast<int>(rng.below(IncidentResponse::action_count)));
        checksum += step.observation.sum();
        ++steps;
        if (step.terminated || step.truncated) break;
      }
    }
  });
  CHECK(a.eigen == 0);
  CHECK(a.news == 0);
  CHECK(steps > 1000);  // refusals, restores and every other branch ran
  CHECK(std::isfinite(checksum));
}
