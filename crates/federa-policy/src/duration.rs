//! ISO-8601 durations as used by `reauthenticateIn`, `inactivityPeriod` and chain
//! `reauthenticateIn` (reference §2.5: `PT2H`, `PT12H`, `P30D`; `PT0S` = every time).
//! Owns parsing (weeks, days, hours, minutes, seconds; years and months are refused because their
//! length is ambiguous) and the canonical spelling the API answers with.

use crate::error::{PolicyError, Result, clip};
use serde::{Serialize, Serializer};
use std::fmt;

/// Longest duration accepted: 10 years of seconds.
pub const MAX_SECONDS: u64 = 10 * 366 * 86_400;

/// A non-negative duration with second precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoDuration {
    seconds: u64,
}

impl IsoDuration {
    /// Zero: "re-authenticate every time".
    pub const ZERO: IsoDuration = IsoDuration { seconds: 0 };

    /// From whole seconds (capped at [`MAX_SECONDS`]).
    pub const fn from_seconds(seconds: u64) -> Self {
        IsoDuration {
            seconds: if seconds > MAX_SECONDS {
                MAX_SECONDS
            } else {
                seconds
            },
        }
    }

    /// From whole minutes.
    pub const fn from_minutes(minutes: u64) -> Self {
        Self::from_seconds(minutes.saturating_mul(60))
    }

    /// From whole hours.
    pub const fn from_hours(hours: u64) -> Self {
        Self::from_seconds(hours.saturating_mul(3600))
    }

    /// Whole seconds.
    pub const fn seconds(self) -> u64 {
        self.seconds
    }

    /// Milliseconds, as an `i64` for arithmetic with timestamps.
    pub const fn millis(self) -> i64 {
        // MAX_SECONDS * 1000 fits easily in i64.
        (self.seconds * 1000) as i64
    }

    /// Parses `PnWnDTnHnMnS` (each part optional, at least one present; case-insensitive).
    pub fn parse(s: &str, path: &str) -> Result<Self> {
        let bad = |why: &str| {
            PolicyError::invalid(
                path,
                format!("'{}' is not an ISO-8601 duration: {why}", clip(s)),
            )
        };
        let upper = s.to_ascii_uppercase();
        let rest = upper
            .strip_prefix('P')
            .ok_or_else(|| bad("it must start with P"))?;
        if rest.is_empty() || rest == "T" {
            return Err(bad("it has no components"));
        }
        let (date, time) = match rest.split_once('T') {
            Some((_, "")) => return Err(bad("nothing follows T")),
            Some((d, t)) => (d, Some(t)),
            None => (rest, None),
        };
        let mut total: u64 = 0;
        let mut add = |part: &str, units: &[(char, u64)], what: &str| -> Result<()> {
            let mut num = String::new();
            let mut last_unit = 0usize;
            for c in part.chars() {
                if c.is_ascii_digit() {
                    num.push(c);
                    continue;
                }
                let pos = units
                    .iter()
                    .position(|(u, _)| *u == c)
                    .ok_or_else(|| bad(&format!("unexpected '{c}' in the {what} part")))?;
                if pos < last_unit || num.is_empty() {
                    return Err(bad(&format!("misplaced '{c}'")));
                }
                last_unit = pos + 1;
                let n: u64 = num.parse().map_err(|_| bad("number too large"))?;
                num.clear();
                total = total.saturating_add(n.saturating_mul(units[pos].1));
            }
            if num.is_empty() {
                Ok(())
            } else {
                Err(bad("a number lacks its unit"))
            }
        };
        if date.contains('Y') || date.contains('M') {
            return Err(bad("years and months are not supported; use weeks or days"));
        }
        add(date, &[('W', 7 * 86_400), ('D', 86_400)], "date")?;
        if let Some(t) = time {
            add(t, &[('H', 3600), ('M', 60), ('S', 1)], "time")?;
        }
        if total > MAX_SECONDS {
            return Err(bad("longer than 10 years"));
        }
        Ok(IsoDuration { seconds: total })
    }
}

impl fmt::Display for IsoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = self.seconds;
        if s == 0 {
            return f.write_str("PT0S");
        }
        let days = s / 86_400;
        s %= 86_400;
        let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
        f.write_str("P")?;
        if days > 0 {
            write!(f, "{days}D")?;
        }
        if s > 0 {
            f.write_str("T")?;
            if h > 0 {
                write!(f, "{h}H")?;
            }
            if m > 0 {
                write!(f, "{m}M")?;
            }
            if sec > 0 {
                write!(f, "{sec}S")?;
            }
        }
        Ok(())
    }
}

impl Serialize for IsoDuration {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_reference_examples_and_prints_them_back() {
        for (s, secs, canon) in [
            ("PT2H", 7200, "PT2H"),
            ("PT12H", 43_200, "PT12H"),
            ("P30D", 2_592_000, "P30D"),
            ("PT0S", 0, "PT0S"),
            ("pt90m", 5400, "PT1H30M"),
            ("P1W", 604_800, "P7D"),
            ("P1DT1S", 86_401, "P1DT1S"),
        ] {
            let d = IsoDuration::parse(s, "x").map_err(|e| e.to_string());
            assert_eq!(
                d.map(|d| (d.seconds(), d.to_string())),
                Ok((secs, canon.to_owned())),
                "{s}"
            );
        }
    }

    #[test]
    fn rejects_malformed_durations_naming_the_path() {
        for s in [
            "",
            "P",
            "PT",
            "2H",
            "P1Y",
            "P1M",
            "PT1H2",
            "PTH",
            "PT1S1H",
            "P1DT",
            "PT99999999999999999999H",
        ] {
            let e = IsoDuration::parse(s, "a.b");
            assert!(
                matches!(&e, Err(PolicyError::Invalid { path, .. }) if path == "a.b"),
                "{s}: {e:?}"
            );
        }
    }
}
