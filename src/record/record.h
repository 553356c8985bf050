// Public header of the GMP record layer (biotwin_record): include this one file.
//
// Recording a simulation run as a batch (what `biotwin simulate` needs):
//
//   auto store = biotwin::record::RecordStore::Open("biotwin.db");      // creates if missing
//   auto sys = biotwin::record::Principal::System("simulate");
//   int64_t batch = store->batches().Start(sys, {.name = "run-1", .model_name = "cho",
//       .model_version = "1.2", .model_hash = sha, .recipe_snapshot = scenario_text});
//   store->batches().AppendSeries(sys, batch, "X", "g/L", times_s, values);
//   store->batches().AppendSamples(sys, batch, rows);   // many tags in one transaction
//   store->batches().AppendEvent(sys, batch, t_s, "feed", "bolus 50 mL");
//   store->batches().Finish(sys, batch, biotwin::record::BatchStatus::kCompleted, "ok");
//
// Every call is one durable, audited transaction; errors throw biotwin::record::Error.
#ifndef BIOTWIN_RECORD_RECORD_H_
#define BIOTWIN_RECORD_RECORD_H_

#include "record/audit.h"
#include "record/audit_verify.h"
#include "record/batch.h"
#include "record/crypto.h"
#include "record/error.h"
#include "record/historian.h"
#include "record/phase.h"
#include "record/record_store.h"
#include "record/signature.h"
#include "record/store.h"
#include "record/trace.h"
#include "record/users.h"
#include "record/users_permissions.h"

#endif  // BIOTWIN_RECORD_RECORD_H_
