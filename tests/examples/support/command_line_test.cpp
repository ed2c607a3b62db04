// The examples' and benchmarks' command-line parser (examples/support/command_line.hpp),
// through its non-exiting try_parse.
#include "command_line.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

namespace {

using theta::examples::CommandLine;
using theta::examples::ParseOutcome;
using Status = ParseOutcome::Status;

// A program with one flag of every kind, the variables holding their defaults.
struct Program {
  std::int64_t steps = 1000;
  std::uint64_t seed = 3;
  double rate = 0.5;
  std::string preset = "zoo";
  std::filesystem::path csv;
  std::vector<std::uint64_t> seeds{0, 1, 2};
  std::vector<std::string> scenarios;
  bool white = false;
  CommandLine cli{"prog", "a test program"};

  Program() {
    cli.add("--steps", steps, "N", "steps to train", {.min = 1});
    cli.add("--seed", seed, "S", "seed");
    cli.add("--rate", rate, "X", "a rate in [0, 1]", {.min = 0.0, .max = 1.0});
    cli.add("--preset", preset, "NAME", "preset");
    cli.add("--csv", csv, "FILE", "learning curve");
    cli.add("--seeds", seeds, "S,S,...", "seeds");
    cli.add("--scenario", scenarios, "ID", "scenarios");
    cli.add("--white", white, "white noise");
  }
  ParseOutcome parse(std::initializer_list<const char*> args) {
    std::vector<const char*> argv{"prog"};
    argv.insert(argv.end(), args.begin(), args.end());
    return cli.try_parse(static_cast<int>(argv.size()), argv.data());
  }
};

// The outcome must be an error whose message contains `part`.
void require_error(const ParseOutcome& outcome, const std::string& part) {
  INFO("error: " << outcome.error);
  REQUIRE(outcome.status == Status::error);
  CHECK_THAT(outcome.error, Catch::Contains(part));
}

}  // namespace

TEST_CASE("CommandLine: no arguments keeps every default", "[unit]") {
  Program p;
  REQUIRE(p.parse({}).status == Status::ok);
  CHECK(p.steps == 1000);
  CHECK(p.seed == 3);
  CHECK(p.rate == 0.5);
  CHECK(p.preset == "zoo");
  CHECK(p.csv.empty());
  CHECK(p.seeds == std::vector<std::uint64_t>{0, 1, 2});
  CHECK(p.scenarios.empty());
  CHECK_FALSE(p.white);
}

TEST_CASE("CommandLine: every kind of value is parsed into its variable", "[unit]") {
  Program q;
  REQUIRE(q.parse({"--steps", "250", "--seed=18446744073709551615", "--rate", "1e-1", "--preset", "rltools", "--csv",
                   "runs/a.csv", "--seeds", "4,5", "--scenario", "a", "--scenario", "b,c", "--white"})
              .status == Status::ok);
  CHECK(q.steps == 250);
  CHECK(q.seed == UINT64_MAX);
  CHECK(q.rate == 0.1);
  CHECK(q.preset == "rltools");
  CHECK(q.csv == std::filesystem::path("runs/a.csv"));
  CHECK(q.seeds == std::vector<std::uint64_t>{4, 5});  // the first occurrence replaces the default
  CHECK(q.scenarios == std::vector<std::string>{"a", "b", "c"});  // repeats append
  CHECK(q.white);
}

TEST_CASE("CommandLine: --help asks for the usage", "[unit]") {
  Program p;
  CHECK(p.parse({"--steps", "5", "--help"}).status == Status::help);
  CHECK(p.parse({"-h"}).status == Status::help);
  const std::string usage = p.cli.usage();
  CHECK(usage == "usage: prog [--steps N] [--seed S] [--rate X] [--preset NAME] [--csv FILE] [--seeds S,S,... ...] "
                 "[--scenario ID ...] [--white]\n");
  const std::string help = p.cli.options_help();
  CHECK_THAT(help, Catch::Contains("steps to train (default 1000)"));
  CHECK_THAT(help, Catch::Contains("seeds (default 0,1,2)"));
}

TEST_CASE("CommandLine: unknown flags, missing values and repeats are errors", "[unit]") {
  Program p;
  require_error(p.parse({"--step", "5"}), "unknown option '--step'");
  require_error(Program().parse({"--steps"}), "--steps needs a value (N)");
  require_error(Program().parse({"--steps", "--seed", "1"}), "--steps needs a value (N)");
  require_error(Program().parse({"--seed", "1", "--seed", "2"}), "--seed is given more than once");
  require_error(Program().parse({"--white", "--white"}), "--white is given more than once");
  require_error(Program().parse({"--white=1"}), "--white takes no value");
  require_error(Program().parse({"stray"}), "unexpected argument 'stray'");
}

TEST_CASE("CommandLine: bad numbers are errors naming the flag and the text", "[unit]") {
  require_error(Program().parse({"--steps", "abc"}), "--steps: expected an integer, got 'abc'");
  require_error(Program().parse({"--steps", "12x"}), "--steps: expected an integer, got '12x' (trailing 'x')");
  require_error(Program().parse({"--steps", "1.5"}), "trailing '.5'");
  require_error(Program().parse({"--steps", ""}), "--steps: expected an integer, got ''");
  require_error(Program().parse({"--steps=0"}), "--steps: must be >= 1, got 0");
  require_error(Program().parse({"--steps", "-5"}), "--steps: must be >= 1, got -5");
  require_error(Program().parse({"--steps", "99999999999999999999"}),
                "--steps: '99999999999999999999' is out of range");
  require_error(Program().parse({"--seed", "-1"}), "--seed: expected a non-negative integer, got '-1'");
  require_error(Program().parse({"--seed", "18446744073709551616"}), "out of range");
  require_error(Program().parse({"--seed", " 1"}), "expected a non-negative integer");
  require_error(Program().parse({"--rate", "nan"}), "--rate: expected a finite number, got 'nan'");
  require_error(Program().parse({"--rate", "inf"}), "expected a finite number");
  require_error(Program().parse({"--rate", "1.5"}), "--rate: must be <= 1, got 1.5");
  require_error(Program().parse({"--rate", "1e999"}), "out of range");
  require_error(Program().parse({"--seeds", "1,,2"}), "--seeds: a list item is empty");
  require_error(Program().parse({"--seeds", "1,x"}), "--seeds: expected a non-negative integer, got 'x'");
  require_error(Program().parse({"--csv="}), "--csv: the path is empty");
}

TEST_CASE("CommandLine: positional arguments are required and parsed in order", "[unit]") {
  std::filesystem::path assets;
  std::int64_t steps = 10;
  CommandLine cli("prog", "with a positional argument");
  cli.add_positional("ASSETS", assets, "the assets folder");
  cli.add("--steps", steps, "N", "steps", {.min = 1});
  const char* none[] = {"prog", "--steps", "3"};
  const ParseOutcome missing = cli.try_parse(3, none);
  require_error(missing, "missing argument ASSETS");

  CommandLine cli2("prog", "with a positional argument");
  cli2.add_positional("ASSETS", assets, "the assets folder");
  cli2.add("--steps", steps, "N", "steps", {.min = 1});
  const char* args[] = {"prog", "--steps", "3", "/tmp/assets"};
  REQUIRE(cli2.try_parse(4, args).status == Status::ok);
  CHECK(assets == std::filesystem::path("/tmp/assets"));
  CHECK(steps == 3);
  CHECK(cli2.usage() == "usage: prog ASSETS [--steps N]\n");
  const char* extra[] = {"prog", "/a", "/b"};
  require_error(cli2.try_parse(3, extra), "unexpected argument '/b'");
}

TEST_CASE("CommandLine: pass-through arguments are collected for another parser", "[unit]") {
  std::vector<std::string> forwarded;
  std::int64_t steps = 10;
  CommandLine cli("prog", "with pass-through");
  cli.add("--steps", steps, "N", "steps", {.min = 1});
  cli.add_pass_through("--benchmark_", forwarded, "Google Benchmark's flags");
  const char* args[] = {"prog", "--benchmark_filter=nn", "--steps", "4", "--benchmark_min_time=0.1"};
  REQUIRE(cli.try_parse(5, args).status == Status::ok);
  CHECK(forwarded == std::vector<std::string>{"--benchmark_filter=nn", "--benchmark_min_time=0.1"});
  CHECK(steps == 4);
  CHECK(cli.usage() == "usage: prog [--steps N] [--benchmark_...]\n");
  const char* unknown[] = {"prog", "--bench"};
  require_error(cli.try_parse(2, unknown), "unknown option '--bench'");
}
