// InputProfile::Value with a search cursor (the simulator's per-input hint for long tables) gives
// exactly what the plain binary search gives, for queries moving forward one piece at a time,
// jumping ahead, going back, and falling before the first or after the last point.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

#include "sim/inputs.h"

namespace biotwin::sim {
namespace {

TEST(InputCursor, AgreesWithTheBinarySearchWhereverTheQueriesGo) {
  std::vector<double> times, values;
  for (int k = 0; k < 1150; ++k) {
    times.push_back(0.2 * k);
    values.push_back(std::sin(0.37 * k));
  }
  const InputProfile profiles[] = {InputProfile::PiecewiseConstant(times, values),
                                   InputProfile::PiecewiseLinear(times, values)};
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> anywhere(-5.0, 240.0);
  for (const InputProfile& prof : profiles) {
    size_t cursor = 0;
    std::vector<double> queries;
    for (int k = 0; k < 1200; ++k) queries.push_back(0.2 * k + 0.05);  // forward, piece by piece
    for (double t : times) queries.push_back(t);                       // exactly on the points
    for (int k = 0; k < 500; ++k) queries.push_back(anywhere(rng));     // jumps both ways
    for (double q : queries) {
      ASSERT_EQ(prof.Value(q, q, &cursor), prof.Value(q, q)) << q;
      const double inside = q + 0.01;  // t within the piece of piece_time q
      ASSERT_EQ(prof.Value(inside, q, &cursor), prof.Value(inside, q)) << q;
    }
  }
}

}  // namespace
}  // namespace biotwin::sim
