// Built-in compiled code for model tapes. `biotwin_codegen` turns the tapes of the bundled
// model files into straight-line C++ at build time (codegen.h); the generated translation unit
// registers one function per tape under the tape's fingerprint, and FileModel uses a registered
// function instead of interpreting a tape whose fingerprint matches. Any edit that changes a
// model's equations changes the fingerprint, so the model then runs interpreted (same numbers,
// slower); parameter values are inputs of the code and do not matter.
#ifndef BIOTWIN_MODEL_COMPILED_TAPES_H_
#define BIOTWIN_MODEL_COMPILED_TAPES_H_

#include <string>

namespace biotwin::model {

// Evaluates every output of one tape: vars has the tape's variable vector, out one entry per
// output. Thread-safe (no state).
using CompiledTapeFn = void (*)(const double* vars, double* out);

// Writes the Jacobians of a model's balances at vars: jx (n x n) and, when not null, jp (n x
// parameters), column major, exactly as FileModel::Jacobians from the tape; when not null also
// the balances themselves into f (n; the forward sweep computes them anyway) and their
// derivatives with respect to the time variable into jt (n).
using CompiledJacobianFn = void (*)(const double* vars, double* jx, double* jp, double* f, double* jt);

// Key of a compiled balance Jacobian: the tape's fingerprint and the variable layout it writes.
std::string JacobianKey(const std::string& fingerprint, int states, int parameter_offset, int parameters);

// Called by the generated code's static initialisers. Returns true (a value for the initialiser
// to hold).
bool RegisterCompiledTape(const char* fingerprint, CompiledTapeFn fn);

bool RegisterCompiledJacobian(const char* key, CompiledJacobianFn fn);
CompiledJacobianFn FindCompiledJacobian(const std::string& key);

// The registered function for `fingerprint`, or nullptr when there is none or compiled code is
// switched off (SetCompiledTapesEnabled(false) or BIOTWIN_INTERPRET=1 in the environment).
CompiledTapeFn FindCompiledTape(const std::string& fingerprint);

// Whether models loaded from now on may use compiled code (default: true unless the
// environment sets BIOTWIN_INTERPRET=1). Models already loaded keep what they have.
void SetCompiledTapesEnabled(bool enabled);
bool CompiledTapesEnabled();

// Number of registered tapes (for `biotwin check` and tests).
int NumCompiledTapes();

}  // namespace biotwin::model

#endif  // BIOTWIN_MODEL_COMPILED_TAPES_H_
