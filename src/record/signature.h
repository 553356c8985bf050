// Electronic signatures (Part 11 §11.50, §11.70, §11.200; Annex 11 §14). A signature always takes
// the user ID and the password (never cached), records the printed name, the meaning and the UTC
// time, and is bound to the signed record's content hash and identity: copying it onto another
// record or changing the record afterwards is detected by Check(). Second-person rules: reviewed,
// approved and released must each come from someone who has not signed the record before.
#ifndef BIOTWIN_RECORD_SIGNATURE_H_
#define BIOTWIN_RECORD_SIGNATURE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace biotwin::record {

class RecordStore;

enum class Meaning { kAuthored, kReviewed, kApproved, kReleased };
const char* MeaningName(Meaning meaning);  // "authored", "reviewed", "approved", "released"
std::optional<Meaning> ParseMeaning(std::string_view name);

struct SignatureRecord {
  int64_t id = 0;
  std::string record_type;
  std::string record_id;
  std::string content_hash;  // SHA-256 of the record's canonical content when signed
  int64_t user_id = 0;
  std::string username;
  std::string printed_name;
  Meaning meaning = Meaning::kAuthored;
  std::string utc;
  std::string binding_hash;      // SHA-256 over every field above
  std::string system_signature;  // Ed25519 over binding_hash by the store key ("" without key)
  // "Jane Roe (jroe) - approved - 2026-11-22T11:30:00.123456Z"
  std::string Manifestation() const;
};

enum class SignatureStatus {
  kValid,
  kRecordChanged,  // the record's content changed after signing
  kTampered,       // the manifestation or binding was altered, or the row was copied
};
const char* SignatureStatusName(SignatureStatus status);

struct SignatureCheck {
  SignatureRecord signature;
  SignatureStatus status = SignatureStatus::kValid;
  std::string detail;
};

class Signatures {
 public:
  explicit Signatures(RecordStore& store) : store_(store) {}

  // Signs record (type, id) with `meaning`. Both components every time. Throws
  // kAuthenticationFailed/kAccountLocked, kPermissionDenied (role may not sign with that meaning),
  // kIllegalState (order: authored -> reviewed -> approved -> released, or a prior signature no
  // longer valid), kSecondPersonRequired (signer already signed this record).
  SignatureRecord Sign(std::string_view username, std::string_view password,
                       std::string_view record_type, std::string_view record_id, Meaning meaning);
  std::vector<SignatureRecord> For(std::string_view record_type, std::string_view record_id);
  std::vector<SignatureCheck> Check(std::string_view record_type, std::string_view record_id);
  // Current canonical content hash of a record ("batch" is supported).
  std::string ContentHash(std::string_view record_type, std::string_view record_id);

 private:
  RecordStore& store_;
};

// The canonical text the binding hash is computed over.
std::string CanonicalSignature(const SignatureRecord& s);

}  // namespace biotwin::record

#endif  // BIOTWIN_RECORD_SIGNATURE_H_
