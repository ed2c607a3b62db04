#pragma once
/// \file CsvLogger: one row per update, for plotting learning curves.

#include <theta/core/error.hpp>
#include <theta/log/logger.hpp>

#include <fmt/core.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace theta {

/// Writes `step,<keys...>` rows to a CSV file. The columns are the keys of the first record,
/// or the list given to the constructor (name keys that appear only in some records, such as
/// `eval/mean_reward`, there); a record that lacks a column leaves the cell empty, and keys
/// outside the columns are ignored (a CSV cannot grow columns). Values are written with full
/// precision. Each row is flushed, so a crashed run keeps its curve.
///
///     theta::CsvLogger csv("runs/ppo_cartpole.csv");
class CsvLogger {
 public:
  explicit CsvLogger(const std::filesystem::path& path, std::vector<std::string> columns = {})
      : path_(path), columns_(std::move(columns)) {
    std::error_code ec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    require<Error>(!ec, "CsvLogger: cannot create the directory of '{}': {}", path.string(), ec.message());
    file_.reset(std::fopen(path.c_str(), "w"));
    require<Error>(file_ != nullptr, "CsvLogger: cannot open '{}' for writing", path.string());
  }

  void write(const LogRecord& record, std::int64_t step) {
    if (!header_written_) {
      if (columns_.empty())
        for (const auto& [k, v] : record.entries()) columns_.push_back(k);
      std::string header = "step";
      for (const auto& k : columns_) header += "," + k;
      std::fputs((header + "\n").c_str(), file_.get());
      header_written_ = true;
    }
    std::string row = fmt::format("{}", step);
    for (const auto& key : columns_) {
      row += ',';
      if (record.contains(key)) row += fmt::format("{}", record.get(key));
    }
    row += '\n';
    std::fputs(row.c_str(), file_.get());
    std::fflush(file_.get());
  }
  void close() {
    if (file_) std::fflush(file_.get());
  }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::filesystem::path path_;
  std::unique_ptr<std::FILE, Closer> file_;
  std::vector<std::string> columns_;
  bool header_written_ = false;
};

}  // namespace theta
