#pragma once
// Shared by the trainer tests.

#include <theta/core/exceptions.hpp>
#include <theta/policy/network.hpp>

#include <cstdint>
#include <string>

namespace theta::test {

/// One hidden layer of 8: the smallest network the trainer tests train.
inline const theta::NetworkConfig tiny{.hidden = {8}};

/// Trains until `learn` returns or throws; the message of the NumericalError, or "" if none.
template <class Trainer>
std::string diverge(Trainer& trainer, std::int64_t steps) {
  try {
    trainer.learn(steps);
  } catch (const theta::NumericalError& e) {
    return e.what();
  }
  return "";
}

}  // namespace theta::test
