// ISA-88 phase state machine: all 12 states x all 9 commands, exhaustively, against a table
// written independently here; every command, accepted or rejected, is audited.
#include <map>
#include <queue>

#include "record_fixture.h"

namespace biotwin::record::testing {
namespace {

// Independent expected table (standards.md §2.1): state -> {command -> next state}.
const std::map<std::string, std::map<std::string, std::string>>& Expected() {
  static const std::map<std::string, std::map<std::string, std::string>> t = {
      {"Idle", {{"start", "Running"}}},
      {"Running", {{"hold", "Holding"}, {"pause", "Pausing"}, {"stop", "Stopping"}, {"abort", "Aborting"}, {"done", "Complete"}}},
      {"Pausing", {{"hold", "Holding"}, {"stop", "Stopping"}, {"abort", "Aborting"}, {"done", "Paused"}}},
      {"Paused", {{"hold", "Holding"}, {"resume", "Running"}, {"stop", "Stopping"}, {"abort", "Aborting"}}},
      {"Holding", {{"stop", "Stopping"}, {"abort", "Aborting"}, {"done", "Held"}}},
      {"Held", {{"restart", "Restarting"}, {"stop", "Stopping"}, {"abort", "Aborting"}}},
      {"Restarting", {{"hold", "Holding"}, {"stop", "Stopping"}, {"abort", "Aborting"}, {"done", "Running"}}},
      {"Stopping", {{"abort", "Aborting"}, {"done", "Stopped"}}},
      {"Aborting", {{"done", "Aborted"}}},
      {"Complete", {{"reset", "Idle"}}},
      {"Stopped", {{"reset", "Idle"}}},
      {"Aborted", {{"reset", "Idle"}}},
  };
  return t;
}

const char* kCommands[] = {"start", "hold", "restart", "pause", "resume", "stop", "abort", "reset", "done"};

TEST(PhaseTable, S88_01_TableMatchesIndependentTableForAllPairs) {
  ASSERT_EQ(Expected().size(), 12u);
  int pairs = 0;
  for (const auto& [state_name, row] : Expected()) {
    auto state = ParsePhaseState(state_name);
    ASSERT_TRUE(state) << state_name;
    for (const char* cmd_name : kCommands) {
      auto cmd = ParsePhaseCommand(cmd_name);
      ASSERT_TRUE(cmd) << cmd_name;
      auto next = NextPhaseState(*state, *cmd);
      auto it = row.find(cmd_name);
      if (it == row.end()) {
        EXPECT_FALSE(next) << state_name << " + " << cmd_name;
      } else {
        ASSERT_TRUE(next) << state_name << " + " << cmd_name;
        EXPECT_EQ(PhaseStateName(*next), it->second) << state_name << " + " << cmd_name;
      }
      ++pairs;
    }
  }
  EXPECT_EQ(pairs, 12 * 9);
}

TEST(PhaseTable, S88_02_InvariantsUnderRandomSequences) {
  uint64_t x = 88;
  PhaseState s = PhaseState::kIdle;
  for (int i = 0; i < 200000; ++i) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    PhaseCommand c = kAllPhaseCommands[x % kAllPhaseCommands.size()];
    auto next = NextPhaseState(s, c);
    bool final_state = s == PhaseState::kComplete || s == PhaseState::kStopped || s == PhaseState::kAborted;
    if (c == PhaseCommand::kAbort) {
      EXPECT_EQ(next.has_value(), !final_state && s != PhaseState::kAborting && s != PhaseState::kIdle);
    }
    if (c == PhaseCommand::kReset) {
      EXPECT_EQ(next.has_value(), final_state);
    }
    if (next) s = *next;
  }
}

class PhaseMachineTest : public RecordTest {};

TEST_F(PhaseMachineTest, S88_01_P11_06_AllStatesTimesAllCommandsThroughTheAuditedApi) {
  Principal op = MakeUser("op1", Role::kOperator);
  Principal admin = Admin();
  // Shortest legal command path from Idle to every state (BFS over the expected table).
  std::map<std::string, std::vector<std::string>> path = {{"Idle", {}}};
  std::queue<std::string> todo;
  todo.push("Idle");
  while (!todo.empty()) {
    std::string s = todo.front();
    todo.pop();
    for (const auto& [cmd, next] : Expected().at(s)) {
      if (!path.count(next)) {
        path[next] = path[s];
        path[next].push_back(cmd);
        todo.push(next);
      }
    }
  }
  ASSERT_EQ(path.size(), 12u) << "every state reachable";
  int64_t batch = StartBatch(Principal::System("test"));
  int cases = 0;
  for (const auto& [state_name, steps] : path) {
    for (const char* cmd_name : kCommands) {
      int64_t phase = store_->phases().Create(op, batch, "P-" + state_name + "-" + cmd_name, "exhaustive test");
      for (const auto& step : steps) {
        ASSERT_TRUE(store_->phases().Command(op, phase, *ParsePhaseCommand(step), "drive").accepted);
      }
      ASSERT_EQ(PhaseStateName(store_->phases().State(phase)), state_name);
      int64_t before = AuditCount();
      auto t = store_->phases().Command(op, phase, *ParsePhaseCommand(cmd_name), "exhaustive test");
      auto it = Expected().at(state_name).find(cmd_name);
      bool legal = it != Expected().at(state_name).end();
      EXPECT_EQ(t.accepted, legal) << state_name << " + " << cmd_name;
      std::string expected_state = legal ? it->second : state_name;
      EXPECT_EQ(PhaseStateName(store_->phases().State(phase)), expected_state) << state_name << " + " << cmd_name;
      // Exactly one audit entry, accepted or rejected.
      ASSERT_EQ(AuditCount(), before + 1);
      auto e = store_->audit().Entries(admin, AuditQuery::After(before)).at(0);
      EXPECT_EQ(e.action, legal ? "command" : "command_rejected");
      EXPECT_EQ(e.field, std::string("state:") + cmd_name);
      EXPECT_EQ(e.old_value.value_or(""), state_name);
      EXPECT_EQ(e.new_value.value_or(""), expected_state);
      EXPECT_EQ(e.username, "op1");
      ++cases;
    }
  }
  EXPECT_EQ(cases, 108);
  // The batch record holds every command too (S88-05), rejected ones marked as such.
  auto events = store_->batches().Load(batch).events;
  int rejected = 0;
  for (const auto& ev : events) rejected += ev.kind == "phase_command_rejected";
  int illegal = 0;
  for (const auto& [s, row] : Expected()) illegal += 9 - static_cast<int>(row.size());
  EXPECT_EQ(rejected, illegal);
}

TEST_F(PhaseMachineTest, P11_07_PhaseCommandsNeedPermissionAndReason) {
  Principal qa = MakeUser("qa1", Role::kQa);
  Principal op = MakeUser("op1", Role::kOperator);
  int64_t phase = store_->phases().Create(op, std::nullopt, "P1", "setup");
  EXPECT_THROW(store_->phases().Command(qa, phase, PhaseCommand::kStart, "try"), Error);
  EXPECT_THROW(store_->phases().Command(op, phase, PhaseCommand::kStart, ""), Error);
  EXPECT_EQ(store_->phases().State(phase), PhaseState::kIdle);
}

}  // namespace
}  // namespace biotwin::record::testing
