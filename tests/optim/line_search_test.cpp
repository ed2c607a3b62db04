#include <theta/optim/line_search.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

TEST_CASE("backtracking_line_search tries 1, 0.8, 0.64, ... and returns the first accepted step", "[unit]") {
  std::vector<double> tried;
  const auto step = theta::backtracking_line_search(
      [&](double fraction) {
        tried.push_back(fraction);
        return fraction <= 0.5;
      },
      10);
  REQUIRE(step.has_value());
  CHECK(step->index == 4);  // 0.8^3 = 0.512 > 0.5 >= 0.8^4
  CHECK(step->fraction == Approx(0.4096).epsilon(1e-15));
  REQUIRE(tried.size() == 5);
  for (std::size_t k = 0; k < tried.size(); ++k) CHECK(tried[k] == Approx(std::pow(0.8, double(k))).epsilon(1e-15));
}

TEST_CASE("backtracking_line_search: accepts the full step, or nothing after max_steps", "[unit]") {
  const auto full = theta::backtracking_line_search([](double) { return true; }, 10);
  REQUIRE(full.has_value());
  CHECK((full->index == 0 && full->fraction == 1.0));

  int calls = 0;
  double smallest = 1.0;
  const auto none = theta::backtracking_line_search(
      [&](double fraction) {
        ++calls;
        smallest = fraction;
        return false;
      },
      10, 0.5);
  CHECK_FALSE(none.has_value());
  CHECK(calls == 10);
  CHECK(smallest == std::ldexp(1.0, -9));  // 0.5^9, the last of 10 fractions

  REQUIRE_THROWS_WITH(theta::backtracking_line_search([](double) { return true; }, 0),
                      "backtracking_line_search: max_steps must be >= 1, got 0");
  REQUIRE_THROWS_WITH(theta::backtracking_line_search([](double) { return true; }, 5, 1.0),
                      "backtracking_line_search: shrink must be in (0, 1), got 1");
}
