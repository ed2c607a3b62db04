// libFuzzer target over the checkpoint reader and the component loaders (issue 13): any input
// must either parse as the fixed schema of checkpoint_schema.hpp, and as that of
// component_schema.hpp, or raise theta::CheckpointError (and a failed component load must leave
// the component as it was). Any other exception (uncaught, so libFuzzer reports it), crash,
// abort, leak or undefined behaviour is a bug.
//
//   build/clang/tests/fuzz/fuzz_checkpoint tests/fuzz/corpus/checkpoint   # run until stopped
#include "checkpoint_schema.hpp"
#include "component_schema.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    theta::fuzz::read_fuzz_checkpoint(std::span(data, size));
  } catch (const theta::CheckpointError&) {
  }
  // The same input with its checksums made right, to fuzz what lies behind them.
  std::vector<std::uint8_t> repaired(data, data + size);
  theta::fuzz::repair_checksums(repaired);
  try {
    theta::fuzz::read_fuzz_checkpoint(repaired);
  } catch (const theta::CheckpointError&) {
  }
  try {
    theta::fuzz::read_component_checkpoint(repaired);
  } catch (const theta::CheckpointError&) {
  }
  return 0;
}
