//! Reading columns from a result row, whichever way the row came: an sqlx `AnyRow`
//! (PostgreSQL, and SQLite statements still sent through sqlx), or a [`NativeRow`] read on the
//! calling thread from a SQLite connection of the store's own (see `lane`). The row decoders
//! (`user_from_row` and the like) take any [`Cols`], so one decoder serves both.

use crate::error::{corrupt, map_err};
use federa_core::ports::StoreResult;
use rusqlite::types::Value;
use sqlx::Row as _;
use sqlx::any::AnyRow;
use std::sync::Arc;

/// A column type the store reads: text, integers, and either of them nullable.
pub(crate) trait ColType:
    Sized + for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>
{
    /// The value from a native SQLite row; `Err` names the mismatch.
    fn from_native(v: &Value) -> Result<Self, String>;
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL",
        Value::Integer(_) => "INTEGER",
        Value::Real(_) => "REAL",
        Value::Text(_) => "TEXT",
        Value::Blob(_) => "BLOB",
    }
}

impl ColType for String {
    fn from_native(v: &Value) -> Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            other => Err(format!("expected TEXT, found {}", kind(other))),
        }
    }
}

impl ColType for i64 {
    fn from_native(v: &Value) -> Result<Self, String> {
        match v {
            Value::Integer(n) => Ok(*n),
            other => Err(format!("expected INTEGER, found {}", kind(other))),
        }
    }
}

impl ColType for Option<String> {
    fn from_native(v: &Value) -> Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            other => String::from_native(other).map(Some),
        }
    }
}

impl ColType for Option<i64> {
    fn from_native(v: &Value) -> Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            other => i64::from_native(other).map(Some),
        }
    }
}

/// Named columns of one result row.
pub(crate) trait Cols {
    /// The column `name` as `T`.
    fn col<T: ColType>(&self, name: &str) -> StoreResult<T>;
}

impl Cols for AnyRow {
    fn col<T: ColType>(&self, name: &str) -> StoreResult<T> {
        self.try_get(name).map_err(map_err)
    }
}

/// A row read from a native SQLite connection: the statement's column names (shared by its
/// rows) and the values.
#[derive(Debug, Clone)]
pub(crate) struct NativeRow {
    names: Arc<[String]>,
    values: Vec<Value>,
}

impl NativeRow {
    pub(crate) fn new(names: Arc<[String]>, values: Vec<Value>) -> Self {
        Self { names, values }
    }
}

impl Cols for NativeRow {
    fn col<T: ColType>(&self, name: &str) -> StoreResult<T> {
        let i = self
            .names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| corrupt("column", format!("no column {name}")))?;
        let v = self
            .values
            .get(i)
            .ok_or_else(|| corrupt("column", format!("no value for {name}")))?;
        T::from_native(v).map_err(|e| corrupt("column", format!("{name}: {e}")))
    }
}

/// A row of either kind.
pub(crate) enum Row {
    Any(AnyRow),
    Native(NativeRow),
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Row::Any(_) => f.write_str("Row::Any"),
            Row::Native(r) => f.debug_tuple("Row::Native").field(r).finish(),
        }
    }
}

impl Cols for Row {
    fn col<T: ColType>(&self, name: &str) -> StoreResult<T> {
        match self {
            Row::Any(r) => r.col(name),
            Row::Native(r) => r.col(name),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn native_rows_read_by_name_and_refuse_the_wrong_type() {
        let names: Arc<[String]> = vec!["a".to_string(), "n".to_string(), "z".to_string()].into();
        let row = NativeRow::new(
            names,
            vec![Value::Text("x".into()), Value::Integer(7), Value::Null],
        );
        assert_eq!(row.col::<String>("a").unwrap(), "x");
        assert_eq!(row.col::<i64>("n").unwrap(), 7);
        assert_eq!(row.col::<Option<i64>>("z").unwrap(), None);
        assert_eq!(
            row.col::<Option<String>>("a").unwrap().as_deref(),
            Some("x")
        );
        assert!(row.col::<i64>("a").is_err());
        assert!(row.col::<String>("z").is_err());
        assert!(row.col::<String>("missing").is_err());
    }
}
