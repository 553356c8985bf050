// A real PostgreSQL server for record-layer tests (no mock): initdb into a temporary directory,
// pg_ctl start on a free loopback port (Unix socket in the same directory), one fresh database per
// test (CREATE DATABASE t_N), pg_ctl -m immediate stop and removal of the directory at the end.
//
// One server per test process (a gtest Environment; gtest_discover_tests runs each test in its
// own process). Cleanup does not depend on the test passing: the Environment's TearDown stops the
// server, and a watchdog child started before the server stops it and removes the directory if
// the test process dies without tearing down (crash, abort, SIGKILL).
// As root, initdb/pg_ctl run as the `postgres` OS user (initdb refuses root); otherwise as the
// current user. Needs Debian's `postgresql` package (PG binaries under /usr/lib/postgresql/*/bin).
#ifndef BIOTWIN_TESTS_RECORD_POSTGRES_FIXTURE_H_
#define BIOTWIN_TESTS_RECORD_POSTGRES_FIXTURE_H_

#include <gtest/gtest.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace biotwin::record::testing {

// Runs SQL through a raw libpq connection (bypasses the record layer: the tamperer's tool).
// Returns the server's error text, or "" on success.
inline std::string PgRawExec(const std::string& uri, const std::string& sql) {
  PGconn* c = PQconnectdb(uri.c_str());
  std::string err;
  if (PQstatus(c) != CONNECTION_OK) {
    err = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) err = PQresultErrorMessage(r);
    if (err.empty() && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) err = "error";
    PQclear(r);
  }
  PQfinish(c);
  return err;
}

inline int64_t PgRawInt(const std::string& uri, const std::string& sql) {
  PGconn* c = PQconnectdb(uri.c_str());
  int64_t v = -1;
  if (PQstatus(c) == CONNECTION_OK) {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) v = std::atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
  }
  PQfinish(c);
  return v;
}

class PostgresServer : public ::testing::Environment {
 public:
  static PostgresServer*& Instance() {
    static PostgresServer* instance = nullptr;
    return instance;
  }

  // The server starts with the first database a test asks for (tests that need none, e.g. pure
  // table checks, do not pay for initdb) and stops in TearDown.
  void SetUp() override { Instance() = this; }

  void TearDown() override { Stop(); }
  ~PostgresServer() override { Stop(); }

  void Start() {
    if (running_) return;
    auto t0 = std::chrono::steady_clock::now();
    bin_ = FindBinDir();
    char tmpl[] = "/tmp/biotwin-pg-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    data_ = dir_ + "/data";
    std::filesystem::create_directory(data_);
    if (geteuid() == 0) {
      passwd* pw = getpwnam("postgres");
      if (!pw) throw std::runtime_error("running as root but there is no 'postgres' user");
      as_user_ = "runuser -u postgres -- ";
      if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0 ||
          chown(data_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        throw std::runtime_error("chown of " + dir_ + " failed");
      }
    }
    StartWatchdog();
    Run(as_user_ + bin_ + "/initdb -D " + data_ + " -A trust -U biotwin -E UTF8 --no-sync --no-instructions > " +
        dir_ + "/initdb.log 2>&1");
    // fsync off: the server is a throw-away test instance (durability is tested on SQLite).
    // The free port may be taken by a parallel test process before the server binds it: retry.
    for (int attempt = 0;; ++attempt) {
      port_ = FreePort();
      try {
        StartServer();
        break;
      } catch (const std::exception&) {
        if (attempt == 2) throw;
      }
    }
    running_ = true;
    start_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  void StartServer() {
    Run(as_user_ + bin_ + "/pg_ctl -D " + data_ + " -l " + dir_ + "/server.log -w -t 60 -o \"-h 127.0.0.1 -p " +
        std::to_string(port_) + " -k " + dir_ + " -c fsync=off -c synchronous_commit=off " +
        "-c full_page_writes=off\" start > " + dir_ + "/pg_ctl.log 2>&1");
  }

  // A fresh, empty database (or a copy of `template_db`, which nobody may be connected to);
  // returns its URI. Throws std::runtime_error (with the server logs) when the server cannot start.
  std::string CreateDatabase(const std::string& template_db = "") {
    if (!running_) {
      try {
        Start();
      } catch (...) {
        Stop();
        throw;
      }
    }
    std::string name = "t_" + std::to_string(++databases_);
    std::string err = PgRawExec(Uri("postgres"), "CREATE DATABASE " + name +
                                (template_db.empty() ? "" : " TEMPLATE " + template_db));
    if (!err.empty()) throw std::runtime_error("CREATE DATABASE failed: " + err);
    return Uri(name);
  }
  std::string Uri(const std::string& db) const {
    return "postgresql://biotwin@127.0.0.1:" + std::to_string(port_) + "/" + db;
  }
  double start_seconds() const { return start_seconds_; }
  const std::string& dir() const { return dir_; }

 private:
  static std::string FindBinDir() {
    for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql")) {
      if (std::filesystem::exists(e.path() / "bin" / "initdb")) return (e.path() / "bin").string();
    }
    throw std::runtime_error("no PostgreSQL server binaries (apt-get install postgresql)");
  }
  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      close(fd);
      throw std::runtime_error("no free port");
    }
    int port = ntohs(a.sin_port);
    close(fd);
    return port;
  }
  void Run(const std::string& cmd) {
    if (std::system(cmd.c_str()) != 0) {
      std::string log;
      for (const char* f : {"/initdb.log", "/pg_ctl.log", "/server.log"}) {
        std::string path = dir_ + f;
        if (std::FILE* in = std::fopen(path.c_str(), "r")) {
          char buf[4096];
          size_t n = std::fread(buf, 1, sizeof buf, in);
          log += std::string(f) + ": " + std::string(buf, n) + "\n";
          std::fclose(in);
        }
      }
      throw std::runtime_error("failed: " + cmd + "\n" + log);
    }
  }
  std::string StopCommand() const {
    return as_user_ + bin_ + "/pg_ctl -D " + data_ + " -m immediate -w stop > /dev/null 2>&1";
  }
  // A child that waits for this process to go away (pipe EOF) and then cleans up.
  void StartWatchdog() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    std::string stop = StopCommand(), dir = dir_;
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[1]);
      char c;
      while (read(fds[0], &c, 1) > 0) {
      }
      if (std::filesystem::exists(dir + "/data/postmaster.pid")) (void)!std::system(stop.c_str());
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
      _exit(0);
    }
    close(fds[0]);
    watchdog_fd_ = fds[1];
    watchdog_pid_ = pid;
  }
  void Stop() {
    if (dir_.empty()) return;
    if (running_) {
      auto t0 = std::chrono::steady_clock::now();
      (void)!std::system(StopCommand().c_str());
      double stop_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "[postgres fixture] server on port %d: start %.2f s, stop %.2f s, %d databases\n",
                   port_, start_seconds_, stop_s, databases_);
    }
    running_ = false;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
    data_.clear();
    if (watchdog_fd_ >= 0) close(watchdog_fd_);
    watchdog_fd_ = -1;
    if (watchdog_pid_ > 0) waitpid(watchdog_pid_, nullptr, 0);
    watchdog_pid_ = -1;
  }

  std::string bin_, dir_, data_, as_user_;
  int port_ = 0;
  int databases_ = 0;
  bool running_ = false;
  double start_seconds_ = 0;
  int watchdog_fd_ = -1;
  pid_t watchdog_pid_ = -1;
};

// Registers the server with gtest (include this header from exactly one file of a test binary).
inline const bool kPostgresServerRegistered =
    (::testing::AddGlobalTestEnvironment(new PostgresServer), true);

}  // namespace biotwin::record::testing

#endif  // BIOTWIN_TESTS_RECORD_POSTGRES_FIXTURE_H_
