// Tests for theta/io/checkpoint.hpp (issue 13: the file format of whole-state checkpoints).
#include <theta/io/checkpoint.hpp>
#include <theta/io/crc32.hpp>

#include "fuzz/checkpoint_schema.hpp"
#include "fuzz/component_schema.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

namespace fs = std::filesystem;
using theta::CheckpointError;
using theta::io::CheckpointReader;
using theta::io::CheckpointWriter;

namespace {

// A small multi-section checkpoint that holds one value of every type.
CheckpointWriter sample_writer() {
  CheckpointWriter w("OnPolicyTrainer/ppo", "float32", "obs 4, act 2");
  Eigen::MatrixXf m(2, 3);
  m << 1.5F, -2.0F, 0.25F, 3.0F, -0.0F, 7.0F;
  Eigen::VectorXd v(2);
  v << 0.1, -1e300;
  w.section("scalars")
      .u8(200)
      .boolean(true)
      .boolean(false)
      .u32(0xDEADBEEFU)
      .u64(0x0123456789ABCDEFULL)
      .i64(-42)
      .f32(-1.25F)
      .f64(3.141592653589793)
      .string("hello");
  w.section("matrices").matrix(m).matrix(v);
  w.section("empty");
  return w;
}

// Reads sample_writer's checkpoint the way a loader would; throws on any mismatch.
void read_sample(CheckpointReader& r) {
  r.expect("OnPolicyTrainer/ppo", "float32", "obs 4, act 2");
  auto s = r.section("scalars");
  s.u8();
  s.boolean();
  s.boolean();
  s.u32();
  s.u64();
  s.i64();
  s.f32();
  s.f64();
  s.string();
  s.finish();
  auto m = r.section("matrices");
  (void)m.matrix<float>("m", 2, 3);
  (void)m.matrix<double>("v", 2, 1);
  m.finish();
  r.section("empty").finish();
  r.finish();
}

std::vector<std::uint8_t> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A fresh empty directory per test, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "theta-ckpt-XXXXXX").string();
    REQUIRE(::mkdtemp(templ.data()) != nullptr);
    path = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  [[nodiscard]] std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
};

}  // namespace

TEST_CASE("crc32 gives the standard check value", "[unit]") {
  const std::string check = "123456789";
  const std::span bytes(reinterpret_cast<const std::uint8_t*>(check.data()), check.size());
  REQUIRE(theta::io::crc32(bytes) == 0xCBF43926U);
  REQUIRE(theta::io::crc32(bytes.subspan(4), theta::io::crc32(bytes.first(4))) == 0xCBF43926U);
  static_assert(theta::io::crc32({}) == 0);
}

TEST_CASE("Every type round-trips exactly", "[unit]") {
  const auto bytes = sample_writer().bytes();
  auto r = CheckpointReader::parse(bytes);
  REQUIRE(r.kind() == "OnPolicyTrainer/ppo");
  REQUIRE(r.scalar() == "float32");
  REQUIRE(r.shape() == "obs 4, act 2");
  REQUIRE(r.section_count() == 3);
  auto s = r.section("scalars");
  REQUIRE(s.u8() == 200);
  REQUIRE(s.boolean());
  REQUIRE_FALSE(s.boolean());
  REQUIRE(s.u32() == 0xDEADBEEFU);
  REQUIRE(s.u64() == 0x0123456789ABCDEFULL);
  REQUIRE(s.i64() == -42);
  REQUIRE(s.f32() == -1.25F);
  REQUIRE(s.f64() == 3.141592653589793);
  REQUIRE(s.string() == "hello");
  s.finish();
  auto m = r.section("matrices");
  const Eigen::MatrixXf mf = m.matrix<float>("m", 2, 3);
  Eigen::MatrixXf expected(2, 3);
  expected << 1.5F, -2.0F, 0.25F, 3.0F, -0.0F, 7.0F;
  REQUIRE(mf == expected);
  REQUIRE(std::signbit(mf(1, 1)));
  const Eigen::MatrixXd md = m.matrix<double>("v", 2, 1);
  REQUIRE(md(0, 0) == 0.1);
  REQUIRE(md(1, 0) == -1e300);
  m.finish();
  r.section("empty").finish();
  r.finish();
}

TEST_CASE("Special floats keep their bit patterns", "[unit]") {
  CheckpointWriter w("k", "float64", "");
  const double nan = std::bit_cast<double>(0x7FF8000000000123ULL);  // a NaN with a payload
  w.section("f").f64(nan).f64(std::numeric_limits<double>::infinity()).f64(-0.0).f32(
      std::numeric_limits<float>::denorm_min());
  auto r = CheckpointReader::parse(w.bytes());
  auto s = r.section("f");
  REQUIRE(std::bit_cast<std::uint64_t>(s.f64()) == 0x7FF8000000000123ULL);
  REQUIRE(s.f64() == std::numeric_limits<double>::infinity());
  REQUIRE(std::bit_cast<std::uint64_t>(s.f64()) == 0x8000000000000000ULL);
  REQUIRE(s.f32() == std::numeric_limits<float>::denorm_min());
}

TEST_CASE("Equal content gives equal bytes", "[unit]") {
  REQUIRE(sample_writer().bytes() == sample_writer().bytes());
  TempDir dir;
  sample_writer().save(dir.path / "a.ckpt");
  theta::io::save_atomically(dir.path / "b.ckpt", sample_writer());
  REQUIRE(read_file(dir.path / "a.ckpt") == read_file(dir.path / "b.ckpt"));
  REQUIRE(read_file(dir.path / "a.ckpt") == sample_writer().bytes());
}

TEST_CASE("The file is little-endian with the documented layout", "[unit]") {
  CheckpointWriter w("K", "float64", "S");
  w.section("x").u32(0x01020304U).f64(1.0);
  const auto b = w.bytes();
  // magic (8), version u32 = 1
  REQUIRE(std::equal(theta::io::checkpoint_magic.begin(), theta::io::checkpoint_magic.end(), b.begin()));
  REQUIRE(std::vector<std::uint8_t>(b.begin() + 8, b.begin() + 12) == std::vector<std::uint8_t>{1, 0, 0, 0});
  // header record: u64 payload length, then three strings "K", "float64", "S" (8+1, 8+7, 8+1 bytes)
  REQUIRE(b[12] == 33);
  REQUIRE(b[20] == 1);
  REQUIRE(b[28] == 'K');
  // header CRC at 12 + 8 + 33 = 53; the section record starts at 57: u64 name length 1, "x",
  // u64 payload length 12, then the u32 and the f64.
  const std::size_t section = 57;
  REQUIRE(b[section] == 1);
  REQUIRE(b[section + 8] == 'x');
  REQUIRE(b[section + 9] == 12);
  const std::size_t payload = section + 17;
  REQUIRE(std::vector<std::uint8_t>(b.begin() + payload, b.begin() + payload + 4) ==
          std::vector<std::uint8_t>{0x04, 0x03, 0x02, 0x01});
  // 1.0 is 0x3FF0000000000000
  REQUIRE(std::vector<std::uint8_t>(b.begin() + payload + 4, b.begin() + payload + 12) ==
          std::vector<std::uint8_t>{0, 0, 0, 0, 0, 0, 0xF0, 0x3F});
  // the record's CRC-32 covers everything from its name length to its payload's end
  const std::size_t crc_at = payload + 12;
  const auto stored = static_cast<std::uint32_t>(b[crc_at] | b[crc_at + 1] << 8 | b[crc_at + 2] << 16 |
                                                 static_cast<std::uint32_t>(b[crc_at + 3]) << 24);
  REQUIRE(stored == theta::io::crc32(std::span(b).subspan(section, crc_at - section)));
  REQUIRE(b.size() == crc_at + 4);
}

TEST_CASE("A checkpoint truncated at every byte offset raises CheckpointError", "[unit]") {
  const auto bytes = sample_writer().bytes();
  std::size_t caught = 0;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO("truncated to " << n << " of " << bytes.size() << " bytes");
    try {
      auto r = CheckpointReader::parse(std::span(bytes).first(n));
      read_sample(r);
      FAIL("no error");
    } catch (const CheckpointError&) {
      ++caught;
    }
  }
  REQUIRE(caught == bytes.size());
  REQUIRE(bytes.size() > 200);
}

TEST_CASE("Every single-bit flip raises CheckpointError", "[unit]") {
  const auto bytes = sample_writer().bytes();
  std::size_t caught = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      auto corrupt = bytes;
      corrupt[i] = static_cast<std::uint8_t>(corrupt[i] ^ (1U << bit));
      INFO("byte " << i << " bit " << bit);
      try {
        auto r = CheckpointReader::parse(corrupt);
        read_sample(r);
        FAIL("no error");
      } catch (const CheckpointError&) {
        ++caught;
      }
    }
  REQUIRE(caught == 8 * bytes.size());
}

TEST_CASE("Errors say what is wrong and where", "[unit]") {
  const auto bytes = sample_writer().bytes();
  auto r = CheckpointReader::parse(bytes, "run.ckpt");
  using Catch::Contains;
  REQUIRE_THROWS_WITH(r.expect("OnPolicyTrainer/a2c", "float32", "obs 4, act 2"),
                      Contains("checkpoint 'run.ckpt': checkpoint of OnPolicyTrainer/ppo, expected OnPolicyTrainer/a2c"));
  REQUIRE_THROWS_WITH(r.expect("OnPolicyTrainer/ppo", "float64", "obs 4, act 2"),
                      Contains("scalar type float32, expected float64"));
  REQUIRE_THROWS_WITH(r.expect("OnPolicyTrainer/ppo", "float32", "obs 8, act 2"),
                      Contains("shape 'obs 4, act 2', expected 'obs 8, act 2'"));
  REQUIRE_NOTHROW(r.expect("OnPolicyTrainer/ppo", "float32", "obs 4, act 2"));

  REQUIRE_THROWS_WITH(r.section("matrices"), Contains("section 0 at byte 86") && Contains("is 'scalars', expected 'matrices'"));
  auto s = r.section("scalars");
  REQUIRE_THROWS_WITH(r.finish(), Contains("section 'matrices'") && Contains("was not read"));
  s.u8();
  REQUIRE_THROWS_WITH(s.finish(), Contains("section 'scalars', byte 1 of 48: 47 bytes left over"));

  auto m = r.section("matrices");
  REQUIRE_THROWS_WITH(m.matrix<float>("parameters", 3, 2), Contains("section 'matrices', byte 0 of") &&
                                                                 Contains("parameters is 2 x 3, expected 3 x 2"));
  auto r2 = CheckpointReader::parse(bytes);
  r2.section("scalars");
  auto m2 = r2.section("matrices");
  REQUIRE_THROWS_WITH(m2.matrix<double>("parameters", 2, 3), Contains("parameters holds float32, expected float64"));
  auto r3 = CheckpointReader::parse(bytes);
  r3.section("scalars");
  auto m3 = r3.section("matrices");
  (void)m3.matrix<float>("m", 2, 3);
  (void)m3.matrix<double>("v", 2, 1);
  REQUIRE_THROWS_WITH(m3.u64(), Contains("section 'matrices', byte 74 of 74: truncated, needs 8 bytes"));
  r3.section("empty");
  REQUIRE_THROWS_WITH(r3.section("more"), Contains("no section 'more': the file ends after 3 sections"));
  REQUIRE_NOTHROW(r3.finish());
}

TEST_CASE("A bool that is neither 0 nor 1 is refused", "[unit]") {
  CheckpointWriter w("k", "float32", "");
  w.section("b").u8(2);
  auto r = CheckpointReader::parse(w.bytes());
  auto s = r.section("b");
  REQUIRE_THROWS_WITH(s.boolean(), Catch::Contains("byte 0 of 1: a bool is 2, expected 0 or 1"));
}

TEST_CASE("Another format version, a foreign file, trailing bytes", "[unit]") {
  auto bytes = sample_writer().bytes();
  using Catch::Contains;
  auto v7 = bytes;
  v7[8] = 7;
  REQUIRE_THROWS_WITH(CheckpointReader::parse(v7), Contains("format version 7, this build reads 1"));
  std::vector<std::uint8_t> text{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '\n'};
  REQUIRE_THROWS_WITH(CheckpointReader::parse(text), Contains("not a theta checkpoint"));
  REQUIRE_THROWS_WITH(CheckpointReader::parse(std::span(bytes).first(5)),
                      Contains("byte 0 of 5: truncated in the magic number, needs 8 bytes"));
  auto trailing = bytes;
  trailing.push_back(0);
  REQUIRE_THROWS_WITH(CheckpointReader::parse(trailing), Contains("truncated in a section record"));
  auto flipped = bytes;
  flipped[60] ^= 1;
  REQUIRE_THROWS_WITH(CheckpointReader::parse(flipped), Contains("checksum mismatch"));
}

TEST_CASE("Empty, missing and directory paths raise CheckpointError naming the path", "[unit]") {
  TempDir dir;
  using Catch::Contains;
  const auto missing = dir.path / "missing.ckpt";
  REQUIRE_THROWS_WITH(CheckpointReader::open(missing), Contains(missing.string()) && Contains("no such file"));
  REQUIRE_THROWS_WITH(CheckpointReader::open(dir.path), Contains(dir.path.string()) && Contains("is a directory"));
  const auto empty = dir.path / "empty.ckpt";
  write_file(empty, {});
  REQUIRE_THROWS_WITH(CheckpointReader::open(empty), Contains(empty.string()) && Contains("the file is empty"));
  // Unreadable by permissions cannot be provoked as root (the tests may run as root); a file
  // whose read fails is covered by open()'s ferror check only by inspection.
  const auto good = dir.path / "good.ckpt";
  sample_writer().save(good);
  auto r = CheckpointReader::open(good);
  REQUIRE_NOTHROW(read_sample(r));
}

TEST_CASE("A new checkpoint is 0644; a replaced one keeps its permissions", "[unit]") {
  TempDir dir;
  const auto target = dir.path / "run.ckpt";
  sample_writer().save(target);
  REQUIRE((fs::status(target).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read));
  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  sample_writer().save(target);
  REQUIRE((fs::status(target).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
}

TEST_CASE("Saving into a missing directory throws and leaves no file", "[unit]") {
  TempDir dir;
  const auto target = dir.path / "no" / "such" / "dir.ckpt";
  REQUIRE_THROWS_WITH(sample_writer().save(target), Catch::Contains(target.string()) &&
                                                        Catch::Contains("No such file or directory"));
  REQUIRE(dir.entries().empty());
}

TEST_CASE("A failed rename leaves the target and no temporary", "[unit]") {
  TempDir dir;
  // The target is a non-empty directory: rename(2) fails (EISDIR) even for root.
  const auto target = dir.path / "taken";
  fs::create_directory(target);
  write_file(target / "inside", {1, 2, 3});
  REQUIRE_THROWS_WITH(sample_writer().save(target), Catch::Contains("cannot rename the temporary file into place"));
  REQUIRE(dir.entries() == std::vector<std::string>{"taken"});
  REQUIRE(read_file(target / "inside") == std::vector<std::uint8_t>{1, 2, 3});
}

TEST_CASE("A save whose write fails leaves the existing checkpoint byte-identical", "[unit]") {
  TempDir dir;
  const auto target = dir.path / "run.ckpt";
  CheckpointWriter small("k", "float32", "");
  small.section("a").u32(1);
  small.save(target);
  const auto before = read_file(target);
  REQUIRE(dir.entries() == std::vector<std::string>{"run.ckpt"});

  // A real write failure even as root: a file-size limit makes write(2) fail with EFBIG once
  // the temporary reaches it (SIGXFSZ ignored so the process survives). A full disk (ENOSPC)
  // takes the same path through write_file_atomically but is not provoked here.
  CheckpointWriter big("k", "float32", "");
  big.section("a").matrix(Eigen::MatrixXd::Zero(64, 64));
  REQUIRE(big.bytes().size() > 4096);
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limited = old;
  limited.rlim_cur = 4096;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
  std::string message;
  try {
    big.save(target);
  } catch (const CheckpointError& e) {
    message = e.what();
  }
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &old) == 0);
  std::signal(SIGXFSZ, old_handler);
  INFO(message);
  REQUIRE(message.find(target.string()) != std::string::npos);
  REQUIRE(message.find("write failed: File too large") != std::string::npos);
  REQUIRE(read_file(target) == before);
  REQUIRE(dir.entries() == std::vector<std::string>{"run.ckpt"});

  // And a save that succeeds replaces it, with no temporary left.
  big.save(target);
  REQUIRE(read_file(target) == big.bytes());
  REQUIRE(dir.entries() == std::vector<std::string>{"run.ckpt"});
}

TEST_CASE("A loader that follows the two-phase rule is untouched by a bad file", "[unit]") {
  // The pattern docs/checkpoints.md prescribes, on a toy model.
  struct Model {
    Eigen::MatrixXd w = Eigen::MatrixXd::Constant(2, 2, 5.0);
    std::uint64_t steps = 7;
    void load(const std::vector<std::uint8_t>& bytes) {
      auto r = CheckpointReader::parse(bytes);
      r.expect("Model", "float64", "2x2");
      auto s = r.section("state");
      Eigen::MatrixXd new_w = s.matrix<double>("w", 2, 2);
      const std::uint64_t new_steps = s.u64();
      s.finish();
      r.finish();
      w = std::move(new_w);  // commit
      steps = new_steps;
    }
  };
  CheckpointWriter wr("Model", "float64", "2x2");
  wr.section("state").matrix(Eigen::MatrixXd::Identity(2, 2)).u64(99);
  const auto bytes = wr.bytes();
  Model m;
  REQUIRE_THROWS_AS(m.load(std::vector<std::uint8_t>(bytes.begin(), bytes.end() - 1)), CheckpointError);
  REQUIRE(m.w == Eigen::MatrixXd::Constant(2, 2, 5.0));
  REQUIRE(m.steps == 7);
  m.load(bytes);
  REQUIRE(m.w == Eigen::MatrixXd::Identity(2, 2));
  REQUIRE(m.steps == 99);
}

TEST_CASE("The fuzz corpus's valid seed is what the writer writes today", "[unit]") {
  // Regenerate after a deliberate format change: THETA_WRITE_FUZZ_SEED=1 build/release/tests/test_io_checkpoint
  const fs::path seed = fs::path(THETA_TEST_DATA_DIR) / ".." / "fuzz" / "corpus" / "checkpoint" / "valid.ckpt";
  const auto bytes = theta::fuzz::write_fuzz_checkpoint();
  if (std::getenv("THETA_WRITE_FUZZ_SEED") != nullptr) write_file(seed, bytes);
  REQUIRE(read_file(seed) == bytes);
  REQUIRE_NOTHROW(theta::fuzz::read_fuzz_checkpoint(bytes));
}

TEST_CASE("The fuzz corpus's component seed loads, and so does what the component savers write today", "[unit]") {
  // Regenerate after a deliberate change: THETA_WRITE_FUZZ_SEED=1 build/release/tests/test_io_checkpoint
  // Not compared byte for byte: the CartPoles' double states differ in their last bits between
  // the g++ -O3 -march=native and clang -O0 builds, because Rng::uniform(low, high) does (its
  // low + (high - low) u is contracted into an FMA under -march=native); their float
  // observations agree.
  const fs::path seed = fs::path(THETA_TEST_DATA_DIR) / ".." / "fuzz" / "corpus" / "checkpoint" / "components.ckpt";
  const auto bytes = theta::fuzz::write_component_checkpoint();
  if (std::getenv("THETA_WRITE_FUZZ_SEED") != nullptr) write_file(seed, bytes);
  REQUIRE_NOTHROW(theta::fuzz::read_component_checkpoint(read_file(seed)));
  REQUIRE_NOTHROW(theta::fuzz::read_component_checkpoint(bytes));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    REQUIRE_THROWS_AS(theta::fuzz::read_component_checkpoint(std::span(bytes.data(), n)), theta::CheckpointError);
  }
  // Every single-bit flip with the checksums made right again reaches the component loaders:
  // each load succeeds or raises CheckpointError, and a failed one leaves its component as it
  // was (read_component_checkpoint aborts otherwise).
  std::size_t refused = 0;
  for (std::size_t bit = 0; bit < 8 * bytes.size(); ++bit) {
    auto bad = bytes;
    bad[bit / 8] ^= static_cast<std::uint8_t>(1U << (bit % 8));
    theta::fuzz::repair_checksums(bad);
    try {
      theta::fuzz::read_component_checkpoint(bad);
    } catch (const theta::CheckpointError&) {
      ++refused;
    }
  }
  CHECK(refused > 8 * bytes.size() / 4);  // most flips hit a length, a flag, a count or a name
}
