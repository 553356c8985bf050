// Optimised kernels for SUNDIALS' serial N_Vector. Debian's SUNDIALS 6.4 libraries are built
// without optimisation (-O0), so every vector operation CVODES, ARKODE and the Newton solver run
// costs several times what it should: for the 34 states of IndPenSim, vector operations were
// about a fifth of a closed-loop batch. UseFastVectorOps replaces the serial vector's operations
// with the same operations compiled here, element by element in the same order, so every result
// is bit-for-bit the serial implementation's. Clones (CVODES' work vectors) inherit them.
#ifndef BIOTWIN_SIM_FAST_NVECTOR_H_
#define BIOTWIN_SIM_FAST_NVECTOR_H_

#include <sundials/sundials_nvector.h>

namespace biotwin::sim {

// `v` must be a serial vector (N_VNew_Serial). Operations the vector does not have enabled
// (fused and array operations switched off) stay off; the rarely used ones (constraint masks,
// comparisons, L1/L2 norms, inverse test, minimum quotient) keep SUNDIALS' implementations.
void UseFastVectorOps(N_Vector v);

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_FAST_NVECTOR_H_
