// PostgreSQL back-end of the Connection/Statement interface (libpq). RecordStore::Open picks it
// when the location is a URI ("postgresql://user@host:port/db" or "postgres://..."); a file path
// picks SQLite. The SQL of the components is written for SQLite; this back-end translates the
// few SQLite-isms they use (placeholders, INSERT OR IGNORE/REPLACE, sqlite_master look-ups,
// CAST(... AS INTEGER)) and the schema code switches on Connection::dialect().
#ifndef BIOTWIN_RECORD_STORE_POSTGRES_H_
#define BIOTWIN_RECORD_STORE_POSTGRES_H_

#include <memory>
#include <string>
#include <string_view>

#include "record/store.h"

namespace biotwin::record {

struct PostgresOptions {
  int connect_timeout_s = 10;
  // Key of the transaction-level advisory lock every write transaction takes at Begin(): writers
  // are serialised like SQLite's BEGIN IMMEDIATE, so audit sequence numbers stay gap-free.
  int64_t write_lock_key = 0x62696f7477696eLL;  // "biotwin"
};

// True for "postgresql://..." and "postgres://..." locations.
bool IsPostgresUri(std::string_view location);
// The database name of a PostgreSQL URI ("" if none); names the side files (key, checkpoints).
std::string PostgresDatabaseName(const std::string& uri);
// Connects; throws Error(kStorage) with libpq's message when the server cannot be reached.
std::unique_ptr<Connection> OpenPostgres(const std::string& uri, const PostgresOptions& options = {});
// SQLite-flavoured SQL -> PostgreSQL (exposed for tests). *params receives the parameter count.
std::string TranslateSqlForPostgres(std::string_view sql, int* params);

}  // namespace biotwin::record

#endif  // BIOTWIN_RECORD_STORE_POSTGRES_H_
