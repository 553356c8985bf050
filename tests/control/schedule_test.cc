// Recipe schedules: IndPenSim's rule "at sample k use the first set-point whose breakpoint is
// ≥ k" against a literal transcription of its loop, time tables, ramps and event-triggered steps.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "control/control.h"

namespace biotwin::control {
namespace {

TEST(Schedule, UntilTableFollowsTheFirstBreakpointAtOrAfterTheSample) {
  // IndPenSim's sugar feed recipe (fctrl_indpensim.m).
  const std::vector<double> bp = {15, 60, 80, 100, 120, 140, 160, 180, 200, 220, 240,
                                  260, 280, 300, 320, 340, 360, 380, 400, 800, 1750};
  const std::vector<double> sp = {8, 15, 30, 75, 150, 30, 37, 43, 47, 51, 57,
                                  61, 65, 72, 76, 80, 84, 90, 116, 90, 80};
  Schedule s = Schedule::Until(true, bp, sp, sp.back());
  for (int k = 1; k <= 1800; ++k) {
    double want = sp.back();  // the MATLAB loop, literally
    for (size_t q = 0; q < bp.size(); ++q) {
      if (k <= bp[q]) {
        want = sp[q];
        break;
      }
    }
    ASSERT_EQ(s.TableValue(k, 0.2 * k), want) << "sample " << k;
  }
  EXPECT_EQ(s.TableValue(15, 0), 8);
  EXPECT_EQ(s.TableValue(16, 0), 15);
  // Non-integer breakpoints (IndPenSim's pressure table has 62.5).
  Schedule p = Schedule::Until(true, {62.5, 125}, {0.6, 0.7}, 0.9);
  EXPECT_EQ(p.TableValue(62, 0), 0.6);
  EXPECT_EQ(p.TableValue(63, 0), 0.7);
  EXPECT_EQ(p.TableValue(126, 0), 0.9);
}

TEST(Schedule, TimeStepsRampsAndBadTables) {
  Schedule st = Schedule::Steps(false, {0, 2, 5}, {1, 3, 4});
  EXPECT_EQ(st.TableValue(0, -1), 1);
  EXPECT_EQ(st.TableValue(0, 1.999), 1);
  EXPECT_EQ(st.TableValue(0, 2.0), 3);  // from its time on
  EXPECT_EQ(st.TableValue(0, 9), 4);
  Schedule r = Schedule::Ramp({1, 3}, {10, 20});
  EXPECT_DOUBLE_EQ(r.TableValue(0, 0), 10);
  EXPECT_DOUBLE_EQ(r.TableValue(0, 2), 15);
  EXPECT_DOUBLE_EQ(r.TableValue(0, 2.5), 17.5);
  EXPECT_DOUBLE_EQ(r.TableValue(0, 4), 20);
  EXPECT_THROW(Schedule::Steps(false, {0, 0}, {1, 2}), std::invalid_argument);
  EXPECT_THROW(Schedule::Until(true, {1, 2}, {1}, 0), std::invalid_argument);
}

TEST(Schedule, EventStepsLatchInOrder) {
  Schedule s = Schedule::Constant(30);
  ScheduleEvent low;
  low.measurement = 0;
  low.above = false;
  low.threshold = 20;
  low.value = 50;
  low.not_before = 1.0;
  ScheduleEvent high;
  high.measurement = 1;
  high.above = true;
  high.threshold = 5;
  high.value = 70;
  s.AddEvent(low);
  s.AddEvent(high);
  double m[2] = {10, 0};
  EXPECT_EQ(s.Value(0, 0.5, m), 30);  // too early
  EXPECT_EQ(s.Value(1, 1.0, m), 50);
  m[0] = 40;
  EXPECT_EQ(s.Value(2, 1.5, m), 50);  // latched
  m[1] = std::nan("");
  EXPECT_EQ(s.Value(3, 2.0, m), 50);  // a missing measurement does not trigger
  m[1] = 6;
  EXPECT_EQ(s.Value(4, 2.5, m), 70);
  s.Reset();
  m[0] = 40;
  m[1] = 0;
  EXPECT_EQ(s.Value(0, 3.0, m), 30);
}

}  // namespace
}  // namespace biotwin::control
