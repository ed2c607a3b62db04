#pragma once
/// \file Whole-state checkpoints (issue 13): `CheckpointWriter` builds a little-endian,
/// checksummed file and saves it atomically; `CheckpointReader` validates it and reads it back.
/// docs/checkpoints.md has the byte layout.
///
/// The rule for every loader: load in two phases. First read everything into temporaries
/// (`reader.expect(...)`, every section, each cursor's `finish()`, `reader.finish()`); any of
/// these may throw `CheckpointError`. Only then commit, with assignments that cannot fail, so a
/// bad file leaves the object being loaded exactly as it was.

#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>
