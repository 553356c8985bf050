// biotwin layer 3, estimation: parameter estimation and identifiability (fit*), measurement
// error models and fit data. Include this header to use the module.
#ifndef BIOTWIN_ESTIMATE_ESTIMATE_H_
#define BIOTWIN_ESTIMATE_ESTIMATE_H_

#include "estimate/error_model.h"
#include "estimate/fit.h"
#include "estimate/fit_dossier.h"
#include "estimate/fit_data.h"
#include "estimate/fit_problem.h"
#include "estimate/fit_residuals.h"
#include "estimate/fit_spec.h"

#endif  // BIOTWIN_ESTIMATE_ESTIMATE_H_
