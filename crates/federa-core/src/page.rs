//! Cursor pagination shared by every list: `limit` (1..=200, default 200) and an opaque `after`
//! cursor, which is the id of the last item of the previous page (lists are ordered by id).

use crate::error::CoreError;

/// Largest page a client can ask for.
pub const MAX_LIMIT: u32 = 200;

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Number of items wanted.
    pub limit: u32,
    /// Return items whose id sorts after this one.
    pub after: Option<String>,
}

impl PageRequest {
    /// Validates raw `limit` and `after` parameters.
    pub fn new(limit: Option<i64>, after: Option<String>) -> Result<Self, CoreError> {
        let limit = match limit {
            None => MAX_LIMIT,
            Some(n) if (1..=i64::from(MAX_LIMIT)).contains(&n) => n as u32,
            Some(_) => {
                return Err(CoreError::invalid(
                    "limit",
                    format!("limit must be between 1 and {MAX_LIMIT}"),
                ));
            }
        };
        let after = after.filter(|a| !a.is_empty());
        if let Some(a) = &after
            && (a.len() > 64 || !a.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err(CoreError::invalid("after", "after is not a valid cursor"));
        }
        Ok(Self { limit, after })
    }
}

/// One page of results, and the cursor of the next page when there is one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items of this page, ordered by id.
    pub items: Vec<T>,
    /// Cursor to pass as `after` for the next page.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` items fetched by the store: the extra item only
    /// tells that a next page exists.
    pub fn from_overfetch(mut items: Vec<T>, limit: u32, id_of: impl Fn(&T) -> String) -> Self {
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next = if more { items.last().map(id_of) } else { None };
        Self { items, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_bounds_are_enforced() {
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(201), None).is_err());
        assert!(PageRequest::new(Some(-5), None).is_err());
        assert_eq!(
            PageRequest::new(None, None).map(|p| p.limit).ok(),
            Some(200)
        );
        assert!(PageRequest::new(Some(1), Some("x'; drop".into())).is_err());
    }

    #[test]
    fn overfetch_sets_next_cursor_only_when_more_exist() {
        let p = Page::from_overfetch(vec![1, 2, 3], 2, |i| i.to_string());
        assert_eq!(p.items, vec![1, 2]);
        assert_eq!(p.next.as_deref(), Some("2"));
        let p = Page::from_overfetch(vec![1, 2], 2, |i| i.to_string());
        assert_eq!(p.next, None);
    }
}
