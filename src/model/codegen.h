// Code generation for compiled models: a tape as one straight-line C++ function, and a
// translation unit that registers the tapes of several models with compiled_tapes.h. The
// generated code evaluates each operation through tape_ops.h, exactly as the interpreter does.
#ifndef BIOTWIN_MODEL_CODEGEN_H_
#define BIOTWIN_MODEL_CODEGEN_H_

#include <string>
#include <vector>

#include "model/tape.h"

namespace biotwin::model {

class FileModel;

// SHA-256 (hex) of what a tape computes: variable count, every instruction (operation, operands,
// constant bits) and the output nodes. Equal fingerprints mean equal functions.
std::string TapeFingerprint(const Tape& tape);

// C++ source of `void <name>(const double* v, double* out)`, which writes the value of every
// output of `tape` to out[0..num_outputs()).
std::string TapeFunctionSource(const Tape& tape, const std::string& name);

// C++ source of `void <name>(const double* v, double* jx, double* jp, double* f, double* jt)`:
// the Jacobians of the tape's outputs (one per state) with respect to the variables [0, states)
// into jx (column major, states x states) and [parameter_offset, parameter_offset + parameters)
// into jp when not null; the outputs' values into f and their derivatives with respect to
// variable parameter_offset + parameters (the time) into jt when not null. A forward sweep with local partials and one reverse sweep per output over its cone, in
// the interpreter's order (TapeForward / TapeGradient), so the numbers are the same.
std::string TapeJacobianSource(const Tape& tape, const std::string& name, int states, int parameter_offset,
                               int parameters);

// One translation unit with the balances and outputs of each model compiled and registered
// under their fingerprints; `labels` (one per model, e.g. its file name) go into comments.
std::string CompiledModelsSource(const std::vector<const FileModel*>& models,
                                 const std::vector<std::string>& labels);

}  // namespace biotwin::model

#endif  // BIOTWIN_MODEL_CODEGEN_H_
