#include "sim/dense_lu.h"

#include <cmath>
#include <cstddef>
#include <utility>

namespace biotwin::sim {

// The clone for the running CPU is picked at load time. Without FMA contraction (ISO C++ mode)
// both clones give the same numbers.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define BIOTWIN_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define BIOTWIN_VECTOR_CLONES
#endif

// Right-looking elimination over the contiguous columns; columns whose entry in the pivot row
// is zero are skipped (process Jacobians are sparse).
BIOTWIN_VECTOR_CLONES int DenseLuFactor(double* a, int* perm, int n) {
  for (int i = 0; i < n; ++i) perm[i] = i;
  for (int k = 0; k < n; ++k) {
    double* col_k = a + static_cast<size_t>(k) * n;
    int p = k;
    double best = std::fabs(col_k[k]);
    for (int i = k + 1; i < n; ++i) {
      const double v = std::fabs(col_k[i]);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (best == 0.0 || !std::isfinite(best)) return k + 1;
    if (p != k) {
      for (int j = 0; j < n; ++j) std::swap(a[k + static_cast<size_t>(j) * n], a[p + static_cast<size_t>(j) * n]);
      std::swap(perm[k], perm[p]);
    }
    const double inv = 1.0 / col_k[k];
    for (int i = k + 1; i < n; ++i) col_k[i] *= inv;
    for (int j = k + 1; j < n; ++j) {
      double* col_j = a + static_cast<size_t>(j) * n;
      const double u = col_j[k];
      if (u == 0.0) continue;
      for (int i = k + 1; i < n; ++i) col_j[i] -= col_k[i] * u;
    }
  }
  return 0;
}

// t = P b, then the unit-lower and upper triangular solves, column by column.
BIOTWIN_VECTOR_CLONES void DenseLuSolve(const double* lu, const int* perm, int n, const double* b, double* t) {
  for (int i = 0; i < n; ++i) t[i] = b[perm[i]];
  for (int j = 0; j < n; ++j) {
    const double tj = t[j];
    if (tj == 0.0) continue;
    const double* col = lu + static_cast<size_t>(j) * n;
    for (int i = j + 1; i < n; ++i) t[i] -= col[i] * tj;
  }
  for (int j = n - 1; j >= 0; --j) {
    const double* col = lu + static_cast<size_t>(j) * n;
    const double tj = t[j] / col[j];
    t[j] = tj;
    if (tj == 0.0) continue;
    for (int i = 0; i < j; ++i) t[i] -= col[i] * tj;
  }
}

}  // namespace biotwin::sim
