#pragma once
/// \file CsvLogger: one row per update, for plotting learning curves.

#include <theta/core/error.hpp>
#include <theta/log/logger.hpp>

#include <fmt/core.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace theta {

/// What a `CsvLogger` does with a file that already exists.
///
///     theta::CsvLogger csv("runs/ppo.csv", {}, theta::CsvMode::append);  // continue a resumed run's curve
enum class CsvMode {
  create_new,  ///< refuse an existing file (the default: a previous run's curve is never lost)
  overwrite,   ///< replace an existing file (truncated when the logger is constructed)
  append,      ///< add rows to an existing file whose header is the logger's; create it otherwise
};

/// Writes `step,<keys...>` rows to a CSV file. The columns are the keys of the first record,
/// or the list given to the constructor (name keys that appear only in some records, such as
/// `eval/mean_reward`, there); a record that lacks a column leaves the cell empty, and keys
/// outside the columns are ignored (a CSV cannot grow columns). Values are written with full
/// precision. Each row is flushed, so a crashed run keeps its curve.
///
/// An existing file is refused unless the mode says otherwise (`CsvMode`). Appending checks
/// the file's header against the columns (the declared ones at construction, else the first
/// record's keys at the first write) and throws on a difference, so one file never mixes
/// two layouts. A failed write or flush (a full disk) throws `theta::Error` naming the file.
///
///     theta::CsvLogger csv("runs/ppo_cartpole.csv");                               // new file only
///     theta::CsvLogger again("runs/ppo_cartpole.csv", {}, theta::CsvMode::overwrite);  // replace it
class CsvLogger {
 public:
  explicit CsvLogger(const std::filesystem::path& path, std::vector<std::string> columns = {},
                     CsvMode mode = CsvMode::create_new)
      : path_(path), columns_(std::move(columns)) {
    std::error_code ec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    require<Error>(!ec, "CsvLogger: cannot create the directory of '{}': {}", path.string(), ec.message());
    if (mode == CsvMode::append) existing_header_ = read_header(path);
    if (existing_header_ && !columns_.empty()) check_header(header());  // before the file is touched
    // "x" (C11): fails if the file exists, atomically, so a concurrent run cannot be overwritten either.
    const char* fopen_mode = mode == CsvMode::create_new ? "wx" : mode == CsvMode::overwrite ? "w" : "a";
    errno = 0;
    file_.reset(std::fopen(path.c_str(), fopen_mode));
    if (file_ == nullptr && mode == CsvMode::create_new && errno == EEXIST) {
      throw Error(fmt::format("CsvLogger: '{}' exists; pass theta::CsvMode::overwrite to replace it or "
                              "theta::CsvMode::append to add rows to it",
                              path.string()));
    }
    require<Error>(file_ != nullptr, "CsvLogger: cannot open '{}' for writing: {}", path.string(),
                   std::strerror(errno));
  }
  /// `CsvLogger(path, {}, mode)`: the columns are the first record's keys.
  CsvLogger(const std::filesystem::path& path, CsvMode mode) : CsvLogger(path, {}, mode) {}

  void write(const LogRecord& record, std::int64_t step) {
    if (!header_written_) {
      if (columns_.empty())
        for (const auto& [k, v] : record.entries()) columns_.push_back(k);
      if (existing_header_) {
        check_header(header());
      } else {
        put(header() + "\n");
      }
      header_written_ = true;
    }
    std::string row = fmt::format("{}", step);
    for (const auto& key : columns_) {
      row += ',';
      if (record.contains(key)) row += fmt::format("{}", record.get(key));
    }
    row += '\n';
    put(row);
    flush();
  }
  void close() {
    if (file_) flush();
  }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };

  [[nodiscard]] std::string header() const {
    std::string line = "step";
    for (const auto& k : columns_) line += "," + k;
    return line;
  }

  // The first line of an existing non-empty file (nothing for a missing or empty one).
  static std::optional<std::string> read_header(const std::filesystem::path& path) {
    std::unique_ptr<std::FILE, Closer> in(std::fopen(path.c_str(), "r"));
    if (in == nullptr) return std::nullopt;  // missing (or unreadable: the open for appending says why)
    std::string line;
    int c;
    // Bounded: a header longer than this is not one this logger wrote (and /dev/zero never ends).
    while ((c = std::fgetc(in.get())) != EOF && c != '\n' && line.size() < (1u << 20)) line += static_cast<char>(c);
    require<Error>(!std::ferror(in.get()), "CsvLogger: cannot read the header of '{}'", path.string());
    if (line.empty() && c == EOF) return std::nullopt;
    return line;
  }

  void check_header(const std::string& expected) const {
    require<Error>(*existing_header_ == expected,
                   "CsvLogger: cannot append to '{}': its header is '{}', this logger's columns give '{}' "
                   "(write to another file, or pass theta::CsvMode::overwrite to replace it)",
                   path_.string(), *existing_header_, expected);
  }

  void put(const std::string& text) {
    errno = 0;
    const bool ok = std::fputs(text.c_str(), file_.get()) != EOF;  // before strerror(errno) is read
    require<Error>(ok, "CsvLogger: writing to '{}' failed: {}", path_.string(), std::strerror(errno));
  }
  void flush() {
    errno = 0;
    const bool ok = std::fflush(file_.get()) != EOF;
    require<Error>(ok, "CsvLogger: writing to '{}' failed: {}", path_.string(), std::strerror(errno));
  }

  std::filesystem::path path_;
  std::unique_ptr<std::FILE, Closer> file_;
  std::vector<std::string> columns_;
  std::optional<std::string> existing_header_;  // append mode, a non-empty file: its first line
  bool header_written_ = false;
};

}  // namespace theta
