//! Recording System Log events (CONTRACT §2 system log): validation (event type, target count,
//! debug data size), defaults, truncation of over-long texts, a random v4 UUID, and the write,
//! whose error is returned so the calling flow decides whether to go on.

use super::{LogActor, LogAuthContext, LogEvent, LogEventInput, LogTarget};
use crate::ctx::Ctx;
use crate::error::CoreError;
use federa_types::{OrgId, Timestamp};

/// Longest stored display message, reason, user agent, id or name (longer ones are cut).
const MAX_TEXT: usize = 1024;
/// Largest `debugData`, as JSON.
pub const MAX_DEBUG_DATA_BYTES: usize = 64 * 1024;
/// Most targets per event.
pub const MAX_TARGETS: usize = 50;

fn cut(s: String) -> String {
    if s.chars().count() <= MAX_TEXT {
        s
    } else {
        s.chars().take(MAX_TEXT).collect()
    }
}

fn cut_opt(s: Option<String>) -> Option<String> {
    s.map(cut)
}

fn event_type_ok(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 255
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
        && !t.starts_with('.')
        && !t.ends_with('.')
}

/// A random RFC 4122 version-4 UUID.
fn new_uuid(ctx: &Ctx) -> String {
    let mut b: [u8; 16] = ctx.random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Builds the stored event (pure: validation, defaults, truncation).
fn build(
    org: &OrgId,
    uuid: String,
    published: Timestamp,
    input: LogEventInput,
) -> Result<LogEvent, CoreError> {
    if !event_type_ok(&input.event_type) {
        return Err(CoreError::invalid(
            "eventType",
            "eventType must be 1 to 255 characters of letters, digits, '_' and inner '.'",
        ));
    }
    if input.targets.len() > MAX_TARGETS {
        return Err(CoreError::invalid(
            "target",
            format!("at most {MAX_TARGETS} targets"),
        ));
    }
    let debug_len = serde_json::to_string(&input.debug_data)
        .map_err(|e| CoreError::Internal(format!("cannot encode debugData: {e}")))?
        .len();
    if debug_len > MAX_DEBUG_DATA_BYTES {
        return Err(CoreError::invalid(
            "debugContext.debugData",
            format!("debugData must be at most {MAX_DEBUG_DATA_BYTES} bytes of JSON"),
        ));
    }
    let who = |a: LogActor| LogActor {
        id: cut(a.id),
        kind: cut(a.kind),
        alternate_id: cut_opt(a.alternate_id),
        display_name: cut_opt(a.display_name),
    };
    let ac = input.authentication_context;
    Ok(LogEvent {
        uuid,
        org_id: org.clone(),
        published,
        event_type: input.event_type,
        display_message: cut(input.display_message),
        severity: input.severity,
        outcome_result: input.outcome_result,
        outcome_reason: cut_opt(input.outcome_reason),
        actor: who(input.actor.unwrap_or_else(LogActor::unknown)),
        targets: input
            .targets
            .into_iter()
            .map(|t| LogTarget {
                id: cut(t.id),
                kind: cut(t.kind),
                alternate_id: cut_opt(t.alternate_id),
                display_name: cut_opt(t.display_name),
            })
            .collect(),
        client_ip: cut_opt(input.client_ip),
        user_agent: cut_opt(input.user_agent),
        request_id: cut_opt(input.request_id),
        authentication_context: LogAuthContext {
            authentication_provider: cut_opt(ac.authentication_provider),
            credential_provider: cut_opt(ac.credential_provider),
            credential_type: cut_opt(ac.credential_type),
            issuer: cut_opt(ac.issuer),
            external_session_id: cut_opt(ac.external_session_id),
            interface: cut_opt(ac.interface),
        },
        debug_data: input.debug_data,
    })
}

/// Records an event in the org's System Log, published now (by `ctx.clock`). Over-long texts
/// are cut to 1024 characters; a malformed event type, more than 50 targets or more than
/// 64 KiB of debug data is a validation error. Storage failures are returned too: the caller
/// decides whether the flow goes on.
pub async fn record(ctx: &Ctx, org: &OrgId, input: LogEventInput) -> Result<(), CoreError> {
    let event = prepare(ctx, org, input)?;
    ctx.store.insert_log_event(&event).await?;
    Ok(())
}

/// The event [`record`] would store, built now but not written: for a caller that writes it
/// together with other changes in one transaction.
pub fn prepare(ctx: &Ctx, org: &OrgId, input: LogEventInput) -> Result<LogEvent, CoreError> {
    build(org, new_uuid(ctx), ctx.clock.now(), input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::syslog::{OutcomeResult, Severity};

    const NOW: Timestamp = Timestamp(1_764_050_400_000);

    fn org() -> OrgId {
        OrgId::parse("00o00000000000000000").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn events_get_defaults_and_long_texts_are_cut() {
        let input = LogEventInput {
            user_agent: Some("u".repeat(5000)),
            targets: vec![LogTarget::new("00u1", "User")],
            ..LogEventInput::new("user.session.start", "User login to Okta")
        };
        let e = build(&org(), "id".into(), NOW, input).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.actor, LogActor::unknown());
        assert_eq!(e.severity, Severity::Info);
        assert_eq!(e.outcome_result, OutcomeResult::Success);
        assert_eq!(e.user_agent.as_ref().map(String::len), Some(MAX_TEXT));
        assert!(
            e.search_text()
                .contains("user login to okta\nuser.session.start")
        );
    }

    #[test]
    fn malformed_events_are_refused() {
        let bad = |input: LogEventInput| build(&org(), "id".into(), NOW, input).is_err();
        assert!(bad(LogEventInput::new("", "x")));
        assert!(bad(LogEventInput::new("user session", "x")));
        assert!(bad(LogEventInput::new(".user", "x")));
        assert!(bad(LogEventInput {
            targets: vec![LogTarget::default(); MAX_TARGETS + 1],
            ..LogEventInput::new("a.b", "x")
        }));
        let mut big = serde_json::Map::new();
        big.insert("blob".into(), "x".repeat(MAX_DEBUG_DATA_BYTES).into());
        assert!(bad(LogEventInput {
            debug_data: big,
            ..LogEventInput::new("a.b", "x")
        }));
    }
}
