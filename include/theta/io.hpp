#pragma once
/// \file The io group: checkpoints (format, writer, reader, atomic save) and the binary
/// streams the normalizers still use.

#include <theta/io/binary_stream.hpp>
#include <theta/io/checkpoint.hpp>
