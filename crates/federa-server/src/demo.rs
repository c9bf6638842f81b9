//! `federa demo` (CONTRACT §1, issue 7): a hub-and-spoke setup on one port, made (or brought
//! up to date) on every run so a second run on the same data works and a new `--port` is
//! picked up.
//!
//! - `spoke.localhost` — the IdP org: the user `demo@example.com` with a password and Okta
//!   Verify (TOTP) enrolled; the org2org app "Hub" (OIDC) pointing at the hub's IdP object,
//!   bound to a two-factor policy, so signing in at the spoke takes password + TOTP.
//! - `hub.localhost` — the SP org: the `OKTA_INTEGRATION` IdP object "Spoke" with
//!   `trustClaims: true`; routing rules sending `@example.com` users to the spoke and offering
//!   "Sign in with Spoke"; the demo app (`/demo`) bound to the policy "Any 2 factor types".
//!
//! Generated secrets (the user's password and TOTP seed, the org2org client secret) are kept in
//! `demo-credentials.json` in the data directory (mode 0600), so they survive restarts.

use anyhow::Context as _;
use federa_core::CoreError;
use federa_core::Ctx;
use federa_core::model::app::AppInput;
use federa_core::model::idp::IdpInput;
use federa_core::model::{Engine, Org, UserProfile};
use federa_core::service::factors::{self, Activation, EnrollFactor};
use federa_core::service::{apps, idps, orgs, policies, users};
use federa_types::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::Path;

/// The demo user.
pub const DEMO_USER: &str = "demo@example.com";
/// The demo app's client id at the hub.
pub const DEMO_CLIENT_ID: &str = "federa-demo";
const ORG2ORG_CLIENT_ID: &str = "hub-demo";
const SPOKE_POLICY: &str = "Two factors (demo)";
const HUB_POLICY: &str = "Any 2 factor types";

/// The secrets the demo made, kept across runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoCredentials {
    /// The demo user's password at the spoke.
    pub password: String,
    /// The demo user's TOTP seed (base32) at the spoke.
    pub totp_secret: Option<String>,
    /// The org2org app's client secret (spoke app, hub IdP object).
    pub client_secret: String,
}

/// What the demo set up, for printing.
#[derive(Debug)]
pub struct Demo {
    /// The spoke org.
    pub spoke: Org,
    /// The hub org.
    pub hub: Org,
    /// Credentials.
    pub credentials: DemoCredentials,
    /// The hub's IdP object for the spoke.
    pub idp_id: String,
}

fn random_text(ctx: &Ctx, n: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut buf = vec![0u8; n];
    ctx.rng.fill(&mut buf);
    buf.iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

fn load_credentials(ctx: &Ctx, dir: &Path) -> anyhow::Result<DemoCredentials> {
    let path = dir.join("demo-credentials.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return serde_json::from_str(&text).context("demo-credentials.json is unreadable");
    }
    Ok(DemoCredentials {
        password: format!("Demo-{}", random_text(ctx, 12)),
        totp_secret: None,
        client_secret: random_text(ctx, 32),
    })
}

fn save_credentials(dir: &Path, c: &DemoCredentials) -> anyhow::Result<()> {
    let path = dir.join("demo-credentials.json");
    std::fs::write(&path, serde_json::to_string_pretty(c)?)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

fn describe(e: CoreError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

async fn org(ctx: &Ctx, name: &str, host: &str) -> anyhow::Result<Org> {
    match orgs::resolve(ctx, Some(host)).await {
        Ok(o) => Ok(o),
        Err(CoreError::NotFound(_)) => {
            Ok(
                orgs::create(ctx, name, &[host.to_string()], Engine::Identity, "demo")
                    .await
                    .map_err(describe)?
                    .org,
            )
        }
        Err(e) => Err(describe(e)),
    }
}

/// An `ACCESS_POLICY` by name with one two-factor rule, made when missing.
async fn two_factor_policy(ctx: &Ctx, org: &Org, name: &str) -> anyhow::Result<String> {
    let existing = policies::list(ctx, &org.id, Some("ACCESS_POLICY"))
        .await
        .map_err(describe)?;
    if let Some(p) = existing.iter().find(|p| p.name == name) {
        return Ok(p.id.to_string());
    }
    let p = policies::create(
        ctx,
        &org.id,
        &json!({"type": "ACCESS_POLICY", "name": name}),
        true,
    )
    .await
    .map_err(describe)?;
    policies::create_rule(
        ctx,
        &org.id,
        p.id.as_str(),
        &json!({"name": "Any 2 factor types", "priority": 1, "actions": {"appSignOn": {"access": "ALLOW",
            "verificationMethod": {"type": "ASSURANCE", "factorMode": "2FA", "reauthenticateIn": "PT2H", "constraints": []}}}}),
        true,
    )
    .await
    .map_err(describe)?;
    Ok(p.id.to_string())
}

/// Creates the app with this client id, or replaces it with `input` (ports change).
async fn upsert_app(ctx: &Ctx, org: &Org, client_id: &str, input: Value) -> anyhow::Result<String> {
    let input: AppInput = serde_json::from_value(input)?;
    match apps::by_client_id(ctx, &org.id, client_id)
        .await
        .map_err(describe)?
    {
        Some(a) => {
            apps::replace(ctx, &org.id, a.id.as_str(), input)
                .await
                .map_err(describe)?;
            Ok(a.id.to_string())
        }
        None => Ok(apps::create(ctx, &org.id, input, true)
            .await
            .map_err(describe)?
            .0
            .id
            .to_string()),
    }
}

async fn demo_user(ctx: &Ctx, spoke: &Org, creds: &mut DemoCredentials) -> anyhow::Result<()> {
    let user = match users::get(ctx, &spoke.id, DEMO_USER).await {
        Ok(u) => u,
        Err(CoreError::NotFound(_)) => users::create(
            ctx,
            &spoke.id,
            users::NewUser {
                profile: UserProfile {
                    login: DEMO_USER.into(),
                    email: DEMO_USER.into(),
                    first_name: Some("Dana".into()),
                    last_name: Some("Demo".into()),
                    ..Default::default()
                },
                password: Some(Secret::new(creds.password.clone())),
                group_ids: vec![],
            },
            true,
        )
        .await
        .map_err(describe)?,
        Err(e) => return Err(describe(e)),
    };
    let has_totp = factors::active(ctx, &spoke.id, &user.id)
        .await
        .map_err(describe)?
        .iter()
        .any(|f| f.factor_type.as_str() == "token:software:totp");
    if has_totp && creds.totp_secret.is_some() {
        return Ok(());
    }
    let input = EnrollFactor::parse(
        "token:software:totp",
        Some("OKTA"),
        Default::default(),
        None,
    )
    .map_err(describe)?;
    let enrolled = factors::enroll(ctx, &spoke.id, &user.id, input)
        .await
        .map_err(describe)?;
    let Activation::Totp { shared_secret, .. } = enrolled.activation else {
        anyhow::bail!("TOTP enrollment gave no secret");
    };
    let seed = totp_rs::Secret::try_from_base32(shared_secret.expose())
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let totp = totp_rs::Builder::new()
        .with_secret(seed.as_bytes().to_vec())
        .build()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let now = u64::try_from(ctx.clock.now().0 / 1000).unwrap_or(0);
    // The code of the previous step, so the first sign-in can use the current one.
    let code = totp.generate(now.saturating_sub(30)).to_string();
    factors::activate(ctx, &spoke.id, &user.id, enrolled.factor.id.as_str(), &code)
        .await
        .map_err(describe)?;
    creds.totp_secret = Some(shared_secret.expose().clone());
    Ok(())
}

/// Sets up (or updates) the demo orgs for a server listening on `port`.
pub async fn setup(ctx: &Ctx, data_dir: &Path, port: u16) -> anyhow::Result<Demo> {
    let mut creds = load_credentials(ctx, data_dir)?;
    let spoke = org(ctx, "Spoke (IdP org)", "spoke.localhost").await?;
    let hub = org(ctx, "Hub (SP org)", "hub.localhost").await?;
    let spoke_url = format!("http://spoke.localhost:{port}");
    let hub_url = format!("http://hub.localhost:{port}");

    // Hub: the IdP object for the spoke (endpoints follow the port).
    let idp_input: IdpInput = serde_json::from_value(json!({
        "type": "OKTA_INTEGRATION", "name": "Spoke",
        "protocol": {"type": "OIDC", "scopes": ["openid", "email", "profile"],
            "credentials": {"client": {"client_id": ORG2ORG_CLIENT_ID, "client_secret": creds.client_secret,
                "token_endpoint_auth_method": "client_secret_basic"}},
            "oktaIdpOrgUrl": spoke_url},
        "policy": {"trustClaims": true, "maxClockSkew": 120000,
            "provisioning": {"action": "AUTO"}, "accountLink": {"action": "AUTO"},
            "subject": {"userNameTemplate": {"template": "idpuser.email"}, "matchType": "USERNAME"}}
    }))?;
    let existing = idps::list_all(ctx, &hub.id).await.map_err(describe)?;
    let idp = match existing.iter().find(|i| i.name == "Spoke") {
        Some(i) => idps::replace(ctx, &hub.id, i.id.as_str(), idp_input)
            .await
            .map_err(describe)?,
        None => idps::create(ctx, &hub.id, idp_input, true)
            .await
            .map_err(describe)?,
    };
    let idp_id = idp.id.to_string();

    // Spoke: the user, the org2org app, its two-factor policy.
    demo_user(ctx, &spoke, &mut creds).await?;
    let app_id = upsert_app(
        ctx,
        &spoke,
        ORG2ORG_CLIENT_ID,
        json!({"name": "okta_org2org", "label": "Hub", "signOnMode": "OPENID_CONNECT",
               "credentials": {"oauthClient": {"client_id": ORG2ORG_CLIENT_ID, "client_secret": creds.client_secret}},
               "settings": {"app": {"baseUrl": hub_url, "idpId": idp_id}}}),
    )
    .await?;
    let pid = two_factor_policy(ctx, &spoke, SPOKE_POLICY).await?;
    policies::bind_app(ctx, &spoke.id, &app_id, &pid)
        .await
        .map_err(describe)?;

    // Hub: routing rules and the demo app with "Any 2 factor types".
    let discovery = policies::list(ctx, &hub.id, Some("IDP_DISCOVERY"))
        .await
        .map_err(describe)?;
    if let Some(d) = discovery.first() {
        let rules = policies::rules(ctx, &hub.id, d.id.as_str())
            .await
            .map_err(describe)?;
        let wanted = [
            (
                "Spoke users",
                1,
                json!({"userIdentifier": {"type": "IDENTIFIER",
                "patterns": [{"matchType": "SUFFIX", "value": "@example.com"}]}}),
                json!([{"type": "OKTA_INTEGRATION", "id": idp_id}]),
            ),
            (
                "Offer the spoke",
                2,
                Value::Null,
                json!([{"type": "OKTA_INTEGRATION", "id": idp_id}, {"type": "OKTA"}]),
            ),
        ];
        for (name, priority, conditions, providers) in wanted {
            let mut body = json!({"name": name, "priority": priority,
                "actions": {"idp": {"providers": providers}}});
            if !conditions.is_null() {
                body["conditions"] = conditions;
            }
            match rules.iter().find(|r| r.name == name) {
                Some(r) => {
                    policies::replace_rule(ctx, &hub.id, d.id.as_str(), r.id.as_str(), &body)
                        .await
                        .map_err(describe)?;
                }
                None => {
                    policies::create_rule(ctx, &hub.id, d.id.as_str(), &body, true)
                        .await
                        .map_err(describe)?;
                }
            }
        }
    }
    let demo_app = upsert_app(
        ctx,
        &hub,
        DEMO_CLIENT_ID,
        json!({"name": "oidc_client", "label": "Federa demo app", "signOnMode": "OPENID_CONNECT",
               "credentials": {"oauthClient": {"client_id": DEMO_CLIENT_ID, "token_endpoint_auth_method": "none"}},
               "settings": {"oauthClient": {"redirect_uris": [format!("{hub_url}/demo/callback")],
                   "grant_types": ["authorization_code"], "application_type": "browser"}}}),
    )
    .await?;
    let hub_policy = two_factor_policy(ctx, &hub, HUB_POLICY).await?;
    policies::bind_app(ctx, &hub.id, &demo_app, &hub_policy)
        .await
        .map_err(describe)?;
    save_credentials(data_dir, &creds)?;
    Ok(Demo {
        spoke,
        hub,
        credentials: creds,
        idp_id,
    })
}
