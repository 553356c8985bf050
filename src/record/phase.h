// ISA-88 phase state machine (S88-01, Part 11 §11.10(f)). The transition table is data
// (kPhaseTransitions in phase.cc). Every command, accepted or rejected, is written to the audit
// trail and, when the phase belongs to a batch, to the batch's event list.
#ifndef BIOTWIN_RECORD_PHASE_H_
#define BIOTWIN_RECORD_PHASE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "record/users_permissions.h"

namespace biotwin::record {

class AuditedTransaction;

class RecordStore;

enum class PhaseState {
  kIdle, kRunning, kHolding, kHeld, kRestarting, kPausing, kPaused,
  kStopping, kStopped, kAborting, kAborted, kComplete,
};
inline constexpr std::array<PhaseState, 12> kAllPhaseStates = {
    PhaseState::kIdle,     PhaseState::kRunning, PhaseState::kHolding,  PhaseState::kHeld,
    PhaseState::kRestarting, PhaseState::kPausing, PhaseState::kPaused, PhaseState::kStopping,
    PhaseState::kStopped,  PhaseState::kAborting, PhaseState::kAborted, PhaseState::kComplete};

// kDone is the automatic completion of a transient state (Running -> Complete, Holding -> Held...).
enum class PhaseCommand { kStart, kHold, kRestart, kPause, kResume, kStop, kAbort, kReset, kDone };
inline constexpr std::array<PhaseCommand, 9> kAllPhaseCommands = {
    PhaseCommand::kStart, PhaseCommand::kHold, PhaseCommand::kRestart,
    PhaseCommand::kPause, PhaseCommand::kResume, PhaseCommand::kStop,
    PhaseCommand::kAbort, PhaseCommand::kReset, PhaseCommand::kDone};

const char* PhaseStateName(PhaseState s);      // "Idle", ...
const char* PhaseCommandName(PhaseCommand c);  // "start", ..., "done"
std::optional<PhaseState> ParsePhaseState(std::string_view name);
std::optional<PhaseCommand> ParsePhaseCommand(std::string_view name);
// The table: the next state, or nullopt when the command is illegal in `from`.
std::optional<PhaseState> NextPhaseState(PhaseState from, PhaseCommand command);

struct PhaseTransition {
  bool accepted = false;
  PhaseState from = PhaseState::kIdle;
  PhaseState to = PhaseState::kIdle;  // == from when rejected
  int64_t audit_seq = 0;
};

class Phases {
 public:
  explicit Phases(RecordStore& store) : store_(store) {}
  // A new phase in Idle, optionally belonging to a batch.
  int64_t Create(const Principal& who, std::optional<int64_t> batch_id, std::string_view name,
                 std::string_view reason);
  // The same inside a caller's audited transaction (the caller checked phase.command).
  int64_t CreateIn(AuditedTransaction& tx, std::optional<int64_t> batch_id, std::string_view name);
  PhaseState State(int64_t phase_id);
  // Applies a command. Rejected commands leave the state unchanged, are audited, and return
  // accepted=false. Throws only for permission, missing reason or storage errors.
  PhaseTransition Command(const Principal& who, int64_t phase_id, PhaseCommand command,
                          std::string_view reason);

 private:
  RecordStore& store_;
};

}  // namespace biotwin::record

#endif  // BIOTWIN_RECORD_PHASE_H_
