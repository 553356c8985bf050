#include "record/phase.h"

#include "record/audit.h"
#include "record/crypto.h"
#include "record/error.h"
#include "record/record_store.h"

namespace biotwin::record {

namespace {

using S = PhaseState;
using C = PhaseCommand;

struct TransitionRow {
  S from;
  C command;
  S to;
};

// ISA-88 procedural state model, working table of standards.md §2.1 (anything not listed is
// illegal). Abort is accepted from every state that is not already aborting or final.
constexpr TransitionRow kPhaseTransitions[] = {
    {S::kIdle, C::kStart, S::kRunning},
    {S::kRunning, C::kHold, S::kHolding},     {S::kRunning, C::kPause, S::kPausing},
    {S::kRunning, C::kStop, S::kStopping},    {S::kRunning, C::kAbort, S::kAborting},
    {S::kRunning, C::kDone, S::kComplete},
    {S::kPausing, C::kHold, S::kHolding},     {S::kPausing, C::kStop, S::kStopping},
    {S::kPausing, C::kAbort, S::kAborting},   {S::kPausing, C::kDone, S::kPaused},
    {S::kPaused, C::kHold, S::kHolding},      {S::kPaused, C::kResume, S::kRunning},
    {S::kPaused, C::kStop, S::kStopping},     {S::kPaused, C::kAbort, S::kAborting},
    {S::kHolding, C::kStop, S::kStopping},    {S::kHolding, C::kAbort, S::kAborting},
    {S::kHolding, C::kDone, S::kHeld},
    {S::kHeld, C::kRestart, S::kRestarting},  {S::kHeld, C::kStop, S::kStopping},
    {S::kHeld, C::kAbort, S::kAborting},
    {S::kRestarting, C::kHold, S::kHolding},  {S::kRestarting, C::kStop, S::kStopping},
    {S::kRestarting, C::kAbort, S::kAborting}, {S::kRestarting, C::kDone, S::kRunning},
    {S::kStopping, C::kAbort, S::kAborting},  {S::kStopping, C::kDone, S::kStopped},
    {S::kAborting, C::kDone, S::kAborted},
    {S::kComplete, C::kReset, S::kIdle},      {S::kStopped, C::kReset, S::kIdle},
    {S::kAborted, C::kReset, S::kIdle},
};

}  // namespace

const char* PhaseStateName(PhaseState s) {
  switch (s) {
    case S::kIdle: return "Idle";
    case S::kRunning: return "Running";
    case S::kHolding: return "Holding";
    case S::kHeld: return "Held";
    case S::kRestarting: return "Restarting";
    case S::kPausing: return "Pausing";
    case S::kPaused: return "Paused";
    case S::kStopping: return "Stopping";
    case S::kStopped: return "Stopped";
    case S::kAborting: return "Aborting";
    case S::kAborted: return "Aborted";
    case S::kComplete: return "Complete";
  }
  return "?";
}

const char* PhaseCommandName(PhaseCommand c) {
  switch (c) {
    case C::kStart: return "start";
    case C::kHold: return "hold";
    case C::kRestart: return "restart";
    case C::kPause: return "pause";
    case C::kResume: return "resume";
    case C::kStop: return "stop";
    case C::kAbort: return "abort";
    case C::kReset: return "reset";
    case C::kDone: return "done";
  }
  return "?";
}

std::optional<PhaseState> ParsePhaseState(std::string_view name) {
  for (S s : kAllPhaseStates) {
    if (name == PhaseStateName(s)) return s;
  }
  return std::nullopt;
}

std::optional<PhaseCommand> ParsePhaseCommand(std::string_view name) {
  for (C c : kAllPhaseCommands) {
    if (name == PhaseCommandName(c)) return c;
  }
  return std::nullopt;
}

std::optional<PhaseState> NextPhaseState(PhaseState from, PhaseCommand command) {
  for (const auto& row : kPhaseTransitions) {
    if (row.from == from && row.command == command) return row.to;
  }
  return std::nullopt;
}

int64_t Phases::Create(const Principal& who, std::optional<int64_t> batch_id,
                       std::string_view name, std::string_view reason) {
  RequirePermission(who, Action::kPhaseCommand);
  if (name.empty()) throw Error(ErrorCode::kInvalidArgument, "phase name required");
  AuditedTransaction tx(store_, who, reason);
  int64_t id = CreateIn(tx, batch_id, name);
  tx.Commit();
  return id;
}

int64_t Phases::CreateIn(AuditedTransaction& tx, std::optional<int64_t> batch_id,
                         std::string_view name) {
  if (name.empty()) throw Error(ErrorCode::kInvalidArgument, "phase name required");
  auto& ins = tx.db().Cached("INSERT INTO phase(batch_id, name, state) VALUES (?,?,?)");
  ins.Reset();
  if (batch_id) ins.BindInt(1, *batch_id); else ins.BindNull(1);
  ins.BindText(2, name);
  ins.BindText(3, PhaseStateName(S::kIdle));
  ins.Run();
  int64_t id = tx.db().LastInsertId();
  tx.Record({"create", "phase", std::to_string(id), "state", std::nullopt, "Idle; name=" + std::string(name)});
  return id;
}

PhaseState Phases::State(int64_t phase_id) {
  auto& q = store_.db().Cached("SELECT state FROM phase WHERE id = ?");
  q.Bind(phase_id);
  if (!q.Step()) {
    q.Reset();
    throw Error(ErrorCode::kNotFound, "no phase " + std::to_string(phase_id));
  }
  std::string text = q.ColumnText(0);
  q.Reset();
  auto s = ParsePhaseState(text);
  if (!s) throw Error(ErrorCode::kIntegrity, "phase " + std::to_string(phase_id) + " holds unknown state '" + text + "'");
  return *s;
}

PhaseTransition Phases::Command(const Principal& who, int64_t phase_id, PhaseCommand command,
                                std::string_view reason) {
  RequirePermission(who, Action::kPhaseCommand);
  AuditedTransaction tx(store_, who, reason);
  PhaseTransition t;
  t.from = State(phase_id);
  auto next = NextPhaseState(t.from, command);
  t.accepted = next.has_value();
  t.to = next.value_or(t.from);
  if (t.accepted) {
    tx.db().Cached("UPDATE phase SET state = ? WHERE id = ?").Bind(PhaseStateName(t.to), phase_id).Run();
  }
  t.audit_seq = tx.Record({t.accepted ? "command" : "command_rejected", "phase",
                           std::to_string(phase_id), std::string("state:") + PhaseCommandName(command),
                           PhaseStateName(t.from), PhaseStateName(t.to)});
  auto& q = tx.db().Cached("SELECT batch_id FROM phase WHERE id = ?");
  q.Bind(phase_id);
  std::optional<int64_t> batch;
  if (q.Step() && !q.ColumnIsNull(0)) batch = q.ColumnInt(0);
  q.Reset();
  if (batch) {
    std::string msg = std::string("phase ") + std::to_string(phase_id) + " " +
                      PhaseCommandName(command) + (t.accepted ? " accepted: " : " REJECTED in ") +
                      PhaseStateName(t.from) + (t.accepted ? std::string(" -> ") + PhaseStateName(t.to) : "");
    tx.db()
        .Cached("INSERT INTO batch_event(batch_id, t, utc, kind, message, username) VALUES (?,?,?,?,?,?)")
        .Bind(*batch, -1.0, UtcNowIso(), t.accepted ? "phase_command" : "phase_command_rejected", msg,
              who.username())
        .Run();
  }
  tx.Commit();
  return t;
}

}  // namespace biotwin::record
