#include <theta/core/thread_pool.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <vector>

TEST_CASE("ThreadPool covers every index exactly once", "[unit]") {
  for (std::size_t threads : {1, 2, 3, 5}) {
    theta::ThreadPool pool(threads);
    for (std::size_t n : {0, 1, 2, 7, 100}) {
      std::vector<int> hits(n, 0);
      pool.parallel_for(n, [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) ++hits[i];
      });
      for (const int h : hits) REQUIRE(h == 1);
    }
  }
}

TEST_CASE("ThreadPool rethrows the first failing chunk's exception", "[unit]") {
  theta::ThreadPool pool(3);
  REQUIRE_THROWS_WITH(pool.parallel_for(9,
                                        [](std::size_t begin, std::size_t) {
                                          throw std::runtime_error("chunk at " + std::to_string(begin));
                                        }),
                      "chunk at 0");
  // Still usable afterwards.
  std::atomic<int> count{0};
  pool.parallel_for(9, [&](std::size_t b, std::size_t e) { count += static_cast<int>(e - b); });
  REQUIRE(count == 9);
  REQUIRE_THROWS_WITH(theta::ThreadPool(0), Catch::Contains("threads must be >= 1, got 0"));
}
