#pragma once
/// \file The io group: checkpoints (format, writer, reader, atomic save), policy export, ONNX export.

#include <theta/io/checkpoint.hpp>
#include <theta/io/onnx.hpp>
#include <theta/io/policy_export.hpp>
