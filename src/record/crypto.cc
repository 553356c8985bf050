#include "record/crypto.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "record/error.h"

namespace biotwin::record {

void EnsureSodium() {
  static const int rc = sodium_init();
  if (rc < 0) throw Error(ErrorCode::kCrypto, "libsodium failed to initialise");
}

std::string ToHex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

std::string FromHex(std::string_view hex) {
  std::string out(hex.size() / 2, '\0');
  size_t len = 0;
  if (hex.size() % 2 != 0 ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(),
                     hex.size(), nullptr, &len, nullptr) != 0 ||
      len != out.size()) {
    throw Error(ErrorCode::kInvalidArgument, "malformed hex string");
  }
  return out;
}

std::string Sha256(std::string_view data) {
  EnsureSodium();
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                     reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return out;
}

std::string Sha256Hex(std::string_view data) { return ToHex(Sha256(data)); }

std::string RandomHex(size_t bytes) {
  EnsureSodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return ToHex(raw);
}

SigningKey GenerateSigningKey() {
  EnsureSodium();
  SigningKey key;
  key.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  key.secret_key.resize(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(key.public_key.data()),
                      reinterpret_cast<unsigned char*>(key.secret_key.data()));
  return key;
}

namespace {

std::string ParseTagged(std::string_view text, const std::string& path, const std::string& tag,
                        size_t bytes) {
  std::istringstream in{std::string(text)};
  std::string t, hex;
  in >> t >> hex;
  if (t != tag) throw Error(ErrorCode::kCrypto, "'" + path + "' is not a " + tag + " key file");
  std::string raw;
  try {
    raw = FromHex(hex);
  } catch (const Error&) {
    throw Error(ErrorCode::kCrypto, "'" + path + "' holds a malformed key");
  }
  if (raw.size() != bytes) throw Error(ErrorCode::kCrypto, "'" + path + "' holds a key of wrong size");
  return raw;
}

std::string ReadTagged(const std::string& path, const std::string& tag, size_t bytes) {
  return ParseTagged(ReadFile(path), path, tag, bytes);
}

}  // namespace

void SaveSigningKey(const std::string& path, const SigningKey& key) {
  WriteFileAtomic(path, "ed25519-secret " + ToHex(key.secret_key) + "\n", 0600);
}

SigningKey LoadSigningKey(const std::string& path) {
  EnsureSodium();
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) throw Error(ErrorCode::kCrypto, "no signing key at '" + path + "'");
  if (st.st_mode & 077) {
    throw Error(ErrorCode::kCrypto, "signing key '" + path + "' is accessible by group/others; chmod 600");
  }
  SigningKey key;
  key.secret_key = ReadTagged(path, "ed25519-secret", crypto_sign_SECRETKEYBYTES);
  key.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  crypto_sign_ed25519_sk_to_pk(reinterpret_cast<unsigned char*>(key.public_key.data()),
                               reinterpret_cast<const unsigned char*>(key.secret_key.data()));
  return key;
}

void SavePublicKey(const std::string& path, const std::string& public_key) {
  WriteFileAtomic(path, "ed25519-public " + ToHex(public_key) + "\n", 0644);
}

std::string LoadPublicKey(const std::string& path) {
  return ReadTagged(path, "ed25519-public", crypto_sign_PUBLICKEYBYTES);
}

std::string ParsePublicKey(std::string_view text) {
  return ParseTagged(text, "public key", "ed25519-public", crypto_sign_PUBLICKEYBYTES);
}

std::string SignDetached(const SigningKey& key, std::string_view message) {
  EnsureSodium();
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(key.secret_key.data()));
  return sig;
}

bool VerifyDetached(std::string_view public_key, std::string_view message,
                    std::string_view signature) {
  EnsureSodium();
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES) {
    return false;
  }
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(),
                                     reinterpret_cast<const unsigned char*>(public_key.data())) == 0;
}

std::string HashPassword(std::string_view password, PasswordCost cost) {
  EnsureSodium();
  unsigned long long ops = cost == PasswordCost::kInteractive ? crypto_pwhash_OPSLIMIT_INTERACTIVE
                                                              : crypto_pwhash_OPSLIMIT_MODERATE;
  size_t mem = cost == PasswordCost::kInteractive ? crypto_pwhash_MEMLIMIT_INTERACTIVE
                                                  : crypto_pwhash_MEMLIMIT_MODERATE;
  char out[crypto_pwhash_STRBYTES];
  // crypto_pwhash_str uses the default algorithm, Argon2id v1.3, in libsodium >= 1.0.15.
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw Error(ErrorCode::kCrypto, "password hashing ran out of memory");
  }
  return out;
}

bool CheckPassword(std::string_view password, const std::string& stored_hash) {
  EnsureSodium();
  return crypto_pwhash_str_verify(stored_hash.c_str(), password.data(), password.size()) == 0;
}

void WriteFileAtomic(const std::string& path, std::string_view content, unsigned mode) {
  namespace fs = std::filesystem;
  fs::path target(path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp = path + ".tmp" + RandomHex(4);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw Error(ErrorCode::kIo, "cannot create '" + tmp + "': " + std::strerror(errno));
  auto fail = [&](const std::string& what) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw Error(ErrorCode::kIo, what + " '" + path + "': " + std::strerror(e));
  };
  if (::fchmod(fd, mode) != 0) fail("cannot chmod");
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write");
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) fail("cannot fsync");
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw Error(ErrorCode::kIo, "cannot close '" + tmp + "'");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw Error(ErrorCode::kIo, "cannot rename onto '" + path + "': " + std::strerror(errno));
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    int rc = ::fsync(dfd);
    ::close(dfd);
    if (rc != 0) throw Error(ErrorCode::kIo, "cannot fsync directory of '" + path + "'");
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kIo, "cannot read '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string UtcNowIso() {
  auto now = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(us % 1000000));
  return buf;
}

}  // namespace biotwin::record
