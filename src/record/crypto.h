// libsodium wrappers: SHA-256, Ed25519 signing keys kept in files outside the database (0600),
// Argon2id password hashes, random tokens, and the crash-safe file-write protocol
// (write temp -> fsync -> rename -> fsync directory) used for key and checkpoint files.
#ifndef BIOTWIN_RECORD_CRYPTO_H_
#define BIOTWIN_RECORD_CRYPTO_H_

#include <string>
#include <string_view>

namespace biotwin::record {

// Initialises libsodium once; throws Error(kCrypto) if it cannot.
void EnsureSodium();

std::string ToHex(std::string_view bytes);
std::string FromHex(std::string_view hex);  // throws Error(kInvalidArgument) on bad hex
std::string Sha256(std::string_view data);     // 32 raw bytes
std::string Sha256Hex(std::string_view data);  // 64 lowercase hex chars
std::string RandomHex(size_t bytes);

// Ed25519 key pair. The secret key never enters the database.
struct SigningKey {
  std::string public_key;  // 32 raw bytes
  std::string secret_key;  // 64 raw bytes
  std::string PublicHex() const { return ToHex(public_key); }
};

SigningKey GenerateSigningKey();
// Key file: one line "ed25519-secret <hex>"; written 0600 with the crash-safe protocol.
void SaveSigningKey(const std::string& path, const SigningKey& key);
SigningKey LoadSigningKey(const std::string& path);  // refuses files readable by others
// Public key file: one line "ed25519-public <hex>".
void SavePublicKey(const std::string& path, const std::string& public_key);
std::string LoadPublicKey(const std::string& path);
std::string ParsePublicKey(std::string_view text);  // content of a public key file
std::string SignDetached(const SigningKey& key, std::string_view message);  // 64 raw bytes
bool VerifyDetached(std::string_view public_key, std::string_view message,
                    std::string_view signature);

// Argon2id cost. kInteractive is meant for tests and low-risk use; kModerate is the default.
enum class PasswordCost { kInteractive, kModerate };
std::string HashPassword(std::string_view password, PasswordCost cost);  // "$argon2id$..."
bool CheckPassword(std::string_view password, const std::string& stored_hash);

// Crash-safe replace of a file's content; mode is applied before the rename.
void WriteFileAtomic(const std::string& path, std::string_view content, unsigned mode = 0644);
std::string ReadFile(const std::string& path);  // throws Error(kIo)

// Trusted UTC time from the system clock, ISO 8601 with microseconds: 2026-11-22T11:30:00.123456Z
std::string UtcNowIso();

}  // namespace biotwin::record

#endif  // BIOTWIN_RECORD_CRYPTO_H_
