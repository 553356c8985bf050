// Dense matrix and linear solver for small systems: the Newton matrix (a SUNDenseMatrix, column
// major) is factorised by a partial-pivoting LU in plain column loops (built for AVX2 too), which
// is several times faster than SUNDIALS' own dense GETRF/GETRS and than Eigen's blocked LU for
// the 10-100 unknowns of a process model (Debian's SUNDIALS has no LAPACK solver). Drop-in for SUNLinSol_Dense: same matrix, same "direct" type, so CVODES
// keeps its own gamma-ratio correction. No allocation after creation.
#ifndef BIOTWIN_SIM_SMALL_DENSE_SOLVER_H_
#define BIOTWIN_SIM_SMALL_DENSE_SOLVER_H_

#include <sundials/sundials_linearsolver.h>
#include <sundials/sundials_matrix.h>

namespace biotwin::sim {

// A SUNDenseMatrix (same storage, SM_DATA_D works) whose zero, copy and scale-add-identity
// operations, which CVODES runs at every Newton matrix set-up (M = I - gamma J from the saved J),
// are flat loops over the contiguous data instead of SUNDIALS' column-by-column ones. Clones keep
// the fast operations. Free it with SUNMatDestroy.
SUNMatrix NewSmallDenseMatrix(int n, SUNContext ctx);

// Creates the solver for n x n dense matrices in context `ctx`; free it with SUNLinSolFree.
// Returns nullptr when n < 1 or memory is exhausted.
SUNLinearSolver NewSmallDenseSolver(int n, SUNContext ctx);

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_SMALL_DENSE_SOLVER_H_
