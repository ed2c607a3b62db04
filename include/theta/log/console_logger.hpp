#pragma once
/// \file ConsoleLogger: a Stable-Baselines3-style table of the record, through fmt.

#include <theta/log/logger.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace theta {

/// Prints each record as a two-column table, grouped by the prefix before '/':
///
///     -----------------------------------------
///     | rollout/                |             |
///     |    ep_len_mean          | 212         |
///     |    ep_rew_mean          | 212         |
///     | time/                   |             |
///     |    fps                  | 412731      |
///     ...
/// `every` prints only every n-th record (the others are dropped).
class ConsoleLogger {
 public:
  explicit ConsoleLogger(std::FILE* out = stdout, int every = 1) : out_(out), every_(std::max(every, 1)) {}

  void write(const LogRecord& record, std::int64_t step) {
    if (count_++ % every_ != 0) return;
    std::string table;
    const auto fmt_value = [](double v) {
      if (v == std::round(v) && std::abs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
      return fmt::format("{:.4g}", v);
    };
    std::size_t key_width = 10, value_width = 10;
    for (const auto& [k, v] : record.entries()) {
      const auto slash = k.find('/');
      key_width = std::max(key_width, (slash == std::string::npos ? k.size() : k.size() - slash - 1) + 4);
      key_width = std::max(key_width, slash == std::string::npos ? 0 : slash + 2);
      value_width = std::max(value_width, fmt_value(v).size());
    }
    value_width = std::max(value_width, fmt::formatted_size("{}", step));
    const std::string rule(key_width + value_width + 7, '-');
    table += rule + '\n';
    std::string group;
    for (const auto& [k, v] : record.entries()) {
      const auto slash = k.find('/');
      const std::string g = slash == std::string::npos ? std::string() : k.substr(0, slash + 1);
      const std::string name = slash == std::string::npos ? k : k.substr(slash + 1);
      if (g != group && !g.empty()) {
        table += fmt::format("| {:<{}} | {:<{}} |\n", g, key_width, "", value_width);
        group = g;
      }
      table += fmt::format("| {:<{}} | {:<{}} |\n", (g.empty() ? name : "   " + name), key_width, fmt_value(v),
                           value_width);
    }
    table += fmt::format("| {:<{}} | {:<{}} |\n", "total_timesteps", key_width, step, value_width);
    table += rule + '\n';
    std::fputs(table.c_str(), out_);
    std::fflush(out_);
  }
  void close() { std::fflush(out_); }

 private:
  std::FILE* out_;
  int every_;
  long long count_ = 0;
};

}  // namespace theta
