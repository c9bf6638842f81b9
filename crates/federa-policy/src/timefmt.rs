//! RFC 3339 timestamps (`2026-11-23T10:00:00Z`, fractional seconds and offsets allowed) to and
//! from [`Timestamp`], for the simulation request and answer (CONTRACT §5). Civil-date
//! arithmetic after Howard Hinnant's `days_from_civil`; no clock, no time crate.

use federa_types::Timestamp;

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn num(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Parses an RFC 3339 date-time.
pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if s.len() < 20 || !s.is_char_boundary(10) || !s.is_char_boundary(19) {
        return None;
    }
    let (date, rest) = s.split_at(10);
    let sep = rest.as_bytes().first().copied()?;
    if sep != b'T' && sep != b't' && sep != b' ' {
        return None;
    }
    let mut parts = date.split('-');
    let (y, mo, d) = (
        num(parts.next()?)?,
        num(parts.next()?)?,
        num(parts.next()?)?,
    );
    let time = rest.get(1..9)?;
    let mut tp = time.split(':');
    let (h, mi, se) = (num(tp.next()?)?, num(tp.next()?)?, num(tp.next()?)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut tail = rest.get(9..)?;
    let mut millis = 0i64;
    if let Some(frac) = tail.strip_prefix('.') {
        let digits: String = frac.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return None;
        }
        let ms: String = digits.chars().chain("000".chars()).take(3).collect();
        millis = num(&ms)?;
        tail = &frac[digits.len()..];
    }
    let offset_min = match tail {
        "Z" | "z" => 0,
        t if t.len() == 6 && (t.starts_with('+') || t.starts_with('-')) => {
            let oh = num(t.get(1..3)?)?;
            let om = num(t.get(4..6)?)?;
            if t.get(3..4)? != ":" || oh > 23 || om > 59 {
                return None;
            }
            let v = oh * 60 + om;
            if t.starts_with('-') { -v } else { v }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + se.min(59) - offset_min * 60;
    Some(Timestamp::from_millis(secs * 1000 + millis))
}

/// Formats as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_rfc3339(t: Timestamp) -> String {
    let ms = t.millis();
    let secs = ms.div_euclid(1000);
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60,
        ms.rem_euclid(1000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_known_values() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(Timestamp(0)));
        assert_eq!(
            parse_rfc3339("2026-11-23T10:00:00Z"),
            Some(Timestamp(1_795_428_000_000))
        );
        assert_eq!(
            parse_rfc3339("2026-11-23T11:00:00.5+01:00"),
            Some(Timestamp(1_795_428_000_500))
        );
        assert_eq!(
            format_rfc3339(Timestamp(1_795_428_000_500)),
            "2026-11-23T10:00:00.500Z"
        );
        for bad in [
            "",
            "2026-11-23",
            "2026-13-01T00:00:00Z",
            "2026-11-23T10:00:00",
            "2026-11-23T10:00:00+0100",
            "２０２６-11-23T10:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
