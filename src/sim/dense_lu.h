// LU factorisation with partial pivoting for the small dense matrices of process models (5-100
// unknowns, column major): plain column loops that the compiler vectorises, built for AVX2 as well
// as the baseline. Used by the CVODES linear solver (small_dense_solver.h) and the Rosenbrock
// integrator (rosenbrock.h). For these sizes this takes about a third of the instructions of
// Eigen's blocked PartialPivLU, whose packing for its matrix-matrix kernels costs more than it
// saves. No allocation.
#ifndef BIOTWIN_SIM_DENSE_LU_H_
#define BIOTWIN_SIM_DENSE_LU_H_

namespace biotwin::sim {

// Factorises the n x n column-major matrix `a` in place into a unit lower L (below the diagonal)
// and U; row i of the factorised matrix is row perm[i] of the input. Returns 0, or the 1-based
// column of a zero or non-finite pivot.
int DenseLuFactor(double* a, int* perm, int n);

// Solves A t = b with the factors of DenseLuFactor; `t` and `b` must not overlap.
void DenseLuSolve(const double* lu, const int* perm, int n, const double* b, double* t);

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_DENSE_LU_H_
