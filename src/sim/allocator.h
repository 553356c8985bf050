// Process-wide allocator policy for the batch runners (RunSampled, RunEnsemble).
#ifndef BIOTWIN_SIM_ALLOCATOR_H_
#define BIOTWIN_SIM_ALLOCATOR_H_

namespace biotwin::sim {

// Raises glibc's M_MMAP_THRESHOLD to 64 MiB and M_TRIM_THRESHOLD to 256 MiB (once per process;
// a no-op elsewhere): freed blocks up to that size stay in the process for the next batch.
//
// Why: a batch's trajectories take about 1 MB (IndPenSim, 230 h at 0.2 h: states, outputs,
// inputs and measurements). With glibc's defaults each batch's result arrays are mapped fresh (or
// the heap top is trimmed back to the kernel after the batch), so every batch has the kernel
// fault in and zero its pages again: ~90 page faults per IndPenSim batch, 0.6-0.7 ms of a
// 8.5 ms batch on a virtual machine, and a fifth of the ensemble's time on 2 threads (163 against
// 208 batches/s). The cost is resident memory the process keeps after its largest batch (a few
// MB per thread); the first batch of a process still pays its page faults.
void KeepFreedMemoryForReuse();

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_ALLOCATOR_H_
