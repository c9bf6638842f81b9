//! The `filter` parameter of `GET /api/v1/logs`: the small SCIM subset Federa answers —
//! `eventType eq "x"`, `outcome.result eq "X"`, `actor.id eq "x"`, `target.id eq "x"`, joined by
//! `and`. Attribute names and operators are case-insensitive (RFC 7644 §3.4.2.2); values are
//! double-quoted JSON-style strings with `\"` and `\\` escapes. Anything else is a validation
//! error that names the problem.

use super::{LogFilter, OutcomeResult};
use crate::error::CoreError;

/// Longest accepted filter.
pub const MAX_FILTER_LEN: usize = 2048;
/// Most conditions in one filter.
pub const MAX_CONDITIONS: usize = 20;

const SUPPORTED: &str = "eventType, outcome.result, actor.id, target.id";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Str(String),
}

fn err(message: impl Into<String>) -> CoreError {
    CoreError::invalid("filter", message)
}

fn tokens(s: &str) -> Result<Vec<Token>, CoreError> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut v = String::new();
            loop {
                match chars.next() {
                    None => return Err(err("unterminated string in filter")),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(e @ ('"' | '\\' | '/')) => v.push(e),
                        _ => {
                            return Err(err(
                                "only \\\" , \\\\ and \\/ escapes are supported in filter strings",
                            ));
                        }
                    },
                    Some(ch) => v.push(ch),
                }
            }
            out.push(Token::Str(v));
        } else if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            let mut w = String::new();
            while let Some(&ch) = chars.peek() {
                if ch.is_ascii_alphanumeric() || ch == '.' || ch == '_' {
                    w.push(ch);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Token::Word(w));
        } else {
            return Err(err(format!(
                "unexpected '{c}' in filter; conditions are joined by 'and' without parentheses"
            )));
        }
    }
    Ok(out)
}

/// Parses a filter into conditions that must all hold.
pub fn parse_filter(s: &str) -> Result<Vec<LogFilter>, CoreError> {
    if s.len() > MAX_FILTER_LEN {
        return Err(err(format!(
            "filter must be at most {MAX_FILTER_LEN} characters"
        )));
    }
    let toks = tokens(s)?;
    let mut out = Vec::new();
    let mut it = toks.into_iter();
    loop {
        let attr = match it.next() {
            Some(Token::Word(w)) => w,
            Some(Token::Str(v)) => {
                return Err(err(format!(
                    "expected an attribute ({SUPPORTED}) but found the string \"{}\"",
                    short(&v)
                )));
            }
            None => return Err(err("filter ends where a condition was expected")),
        };
        let op = match it.next() {
            Some(Token::Word(w)) => w,
            _ => {
                return Err(err(format!(
                    "expected an operator after '{}'",
                    short(&attr)
                )));
            }
        };
        if !op.eq_ignore_ascii_case("eq") {
            return Err(err(format!(
                "unsupported operator '{}'; only 'eq' is supported",
                short(&op)
            )));
        }
        let value = match it.next() {
            Some(Token::Str(v)) => v,
            _ => {
                return Err(err(format!(
                    "expected a double-quoted value after '{} eq'",
                    short(&attr)
                )));
            }
        };
        out.push(condition(&attr, value)?);
        if out.len() > MAX_CONDITIONS {
            return Err(err(format!("at most {MAX_CONDITIONS} conditions")));
        }
        match it.next() {
            None => return Ok(out),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("and") => {}
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("or") => {
                return Err(err("'or' is not supported; join conditions with 'and'"));
            }
            Some(Token::Word(w)) => {
                return Err(err(format!("expected 'and' but found '{}'", short(&w))));
            }
            Some(Token::Str(v)) => {
                return Err(err(format!(
                    "expected 'and' but found the string \"{}\"",
                    short(&v)
                )));
            }
        }
    }
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

fn condition(attr: &str, value: String) -> Result<LogFilter, CoreError> {
    let a = attr.to_ascii_lowercase();
    match a.as_str() {
        "eventtype" => Ok(LogFilter::EventType(value)),
        "outcome.result" => OutcomeResult::parse(&value)
            .map(LogFilter::OutcomeResult)
            .ok_or_else(|| {
                let all: Vec<&str> = OutcomeResult::ALL.iter().map(|r| r.as_str()).collect();
                err(format!(
                    "outcome.result must be one of {}, not \"{}\"",
                    all.join(", "),
                    short(&value)
                ))
            }),
        "actor.id" => Ok(LogFilter::ActorId(value)),
        "target.id" => Ok(LogFilter::TargetId(value)),
        _ => Err(err(format!(
            "unsupported attribute '{}'; supported: {SUPPORTED}",
            short(attr)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(s: &str) -> String {
        match parse_filter(s) {
            Err(CoreError::Validation(v)) => v[0].message.clone(),
            other => panic!("expected a validation error for {s:?}, got {other:?}"),
        }
    }

    #[test]
    fn supported_conditions_parse() {
        let f = parse_filter(
            r#"eventType eq "user.session.start" and outcome.result eq "FAILURE" AND actor.id eq "00u1" and TARGET.ID Eq "a \"q\" \\ b""#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            f,
            vec![
                LogFilter::EventType("user.session.start".into()),
                LogFilter::OutcomeResult(OutcomeResult::Failure),
                LogFilter::ActorId("00u1".into()),
                LogFilter::TargetId("a \"q\" \\ b".into()),
            ]
        );
    }

    #[test]
    fn unsupported_filters_name_the_problem() {
        assert!(msg(r#"displayMessage eq "x""#).contains("unsupported attribute 'displayMessage'"));
        assert!(msg(r#"eventType sw "user""#).contains("unsupported operator 'sw'"));
        assert!(msg(r#"eventType eq "a" or eventType eq "b""#).contains("'or' is not supported"));
        assert!(msg(r#"outcome.result eq "success""#).contains("outcome.result must be one of"));
        assert!(msg(r#"eventType eq user"#).contains("double-quoted value"));
        assert!(msg(r#"eventType eq "x"#).contains("unterminated"));
        assert!(msg(r#"(eventType eq "x")"#).contains("unexpected '('"));
        assert!(msg(r#"eventType eq "x" and"#).contains("ends where a condition"));
        assert!(msg(r#"eventType eq "x" eventType"#).contains("expected 'and'"));
        assert!(msg(r#"eventType"#).contains("expected an operator"));
    }

    #[test]
    fn too_many_conditions_are_refused() {
        let f = vec![r#"eventType eq "x""#; MAX_CONDITIONS + 1].join(" and ");
        assert!(msg(&f).contains("at most"));
        let f = vec![r#"eventType eq "x""#; MAX_CONDITIONS].join(" and ");
        assert!(parse_filter(&f).is_ok());
    }
}
