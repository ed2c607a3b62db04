#!/usr/bin/env bash
# theta's one-command driver for a fresh Debian 12 machine. Idempotent: re-running it installs
# nothing twice and rebuilds only what changed.
#
#   cmake/quickstart.sh example   install what is missing, build (release preset), train PPO on CartPole
#                                 (progress bar, evaluation, build/runs/ppo_cartpole.csv and .png)
#   cmake/quickstart.sh test      install what is missing, then the whole test suite:
#                                   1. release preset (-O3 -march=native): every test
#                                   2. sanitize preset (ASan + UBSan, clang++ -O0): the unit tests
#                                   3. tsan preset (ThreadSanitizer, clang++ -O1): the asynchronous tests
#                                      (A3C's workers, the Hogwild! optimizer steps; label async)
#                                   4. clang preset (clang++ -O3 -march=native): the Gymnasium conformance test
#                                      and the checkpoint fuzzer, 100,000 inputs from a fixed seed (label fuzz)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="$(nproc 2>/dev/null || echo 2)"

# Debian packages theta needs to build, test and benchmark.
packages=(cmake make g++ clang libeigen3-dev libfmt-dev catch2 libbenchmark-dev gnuplot-nox python3 libmujoco-dev libqhull-dev libgl-dev)

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]} == 0)); then
    return
  fi
  echo "quickstart: installing ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {  # build <preset> [targets...]
  local preset="$1"
  shift
  cmake --preset "$preset" >/dev/null
  if (($# > 0)); then
    cmake --build --preset "$preset" -j "$jobs" --target "$@"
  else
    cmake --build --preset "$preset" -j "$jobs"
  fi
}

case "${1:-}" in
  example)
    install_missing
    cmake --preset release -DTHETA_BUILD_BENCHMARKS=ON >/dev/null
    build release ppo_cartpole
    mkdir -p build/runs
    ./build/release/examples/ppo_cartpole --csv build/runs/ppo_cartpole.csv
    benchmarks/plot_learning_curve.sh build/runs/ppo_cartpole.csv build/runs/ppo_cartpole.png \
      rollout/ep_rew_mean "PPO on CartPole-v1"
    ;;
  test)
    install_missing
    # The benchmark programs are not tests: leave them out of this build (the example command
    # and a plain `cmake --preset release` build them).
    cmake --preset release -DTHETA_BUILD_BENCHMARKS=OFF >/dev/null
    cmake --build --preset release -j "$jobs"
    ctest --preset release -j "$jobs"
    build sanitize
    ctest --preset sanitize -j "$jobs" -LE "cmake|concept|learning|example|headers|fuzz"
    build tsan test_async
    ctest --preset tsan -L async
    build clang test_env_classic fuzz_checkpoint
    ctest --preset clang -R "env\.classic\.conformance"
    ctest --preset clang -L fuzz
    ;;
  *)
    echo "usage: cmake/quickstart.sh example|test" >&2
    exit 2
    ;;
esac
