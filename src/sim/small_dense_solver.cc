#include "sim/small_dense_solver.h"

#include <nvector/nvector_serial.h>
#include <sunmatrix/sunmatrix_dense.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <new>

namespace biotwin::sim {
namespace {

using MatrixMap = Eigen::Map<const Eigen::MatrixXd>;

struct Content {
  explicit Content(int size) : n(size), lu(size, size), perm(size), scratch(size) {}
  int n;
  Eigen::MatrixXd lu;       // L (unit lower, below the diagonal) and U, column major
  Eigen::VectorXi perm;     // row i of the factorised matrix is row perm[i] of the input
  Eigen::VectorXd scratch;
  sunindextype last_flag = 0;
};

// In-place LU with partial pivoting (right-looking, column major): plain loops over the
// contiguous columns, which the compiler vectorises. For the 5-100 unknowns of a process model
// this takes about a third of the instructions of Eigen's PartialPivLU, whose blocking and
// packing for its matrix-matrix kernels cost more than they save at these sizes. Returns 0, or
// the 1-based column of a zero (or non-finite) pivot.
// Built for AVX2 as well as the baseline where the compiler supports it; the clone is picked at
// load time by the CPU. Without FMA contraction (ISO C++ mode) both give the same numbers.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define BIOTWIN_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define BIOTWIN_VECTOR_CLONES
#endif

BIOTWIN_VECTOR_CLONES int FactorInPlace(Eigen::MatrixXd& m, Eigen::VectorXi& perm) {
  const int n = static_cast<int>(m.rows());
  double* a = m.data();
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

Content* Get(SUNLinearSolver s) { return static_cast<Content*>(s->content); }

SUNLinearSolver_Type GetType(SUNLinearSolver) { return SUNLINEARSOLVER_DIRECT; }
SUNLinearSolver_ID GetId(SUNLinearSolver) { return SUNLINEARSOLVER_CUSTOM; }
int Initialize(SUNLinearSolver s) {
  Get(s)->last_flag = 0;
  return SUNLS_SUCCESS;
}

int Setup(SUNLinearSolver s, SUNMatrix a) {
  Content& c = *Get(s);
  if (SUNMatGetID(a) != SUNMATRIX_DENSE || SM_ROWS_D(a) != c.n || SM_COLUMNS_D(a) != c.n) {
    c.last_flag = SUNLS_ILL_INPUT;
    return SUNLS_ILL_INPUT;
  }
  c.lu = MatrixMap(SM_DATA_D(a), c.n, c.n);
  // A zero pivot: singular Newton matrix; CVODES retries with a smaller step (recoverable).
  const int zero_pivot = FactorInPlace(c.lu, c.perm);
  if (zero_pivot != 0) {
    c.last_flag = zero_pivot;
    return SUNLS_LUFACT_FAIL;
  }
  c.last_flag = 0;
  return SUNLS_SUCCESS;
}

// t = P b, then the unit-lower and upper triangular solves in place, column by column over the
// contiguous columns. Plain loops: for the handful of unknowns of a process model Eigen's
// blocked dynamic-size triangular solver spends more time on dispatch than on arithmetic (it
// took ~8 % of a sensitivity fit).
BIOTWIN_VECTOR_CLONES void SolveInPlace(const double* lu, const int* perm, int n, const double* b, double* t) {
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

int Solve(SUNLinearSolver s, SUNMatrix, N_Vector x, N_Vector b, realtype) {
  Content& c = *Get(s);
  // Through the solver's scratch: CVODES passes x == b.
  SolveInPlace(c.lu.data(), c.perm.data(), c.n, N_VGetArrayPointer(b), c.scratch.data());
  std::copy_n(c.scratch.data(), c.n, N_VGetArrayPointer(x));
  c.last_flag = 0;
  return SUNLS_SUCCESS;
}

sunindextype LastFlag(SUNLinearSolver s) { return Get(s)->last_flag; }

int Space(SUNLinearSolver s, long* real_words, long* int_words) {
  *real_words = static_cast<long>(Get(s)->n) * Get(s)->n;
  *int_words = 2L * Get(s)->n;
  return SUNLS_SUCCESS;
}

int Free(SUNLinearSolver s) {
  if (s == nullptr) return SUNLS_SUCCESS;
  delete Get(s);
  s->content = nullptr;
  SUNLinSolFreeEmpty(s);
  return SUNLS_SUCCESS;
}

// Fast matrix operations on the contiguous column-major data of a SUNDenseMatrix.
bool SameShape(SUNMatrix a, SUNMatrix b) {
  return SUNMatGetID(b) == SUNMATRIX_DENSE && SM_ROWS_D(a) == SM_ROWS_D(b) && SM_COLUMNS_D(a) == SM_COLUMNS_D(b);
}

int MatZero(SUNMatrix a) {
  std::fill_n(SM_DATA_D(a), SM_LDATA_D(a), 0.0);
  return SUNMAT_SUCCESS;
}

int MatCopy(SUNMatrix a, SUNMatrix b) {
  if (!SameShape(a, b)) return SUNMAT_ILL_INPUT;
  std::copy_n(SM_DATA_D(a), SM_LDATA_D(a), SM_DATA_D(b));
  return SUNMAT_SUCCESS;
}

// A = c A + I
int MatScaleAddI(realtype c, SUNMatrix a) {
  double* d = SM_DATA_D(a);
  const sunindextype len = SM_LDATA_D(a), rows = SM_ROWS_D(a), cols = SM_COLUMNS_D(a);
  for (sunindextype i = 0; i < len; ++i) d[i] *= c;
  for (sunindextype j = 0; j < std::min(rows, cols); ++j) d[j * rows + j] += 1.0;
  return SUNMAT_SUCCESS;
}

void UseFastOps(SUNMatrix a);

SUNMatrix MatClone(SUNMatrix a) {
  SUNMatrix b = SUNMatClone_Dense(a);
  if (b != nullptr) UseFastOps(b);
  return b;
}

void UseFastOps(SUNMatrix a) {
  a->ops->zero = MatZero;
  a->ops->copy = MatCopy;
  a->ops->scaleaddi = MatScaleAddI;
  a->ops->clone = MatClone;
}

}  // namespace

SUNMatrix NewSmallDenseMatrix(int n, SUNContext ctx) {
  if (n < 1) return nullptr;
  SUNMatrix a = SUNDenseMatrix(n, n, ctx);
  if (a != nullptr) UseFastOps(a);
  return a;
}

SUNLinearSolver NewSmallDenseSolver(int n, SUNContext ctx) {
  if (n < 1) return nullptr;
  SUNLinearSolver s = SUNLinSolNewEmpty(ctx);
  if (s == nullptr) return nullptr;
  s->content = new (std::nothrow) Content(n);
  if (s->content == nullptr) {
    SUNLinSolFreeEmpty(s);
    return nullptr;
  }
  s->ops->gettype = GetType;
  s->ops->getid = GetId;
  s->ops->initialize = Initialize;
  s->ops->setup = Setup;
  s->ops->solve = Solve;
  s->ops->lastflag = LastFlag;
  s->ops->space = Space;
  s->ops->free = Free;
  return s;
}

}  // namespace biotwin::sim
