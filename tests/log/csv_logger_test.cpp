// CsvLogger's guards (issue 13): an existing file is refused unless a mode says otherwise,
// appending keeps one header, and failed writes are reported.
#include <theta/log/csv_logger.hpp>

#include <catch2/catch.hpp>

#include "support/read_file.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
}

theta::LogRecord record(double reward) {
  theta::LogRecord r;
  r.set("rollout/reward", reward);
  r.set("train/loss", 0.5);
  return r;
}

// A fresh, empty directory per test case.
std::filesystem::path scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("theta_csv_logger_test_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("CsvLogger refuses an existing file by default and leaves it untouched", "[unit]") {
  const auto path = scratch("refuse") / "run.csv";
  write_file(path, "step,a\n1,2\n");
  REQUIRE_THROWS_WITH(theta::CsvLogger(path),
                      "CsvLogger: '" + path.string() +
                          "' exists; pass theta::CsvMode::overwrite to replace it or theta::CsvMode::append to add "
                          "rows to it");
  CHECK(theta::test::read_file(path) == "step,a\n1,2\n");
}

TEST_CASE("CsvLogger creates a missing file in every mode", "[unit]") {
  const auto dir = scratch("create");
  for (const theta::CsvMode mode : {theta::CsvMode::create_new, theta::CsvMode::overwrite, theta::CsvMode::append}) {
    const auto path = dir / fmt::format("run{}.csv", static_cast<int>(mode));
    {
      theta::CsvLogger csv(path, {}, mode);
      csv.write(record(1.5), 10);
    }
    CHECK(theta::test::read_file(path) == "step,rollout/reward,train/loss\n10,1.5,0.5\n");
  }
}

TEST_CASE("CsvMode::overwrite replaces an existing file", "[unit]") {
  const auto path = scratch("overwrite") / "run.csv";
  write_file(path, "step,old\n1,2\n");
  {
    theta::CsvLogger csv(path, theta::CsvMode::overwrite);
    csv.write(record(3), 5);
  }
  CHECK(theta::test::read_file(path) == "step,rollout/reward,train/loss\n5,3,0.5\n");
}

TEST_CASE("CsvMode::append continues a file with the same header", "[unit]") {
  const auto path = scratch("append") / "run.csv";
  {
    theta::CsvLogger first(path);
    first.write(record(1), 100);
  }
  SECTION("columns from the first record") {
    {
      theta::CsvLogger second(path, theta::CsvMode::append);
      second.write(record(2), 200);
    }
    CHECK(theta::test::read_file(path) == "step,rollout/reward,train/loss\n100,1,0.5\n200,2,0.5\n");
  }
  SECTION("declared columns") {
    {
      theta::CsvLogger second(path, {"rollout/reward", "train/loss"}, theta::CsvMode::append);
      second.write(record(2), 200);
    }
    CHECK(theta::test::read_file(path) == "step,rollout/reward,train/loss\n100,1,0.5\n200,2,0.5\n");
  }
  SECTION("an empty file gets the header") {
    write_file(path, "");
    {
      theta::CsvLogger second(path, theta::CsvMode::append);
      second.write(record(2), 200);
    }
    CHECK(theta::test::read_file(path) == "step,rollout/reward,train/loss\n200,2,0.5\n");
  }
}

TEST_CASE("CsvMode::append refuses a file whose header differs", "[unit]") {
  const auto path = scratch("append_mismatch") / "run.csv";
  const std::string before = "step,rollout/reward\n100,1\n";
  write_file(path, before);
  const std::string message = "CsvLogger: cannot append to '" + path.string() +
                              "': its header is 'step,rollout/reward', this logger's columns give "
                              "'step,rollout/reward,train/loss' (write to another file, or pass "
                              "theta::CsvMode::overwrite to replace it)";
  SECTION("declared columns: at construction") {
    REQUIRE_THROWS_WITH(theta::CsvLogger(path, {"rollout/reward", "train/loss"}, theta::CsvMode::append), message);
  }
  SECTION("columns from the first record: at the first write") {
    theta::CsvLogger csv(path, theta::CsvMode::append);
    REQUIRE_THROWS_WITH(csv.write(record(2), 200), message);
  }
  CHECK(theta::test::read_file(path) == before);
}

TEST_CASE("CsvLogger reports failed writes and flushes naming the file", "[unit]") {
  // /dev/full accepts the open and fails every write with ENOSPC.
  if (!std::filesystem::exists("/dev/full")) {
    WARN("no /dev/full here: the write-failure test is skipped");
    return;
  }
  theta::CsvLogger csv("/dev/full", theta::CsvMode::overwrite);
  REQUIRE_THROWS_WITH(csv.write(record(1), 1), Catch::StartsWith("CsvLogger: writing to '/dev/full' failed: ") &&
                                                    Catch::Contains("No space left on device"));
}

TEST_CASE("CsvLogger names a file it cannot open", "[unit]") {
  const auto dir = scratch("unopenable");
  // A directory cannot be opened for writing.
  REQUIRE_THROWS_WITH(theta::CsvLogger(dir, theta::CsvMode::overwrite),
                      Catch::StartsWith("CsvLogger: cannot open '" + dir.string() + "' for writing: "));
}
