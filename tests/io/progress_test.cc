#include "io/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

namespace biotwin::io {

// Test hook (friend of Progress): moves the clock origin into the past instead of sleeping, and
// forces terminal mode on a file stream.
class ProgressTestPeer {
 public:
  static void Age(Progress& p, std::chrono::milliseconds by) {
    p.start_ -= by;
    p.last_ -= by;
  }
  static void SetTty(Progress& p, bool tty) { p.tty_ = tty; }
};

namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using std::chrono::milliseconds;

// Everything written to `f` so far.
std::string Contents(std::FILE* f) {
  std::fflush(f);
  long end = std::ftell(f);
  std::rewind(f);
  std::string text(static_cast<size_t>(end), '\0');
  size_t n = std::fread(text.data(), 1, text.size(), f);
  text.resize(n);
  std::fseek(f, 0, SEEK_END);
  return text;
}

int Count(const std::string& text, char c) {
  int n = 0;
  for (char x : text) n += x == c;
  return n;
}

class ProgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = std::tmpfile();
    ASSERT_NE(out_, nullptr);
  }
  void TearDown() override { std::fclose(out_); }
  std::FILE* out_ = nullptr;
};

TEST_F(ProgressTest, SilentDuringFirstSecond) {
  {
    Progress p("simulate demo", 0.0, 40.0, "h", out_);
    p.Update(1.0);
    p.Update(20.0);
    p.Update(40.0);
    EXPECT_FALSE(p.printed());
    ProgressTestPeer::Age(p, milliseconds(900));
    p.Update(40.0);
    EXPECT_FALSE(p.printed());
  }  // destructor: Finish() prints nothing when nothing was printed
  EXPECT_EQ(Contents(out_), "");
}

TEST_F(ProgressTest, PrintsAfterOneSecondOfRealTime) {
  Progress p("simulate demo", 0.0, 40.0, "h", out_);
  p.Update(2.0);
  EXPECT_FALSE(p.printed());
  std::this_thread::sleep_for(milliseconds(1050));
  p.Update(16.8);
  EXPECT_TRUE(p.printed());
  EXPECT_THAT(Contents(out_), StartsWith("simulate demo: 42% (t = 16.8 / 40 h), 1."));
  EXPECT_THAT(Contents(out_), HasSubstr(" s elapsed\n"));
}

TEST_F(ProgressTest, LogModeLimitsLinesAndFinishes) {
  Progress p("fit", 0.0, 10.0, "h", out_);
  ProgressTestPeer::Age(p, milliseconds(1300));
  p.Update(2.5);
  p.Update(3.0);  // too soon for another line in a log
  p.Update(3.5);
  std::string text = Contents(out_);
  EXPECT_EQ(Count(text, '\n'), 1) << text;
  EXPECT_THAT(text, StartsWith("fit: 25% (t = 2.5 / 10 h), 1.3 s elapsed\n"));
  ProgressTestPeer::Age(p, milliseconds(2000));  // the last line is now 2 s old
  p.Update(5.0);
  text = Contents(out_);
  EXPECT_EQ(Count(text, '\n'), 2) << text;
  EXPECT_THAT(text, HasSubstr("fit: 50% (t = 5 / 10 h), 3.3 s elapsed\n"));
  EXPECT_EQ(Count(text, '\r'), 0);
  p.Update(10.0);
  p.Finish();
  p.Finish();  // idempotent
  text = Contents(out_);
  EXPECT_EQ(Count(text, '\n'), 3) << text;
  EXPECT_THAT(text, HasSubstr("fit: done (t = 10 / 10 h), 3.3 s elapsed\n"));
  p.Update(10.0);  // ignored after Finish
  EXPECT_EQ(Contents(out_), text);
}

TEST_F(ProgressTest, TerminalModeRefreshesInPlace) {
  Progress p("run", 100.0, 200.0, "min", out_);
  ProgressTestPeer::SetTty(p, true);
  ProgressTestPeer::Age(p, milliseconds(1500));
  p.Update(150.0);
  p.Update(160.0);  // within 0.1 s: skipped
  std::string text = Contents(out_);
  EXPECT_EQ(text, "\rrun: 50% (t = 150 / 200 min), 1.5 s elapsed");
  ProgressTestPeer::Age(p, milliseconds(100));
  p.Update(199.999);
  text = Contents(out_);
  EXPECT_EQ(Count(text, '\r'), 2);
  EXPECT_EQ(Count(text, '\n'), 0);
  EXPECT_THAT(text, HasSubstr("\rrun: 99% (t = 200 / 200 min), 1.6 s elapsed"));
  p.Finish();
  text = Contents(out_);
  EXPECT_EQ(Count(text, '\n'), 1);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_THAT(text, HasSubstr("\rrun: done (t = 200 / 200 min)"));
}

TEST_F(ProgressTest, ClampsPercentAndHandlesEmptySpan) {
  {
    Progress p("a", 0.0, 10.0, "h", out_);
    ProgressTestPeer::Age(p, milliseconds(1100));
    p.Update(-5.0);
  }
  {
    Progress p("b", 0.0, 10.0, "h", out_);
    ProgressTestPeer::Age(p, milliseconds(1100));
    p.Update(12.0);
  }
  {
    Progress p("c", 3.0, 3.0, "h", out_);
    ProgressTestPeer::Age(p, milliseconds(1100));
    p.Update(3.0);
  }
  std::string text = Contents(out_);
  EXPECT_THAT(text, HasSubstr("a: 0% (t = -5 / 10 h)"));
  EXPECT_THAT(text, HasSubstr("b: 100% (t = 12 / 10 h)"));
  EXPECT_THAT(text, HasSubstr("c: 100% (t = 3 / 3 h)"));
  EXPECT_EQ(Count(text, '\n'), 6);  // one progress line and one "done" line each
}

TEST_F(ProgressTest, NullStreamIsSilent) {
  Progress p("x", 0.0, 1.0, "h", nullptr);
  ProgressTestPeer::Age(p, milliseconds(5000));
  p.Update(0.5);
  EXPECT_FALSE(p.printed());
}

TEST_F(ProgressTest, FileIsNotATerminal) {
  Progress p("x", 0.0, 1.0, "h", out_);
  ProgressTestPeer::Age(p, milliseconds(1100));
  p.Update(0.5);
  EXPECT_EQ(Contents(out_).find('\r'), std::string::npos);
}

}  // namespace
}  // namespace biotwin::io
