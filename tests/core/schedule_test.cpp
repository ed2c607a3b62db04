// Tests include/theta/core/schedule.hpp (kept with the optimizer tests, its main user).
#include <theta/core/schedule.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using theta::Schedule;

TEST_CASE("Schedule: constant, from a number", "[unit]") {
  const Schedule lr = 3e-4;
  CHECK(lr.is_constant());
  for (const double p : {1.0, 0.5, 0.0}) CHECK(lr(p) == 3e-4);
  CHECK(Schedule::constant(0.2)(0.3) == 0.2);
}

TEST_CASE("Schedule: linear from start (progress 1) to end (progress 0)", "[unit]") {
  const Schedule clip = Schedule::linear(0.2, 0.05);
  CHECK_FALSE(clip.is_constant());
  CHECK(clip(1.0) == 0.2);
  CHECK(clip(0.0) == 0.05);
  CHECK(clip(0.5) == Approx(0.125).epsilon(1e-15));
  // To 0 it is exactly progress · start, the zoo's linear_schedule.
  const Schedule lr = Schedule::linear(1e-3, 0.0);
  for (const double p : {1.0, 0.731, 0.25, 1e-9}) CHECK(lr(p) == p * 1e-3);
}

TEST_CASE("Schedule: any callable, progress clamped to [0, 1]", "[unit]") {
  const Schedule squared = [](double p) { return p * p; };
  CHECK(squared(0.5) == 0.25);
  CHECK(squared(1.5) == 1.0);  // clamped
  const Schedule lr = Schedule::linear(1e-3, 0.0);
  CHECK(lr(-0.02) == 0.0);  // the last rollout overshooting the budget does not go negative
  CHECK(lr(2.0) == 1e-3);
  REQUIRE_THROWS_WITH(lr(std::nan("")), Catch::Contains("progress_remaining is NaN"));
  // Schedules are values: copies are independent.
  Schedule copy = squared;
  copy = 0.7;
  CHECK((copy(0.1) == 0.7 && squared(0.1) == Approx(0.01)));
}
