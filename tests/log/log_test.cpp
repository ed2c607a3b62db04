#include <theta/log.hpp>

#include <catch2/catch.hpp>

#include "support/read_file.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {
std::string capture(const auto& fn) {
  std::FILE* f = std::tmpfile();
  fn(f);
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}
}  // namespace

TEST_CASE("Logger concept and LogRecord", "[concept]") {
  STATIC_REQUIRE(theta::Logger<theta::ConsoleLogger>);
  STATIC_REQUIRE(theta::Logger<theta::CsvLogger>);
  STATIC_REQUIRE(theta::Logger<theta::ProgressBar>);
  STATIC_REQUIRE(theta::Logger<theta::NullLogger>);
  STATIC_REQUIRE(theta::Logger<theta::MultiLogger<theta::NullLogger, theta::ConsoleLogger>>);
  STATIC_REQUIRE_FALSE(theta::Logger<int>);
  theta::LogRecord r;
  r.set("a/x", 1);
  r.set("b/y", 2);
  r.set("a/x", 3);
  REQUIRE(r.entries().size() == 2);
  REQUIRE(r.entries()[0].first == "a/x");
  REQUIRE(r.get("a/x") == 3);
  REQUIRE(r.get("missing", -1) == -1);
}

TEST_CASE("CsvLogger writes a header and one row per record, with full precision", "[unit]") {
  const auto path = std::filesystem::temp_directory_path() / "theta_log_test" / "run.csv";
  std::filesystem::remove_all(path.parent_path());
  {
    theta::CsvLogger csv(path);
    theta::LogRecord r;
    r.set("rollout/ep_rew_mean", 0.1);
    r.set("train/loss", 2.5);
    csv.write(r, 100);
    theta::LogRecord r2;
    r2.set("train/loss", 1.0 / 3.0);
    r2.set("new/key", 9);
    csv.write(r2, 200);
    csv.close();
  }
  REQUIRE(theta::test::read_file(path) == "step,rollout/ep_rew_mean,train/loss\n100,0.1,2.5\n200,,0.3333333333333333\n");
  REQUIRE_THROWS_WITH(theta::CsvLogger("/proc/definitely/not/writable.csv"), Catch::Contains("CsvLogger"));
}

TEST_CASE("ConsoleLogger prints an SB3-style table", "[unit]") {
  const std::string out = capture([](std::FILE* f) {
    theta::ConsoleLogger console(f);
    theta::LogRecord r;
    r.set("rollout/ep_rew_mean", 212.5);
    r.set("train/approx_kl", 0.0123);
    console.write(r, 4096);
  });
  REQUIRE_THAT(out, Catch::Contains("| rollout/"));
  REQUIRE_THAT(out, Catch::Contains("ep_rew_mean"));
  REQUIRE_THAT(out, Catch::Contains("212.5"));
  REQUIRE_THAT(out, Catch::Contains("0.0123"));
  REQUIRE_THAT(out, Catch::Contains("4096"));
}

TEST_CASE("ProgressBar prints plain lines when not on a terminal", "[unit]") {
  const std::string out = capture([](std::FILE* f) {
    theta::ProgressBar bar(1000, f, /*plain_interval=*/0.0);
    theta::LogRecord r;
    r.set("rollout/ep_rew_mean", 42.0);
    bar.write(r, 500);
    bar.write(r, 1000);
    bar.close();
  });
  REQUIRE_THAT(out, Catch::Contains("[##########..........]  50.0%  500/1000 steps"));
  REQUIRE_THAT(out, Catch::Contains("100.0%  1000/1000 steps"));
  REQUIRE_THAT(out, Catch::Contains("return 42.0"));
  REQUIRE(out.find('\r') == std::string::npos);
  REQUIRE(std::count(out.begin(), out.end(), '\n') == 2);
}

TEST_CASE("CsvLogger with declared columns keeps keys that appear later", "[unit]") {
  const auto path = std::filesystem::temp_directory_path() / "theta_log_test_columns" / "run.csv";
  std::filesystem::remove_all(path.parent_path());
  {
    theta::CsvLogger csv(path, {"rollout/ep_rew_mean", "eval/mean_reward"});
    theta::LogRecord r;
    r.set("rollout/ep_rew_mean", 1.5);
    r.set("other", 3);
    csv.write(r, 10);
    r.set("eval/mean_reward", 7);
    csv.write(r, 20);
  }
  REQUIRE(theta::test::read_file(path) == "step,rollout/ep_rew_mean,eval/mean_reward\n10,1.5,\n20,1.5,7\n");
}
