#include "io/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace biotwin::io {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kQuietPeriod{1000};
constexpr std::chrono::milliseconds kTtyInterval{100};
constexpr std::chrono::milliseconds kLogInterval{2000};

std::string Format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

}  // namespace

Progress::Progress(std::string label, double t_begin, double t_end, std::string unit,
                   std::FILE* out)
    : label_(std::move(label)),
      t_begin_(t_begin),
      t_end_(t_end),
      unit_(std::move(unit)),
      out_(out),
      tty_(out != nullptr && ::isatty(::fileno(out)) == 1),
      start_(Clock::now()),
      last_(start_),
      t_last_(t_begin) {}

Progress::~Progress() { Finish(); }

void Progress::Update(double t) {
  if (finished_ || out_ == nullptr) return;
  t_last_ = t;
  const Clock::time_point now = Clock::now();
  if (now - start_ < kQuietPeriod) return;
  if (printed_ && now - last_ < (tty_ ? kTtyInterval : kLogInterval)) return;
  double span = t_end_ - t_begin_;
  double fraction = span > 0.0 ? (t - t_begin_) / span : 1.0;
  if (!std::isfinite(fraction)) fraction = 0.0;
  fraction = std::clamp(fraction, 0.0, 1.0);
  // Floor, so 100% only shows once the end is actually reached.
  int percent = static_cast<int>(std::floor(fraction * 100.0 + 1e-9));
  Print(std::to_string(percent) + "%", now, false);
}

void Progress::Finish() {
  if (finished_) return;
  finished_ = true;
  if (!printed_ || out_ == nullptr) return;
  Print("done", Clock::now(), true);
}

void Progress::Print(const std::string& state, Clock::time_point now, bool final) {
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  std::string line = label_ + ": " + state + " (t = " + Format("%.4g", t_last_) + " / " +
                     Format("%.4g", t_end_) + (unit_.empty() ? "" : " " + unit_) + "), " +
                     Format(elapsed < 100.0 ? "%.1f" : "%.0f", elapsed) + " s elapsed";
  if (tty_) {
    std::string shown = "\r" + line;
    if (line.size() < line_length_) shown.append(line_length_ - line.size(), ' ');
    line_length_ = line.size();
    if (final) shown += "\n";
    std::fputs(shown.c_str(), out_);
  } else {
    line += "\n";
    std::fputs(line.c_str(), out_);
  }
  std::fflush(out_);
  printed_ = true;
  last_ = now;
}

}  // namespace biotwin::io
