#include <theta/core/checked_add.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

TEST_CASE("checked_add gives the sum or nothing; saturating_add clamps", "[unit]") {
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t min = std::numeric_limits<std::int64_t>::min();
  STATIC_REQUIRE(theta::checked_add<std::int64_t>(2, 3) == 5);
  STATIC_REQUIRE(!theta::checked_add<std::int64_t>(max, 1));
  STATIC_REQUIRE(!theta::checked_add<std::int64_t>(min, -1));
  STATIC_REQUIRE(theta::checked_add<std::int64_t>(max, 0) == max);
  STATIC_REQUIRE(theta::saturating_add<std::int64_t>(2048, max) == max);
  STATIC_REQUIRE(theta::saturating_add<std::int64_t>(-5, min) == min);
  STATIC_REQUIRE(theta::saturating_add<std::int64_t>(-5, 7) == 2);
}
