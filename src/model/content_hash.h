// Content hashes that identify model and scenario versions in run summaries and batch records.
#ifndef BIOTWIN_MODEL_CONTENT_HASH_H_
#define BIOTWIN_MODEL_CONTENT_HASH_H_

#include <string>

namespace biotwin::model {

// SHA-256 of `data` as 64 lowercase hex digits (libsodium).
std::string Sha256Hex(const std::string& data);

}  // namespace biotwin::model

#endif  // BIOTWIN_MODEL_CONTENT_HASH_H_
