// theta-micro's main: the shared command line (examples/support/command_line.hpp) in front of
// Google Benchmark, so an unknown flag exits with status 2 and a usage line as in every other
// theta program. Google Benchmark's own flags (--benchmark_filter=..., --benchmark_format=...,
// all written --benchmark_name=value) pass through to it unchanged.
//
//   theta-micro --benchmark_filter=Mlp --benchmark_min_time=0.5
#include "command_line.hpp"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::vector<std::string> benchmark_flags;
  theta::examples::CommandLine cli("theta-micro", "micro-benchmarks of theta's environments, networks and optimizers");
  cli.add_pass_through("--benchmark_", benchmark_flags,
                       "Google Benchmark's flags, e.g. --benchmark_filter=REGEX --benchmark_format=json");
  cli.parse(argc, argv);

  std::vector<char*> args{argv[0]};
  for (std::string& flag : benchmark_flags) args.push_back(flag.data());
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;  // a --benchmark_ name it does not know
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
