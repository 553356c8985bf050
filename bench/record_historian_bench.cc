// Historian ingest rate (target >= 300,000 rows/s with the (tag, time) index), measured next to a
// plain SQLite insert loop of the same rows in the same run: one transaction, one prepared
// single-row INSERT into a table with the same (tag, time) index, WAL + synchronous=FULL.
// Prints the ratio historian / plain at the end.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "record/record.h"

namespace {

namespace rec = biotwin::record;
constexpr int kRowsPerBatch = 100000;
constexpr int kTags = 20;

std::map<std::string, double> g_rate;  // benchmark -> rows/s

std::vector<rec::Sample> MakeRows(int batch_index) {
  std::vector<rec::Sample> rows;
  rows.reserve(kRowsPerBatch);
  for (int i = 0; i < kRowsPerBatch; ++i) {
    int tag = i % kTags;
    double t = 1.7e9 + batch_index * 1e5 + i / kTags;
    rows.push_back({"reactor1/tag" + std::to_string(tag), tag % 2 ? "g/L" : "degC", t, std::sin(i * 1e-3) * 5 + 30,
                    rec::kQualityGood, "opc:reactor1"});
  }
  return rows;
}

std::string FreshDir(const char* name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("biotwin-bench-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

void BM_HistorianIngest(benchmark::State& state) {
  std::string dir = FreshDir("historian");
  auto store = rec::RecordStore::Open(dir + "/h.db");
  auto sys = rec::Principal::System("bench");
  int batch = 0;
  double seconds = 0;
  int64_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto data = MakeRows(batch++);
    state.ResumeTiming();
    auto t0 = std::chrono::steady_clock::now();
    store->historian().Ingest(sys, data);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rows += kRowsPerBatch;
  }
  state.SetItemsProcessed(rows);
  g_rate["historian"] = rows / seconds;
  store.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_HistorianIngest)->Unit(benchmark::kMillisecond)->Iterations(10);

void BM_PlainSqliteInsertLoop(benchmark::State& state) {
  std::string dir = FreshDir("plain");
  sqlite3* db = nullptr;
  sqlite3_open((dir + "/p.db").c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
               "CREATE TABLE samples(tag TEXT NOT NULL, unit TEXT NOT NULL, t REAL NOT NULL, value REAL NOT NULL,"
               " quality INTEGER NOT NULL, source TEXT NOT NULL);"
               "CREATE INDEX samples_tag_time ON samples(tag, t);",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO samples VALUES (?,?,?,?,?,?)", -1, &ins, nullptr);
  int batch = 0;
  double seconds = 0;
  int64_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto data = MakeRows(batch++);
    state.ResumeTiming();
    auto t0 = std::chrono::steady_clock::now();
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (const auto& r : data) {
      sqlite3_bind_text(ins, 1, r.tag.data(), static_cast<int>(r.tag.size()), SQLITE_STATIC);
      sqlite3_bind_text(ins, 2, r.unit.data(), static_cast<int>(r.unit.size()), SQLITE_STATIC);
      sqlite3_bind_double(ins, 3, r.t);
      sqlite3_bind_double(ins, 4, r.value);
      sqlite3_bind_int(ins, 5, r.quality);
      sqlite3_bind_text(ins, 6, r.source.data(), static_cast<int>(r.source.size()), SQLITE_STATIC);
      if (sqlite3_step(ins) != SQLITE_DONE) state.SkipWithError("insert failed");
      sqlite3_reset(ins);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rows += kRowsPerBatch;
  }
  state.SetItemsProcessed(rows);
  g_rate["plain"] = rows / seconds;
  sqlite3_finalize(ins);
  sqlite3_close(db);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_PlainSqliteInsertLoop)->Unit(benchmark::kMillisecond)->Iterations(10);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (g_rate.count("historian")) {
    std::printf("historian ingest: %.0f rows/s (target >= 300000, (tag,time) index, audited, one transaction per %d rows)\n",
                g_rate["historian"], kRowsPerBatch);
  }
  if (g_rate.count("historian") && g_rate.count("plain")) {
    std::printf("plain SQLite insert loop: %.0f rows/s\nratio historian/plain: %.2f\n", g_rate["plain"],
                g_rate["historian"] / g_rate["plain"]);
  }
  return 0;
}
