#pragma once
// The command line of theta's example and benchmark programs: each program declares its flags
// once (name, the variable that receives the value, help text; the variable's value before
// parsing is the default) and calls parse(). Not part of the library (include/theta): a user
// who copies an example copies this file with it, or replaces it with their own parser.
//
//     std::int64_t steps = 100'000;
//     std::uint64_t seed = 0;
//     theta::examples::CommandLine cli("ppo_cartpole", "PPO on CartPole-v1");
//     cli.add("--steps", steps, "N", "train N more steps in this invocation", {.min = 1});
//     cli.add("--seed", seed, "S", "the run's seed");
//     cli.parse(argc, argv);  // bad input: message and usage on stderr, exit 2; --help: exit 0
//
// The kind of a flag's value follows the variable's type: std::int64_t, std::uint64_t,
// double (finite), std::string, std::filesystem::path, std::optional of one of these (empty
// when the flag is absent), std::vector of one of these (a list: comma-separated, and the flag
// may be repeated to append), or bool (a switch that takes no value). An unknown flag, a
// missing value, a value that does not parse completely (trailing characters, a sign on an
// unsigned value, a number outside its type or outside the flag's bounds) and a repeated
// non-list flag are errors. `--name=value` is the same as `--name value`; a value that starts
// with `--` is taken for a forgotten value. Adding a flag to a program is one `add` line.
#include <fmt/core.h>

#include <charconv>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace theta::examples {

/// Inclusive bounds of a numeric flag (or of each element of a numeric list).
///
///     cli.add("--steps", steps, "N", "steps to train", {.min = 1});
template <class T>
struct Bounds {
  std::optional<T> min;
  std::optional<T> max;
};

namespace detail {

template <class T>
inline constexpr bool is_vector = false;
template <class T>
inline constexpr bool is_vector<std::vector<T>> = true;
template <class T>
inline constexpr bool is_optional = false;
template <class T>
inline constexpr bool is_optional<std::optional<T>> = true;

// The type of one value: T itself, or the element of a list or an optional.
template <class T>
struct element {
  using type = T;
};
template <class T>
struct element<std::vector<T>> {
  using type = T;
};
template <class T>
struct element<std::optional<T>> {
  using type = T;
};
template <class T>
using element_t = typename element<T>::type;

template <class T>
concept ScalarValue = std::same_as<T, std::int64_t> || std::same_as<T, std::uint64_t> || std::same_as<T, double> ||
                      std::same_as<T, std::string> || std::same_as<T, std::filesystem::path>;

template <class T>
concept Numeric = std::same_as<T, std::int64_t> || std::same_as<T, std::uint64_t> || std::same_as<T, double>;

constexpr const char* kind_name(std::int64_t*) { return "an integer"; }
constexpr const char* kind_name(std::uint64_t*) { return "a non-negative integer"; }
constexpr const char* kind_name(double*) { return "a finite number"; }

/// Parses `text` completely into `out`; returns the error (without the flag's name) or nothing.
template <ScalarValue T>
std::optional<std::string> parse_value(std::string_view text, T& out, const Bounds<T>& bounds) {
  if constexpr (std::same_as<T, std::string>) {
    out = std::string(text);
  } else if constexpr (std::same_as<T, std::filesystem::path>) {
    if (text.empty()) return std::string("the path is empty");
    out = std::filesystem::path(std::string(text));
  } else {
    T value{};
    const char* first = text.data();
    const char* last = text.data() + text.size();
    // from_chars accepts neither '+' nor leading space; a '-' on an unsigned type fails below.
    const auto [end, ec] = std::from_chars(first, last, value);
    if (text.empty() || ec == std::errc::invalid_argument)
      return fmt::format("expected {}, got '{}'", kind_name(static_cast<T*>(nullptr)), text);
    if (ec == std::errc::result_out_of_range)
      return fmt::format("'{}' is out of range for {}", text, kind_name(static_cast<T*>(nullptr)));
    if (end != last) return fmt::format("expected {}, got '{}' (trailing '{}')", kind_name(static_cast<T*>(nullptr)),
                                        text, std::string_view(end, static_cast<std::size_t>(last - end)));
    if constexpr (std::same_as<T, double>) {
      if (!std::isfinite(value)) return fmt::format("expected {}, got '{}'", kind_name(static_cast<T*>(nullptr)), text);
    }
    if (bounds.min && value < *bounds.min) return fmt::format("must be >= {}, got {}", *bounds.min, text);
    if (bounds.max && value > *bounds.max) return fmt::format("must be <= {}, got {}", *bounds.max, text);
    out = value;
  }
  return std::nullopt;
}

template <class T>
std::string default_text(const T& value) {
  if constexpr (std::same_as<T, std::filesystem::path>) {
    return value.string();
  } else if constexpr (std::same_as<T, std::string>) {
    return value;
  } else if constexpr (is_optional<T>) {
    return value ? default_text(*value) : std::string();
  } else if constexpr (is_vector<T>) {
    std::string text;
    for (const auto& v : value) {
      if (!text.empty()) text += ',';
      text += default_text(v);
    }
    return text;
  } else {
    return fmt::format("{}", value);
  }
}

}  // namespace detail

/// What `CommandLine::try_parse` found: go on, print the usage (--help), or an error.
struct ParseOutcome {
  enum class Status { ok, help, error };
  Status status = Status::ok;
  std::string error;  ///< for Status::error: what was wrong, naming the flag or argument
};

/// A program's flags and positional arguments, declared once, parsed once (see the file comment).
class CommandLine {
 public:
  /// `program` names the program in messages; `summary` is the first line of --help.
  CommandLine(std::string program, std::string summary) : program_(std::move(program)), summary_(std::move(summary)) {}

  /// Declares `--name VALUE` writing into `value` (kept as the default when the flag is absent).
  /// `meta` names the value in the usage line (N, FILE, ...).
  template <class T>
    requires detail::ScalarValue<detail::element_t<T>>
  void add(std::string name, T& value, std::string meta, std::string help,
           std::type_identity_t<Bounds<detail::element_t<T>>> bounds = {}) {
    Option option{.name = std::move(name), .meta = std::move(meta), .help = std::move(help),
                  .default_text = detail::default_text(value)};
    if constexpr (detail::is_vector<T>) {
      option.list = true;
      option.assign = [&value, bounds](std::string_view text, bool first) -> std::optional<std::string> {
        if (first) value.clear();  // the first occurrence replaces the default, later ones append
        std::size_t start = 0;
        while (true) {
          const std::size_t comma = text.find(',', start);
          const std::string_view item = text.substr(start, comma == std::string_view::npos ? comma : comma - start);
          typename T::value_type element{};
          if (item.empty()) return std::string("a list item is empty");
          if (auto error = detail::parse_value(item, element, bounds)) return error;
          value.push_back(std::move(element));
          if (comma == std::string_view::npos) return std::nullopt;
          start = comma + 1;
        }
      };
    } else if constexpr (detail::is_optional<T>) {
      option.assign = [&value, bounds](std::string_view text, bool) -> std::optional<std::string> {
        typename T::value_type parsed{};
        if (auto error = detail::parse_value(text, parsed, bounds)) return error;
        value = std::move(parsed);
        return std::nullopt;
      };
    } else {
      option.assign = [&value, bounds](std::string_view text, bool) {
        return detail::parse_value(text, value, bounds);
      };
    }
    declare(std::move(option));
  }

  /// Declares a switch `--name` (no value) that sets `value` to true.
  void add(std::string name, bool& value, std::string help) {
    declare(Option{.name = std::move(name), .help = std::move(help), .takes_value = false,
                   .assign = [&value](std::string_view, bool) -> std::optional<std::string> {
                     value = true;
                     return std::nullopt;
                   }});
  }

  /// Declares a required positional argument (in declaration order, before or among the flags).
  template <detail::ScalarValue T>
  void add_positional(std::string meta, T& value, std::string help) {
    positionals_.push_back(Option{.name = meta, .meta = meta, .help = std::move(help),
                                  .assign = [&value](std::string_view text, bool) {
                                    return detail::parse_value(text, value, Bounds<T>{});
                                  }});
  }

  /// Collects every argument that starts with `prefix` (`--benchmark_filter=nn`) into `into`,
  /// unparsed, for another library's own parser (theta-micro hands them to Google Benchmark).
  void add_pass_through(std::string prefix, std::vector<std::string>& into, std::string help) {
    pass_through_.push_back(Option{.name = std::move(prefix), .help = std::move(help),
                                   .assign = [&into](std::string_view text, bool) -> std::optional<std::string> {
                                     into.emplace_back(text);
                                     return std::nullopt;
                                   }});
  }

  /// Parses without printing or exiting: the outcome says what `parse` would do.
  [[nodiscard]] ParseOutcome try_parse(int argc, const char* const* argv) {
    std::size_t next_positional = 0;
    for (int i = 1; i < argc; ++i) {
      const std::string_view arg = argv[i];
      if (arg == "--help" || arg == "-h") return {ParseOutcome::Status::help, {}};
      if (!arg.starts_with("-") || arg == "-") {
        if (next_positional == positionals_.size()) return error(fmt::format("unexpected argument '{}'", arg));
        Option& p = positionals_[next_positional++];
        if (auto e = p.assign(arg, true)) return error(fmt::format("{}: {}", p.name, *e));
        continue;
      }
      if (Option* p = find_pass_through(arg)) {
        static_cast<void>(p->assign(arg, true));
        continue;
      }
      const std::size_t equals = arg.find('=');
      const std::string_view name = arg.substr(0, equals);
      Option* option = find(name);
      if (option == nullptr) return error(fmt::format("unknown option '{}'", name));
      if (option->seen && !option->list) return error(fmt::format("{} is given more than once", name));
      std::string_view text;
      if (!option->takes_value) {
        if (equals != std::string_view::npos) return error(fmt::format("{} takes no value", name));
      } else if (equals != std::string_view::npos) {
        text = arg.substr(equals + 1);
      } else if (i + 1 < argc && !std::string_view(argv[i + 1]).starts_with("--")) {
        text = argv[++i];
      } else {
        return error(fmt::format("{} needs a value ({})", name, option->meta));
      }
      if (auto e = option->assign(text, !option->seen)) return error(fmt::format("{}: {}", name, *e));
      option->seen = true;
    }
    if (next_positional < positionals_.size())
      return error(fmt::format("missing argument {}", positionals_[next_positional].meta));
    return {};
  }

  /// Parses; on --help prints the usage to stdout and exits 0, on an error prints it and the
  /// usage to stderr and exits 2.
  void parse(int argc, const char* const* argv) {
    const ParseOutcome outcome = try_parse(argc, argv);
    if (outcome.status == ParseOutcome::Status::help) {
      fmt::print("{}\n\n{}\n{}", summary_, usage(), options_help());
      std::exit(0);
    }
    if (outcome.status == ParseOutcome::Status::error) fail(outcome.error);
  }
  void parse(int argc, char** argv) { parse(argc, const_cast<const char* const*>(argv)); }

  /// For checks after parsing (a file that must exist, a choice among names): prints
  /// `message` and the usage to stderr and exits 2, as a parse error does.
  [[noreturn]] void fail(std::string_view message) const {
    fmt::print(stderr, "{}: {}\n{}(--help for details)\n", program_, message, usage());
    std::exit(2);
  }

  /// `usage: program ARG [--flag VALUE] ...`, one line.
  [[nodiscard]] std::string usage() const {
    std::string line = "usage: " + program_;
    for (const Option& p : positionals_) line += " " + p.meta;
    for (const Option& o : options_)
      line += " [" + o.name + (o.takes_value ? " " + o.meta : "") + (o.list ? " ..." : "") + "]";
    for (const Option& o : pass_through_) line += " [" + o.name + "...]";
    return line + "\n";
  }

  /// One line per argument and flag: its help text and default.
  [[nodiscard]] std::string options_help() const {
    std::string text;
    for (const Option& p : positionals_) text += fmt::format("  {:<20} {}\n", p.meta, p.help);
    for (const Option& o : options_) {
      const std::string left = o.name + (o.takes_value ? " " + o.meta : "");
      const bool show_default = o.takes_value && !o.default_text.empty();
      text += fmt::format("  {:<20} {}{}\n", left, o.help, show_default ? " (default " + o.default_text + ")" : "");
    }
    for (const Option& o : pass_through_) text += fmt::format("  {:<20} {}\n", o.name + "...", o.help);
    return text + fmt::format("  {:<20} {}\n", "--help", "print this and exit");
  }

 private:
  struct Option {
    std::string name;
    std::string meta;
    std::string help;
    std::string default_text;
    bool takes_value = true;
    bool list = false;
    bool seen = false;
    // Parses the text into the bound variable; `first` is true on the flag's first occurrence.
    std::function<std::optional<std::string>(std::string_view text, bool first)> assign;
  };

  void declare(Option option) {
    if (!option.name.starts_with("--") || option.name == "--help" || find(option.name) != nullptr) {
      fmt::print(stderr, "{}: the program declares the flag '{}' twice or with a bad name\n", program_, option.name);
      std::abort();  // a bug in the program, not in its command line
    }
    options_.push_back(std::move(option));
  }
  Option* find(std::string_view name) {
    for (Option& o : options_)
      if (o.name == name) return &o;
    return nullptr;
  }
  Option* find_pass_through(std::string_view arg) {
    for (Option& o : pass_through_)
      if (arg.starts_with(o.name)) return &o;
    return nullptr;
  }
  static ParseOutcome error(std::string message) { return {ParseOutcome::Status::error, std::move(message)}; }

  std::string program_;
  std::string summary_;
  std::vector<Option> options_;
  std::vector<Option> positionals_;
  std::vector<Option> pass_through_;
};

/// The flags every training example takes (the examples' contract, issue 13): `--steps N`
/// trains N more steps in this invocation while the schedules' horizon stays the example's
/// budget (its `OnPolicyConfig`/`OffPolicyConfig::total_steps`), `--seed S`, `--csv FILE` for
/// the learning curve, `--save FILE` / `--resume FILE` for the whole training state and
/// `--export FILE` for the inference policy (`run_training` in training_run.hpp does what they
/// ask). The file named by --csv is this run's curve: an existing one is replaced
/// (`theta::CsvMode::overwrite`), so running an example twice with the same --csv works and
/// keeps the second run; with --resume it is appended to (`theta::CsvMode::append`).
///
///     theta::examples::TrainingFlags flags;
///     flags.declare(cli);
///     cli.parse(argc, argv);
///     const std::int64_t steps = flags.steps.value_or(total_steps);
struct TrainingFlags {
  std::optional<std::int64_t> steps;  ///< empty: the example's whole budget
  std::uint64_t seed = 0;
  std::filesystem::path csv;  ///< empty: no CSV
  std::filesystem::path save;         ///< empty: no checkpoint written
  std::filesystem::path resume;       ///< empty: train from scratch
  std::filesystem::path export_path;  ///< empty: no policy exported

  /// Declares the flags; `budget` (when known before parsing) is named in --help.
  void declare(CommandLine& cli, std::optional<std::int64_t> budget = {}) {
    const std::string whole = budget ? fmt::format("the budget, {}", *budget) : std::string("the budget");
    cli.add("--steps", steps, "N",
            fmt::format("train N more steps in this invocation (default: {}; the schedules' horizon stays the budget)",
                        whole),
            {.min = 1});
    cli.add("--seed", seed, "S", "the seed every random stream is derived from");
    cli.add("--csv", csv, "FILE", "write the learning curve to FILE (replaced if it exists; appended to with --resume)");
    cli.add("--save", save, "FILE", "write the whole training state to FILE after training (before the evaluation)");
    cli.add("--resume", resume, "FILE", "load the training state from FILE (written by --save) before training");
    cli.add("--export", export_path, "FILE", "write the trained policy to FILE for theta/inference.hpp (deploy_policy)");
  }
};

}  // namespace theta::examples
