// Crash loop (DUR-04, ALC-C, DI-02): a child process records batch events and reports each
// acknowledged one; the parent SIGKILLs it at a random moment, 1,000 times. After every kill: no
// acknowledged entry lost, no partial entry visible, integrity_check ok, the chain and the signed
// head verify, the external checkpoint file is never torn. BIOTWIN_CRASH_ITERATIONS overrides.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "record_fixture.h"

namespace biotwin::record::testing {
namespace {

[[noreturn]] void Child(const std::string& path, int fd, int64_t batch, int iteration) {
  try {
    StoreOptions o;
    o.checkpoint_every = 7;
    auto store = RecordStore::Open(path, o);
    Principal sys = Principal::System("crash-writer");
    for (int k = 0;; ++k) {
      int64_t id = store->batches().AppendEvent(sys, batch, iteration, "tick", "it " + std::to_string(iteration) +
                                                " k " + std::to_string(k));
      // Acknowledged: the call returned, so the entry must survive.
      if (::write(fd, &id, sizeof id) != sizeof id) ::_exit(3);
    }
  } catch (...) {
    ::_exit(2);
  }
}

TEST_F(RecordTest, DUR_04_ALC_C_DI_02_Kill9LoopLosesNoAcknowledgedEntry) {
  int iterations = 1000;
  if (const char* env = std::getenv("BIOTWIN_CRASH_ITERATIONS")) iterations = std::atoi(env);
  int64_t batch = StartBatch(Principal::System("setup"));
  std::string pub = path_ + ".audit-key.pub";
  store_.reset();  // no connection of ours is open across fork()
  std::mt19937 rng(20261122);
  std::set<int64_t> acknowledged;
  int kills_with_progress = 0;
  // Kill after a random 2..max_us microseconds. On a loaded machine a writer may need longer to
  // get going; the window widens (up to 1 s) while fewer than half the recent kills saw progress,
  // so the loop keeps killing writers in the middle of their work whatever the load.
  int max_us = 50000, recent = 0, recent_progress = 0;
  for (int i = 0; i < iterations; ++i) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      Child(path_, fds[1], batch, i);
    }
    ::close(fds[1]);
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(2000, max_us)(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited by itself with " << WEXITSTATUS(status);
    int64_t id;
    size_t before = acknowledged.size();
    while (::read(fds[0], &id, sizeof id) == sizeof id) acknowledged.insert(id);
    ::close(fds[0]);
    const bool progress = acknowledged.size() > before;
    kills_with_progress += progress;
    recent_progress += progress;
    if (++recent == 20) {
      if (2 * recent_progress < recent) max_us = std::min(2 * max_us, 1000000);
      recent = recent_progress = 0;
    }

    // Reopen (recovery) and check, every iteration.
    auto conn = OpenSqlite(path_);
    auto q = conn->Prepare("PRAGMA quick_check");
    ASSERT_TRUE(q->Step());
    ASSERT_EQ(q->ColumnText(0), "ok") << "iteration " << i;
    std::set<int64_t> present;
    q = conn->Prepare("SELECT id FROM batch_event WHERE batch_id = ?");
    q->Bind(batch);
    while (q->Step()) present.insert(q->ColumnInt(0));
    for (int64_t a : acknowledged) ASSERT_TRUE(present.count(a)) << "acknowledged event " << a << " lost, iteration " << i;
    // No partial operation: every event has exactly its one audit entry.
    q = conn->Prepare("SELECT COUNT(*) FROM audit_log WHERE object_type = 'batch_event'");
    ASSERT_TRUE(q->Step());
    ASSERT_EQ(q->ColumnInt(0), static_cast<int64_t>(present.size())) << "iteration " << i;
    q.reset();
    if (i % 50 == 0 || i == iterations - 1) {
      VerifyOptions vo;
      vo.public_key = LoadPublicKey(pub);
      if (std::filesystem::exists(path_ + ".checkpoints")) vo.checkpoint_file = path_ + ".checkpoints";  // never torn
      auto v = VerifyAuditTrail(*conn, vo);
      ASSERT_TRUE(v.ok) << "iteration " << i << ": " << v.Report();
    }
  }
  RecordProperty("acknowledged_entries", static_cast<int>(acknowledged.size()));
  EXPECT_GT(kills_with_progress, iterations / 4);
}

}  // namespace
}  // namespace biotwin::record::testing
