// Canonical encoding and hashing of audit entries; checkpoint file format.
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>

#include "record/audit.h"
#include "record/crypto.h"
#include "record/error.h"

namespace biotwin::record {

namespace {

void Put(std::string& out, std::string_view value) {
  out += 'S';
  out += std::to_string(value.size());
  out += ':';
  out.append(value);
  out += ';';
}

void PutOpt(std::string& out, const std::optional<std::string>& value) {
  if (value) {
    Put(out, *value);
  } else {
    out += "N;";
  }
}

}  // namespace

std::string CanonicalEntry(const AuditEntry& e) {
  std::string out = "biotwin-audit/v1;";
  Put(out, std::to_string(e.seq));
  Put(out, e.utc);
  Put(out, std::to_string(e.tx_id));
  Put(out, std::to_string(e.user_id));
  Put(out, e.username);
  Put(out, e.role);
  Put(out, e.action);
  Put(out, e.object_type);
  Put(out, e.object_id);
  Put(out, e.field);
  PutOpt(out, e.old_value);
  PutOpt(out, e.new_value);
  Put(out, e.reason);
  Put(out, e.prev_hash);
  return out;
}

std::string ComputeEntryHash(const AuditEntry& e) { return Sha256Hex(CanonicalEntry(e)); }

std::string HeadMessage(int64_t seq, std::string_view entry_hash, std::string_view utc) {
  return "biotwin-audit-head/v1\n" + std::to_string(seq) + "\n" + std::string(entry_hash) + "\n" +
         std::string(utc);
}

std::string CheckpointMessage(int64_t seq, std::string_view entry_hash, std::string_view utc) {
  return "biotwin-audit-checkpoint/v1\n" + std::to_string(seq) + "\n" + std::string(entry_hash) +
         "\n" + std::string(utc);
}

std::vector<Checkpoint> ReadCheckpointFile(const std::string& path) {
  return ParseCheckpoints(ReadFile(path), path);
}

std::vector<Checkpoint> ParseCheckpoints(std::string_view text, const std::string& path) {
  std::istringstream in{std::string(text)};
  std::vector<Checkpoint> out;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    try {
      auto j = nlohmann::json::parse(line);
      Checkpoint c;
      // An integer, not a float coerced to one (4e51 would be undefined behaviour; found by
      // scripts/fuzz): anything else is a malformed line.
      const auto& seq = j.at("seq");
      if (!seq.is_number_integer()) throw std::invalid_argument("seq is not an integer");
      c.seq = seq.get<int64_t>();
      c.entry_hash = j.at("entry_hash").get<std::string>();
      c.utc = j.at("utc").get<std::string>();
      c.public_key = j.at("public_key").get<std::string>();
      c.signature = j.at("signature").get<std::string>();
      out.push_back(std::move(c));
    } catch (const std::exception&) {
      throw Error(ErrorCode::kIntegrity,
                  path + ":" + std::to_string(line_no) + ": malformed checkpoint line");
    }
  }
  return out;
}

namespace {

// Serialises read-modify-write of a checkpoint file between processes (flock on "<file>.lock").
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    fd_ = ::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(ErrorCode::kIo, "cannot create lock file for '" + path + "'");
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        ::close(fd_);
        throw Error(ErrorCode::kIo, "cannot lock '" + path + ".lock'");
      }
    }
  }
  ~FileLock() { ::close(fd_); }  // closing releases the lock
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

void AuditTrail::ExportCheckpoints(const std::string& path) {
  FileLock lock(path);
  std::string existing;
  std::set<int64_t> present;
  std::ifstream probe(path);
  if (probe.good()) {
    existing = ReadFile(path);
    for (const auto& c : ReadCheckpointFile(path)) present.insert(c.seq);
  }
  std::string added;
  for (const auto& c : Checkpoints()) {
    if (present.count(c.seq)) continue;
    nlohmann::json j = {{"seq", c.seq},
                        {"entry_hash", c.entry_hash},
                        {"utc", c.utc},
                        {"public_key", c.public_key},
                        {"signature", c.signature}};
    added += j.dump() + "\n";
  }
  if (added.empty() && !existing.empty()) return;
  if (!existing.empty() && existing.back() != '\n') existing += '\n';
  WriteFileAtomic(path, existing + added, 0644);
}

}  // namespace biotwin::record
