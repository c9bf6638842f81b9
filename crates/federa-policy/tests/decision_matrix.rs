//! Drives the golden decision matrix `tests/decision_matrix.txt` (HOUSE-STYLE 11): every row is
//! one scenario — setup, verifications, expected decision, unmet requirements and (optionally)
//! challenge options — evaluated with `federa_policy::evaluate`. The file's header documents the
//! row syntax. A failing row prints its id, the actual result and the explanation.

mod support;

use federa_claims::{Engine, FactorVerification};
use federa_policy::WireEnum;
use federa_policy::access::AccessRule;
use federa_policy::defaults;
use federa_policy::enroll::{EnrollRuleSelf, EnrollSelf, MfaEnrollPolicy};
use federa_policy::eval::{AuthenticatorMethods, Decision, EvaluationInput, SessionIdp, evaluate};
use federa_policy::sign_on::{SignOnPolicy, SignOnRule};
use serde_json::{Value, json};
use std::collections::HashMap;
use support::*;

fn short_key(s: &str) -> &'static str {
    match s {
        "pwd" => "okta_password",
        "sq" => "security_question",
        "email" => "okta_email",
        "phone" => "phone_number",
        "ov" => "okta_verify",
        "gotp" => "google_otp",
        "webauthn" => "webauthn",
        other => panic!("unknown short key {other}"),
    }
}

fn keys(list: &str) -> Vec<AuthenticatorMethods> {
    if list == "none" {
        return Vec::new();
    }
    list.split(',')
        .map(|k| AuthenticatorMethods::all(key(short_key(k))))
        .collect()
}

struct Macros {
    rules: HashMap<String, Value>,
    gsps: HashMap<String, Value>,
}

fn app_rules(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Object(o) if o.contains_key("actions") => vec![v.clone()],
        _ => vec![json!({
            "name": "Matrix rule", "priority": 1,
            "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": v}}
        })],
    }
}

fn parse_verifications(spec: &str) -> Vec<FactorVerification> {
    if spec == "-" {
        return Vec::new();
    }
    spec.split_whitespace()
        .map(|tok| {
            let (body, at) = match tok.split_once('@') {
                Some((b, m)) => (
                    b,
                    ago(-m
                        .parse::<i64>()
                        .unwrap_or_else(|_| panic!("bad age in {tok}"))),
                ),
                None => (tok, ago(1)),
            };
            match body.split_once(':') {
                None if body == "webauthn-nouv" => local_with(
                    "webauthn",
                    at,
                    federa_claims::Characteristics {
                        user_verifying: false,
                        ..federa_policy::catalogue::lookup(&key("webauthn"), &method("webauthn"))
                            .map(|m| m.best)
                            .unwrap_or_default()
                    },
                ),
                None => local(body, at),
                Some((i, rest)) => {
                    let from = idp(i);
                    match rest.split_once('/') {
                        Some(("amr", v)) => amr(v, &from, at),
                        Some(("okta", v)) => okta(v, &from, at, Engine::Identity),
                        Some(("classic", v)) => okta(v, &from, at, Engine::Classic),
                        _ => panic!("bad verification token {tok}"),
                    }
                }
            }
        })
        .collect()
}

fn run_row(m: &Macros, line_no: usize, line: &str) -> Result<(), String> {
    let cols: Vec<&str> = line.split('|').map(str::trim).collect();
    if cols.len() != 7 {
        return Err(format!(
            "line {line_no}: expected 7 columns, got {}",
            cols.len()
        ));
    }
    let (id, setup, app, vspec, expect, unmet_spec, opt_spec) = (
        cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6],
    );

    let mut gsp = defaults::default_sign_on_policy();
    let mut engine = Engine::Identity;
    let mut session: Option<(federa_claims::IdpId, federa_types::Timestamp)> = None;
    let mut active = keys("pwd,sq,email,phone,ov,gotp,webauthn");
    let mut enrolled = keys("pwd,email");
    let mut enroll: MfaEnrollPolicy = defaults::default_mfa_enroll_policy();
    let mut flow = None;
    let mut zones = Vec::new();
    let mut groups = Vec::new();
    for tok in setup.split_whitespace().filter(|t| *t != "-") {
        let (k, v) = tok
            .split_once('=')
            .ok_or_else(|| format!("{id}: bad setup token {tok}"))?;
        match k {
            "gsp" => {
                let rules = m
                    .gsps
                    .get(v)
                    .ok_or_else(|| format!("{id}: unknown gsp {v}"))?;
                let rules: Vec<SignOnRule> = rules
                    .as_array()
                    .ok_or("gsp macro must be an array")?
                    .iter()
                    .map(|r| SignOnRule::from_json(r).map_err(|e| format!("{id}: gsp {v}: {e}")))
                    .collect::<Result<_, _>>()?;
                gsp = SignOnPolicy {
                    rules,
                    ..defaults::default_sign_on_policy()
                };
            }
            "engine" if v == "classic" => engine = Engine::Classic,
            "session" => {
                let (i, a) = v
                    .strip_prefix("idp:")
                    .and_then(|s| s.split_once('@'))
                    .ok_or(format!("{id}: bad session"))?;
                session = Some((idp(i), ago(-a.parse::<i64>().map_err(|e| e.to_string())?)));
            }
            "active" => active = keys(v),
            "enrolled" => enrolled = keys(v),
            "enroll" => {
                for pair in v.split(',') {
                    let (k, s) = pair.split_once(':').ok_or(format!("{id}: bad enroll"))?;
                    let req =
                        EnrollSelf::from_wire(s).ok_or(format!("{id}: bad enroll value {s}"))?;
                    let kk = key(short_key(k));
                    let list = &mut enroll.settings.authenticators;
                    match list.iter_mut().find(|a| a.key == kk) {
                        Some(a) => a.enroll.self_ = req,
                        None => return Err(format!("{id}: {k} not in default enroll policy")),
                    }
                }
            }
            "enrollrule" => {
                let s = EnrollRuleSelf::from_wire(v).ok_or(format!("{id}: bad enrollrule"))?;
                for r in &mut enroll.rules {
                    r.actions.enroll.self_ = s;
                }
            }
            "flow" => flow = Some(ago(-v.parse::<i64>().map_err(|e| e.to_string())?)),
            "zones" => zones = v.split(',').map(zone).collect(),
            "groups" => {
                groups = v
                    .split(',')
                    .map(|g| group(g.parse().unwrap_or(0)))
                    .collect()
            }
            _ => return Err(format!("{id}: unknown setup key {k}")),
        }
    }
    let access = if app == "none" {
        None
    } else {
        let v = m
            .rules
            .get(app)
            .ok_or_else(|| format!("{id}: unknown rule {app}"))?;
        let mut p = defaults::default_access_policy();
        p.rules = app_rules(v)
            .iter()
            .map(|r| AccessRule::from_json(r).map_err(|e| format!("{id}: rule {app}: {e}")))
            .collect::<Result<_, _>>()?;
        Some(p)
    };
    let verifications = parse_verifications(vspec);
    let u = user();
    let gsps = [gsp];
    let enrolls = [enroll];
    let input = EvaluationInput {
        sign_on_policies: &gsps,
        access_policy: access.as_ref(),
        user: &u,
        groups: &groups,
        zones: &zones,
        verifications: &verifications,
        now: now(),
        flow_started_at: flow,
        session_idp: session.as_ref().map(|(i, at)| SessionIdp {
            idp_id: i,
            authenticated_at: *at,
        }),
        enrolled: &enrolled,
        active_authenticators: &active,
        enroll_policies: &enrolls,
        engine,
    };
    let out = evaluate(&input);
    let (kind, unmet, options) = match &out.decision {
        Decision::Allow => ("ALLOW".to_owned(), Vec::new(), Vec::new()),
        Decision::Challenge { unmet, options } => (
            "CHALLENGE".to_owned(),
            unmet.iter().map(|u| u.token()).collect(),
            options
                .iter()
                .map(|o| {
                    format!(
                        "{}/{}{}",
                        o.authenticator_key,
                        o.method_type,
                        if o.needs_enrollment { "+" } else { "" }
                    )
                })
                .collect(),
        ),
        Decision::Deny { code, .. } => (format!("DENY:{}", code.as_str()), Vec::new(), Vec::new()),
    };
    let want_unmet: Vec<String> = if unmet_spec == "-" {
        Vec::new()
    } else {
        unmet_spec.split_whitespace().map(str::to_owned).collect()
    };
    let mut ok = kind == expect && unmet == want_unmet;
    if opt_spec != "*" {
        let want: Vec<String> = if opt_spec == "-" {
            Vec::new()
        } else {
            opt_spec.split_whitespace().map(str::to_owned).collect()
        };
        ok &= options == want;
    }
    if std::env::var_os("MATRIX_VERBOSE").is_some() {
        println!(
            "== {id}: {kind} [{}]\n    {}",
            unmet.join(" "),
            out.explanation_lines(&verifications).join("\n    ")
        );
    }
    if ok {
        Ok(())
    } else {
        Err(format!(
            "row {id} (line {line_no}): expected {expect} [{unmet_spec}] options [{opt_spec}]\n  got {kind} [{}] options [{}]\n  explanation:\n    {}",
            unmet.join(" "),
            options.join(" "),
            out.explanation_lines(&verifications).join("\n    ")
        ))
    }
}

#[test]
fn golden_decision_matrix() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/decision_matrix.txt"
    ))
    .unwrap_or_else(|e| panic!("cannot read matrix: {e}"));
    let mut macros = Macros {
        rules: HashMap::new(),
        gsps: HashMap::new(),
    };
    let mut failures = Vec::new();
    let mut rows = 0;
    let mut ids = std::collections::HashSet::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(def) = line.strip_prefix('@') {
            let (head, json) = def
                .split_once('=')
                .unwrap_or_else(|| panic!("line {}: bad macro", n + 1));
            let mut h = head.split_whitespace();
            let (kind, name) = (
                h.next().unwrap_or_default(),
                h.next().unwrap_or_default().to_owned(),
            );
            let v: Value = serde_json::from_str(json.trim())
                .unwrap_or_else(|e| panic!("line {}: bad JSON: {e}", n + 1));
            match kind {
                "rule" => macros.rules.insert(name, v),
                "gsp" => macros.gsps.insert(name, v),
                other => panic!("line {}: unknown macro kind {other}", n + 1),
            };
            continue;
        }
        rows += 1;
        let id = line.split('|').next().unwrap_or_default().trim().to_owned();
        assert!(ids.insert(id.clone()), "duplicate row id {id}");
        if let Err(e) = run_row(&macros, n + 1, line) {
            failures.push(e);
        }
    }
    assert!(rows >= 60, "the matrix lost rows: {rows}");
    assert!(
        failures.is_empty(),
        "{} of {rows} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("decision matrix: {rows} rows passed");
}
