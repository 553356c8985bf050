#include "record/signature.h"

#include "record/audit.h"
#include "record/batch.h"
#include "record/crypto.h"
#include "record/error.h"
#include "record/recipe.h"
#include "record/record_store.h"
#include "record/users.h"

namespace biotwin::record {

const char* MeaningName(Meaning m) {
  switch (m) {
    case Meaning::kAuthored: return "authored";
    case Meaning::kReviewed: return "reviewed";
    case Meaning::kApproved: return "approved";
    case Meaning::kReleased: return "released";
  }
  return "?";
}

std::optional<Meaning> ParseMeaning(std::string_view name) {
  for (Meaning m : {Meaning::kAuthored, Meaning::kReviewed, Meaning::kApproved, Meaning::kReleased}) {
    if (name == MeaningName(m)) return m;
  }
  return std::nullopt;
}

const char* SignatureStatusName(SignatureStatus s) {
  switch (s) {
    case SignatureStatus::kValid: return "valid";
    case SignatureStatus::kRecordChanged: return "record changed after signature";
    case SignatureStatus::kTampered: return "signature altered, copied or forged";
  }
  return "?";
}

std::string SignatureRecord::Manifestation() const {
  return printed_name + " (" + username + ") - " + MeaningName(meaning) + " - " + utc;
}

std::string CanonicalSignature(const SignatureRecord& s) {
  std::string out = "biotwin-esig/v1";
  for (const std::string& f :
       {s.record_type, s.record_id, s.content_hash, std::to_string(s.user_id), s.username,
        s.printed_name, std::string(MeaningName(s.meaning)), s.utc}) {
    out += ";" + std::to_string(f.size()) + ":" + f;
  }
  return out;
}

namespace {

Action ActionFor(Meaning m) {
  switch (m) {
    case Meaning::kAuthored: return Action::kSignAuthored;
    case Meaning::kReviewed: return Action::kSignReviewed;
    case Meaning::kApproved: return Action::kSignApproved;
    case Meaning::kReleased: return Action::kSignReleased;
  }
  return Action::kSignReleased;
}

}  // namespace

std::string Signatures::ContentHash(std::string_view record_type, std::string_view record_id) {
  if (record_type == "batch") {
    int64_t id = 0;
    try {
      id = std::stoll(std::string(record_id));
    } catch (...) {
      throw Error(ErrorCode::kInvalidArgument, "batch ID must be a number");
    }
    return store_.batches().ContentHash(id);
  }
  if (record_type == "recipe") return RecipeContentHash(store_, record_id);  // "NAME@vN"
  throw Error(ErrorCode::kInvalidArgument, "records of type '" + std::string(record_type) +
                                               "' cannot be signed");
}

std::vector<SignatureRecord> Signatures::For(std::string_view record_type,
                                             std::string_view record_id) {
  auto& q = store_.db().Cached(
      "SELECT id, record_type, record_id, content_hash, user_id, username, printed_name, meaning, "
      "utc, binding_hash, system_signature FROM esignature WHERE record_type = ? AND record_id = ? "
      "ORDER BY id");
  q.Bind(record_type, record_id);
  std::vector<SignatureRecord> out;
  while (q.Step()) {
    SignatureRecord s;
    s.id = q.ColumnInt(0);
    s.record_type = q.ColumnText(1);
    s.record_id = q.ColumnText(2);
    s.content_hash = q.ColumnText(3);
    s.user_id = q.ColumnInt(4);
    s.username = q.ColumnText(5);
    s.printed_name = q.ColumnText(6);
    auto meaning = ParseMeaning(q.ColumnText(7));
    s.meaning = meaning.value_or(Meaning::kAuthored);
    s.utc = q.ColumnText(8);
    // An unknown stored meaning can never match a binding: it was altered.
    s.binding_hash = meaning ? q.ColumnText(9) : "altered meaning '" + q.ColumnText(7) + "'";
    s.system_signature = q.ColumnText(10);
    out.push_back(std::move(s));
  }
  q.Reset();
  return out;
}

std::vector<SignatureCheck> Signatures::Check(std::string_view record_type,
                                              std::string_view record_id) {
  std::string current = ContentHash(record_type, record_id);
  const SigningKey* key = store_.signing_key();
  std::vector<SignatureCheck> out;
  for (auto& s : For(record_type, record_id)) {
    SignatureCheck c{s, SignatureStatus::kValid, ""};
    std::string binding = Sha256Hex(CanonicalSignature(s));
    bool sys_ok = true;
    if (key) {
      try {
        sys_ok = VerifyDetached(key->public_key, binding, FromHex(s.system_signature));
      } catch (const Error&) {
        sys_ok = false;
      }
    }
    if (binding != s.binding_hash || !sys_ok) {
      c.status = SignatureStatus::kTampered;
      c.detail = "the manifestation/binding does not match the stored signature";
    } else if (s.content_hash != current) {
      c.status = SignatureStatus::kRecordChanged;
      c.detail = "record content changed after it was signed";
    }
    out.push_back(std::move(c));
  }
  return out;
}

SignatureRecord Signatures::Sign(std::string_view username, std::string_view password,
                                 std::string_view record_type, std::string_view record_id,
                                 Meaning meaning) {
  Principal who = store_.users().Authenticate(username, password);  // both components, always
  RequirePermission(who, ActionFor(meaning));
  std::string content = ContentHash(record_type, record_id);

  // Order and second-person checks against the prior, still valid signatures.
  auto prior = Check(record_type, record_id);
  auto has = [&](Meaning m) {
    for (const auto& c : prior) {
      if (c.signature.meaning == m && c.status == SignatureStatus::kValid) return true;
    }
    return false;
  };
  for (const auto& c : prior) {
    if (meaning != Meaning::kAuthored && c.status != SignatureStatus::kValid) {
      throw Error(ErrorCode::kIllegalState,
                  "signature " + std::to_string(c.signature.id) + " is no longer valid (" +
                      SignatureStatusName(c.status) + "); the record must be re-signed first");
    }
    if (meaning != Meaning::kAuthored && c.signature.user_id == who.user_id()) {
      throw Error(ErrorCode::kSecondPersonRequired,
                  std::string(MeaningName(meaning)) + " must be signed by someone other than " +
                      c.signature.printed_name + ", who already signed as " +
                      MeaningName(c.signature.meaning));
    }
  }
  if (meaning == Meaning::kReviewed && !has(Meaning::kAuthored)) {
    throw Error(ErrorCode::kIllegalState, "review requires an authored signature first");
  }
  if (meaning == Meaning::kApproved && !has(Meaning::kReviewed)) {
    throw Error(ErrorCode::kIllegalState, "approval requires a review signature first");
  }
  if (meaning == Meaning::kReleased && !has(Meaning::kApproved)) {
    throw Error(ErrorCode::kIllegalState, "release requires an approval signature first");
  }
  if (meaning != Meaning::kAuthored && has(meaning)) {
    throw Error(ErrorCode::kIllegalState, "record already carries a valid '" +
                                              std::string(MeaningName(meaning)) + "' signature");
  }

  SignatureRecord s;
  s.record_type = record_type;
  s.record_id = record_id;
  s.content_hash = content;
  s.user_id = who.user_id();
  s.username = who.username();
  s.printed_name = who.printed_name();
  s.meaning = meaning;
  s.utc = UtcNowIso();
  s.binding_hash = Sha256Hex(CanonicalSignature(s));
  if (const SigningKey* key = store_.signing_key()) {
    s.system_signature = ToHex(SignDetached(*key, s.binding_hash));
  }
  AuditedTransaction tx(store_, who, std::string("e-signature: ") + MeaningName(meaning));
  tx.db()
      .Cached("INSERT INTO esignature(record_type, record_id, content_hash, user_id, username, "
              "printed_name, meaning, utc, binding_hash, system_signature) "
              "VALUES (?,?,?,?,?,?,?,?,?,?)")
      .Bind(s.record_type, s.record_id, s.content_hash, s.user_id, s.username, s.printed_name,
            MeaningName(s.meaning), s.utc, s.binding_hash, s.system_signature)
      .Run();
  s.id = tx.db().LastInsertId();
  tx.Record({"sign", s.record_type, s.record_id, MeaningName(meaning), std::nullopt,
             s.Manifestation() + "; content=" + s.content_hash + "; binding=" + s.binding_hash});
  tx.Commit();
  return s;
}

}  // namespace biotwin::record
