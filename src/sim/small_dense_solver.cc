#include "sim/small_dense_solver.h"

#include <nvector/nvector_serial.h>
#include <sunmatrix/sunmatrix_dense.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <new>

#include "sim/dense_lu.h"

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
  const int zero_pivot = DenseLuFactor(c.lu.data(), c.perm.data(), c.n);
  if (zero_pivot != 0) {
    c.last_flag = zero_pivot;
    return SUNLS_LUFACT_FAIL;
  }
  c.last_flag = 0;
  return SUNLS_SUCCESS;
}

int Solve(SUNLinearSolver s, SUNMatrix, N_Vector x, N_Vector b, realtype) {
  Content& c = *Get(s);
  // Through the solver's scratch: CVODES passes x == b.
  DenseLuSolve(c.lu.data(), c.perm.data(), c.n, N_VGetArrayPointer(b), c.scratch.data());
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
