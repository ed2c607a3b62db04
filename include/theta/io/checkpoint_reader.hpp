#pragma once
/// \file CheckpointReader: opens a checkpoint, checks its magic number, format version and
/// every checksum before anything is read, then hands out bounds-checked cursors over its
/// sections. Every problem raises `CheckpointError` saying what is wrong and where.
///
/// This header uses Eigen and the standard library only (no fmt): theta/inference.hpp reads
/// exported policies with it, so the library and a deployed program share one parser.

#include <theta/core/exceptions.hpp>
#include <theta/core/scalar.hpp>
#include <theta/io/checkpoint_format.hpp>
#include <theta/io/crc32.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace theta::io {

/// A cursor over one section's payload. Reads must follow the order of the writes; each is
/// bounds-checked, and `finish()` checks that nothing is left over. It points into the
/// `CheckpointReader`'s bytes, which must outlive it.
class CheckpointSectionReader {
 public:
  CheckpointSectionReader(std::string source, std::string name, std::span<const std::uint8_t> payload)
      : source_(std::move(source)), name_(std::move(name)), payload_(payload) {}

  std::uint8_t u8() { return static_cast<std::uint8_t>(detail::get_le<1>(take(1))); }
  bool boolean() {
    const std::size_t at = pos_;
    const std::uint8_t v = u8();
    if (v > 1) fail(at, detail::text("a bool is ", v, ", expected 0 or 1"));
    return v == 1;
  }
  std::uint32_t u32() { return static_cast<std::uint32_t>(detail::get_le<4>(take(4))); }
  std::uint64_t u64() { return detail::get_le<8>(take(8)); }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  float f32() { return std::bit_cast<float>(u32()); }
  double f64() { return std::bit_cast<double>(u64()); }
  std::string string() {
    const std::size_t at = pos_;
    const std::uint64_t size = u64();
    if (size > remaining()) fail(at, detail::text("truncated, a string of ", size, " bytes needs ", remaining(), " more"));
    const std::uint8_t* p = take(static_cast<std::size_t>(size));
    return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(size));
  }

  /// Reads a matrix of `T` whose shape the caller knows (the model defines the shapes): a
  /// stored matrix of another element type or shape raises `CheckpointError` naming `what`,
  /// before anything is allocated.
  template <class T>
    requires std::is_same_v<T, float> || std::is_same_v<T, double>
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> matrix(std::string_view what, Index rows, Index cols) {
    if (rows < 0 || cols < 0) throw Error(detail::text("CheckpointSectionReader::matrix: negative shape ", rows, " x ", cols));
    const std::size_t at = pos_;
    const std::uint8_t element = u8();
    if (element != 4 && element != 8) fail(at, detail::text(what, " has element size ", element, ", expected 4 or 8"));
    if (element != sizeof(T))
      fail(at, detail::text(what, " holds ", element == 4 ? "float32" : "float64", ", expected ", scalar_name<T>()));
    const std::uint64_t r = u64();
    const std::uint64_t c = u64();
    if (r != static_cast<std::uint64_t>(rows) || c != static_cast<std::uint64_t>(cols))
      fail(at, detail::text(what, " is ", r, " x ", c, ", expected ", rows, " x ", cols));
    const std::size_t count = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
    const std::uint8_t* p = take(count * sizeof(T));  // rows, cols come from the caller: no overflow from the file
    Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> m(rows, cols);
    for (std::size_t k = 0; k < count; ++k, p += sizeof(T)) {
      if constexpr (std::is_same_v<T, float>)
        m.data()[k] = std::bit_cast<float>(static_cast<std::uint32_t>(detail::get_le<4>(p)));
      else
        m.data()[k] = std::bit_cast<double>(detail::get_le<8>(p));
    }
    return m;
  }

  /// Checks that every byte of the section was read.
  void finish() const {
    if (pos_ != payload_.size()) fail(pos_, detail::text(payload_.size() - pos_, " bytes left over"));
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return payload_.size() - pos_; }

 private:
  const std::uint8_t* take(std::size_t n) {
    if (n > remaining()) fail(pos_, detail::text("truncated, needs ", n, " bytes"));
    const std::uint8_t* p = payload_.data() + pos_;
    pos_ += n;
    return p;
  }
  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    throw CheckpointError(
        detail::text("checkpoint '", source_, "': section '", name_, "', byte ", at, " of ", payload_.size(), ": ", what));
  }

  std::string source_;
  std::string name_;
  std::span<const std::uint8_t> payload_;
  std::size_t pos_ = 0;
};

/// Reads a checkpoint written by `CheckpointWriter`. `open` (or `parse`) validates the whole
/// structure: magic number, format version, the header's and every section's CRC-32, and that
/// the records fill the file exactly. A loader then checks the header with `expect`, reads the
/// sections in the order they were written, and commits only after `finish()`:
///
///     auto reader = theta::io::CheckpointReader::open("run/ppo.ckpt");
///     reader.expect("OnPolicyTrainer/ppo", theta::io::scalar_name<float>(), shape);
///     auto actor = reader.section("actor");
///     auto params = actor.matrix<float>("parameters", n, 1);   // into a temporary
///     actor.finish();
///     reader.finish();
///     model.parameters() = params;                              // commit: nothing can throw now
class CheckpointReader {
 public:
  /// Reads the whole file. A missing, empty, unreadable file or a directory raises
  /// `CheckpointError` naming the path.
  static CheckpointReader open(const std::filesystem::path& path) {
    const std::string source = path.string();
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (status.type() == std::filesystem::file_type::not_found)
      throw CheckpointError(detail::text("checkpoint '", source, "': no such file"));
    if (status.type() == std::filesystem::file_type::directory)
      throw CheckpointError(detail::text("checkpoint '", source, "': is a directory, not a file"));
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file) throw CheckpointError(detail::text("checkpoint '", source, "': cannot open: ", std::strerror(errno)));
    std::vector<std::uint8_t> bytes;
    std::uint8_t buffer[65536];
    for (;;) {
      const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
      bytes.insert(bytes.end(), buffer, buffer + n);
      if (n < sizeof buffer) break;
    }
    if (std::ferror(file.get()) != 0)
      throw CheckpointError(detail::text("checkpoint '", source, "': read failed: ", std::strerror(errno)));
    return CheckpointReader(source, std::move(bytes));
  }

  /// Parses a checkpoint held in memory; `source` names it in errors.
  static CheckpointReader parse(std::span<const std::uint8_t> bytes, std::string source = "<memory>") {
    return CheckpointReader(std::move(source), std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
  }

  [[nodiscard]] const std::string& kind() const noexcept { return kind_; }
  [[nodiscard]] const std::string& scalar() const noexcept { return scalar_; }
  [[nodiscard]] const std::string& shape() const noexcept { return shape_; }

  /// Refuses a checkpoint of another algorithm, scalar type or shape:
  /// "checkpoint of OnPolicyTrainer/a2c, expected OnPolicyTrainer/ppo".
  void expect(std::string_view kind, std::string_view scalar, std::string_view shape) const {
    if (kind_ != kind) fail(detail::text("checkpoint of ", kind_, ", expected ", kind));
    if (scalar_ != scalar) fail(detail::text("scalar type ", scalar_, ", expected ", scalar));
    if (shape_ != shape) fail(detail::text("shape '", shape_, "', expected '", shape, "'"));
  }

  /// The next section, which must be called `name` (sections are read in the order written).
  CheckpointSectionReader section(std::string_view name) {
    if (next_ == sections_.size()) fail(detail::text("no section '", name, "': the file ends after ", next_, " sections"));
    const Record& r = sections_[next_];
    if (r.name != name)
      fail(detail::text("section ", next_, " at byte ", r.start, " is '", r.name, "', expected '", name, "'"));
    ++next_;
    return CheckpointSectionReader(source_, r.name, std::span(bytes_).subspan(r.payload, r.size));
  }

  /// True when the next section to read is called `name` (for a section a file may leave out).
  [[nodiscard]] bool next_section_is(std::string_view name) const noexcept {
    return next_ < sections_.size() && sections_[next_].name == name;
  }

  /// Checks that every section was read.
  void finish() const {
    if (next_ != sections_.size())
      fail(detail::text("section '", sections_[next_].name, "' at byte ", sections_[next_].start, " was not read (",
                        next_, " of ", sections_.size(), " sections read)"));
  }

  [[nodiscard]] std::size_t section_count() const noexcept { return sections_.size(); }

 private:
  struct Record {
    std::string name;
    std::size_t start;    // first byte of the record
    std::size_t payload;  // first byte of the payload
    std::size_t size;     // payload bytes
  };

  CheckpointReader(std::string source, std::vector<std::uint8_t> bytes)
      : source_(std::move(source)), bytes_(std::move(bytes)) {
    if (bytes_.empty()) fail("the file is empty");
    const std::size_t n_magic = std::min(bytes_.size(), checkpoint_magic.size());
    if (!std::equal(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(n_magic), checkpoint_magic.begin()))
      fail("not a theta checkpoint (wrong magic number)");
    std::size_t p = 0;
    need(p, checkpoint_magic.size(), "the magic number");
    p += checkpoint_magic.size();
    need(p, 4, "the format version");
    const auto version = static_cast<std::uint32_t>(detail::get_le<4>(bytes_.data() + p));
    if (version != checkpoint_format_version)
      fail(detail::text("format version ", version, ", this build reads ", checkpoint_format_version));
    p += 4;

    const Record header = record(p, false);
    CheckpointSectionReader h(source_, "header", std::span(bytes_).subspan(header.payload, header.size));
    kind_ = h.string();
    scalar_ = h.string();
    shape_ = h.string();
    h.finish();
    while (p < bytes_.size()) sections_.push_back(record(p, true));
  }

  // Reads the record at `p` and checks its CRC; advances `p` past it.
  Record record(std::size_t& p, bool named) {
    Record r{named ? std::string() : std::string("header"), p, 0, 0};
    const char* what = named ? "a section record" : "the header record";
    if (named) {
      need(p, 8, what);
      const std::uint64_t name_size = detail::get_le<8>(bytes_.data() + p);
      if (name_size > checkpoint_max_name_size)
        fail(detail::text("byte ", p, ": a section name of ", name_size, " bytes, at most ", checkpoint_max_name_size,
                          " allowed"));
      p += 8;
      need(p, static_cast<std::size_t>(name_size), what);
      p += static_cast<std::size_t>(name_size);
    }
    need(p, 8, what);
    const std::uint64_t size = detail::get_le<8>(bytes_.data() + p);
    p += 8;
    if (size > bytes_.size() - p)
      fail(detail::text(what, " at byte ", r.start, ": truncated, its payload of ", size, " bytes needs ",
                        size - (bytes_.size() - p), " more"));
    r.payload = p;
    r.size = static_cast<std::size_t>(size);
    p += r.size;
    need(p, 4, what);
    const auto stored = static_cast<std::uint32_t>(detail::get_le<4>(bytes_.data() + p));
    const std::uint32_t computed = crc32(std::span(bytes_).subspan(r.start, p - r.start));
    if (stored != computed)
      fail(detail::text(what, " at byte ", r.start, ": checksum mismatch (stored ", detail::hex32(stored), ", computed ",
                        detail::hex32(computed), ")"));
    p += 4;
    if (named) r.name.assign(reinterpret_cast<const char*>(bytes_.data() + r.start + 8), r.payload - 8 - r.start - 8);
    return r;
  }

  void need(std::size_t p, std::size_t n, const char* what) const {
    if (n > bytes_.size() - p)
      fail(detail::text("byte ", p, " of ", bytes_.size(), ": truncated in ", what, ", needs ", n, " bytes"));
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw CheckpointError(detail::text("checkpoint '", source_, "': ", what));
  }

  std::string source_;
  std::vector<std::uint8_t> bytes_;
  std::string kind_;
  std::string scalar_;
  std::string shape_;
  std::vector<Record> sections_;
  std::size_t next_ = 0;
};

}  // namespace theta::io
