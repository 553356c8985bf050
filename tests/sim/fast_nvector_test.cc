// sim::UseFastVectorOps: every replaced operation returns exactly (bit for bit) what SUNDIALS'
// own serial implementation returns, including the aliasing CVODES relies on (output = input).
#include <gtest/gtest.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_context.h>

#include <random>
#include <vector>

#include "sim/fast_nvector.h"

namespace biotwin::sim {
namespace {

class FastNVectorTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    ASSERT_EQ(SUNContext_Create(nullptr, &ctx_), 0);
    n_ = GetParam();
    std::mt19937_64 rng(11 + n_);
    std::uniform_real_distribution<double> u(-3.0, 3.0);
    for (int k = 0; k < kVecs; ++k) {
      ref_[k] = N_VNew_Serial(n_, ctx_);
      N_VEnableFusedOps_Serial(ref_[k], SUNTRUE);
      fast_[k] = N_VClone(ref_[k]);
      UseFastVectorOps(fast_[k]);
      for (int i = 0; i < n_; ++i) {
        // Include exact zeros and a mask-like pattern.
        const double v = (i % 5 == 3) ? 0.0 : u(rng);
        NV_Ith_S(ref_[k], i) = v;
        NV_Ith_S(fast_[k], i) = v;
      }
    }
  }
  void TearDown() override {
    for (int k = 0; k < kVecs; ++k) {
      N_VDestroy(ref_[k]);
      N_VDestroy(fast_[k]);
    }
    SUNContext_Free(&ctx_);
  }
  void ExpectSame(int k) {
    for (int i = 0; i < n_; ++i) {
      EXPECT_EQ(NV_Ith_S(fast_[k], i), NV_Ith_S(ref_[k], i)) << "vector " << k << " element " << i;
    }
  }
  static constexpr int kVecs = 8;
  SUNContext ctx_ = nullptr;
  int n_ = 0;
  N_Vector ref_[kVecs] = {}, fast_[kVecs] = {};
};

TEST_P(FastNVectorTest, ClonesInheritTheFastOperations) {
  N_Vector c = N_VClone(fast_[0]);
  EXPECT_EQ(c->ops->nvlinearsum, fast_[0]->ops->nvlinearsum);
  EXPECT_NE(c->ops->nvlinearsum, ref_[0]->ops->nvlinearsum);
  N_VDestroy(c);
}

TEST_P(FastNVectorTest, ElementwiseOperationsMatchSerial) {
  for (N_Vector* v : {ref_, fast_}) {
    N_VLinearSum(0.7, v[0], -1.3, v[1], v[2]);
    N_VLinearSum(1.0, v[3], 2.5, v[0], v[3]);  // aliasing z = x
    N_VProd(v[0], v[1], v[4]);
    N_VScale(-2.0, v[1], v[5]);
    N_VAbs(v[5], v[5]);
    N_VAddConst(v[5], 0.25, v[6]);
    N_VInv(v[6], v[6]);
    N_VDiv(v[0], v[6], v[7]);
  }
  for (int k = 2; k < kVecs; ++k) ExpectSame(k);
  N_VConst(4.5, ref_[2]);
  N_VConst(4.5, fast_[2]);
  ExpectSame(2);
}

// The serial kernel's special cases associate differently (a == b: a (x + y); a == -b:
// a (x - y)); each coefficient pattern is checked on its own output.
TEST_P(FastNVectorTest, LinearSumSpecialCasesMatchSerial) {
  const double cases[][2] = {{0.3, 0.3}, {0.3, -0.3}, {-1.0, 1.7}, {1.7, -1.0}, {1.0, 0.4}, {0.4, 1.0}, {1.0, 1.0}, {-1.0, 1.0}, {1.0, -1.0}, {0.2, 0.9}};
  for (const auto& ab : cases) {
    N_VLinearSum(ab[0], ref_[0], ab[1], ref_[1], ref_[2]);
    N_VLinearSum(ab[0], fast_[0], ab[1], fast_[1], fast_[2]);
    ExpectSame(2);
  }
}

TEST_P(FastNVectorTest, ReductionsMatchSerial) {
  N_VAbs(ref_[1], ref_[7]);
  N_VAbs(fast_[1], fast_[7]);  // weights
  EXPECT_EQ(N_VWrmsNorm(fast_[0], fast_[7]), N_VWrmsNorm(ref_[0], ref_[7]));
  EXPECT_EQ(N_VWrmsNormMask(fast_[0], fast_[7], fast_[2]), N_VWrmsNormMask(ref_[0], ref_[7], ref_[2]));
  EXPECT_EQ(N_VDotProd(fast_[0], fast_[1]), N_VDotProd(ref_[0], ref_[1]));
  EXPECT_EQ(N_VMaxNorm(fast_[0]), N_VMaxNorm(ref_[0]));
  EXPECT_EQ(N_VMin(fast_[0]), N_VMin(ref_[0]));
  EXPECT_EQ(N_VWSqrSumLocal(fast_[0], fast_[7]), N_VWSqrSumLocal(ref_[0], ref_[7]));
  EXPECT_GT(N_VWrmsNorm(fast_[0], fast_[7]), 0.0);
}

TEST_P(FastNVectorTest, FusedAndArrayOperationsMatchSerial) {
  double c[4] = {0.5, -1.25, 2.0, 0.125};
  double same[2] = {0.7, 0.7};  // two equal coefficients: the serial kernel's a (x + y) path
  for (N_Vector* v : {ref_, fast_}) {
    N_Vector x2[2] = {v[0], v[1]};
    N_VLinearCombination(2, same, x2, v[7]);
  }
  ExpectSame(7);
  for (N_Vector* v : {ref_, fast_}) {
    N_Vector x3[3] = {v[0], v[1], v[2]};
    N_VLinearCombination(3, c, x3, v[3]);
    N_Vector alias[4] = {v[4], v[0], v[1], v[2]};  // z = X[0], as CVODES' predictor uses it
    N_VLinearCombination(4, c, alias, v[4]);
    N_Vector y2[2] = {v[0], v[1]}, z2[2] = {v[5], v[1]};  // second output aliases its Y
    N_VScaleAddMulti(2, c, v[2], y2, z2);
    N_Vector x2[2] = {v[6], v[7]}, w2[2] = {v[0], v[0]};
    N_VScaleVectorArray(2, c, x2, x2);
    N_VLinearSumVectorArray(2, 0.3, x2, -0.7, w2, x2);
  }
  for (int k = 0; k < kVecs; ++k) ExpectSame(k);
  double dref[2], dfast[2];
  N_Vector yr[2] = {ref_[1], ref_[2]}, yf[2] = {fast_[1], fast_[2]};
  N_VDotProdMulti(2, ref_[0], yr, dref);
  N_VDotProdMulti(2, fast_[0], yf, dfast);
  EXPECT_EQ(dfast[0], dref[0]);
  EXPECT_EQ(dfast[1], dref[1]);
  // Z[j][i] = a[j] X[i] + Y[j][i]: two vectors, three sums.
  for (N_Vector* v : {ref_, fast_}) {
    N_Vector x[2] = {v[0], v[1]};
    N_Vector y0[2] = {v[2], v[3]}, y1[2] = {v[4], v[5]}, y2b[2] = {v[6], v[7]};
    N_Vector* y[3] = {y0, y1, y2b};
    N_VScaleAddMultiVectorArray(2, 3, c, x, y, y);
    N_Vector* xs[3] = {y0, y1, y2b};
    N_Vector z[2] = {v[0], v[1]};
    N_VLinearCombinationVectorArray(2, 3, c, xs, z);
  }
  for (int k = 0; k < kVecs; ++k) ExpectSame(k);
}

INSTANTIATE_TEST_SUITE_P(Lengths, FastNVectorTest, ::testing::Values(1, 7, 34));

}  // namespace
}  // namespace biotwin::sim
