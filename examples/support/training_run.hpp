#pragma once
// What every training example does with its flags (docs/examples.md): load --resume, train
// --steps with a progress bar (and the --csv curve), write --save and --export. Not part of
// the library: the examples and their tests share it.

#include <theta/theta.hpp>

#include <fmt/core.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "command_line.hpp"

namespace theta::examples {

/// Loads `flags.resume` into `trainer` (when given), trains `steps` more steps with a progress
/// bar (and the CSV curve: replaced, or appended to when resuming) and the callbacks, then
/// writes `flags.save` and `flags.export_path` (when given). A checkpoint that cannot be loaded
/// or a file that cannot be written ends the program with status 1 and the error's message.
///
///     const theta::TrainingResult result = theta::examples::run_training(trainer, flags, steps);
template <class Trainer, class... Callbacks>
TrainingResult run_training(Trainer& trainer, const TrainingFlags& flags, std::int64_t steps, Callbacks&... callbacks) {
  const auto fail = [](const theta::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    std::exit(1);
  };
  if (!flags.resume.empty()) {
    try {
      const LoadResult loaded = trainer.load(flags.resume);
      fmt::print("resumed from {} at step {}{}{}\n", flags.resume.string(), trainer.steps(),
                 loaded.message.empty() ? "" : ": ", loaded.message);
    } catch (const CheckpointError& e) {
      fail(e);
    }
  }
  TrainingResult result;
  if (flags.csv.empty()) {
    result = trainer.learn(steps, ProgressBar(steps), callbacks...);
  } else {
    CsvLogger csv = [&] {
      try {
        return CsvLogger(flags.csv, flags.resume.empty() ? CsvMode::overwrite : CsvMode::append);
      } catch (const Error& e) {
        fail(e);
      }
      std::abort();  // unreachable: fail exits
    }();
    result = trainer.learn(steps, MultiLogger(ProgressBar(steps), std::move(csv)), callbacks...);
  }
  try {
    if (!flags.save.empty()) trainer.save(flags.save);
    if (!flags.export_path.empty()) trainer.export_policy(flags.export_path);
  } catch (const Error& e) {
    fail(e);
  }
  return result;
}

}  // namespace theta::examples
