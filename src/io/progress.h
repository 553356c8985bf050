// Progress indication for long runs: silent for the first second, then a line on stderr
// (refreshed in place on a terminal at most every 0.1 s; otherwise a new line at most every 2 s,
// to keep logs small).
#ifndef BIOTWIN_IO_PROGRESS_H_
#define BIOTWIN_IO_PROGRESS_H_

#include <chrono>
#include <cstdio>
#include <string>

namespace biotwin::io {

class Progress {
 public:
  // `label` such as "simulate ecoli_anane2017"; progress runs from t_begin to t_end in `unit`.
  Progress(std::string label, double t_begin, double t_end, std::string unit,
           std::FILE* out = stderr);
  ~Progress();  // calls Finish()

  // Cheap to call often: reads the clock, prints only when due.
  void Update(double t);
  // Ends the line if anything was printed. Idempotent.
  void Finish();
  bool printed() const { return printed_; }

 private:
  std::string label_;
  double t_begin_, t_end_;
  std::string unit_;
  std::FILE* out_;
  bool tty_;
  bool printed_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_;
  double t_last_ = 0.0;     // last time passed to Update()
  size_t line_length_ = 0;  // length of the line currently shown (TTY), to blank leftovers

  void Print(const std::string& state, std::chrono::steady_clock::time_point now, bool final);

  friend class ProgressTestPeer;  // tests: shift the clock origin, force TTY mode
};

}  // namespace biotwin::io

#endif  // BIOTWIN_IO_PROGRESS_H_
