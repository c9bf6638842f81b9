//! Mapping sqlx errors onto [`StoreError`]: unique violations become conflicts, foreign-key
//! violations missing references, everything else a backend error.

use federa_core::ports::StoreError;
use sqlx::error::ErrorKind;

/// Maps a sqlx error.
pub fn map_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        match db.kind() {
            ErrorKind::UniqueViolation => return StoreError::Conflict(db.message().to_string()),
            ErrorKind::ForeignKeyViolation => {
                return StoreError::MissingReference("a referenced resource".into());
            }
            _ => {}
        }
    }
    StoreError::Backend(e.to_string())
}

/// A stored value that cannot be read back (corruption or a bug).
pub fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored {what} is unreadable: {detail}"))
}
