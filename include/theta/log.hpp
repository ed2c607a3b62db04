#pragma once
/// \file The logging group: the Logger concept and the console, CSV and progress-bar sinks.

#include <theta/log/console_logger.hpp>
#include <theta/log/csv_logger.hpp>
#include <theta/log/logger.hpp>
#include <theta/log/progress_bar.hpp>
