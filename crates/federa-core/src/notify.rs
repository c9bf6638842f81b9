//! Notifications (issue 4, local sign-in): the [`Notifier`] port through which one-time codes
//! reach users, its production implementation [`OutboxNotifier`], and the operators' view of
//! the outbox ([`outbox`], served as `GET /api/v1/outbox`).
//!
//! Every message is first written to the org's outbox (body sealed with the master key), then
//! delivered when a transport is configured: SMTP (lettre, rustls) for email, an HTTP webhook
//! (`POST {to, channel, body, id}` as JSON) for SMS and voice. The outcome is recorded on the
//! outbox row; a failed delivery never loses the message, operators can still read it. Message
//! bodies never go to the logs.

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::{Channel, DeliveryStatus, OutboxEntry};
use crate::page::{Page, PageRequest};
use crate::ports::Store;
use crate::secretbox::SecretBox;
use async_trait::async_trait;
use federa_types::{Clock, OrgId, Rng, Secret, Timestamp};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;

/// Purpose string of sealed outbox bodies.
pub const OUTBOX_PURPOSE: &str = "outbox-body";
/// How long outbox messages are kept.
pub const OUTBOX_RETENTION_MS: i64 = 7 * 24 * 3600 * 1000;
/// Longest error text kept on an outbox row.
const MAX_ERROR_LEN: usize = 300;

/// A message to one recipient.
#[derive(Debug, Clone)]
pub struct Notification {
    /// How it travels.
    pub channel: Channel,
    /// Email address or E.164 phone number.
    pub to: String,
    /// Email subject (a short label for SMS and voice).
    pub subject: String,
    /// Text; usually carries a code, hence secret.
    pub body: Secret<String>,
}

/// Sends notifications to users.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Records and sends `msg` for `org`. An error means the message could not even be
    /// recorded; a delivery failure is recorded on the outbox row instead.
    async fn send(&self, org: &OrgId, msg: Notification) -> Result<(), CoreError>;
}

/// Transports of the production notifier (config section `[notify]`). All optional: without
/// them messages are only kept in the outbox.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// `smtp://host:port`, `smtps://user:pass@host` or `smtp://...?tls=required` (lettre's URL form).
    pub smtp_url: Option<Secret<String>>,
    /// The `From` mailbox of emails, e.g. `Federa <no-reply@example.com>`.
    pub smtp_from: Option<String>,
    /// URL that receives SMS and voice messages as JSON.
    pub sms_webhook_url: Option<Secret<String>>,
    /// Timeout of one delivery attempt.
    pub timeout: Duration,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            smtp_from: None,
            sms_webhook_url: None,
            timeout: Duration::from_secs(10),
        }
    }
}

struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

struct Webhook {
    client: reqwest::Client,
    url: reqwest::Url,
}

/// The production notifier: outbox first, then SMTP or webhook delivery when configured.
pub struct OutboxNotifier {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    rng: Arc<dyn Rng>,
    secrets: SecretBox,
    smtp: Option<Smtp>,
    webhook: Option<Webhook>,
}

impl std::fmt::Debug for OutboxNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxNotifier")
            .field("smtp", &self.smtp.is_some())
            .field("webhook", &self.webhook.is_some())
            .finish_non_exhaustive()
    }
}

impl OutboxNotifier {
    /// A notifier over the store; `cfg` says which transports exist. Invalid transport
    /// settings are validation errors naming the `notify.*` key (its value is never echoed).
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        rng: Arc<dyn Rng>,
        secrets: SecretBox,
        cfg: &NotifyConfig,
    ) -> Result<Self, CoreError> {
        let smtp = match cfg.smtp_url.as_ref().filter(|u| !u.expose().is_empty()) {
            None => None,
            Some(url) => {
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(|_| {
                        CoreError::invalid(
                            "notify.smtp_url",
                            "is not an SMTP URL (smtp://host:port or smtps://user:password@host)",
                        )
                    })?;
                let from = cfg
                    .smtp_from
                    .as_deref()
                    .filter(|f| !f.is_empty())
                    .ok_or_else(|| {
                        CoreError::invalid("notify.smtp_from", "is required with notify.smtp_url")
                    })?
                    .parse::<Mailbox>()
                    .map_err(|_| {
                        CoreError::invalid(
                            "notify.smtp_from",
                            "is not a mailbox such as Federa <no-reply@example.com>",
                        )
                    })?;
                Some(Smtp {
                    transport: builder.timeout(Some(cfg.timeout)).build(),
                    from,
                })
            }
        };
        let webhook = match cfg
            .sms_webhook_url
            .as_ref()
            .filter(|u| !u.expose().is_empty())
        {
            None => None,
            Some(url) => {
                let url = reqwest::Url::parse(url.expose())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| {
                        CoreError::invalid("notify.sms_webhook_url", "is not an http(s) URL")
                    })?;
                let client = reqwest::Client::builder()
                    .timeout(cfg.timeout)
                    .connect_timeout(cfg.timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| {
                        CoreError::Internal(format!("HTTP client: {}", e.without_url()))
                    })?;
                Some(Webhook { client, url })
            }
        };
        Ok(Self {
            store,
            clock,
            rng,
            secrets,
            smtp,
            webhook,
        })
    }

    async fn deliver(&self, id: &str, msg: &Notification) -> Option<Result<(), String>> {
        match msg.channel {
            Channel::Email => {
                let smtp = self.smtp.as_ref()?;
                Some(send_email(smtp, msg).await)
            }
            Channel::Sms | Channel::Voice => {
                let hook = self.webhook.as_ref()?;
                Some(call_webhook(hook, id, msg).await)
            }
        }
    }
}

async fn send_email(smtp: &Smtp, msg: &Notification) -> Result<(), String> {
    let to: Mailbox = msg
        .to
        .parse()
        .map_err(|_| "the recipient is not a valid email address".to_string())?;
    let email = Message::builder()
        .from(smtp.from.clone())
        .to(to)
        .subject(msg.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(msg.body.expose().clone())
        .map_err(|e| format!("cannot build the email: {e}"))?;
    smtp.transport
        .send(email)
        .await
        .map(|_| ())
        .map_err(|e| format!("SMTP: {e}"))
}

async fn call_webhook(hook: &Webhook, id: &str, msg: &Notification) -> Result<(), String> {
    let payload = serde_json::json!({
        "id": id,
        "to": msg.to,
        "channel": msg.channel.as_str(),
        "body": msg.body.expose(),
    });
    let res = hook
        .client
        .post(hook.url.clone())
        .json(&payload)
        .send()
        .await
        // Without the URL: it may carry a credential.
        .map_err(|e| format!("webhook: {}", e.without_url()))?;
    if res.status().is_success() {
        Ok(())
    } else {
        Err(format!("webhook answered HTTP {}", res.status().as_u16()))
    }
}

fn truncate(s: String) -> String {
    if s.len() <= MAX_ERROR_LEN {
        return s;
    }
    let mut end = MAX_ERROR_LEN;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// A fresh outbox id (`obx` and 17 base62 characters).
fn outbox_id(rng: &dyn Rng) -> String {
    format!("obx{}", federa_types::id::random_base62(rng, 17))
}

#[async_trait]
impl Notifier for OutboxNotifier {
    async fn send(&self, org: &OrgId, msg: Notification) -> Result<(), CoreError> {
        let now = self.clock.now();
        let entry = OutboxEntry {
            id: outbox_id(self.rng.as_ref()),
            org_id: org.clone(),
            channel: msg.channel,
            recipient: msg.to.clone(),
            subject: msg.subject.clone(),
            sealed_body: self.secrets.seal(
                self.rng.as_ref(),
                OUTBOX_PURPOSE,
                msg.body.expose().as_bytes(),
            )?,
            created: now,
            status: DeliveryStatus::Pending,
            error: None,
            last_updated: now,
        };
        self.store
            .add_outbox(&entry, now.plus_millis(-OUTBOX_RETENTION_MS))
            .await?;
        let (status, error) = match self.deliver(&entry.id, &msg).await {
            None => (DeliveryStatus::Stored, None),
            Some(Ok(())) => (DeliveryStatus::Delivered, None),
            Some(Err(e)) => {
                let e = truncate(e);
                tracing::warn!(outbox_id = %entry.id, channel = msg.channel.as_str(), error = %e, "notification delivery failed; the message stays in the outbox");
                (DeliveryStatus::Failed, Some(e))
            }
        };
        self.store
            .set_outbox_status(org, &entry.id, status, error.as_deref(), self.clock.now())
            .await?;
        Ok(())
    }
}

/// An outbox message as operators see it (`GET /api/v1/outbox`).
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    /// Id.
    pub id: String,
    /// Channel.
    pub channel: Channel,
    /// Recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Text (opened).
    pub body: Secret<String>,
    /// Written.
    pub created: Timestamp,
    /// Delivery status.
    pub status: DeliveryStatus,
    /// Why delivery failed.
    pub error: Option<String>,
}

/// A page of the org's outbox, newest first.
pub async fn outbox(
    ctx: &Ctx,
    org: &OrgId,
    page: &PageRequest,
) -> Result<Page<OutboxMessage>, CoreError> {
    let rows = ctx.store.list_outbox(org, page).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let body = ctx.secrets.open(OUTBOX_PURPOSE, &r.sealed_body)?;
        let body = String::from_utf8(body.into_inner())
            .map_err(|_| CoreError::Internal("an outbox body is not UTF-8".into()))?;
        items.push(OutboxMessage {
            id: r.id,
            channel: r.channel,
            to: r.recipient,
            subject: r.subject,
            body: Secret::new(body),
            created: r.created,
            status: r.status,
            error: r.error,
        });
    }
    Ok(Page::from_overfetch(items, page.limit, |m| m.id.clone()))
}
