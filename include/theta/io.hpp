#pragma once
/// \file The io group: checkpoints (format, writer, reader, atomic save).

#include <theta/io/checkpoint.hpp>
#include <theta/io/policy_export.hpp>
