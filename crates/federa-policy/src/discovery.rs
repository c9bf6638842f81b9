//! `IDP_DISCOVERY` (routing rules), reference §2.7 and §1.13: conditions (`userIdentifier`
//! patterns, `app` include/exclude, `network`; `platform` only when it says nothing), the
//! `actions.idp` providers (`{"type":"OKTA"}` = the local sign-in page), `idpSelectionType`
//! `SPECIFIC` / `DYNAMIC`, `matchCriteria`, `shouldFallBackToOkta`; and [`route`], which picks
//! where an identifier signs in.
//!
//! Not supported (refused at save time rather than ignored): `EXPRESSION` patterns and
//! provider expressions other than `login.identifier` and
//! `login.identifier.substringAfter('@')`.

use crate::conditions::NetworkCondition;
use crate::error::{PolicyError, Result, clip};
use crate::ids::{AppId, ParseId, PolicyId, RuleId};
use crate::policy::{
    PolicyHeader, PolicyType, RuleHeader, RuleType, deserialize_via_from_json, evaluation_order,
    no_policy_conditions,
};
use crate::wire::{Item, Obj, wire_enum};
use federa_claims::IdpId;
use serde::Serialize;
use serde_json::Value;

/// Most providers in one routing rule (reference §2.7).
pub const MAX_PROVIDERS: usize = 10;

wire_enum! {
    /// `userIdentifier.type`.
    pub enum IdentifierType { Identifier = "IDENTIFIER", Attribute = "ATTRIBUTE" }
}

wire_enum! {
    /// `userIdentifier.patterns[].matchType`.
    pub enum PatternMatch {
        Contains = "CONTAINS",
        Equals = "EQUALS",
        Expression = "EXPRESSION",
        StartsWith = "STARTS_WITH",
        Suffix = "SUFFIX",
    }
}

wire_enum! {
    /// `app.include[].type`.
    pub enum AppRefType { App = "APP", AppType = "APP_TYPE" }
}

wire_enum! {
    /// `actions.idp.providers[].type`: the local sign-in (`OKTA`) or an IdP type Federa supports.
    pub enum ProviderType {
        Okta = "OKTA",
        Saml2 = "SAML2",
        Oidc = "OIDC",
        OktaIntegration = "OKTA_INTEGRATION",
    }
}

wire_enum! {
    /// `actions.idp.idpSelectionType`.
    pub enum IdpSelection { Specific = "SPECIFIC", Dynamic = "DYNAMIC" }
}

/// One identifier pattern.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pattern {
    /// How to compare.
    pub match_type: PatternMatch,
    /// What to compare with (case-insensitive).
    pub value: String,
}

impl Pattern {
    fn matches(&self, s: &str) -> bool {
        let (s, v) = (s.to_lowercase(), self.value.to_lowercase());
        match self.match_type {
            PatternMatch::Contains => s.contains(&v),
            PatternMatch::Equals => s == v,
            PatternMatch::StartsWith => s.starts_with(&v),
            PatternMatch::Suffix => s.ends_with(&v),
            PatternMatch::Expression => false,
        }
    }
}

/// `conditions.userIdentifier`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentifierCondition {
    /// Match the typed identifier or a profile attribute.
    #[serde(rename = "type")]
    pub identifier_type: IdentifierType,
    /// The profile attribute (ATTRIBUTE only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// Any one pattern matching is enough.
    pub patterns: Vec<Pattern>,
}

/// An app reference in `conditions.app`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppRef {
    /// A specific app or an app type.
    #[serde(rename = "type")]
    pub ref_type: AppRefType,
    /// The app id (APP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<AppId>,
    /// The app type name (APP_TYPE), e.g. `okta_org2org`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl AppRef {
    fn matches(&self, app: &AppContext<'_>) -> bool {
        match self.ref_type {
            AppRefType::App => self.id.as_ref() == Some(app.id),
            AppRefType::AppType => self.name.as_deref() == Some(app.name),
        }
    }

    fn read(item: &Item<'_>) -> Result<Self> {
        let o = item.obj()?;
        o.deny_unknown(&["type", "id", "name"])?;
        let ref_type = o.enumv::<AppRefType>("type")?.unwrap_or(AppRefType::App);
        let id = o
            .string("id")?
            .map(|s| AppId::at(s, &o.at("id")))
            .transpose()?;
        let name = o.string("name")?.map(str::to_owned);
        match ref_type {
            AppRefType::App if id.is_none() => {
                Err(PolicyError::invalid(o.at("id"), "is required for type APP"))
            }
            AppRefType::AppType if name.is_none() => Err(PolicyError::invalid(
                o.at("name"),
                "is required for type APP_TYPE",
            )),
            _ => Ok(AppRef { ref_type, id, name }),
        }
    }
}

/// `conditions.app`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AppCondition {
    /// When non-empty, only these apps match.
    pub include: Vec<AppRef>,
    /// These apps never match.
    pub exclude: Vec<AppRef>,
}

/// Conditions of a routing rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoutingConditions {
    /// Network zones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkCondition>,
    /// Identifier patterns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_identifier: Option<UserIdentifierCondition>,
    /// Apps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<AppCondition>,
}

/// One provider to route to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Provider {
    /// `OKTA` (local) or an IdP type.
    #[serde(rename = "type")]
    pub provider_type: ProviderType,
    /// The IdP (not for OKTA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<IdpId>,
    /// Display name, echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `actions.idp.matchCriteria[]` (DYNAMIC).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchCriterion {
    /// `login.identifier` or `login.identifier.substringAfter('@')`.
    pub provider_expression: String,
    /// The IdP property the value is compared with (e.g. `name`).
    pub property_name: String,
}

/// `actions.idp`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdpAction {
    /// SPECIFIC: these (1..=10).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<Provider>,
    /// SPECIFIC or DYNAMIC.
    pub idp_selection_type: IdpSelection,
    /// DYNAMIC: how to find the IdP.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_criteria: Vec<MatchCriterion>,
    /// Send the user back to the local sign-in when the IdP cannot establish identity.
    pub should_fall_back_to_okta: bool,
}

/// Envelope of the action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoutingActions {
    /// The only action of a routing rule.
    pub idp: IdpAction,
}

/// An `IDP_DISCOVERY` rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoutingRule {
    /// Envelope.
    #[serde(flatten)]
    pub header: RuleHeader,
    /// `None` = matches everything.
    pub conditions: Option<RoutingConditions>,
    /// Where to go.
    pub actions: RoutingActions,
}

const SUPPORTED_EXPRESSIONS: &[&str] =
    &["login.identifier", "login.identifier.substringAfter('@')"];

impl RoutingRule {
    /// Reads an `IDP_DISCOVERY` rule document.
    pub fn from_json(v: &Value) -> Result<Self> {
        let obj = Obj::new(v, "")?;
        let header = RuleHeader::read(&obj, RuleType::IdpDiscovery)?;
        let conditions = match obj.obj("conditions")? {
            None => None,
            Some(c) => Some(read_conditions(&c)?),
        };
        let actions = obj.req_obj("actions")?;
        actions.deny_unknown(&["idp"])?;
        let a = actions.req_obj("idp")?;
        Ok(RoutingRule {
            header,
            conditions,
            actions: RoutingActions {
                idp: read_idp_action(&a)?,
            },
        })
    }
}

fn read_conditions(c: &Obj<'_>) -> Result<RoutingConditions> {
    c.deny_unknown(&["network", "userIdentifier", "app"])?;
    let user_identifier = match c.obj("userIdentifier")? {
        None => None,
        Some(u) => {
            u.deny_unknown(&["type", "attribute", "patterns"])?;
            let identifier_type = u
                .enumv::<IdentifierType>("type")?
                .unwrap_or(IdentifierType::Identifier);
            let attribute = u.string("attribute")?.map(str::to_owned);
            match (identifier_type, &attribute) {
                (IdentifierType::Attribute, None) => {
                    return Err(PolicyError::invalid(
                        u.at("attribute"),
                        "is required for type ATTRIBUTE",
                    ));
                }
                (IdentifierType::Identifier, Some(_)) => {
                    return Err(PolicyError::invalid(
                        u.at("attribute"),
                        "is only allowed for type ATTRIBUTE",
                    ));
                }
                _ => {}
            }
            let mut patterns = Vec::new();
            for it in u.array("patterns")? {
                let p = it.obj()?;
                p.deny_unknown(&["matchType", "value"])?;
                let match_type = p.req_enumv::<PatternMatch>("matchType")?;
                if match_type == PatternMatch::Expression {
                    return Err(PolicyError::invalid(
                        p.at("matchType"),
                        "EXPRESSION patterns are not supported by Federa; use EQUALS, CONTAINS, STARTS_WITH or SUFFIX",
                    ));
                }
                let value = p.string("value")?.unwrap_or_default();
                if value.is_empty() {
                    return Err(PolicyError::invalid(p.at("value"), "is required"));
                }
                patterns.push(Pattern {
                    match_type,
                    value: value.to_owned(),
                });
            }
            if patterns.is_empty() {
                return Err(PolicyError::invalid(
                    u.at("patterns"),
                    "needs at least one pattern",
                ));
            }
            Some(UserIdentifierCondition {
                identifier_type,
                attribute,
                patterns,
            })
        }
    };
    let app = match c.obj("app")? {
        None => None,
        Some(a) => {
            a.deny_unknown(&["include", "exclude"])?;
            let include = a
                .array("include")?
                .iter()
                .map(AppRef::read)
                .collect::<Result<Vec<_>>>()?;
            let exclude = a
                .array("exclude")?
                .iter()
                .map(AppRef::read)
                .collect::<Result<Vec<_>>>()?;
            Some(AppCondition { include, exclude })
        }
    };
    Ok(RoutingConditions {
        network: c
            .obj("network")?
            .map(|o| NetworkCondition::read(&o))
            .transpose()?,
        user_identifier,
        app,
    })
}

fn read_idp_action(a: &Obj<'_>) -> Result<IdpAction> {
    a.deny_unknown(&[
        "providers",
        "idpSelectionType",
        "matchCriteria",
        "shouldFallBackToOkta",
    ])?;
    let idp_selection_type = a
        .enumv::<IdpSelection>("idpSelectionType")?
        .unwrap_or(IdpSelection::Specific);
    let items = a.array("providers")?;
    if items.len() > MAX_PROVIDERS {
        return Err(PolicyError::invalid(
            a.at("providers"),
            format!("at most {MAX_PROVIDERS} providers are allowed"),
        ));
    }
    let mut providers = Vec::new();
    for it in &items {
        let p = it.obj()?;
        p.deny_unknown(&["type", "id", "name"])?;
        let provider_type = p.req_enumv::<ProviderType>("type")?;
        let id = p
            .string("id")?
            .map(|s| IdpId::at(s, &p.at("id")))
            .transpose()?;
        match (provider_type, &id) {
            (ProviderType::Okta, Some(_)) => {
                return Err(PolicyError::invalid(p.at("id"), "OKTA needs no id"));
            }
            (t, None) if t != ProviderType::Okta => {
                return Err(PolicyError::invalid(
                    p.at("id"),
                    format!("is required for {t}"),
                ));
            }
            _ => {}
        }
        providers.push(Provider {
            provider_type,
            id,
            name: p.string("name")?.map(str::to_owned),
        });
    }
    let mut match_criteria = Vec::new();
    for it in a.array("matchCriteria")? {
        let m = it.obj()?;
        m.deny_unknown(&["providerExpression", "propertyName"])?;
        let expr = m.string("providerExpression")?.unwrap_or_default();
        if !SUPPORTED_EXPRESSIONS.contains(&expr) {
            return Err(PolicyError::invalid(
                m.at("providerExpression"),
                format!(
                    "'{}' is not supported; use one of {}",
                    clip(expr),
                    SUPPORTED_EXPRESSIONS.join(", ")
                ),
            ));
        }
        let prop = m.string("propertyName")?.unwrap_or_default();
        if prop.is_empty() {
            return Err(PolicyError::invalid(m.at("propertyName"), "is required"));
        }
        match_criteria.push(MatchCriterion {
            provider_expression: expr.to_owned(),
            property_name: prop.to_owned(),
        });
    }
    match idp_selection_type {
        IdpSelection::Specific if providers.is_empty() => {
            return Err(PolicyError::invalid(
                a.at("providers"),
                "SPECIFIC needs at least one provider",
            ));
        }
        IdpSelection::Specific if !match_criteria.is_empty() => {
            return Err(PolicyError::invalid(
                a.at("matchCriteria"),
                "is only allowed with DYNAMIC",
            ));
        }
        IdpSelection::Dynamic if match_criteria.is_empty() => {
            return Err(PolicyError::invalid(
                a.at("matchCriteria"),
                "DYNAMIC needs at least one criterion",
            ));
        }
        _ => {}
    }
    Ok(IdpAction {
        providers,
        idp_selection_type,
        match_criteria,
        should_fall_back_to_okta: a.boolean("shouldFallBackToOkta")?.unwrap_or(false),
    })
}

/// The `IDP_DISCOVERY` policy (one per org) with its rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdpDiscoveryPolicy {
    /// Envelope.
    #[serde(flatten)]
    pub header: PolicyHeader,
    /// Always null for this type.
    pub conditions: Option<()>,
    /// The rules (a separate API resource; not serialised with the policy).
    #[serde(skip)]
    pub rules: Vec<RoutingRule>,
}

impl IdpDiscoveryPolicy {
    /// Reads an `IDP_DISCOVERY` policy document (rules are read separately).
    pub fn from_json(v: &Value) -> Result<Self> {
        let obj = Obj::new(v, "")?;
        let header = PolicyHeader::read(&obj, PolicyType::IdpDiscovery)?;
        no_policy_conditions(&obj, PolicyType::IdpDiscovery)?;
        Ok(IdpDiscoveryPolicy {
            header,
            conditions: None,
            rules: Vec::new(),
        })
    }
}

deserialize_via_from_json!(IdpDiscoveryPolicy, RoutingRule);

/// The app a sign-in is for.
#[derive(Clone, Copy, Debug)]
pub struct AppContext<'a> {
    /// Its id.
    pub id: &'a AppId,
    /// Its app type name (e.g. `oidc_client`, `okta_org2org`).
    pub name: &'a str,
}

/// What routing looks at.
pub struct RoutingInput<'a> {
    /// What the user typed (login or e-mail).
    pub identifier: &'a str,
    /// The app, when the sign-in is for one.
    pub app: Option<AppContext<'a>>,
    /// Network zones the request IP falls in.
    pub zones: &'a [crate::ids::ZoneId],
    /// Reads a profile attribute of the user the identifier names (for `ATTRIBUTE` patterns);
    /// `None` when the user is unknown or the attribute unset.
    pub attribute: &'a dyn Fn(&str) -> Option<String>,
}

/// Where the user signs in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Route {
    /// The local sign-in page (password, local authenticators).
    Okta,
    /// One of these IdPs (one: redirect; several: offer buttons). May include the local page.
    #[serde(rename_all = "camelCase")]
    Idps {
        /// The IdPs in rule order.
        idp_ids: Vec<IdpId>,
        /// Whether the local sign-in is offered too (an `OKTA` provider next to IdPs).
        include_okta: bool,
    },
    /// Find the IdP whose `property_name` equals `value` (DYNAMIC); the caller looks it up.
    #[serde(rename_all = "camelCase")]
    Dynamic {
        /// IdP property to compare.
        property_name: String,
        /// Value computed from the identifier.
        value: String,
    },
}

/// The routing decision with where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoutingDecision {
    /// Where to go.
    pub route: Route,
    /// The policy that decided (none: no active policy, local sign-in).
    pub policy_id: Option<PolicyId>,
    /// The rule that decided.
    pub rule_id: Option<RuleId>,
    /// Fall back to the local sign-in when the IdP cannot establish identity.
    pub fall_back_to_okta: bool,
    /// Human-readable trace.
    pub explanation: Vec<String>,
}

fn rule_matches(rule: &RoutingRule, input: &RoutingInput<'_>) -> bool {
    let Some(c) = &rule.conditions else {
        return true;
    };
    if c.network
        .as_ref()
        .is_some_and(|n| !n.matches_zones(input.zones))
    {
        return false;
    }
    if let Some(u) = &c.user_identifier {
        let value = match (&u.identifier_type, &u.attribute) {
            (IdentifierType::Attribute, Some(attr)) => (input.attribute)(attr),
            _ => Some(input.identifier.to_owned()),
        };
        let Some(value) = value else { return false };
        if !u.patterns.iter().any(|p| p.matches(&value)) {
            return false;
        }
    }
    if let Some(a) = &c.app {
        let Some(app) = &input.app else {
            return a.include.is_empty();
        };
        if !a.include.is_empty() && !a.include.iter().any(|r| r.matches(app)) {
            return false;
        }
        if a.exclude.iter().any(|r| r.matches(app)) {
            return false;
        }
    }
    true
}

fn dynamic_value(expr: &str, identifier: &str) -> Option<String> {
    match expr {
        "login.identifier" => Some(identifier.to_owned()),
        _ => identifier
            .split_once('@')
            .map(|(_, d)| d.to_owned())
            .filter(|d| !d.is_empty()),
    }
}

/// Routes an identifier: the first matching active rule of the first active policy (reference
/// §2.4 order). No rule, or a DYNAMIC rule whose expression gives no value: the local sign-in.
pub fn route(policies: &[IdpDiscoveryPolicy], input: &RoutingInput<'_>) -> RoutingDecision {
    let mut explanation = Vec::new();
    for pi in evaluation_order(policies, |p| &p.header) {
        let policy = &policies[pi];
        for ri in evaluation_order(&policy.rules, |r| &r.header) {
            let rule = &policy.rules[ri];
            if !rule_matches(rule, input) {
                explanation.push(format!(
                    "routing rule '{}' skipped: conditions do not match",
                    rule.header.name
                ));
                continue;
            }
            let a = &rule.actions.idp;
            let route = match a.idp_selection_type {
                IdpSelection::Dynamic => a
                    .match_criteria
                    .iter()
                    .find_map(|m| {
                        dynamic_value(&m.provider_expression, input.identifier).map(|value| {
                            Route::Dynamic {
                                property_name: m.property_name.clone(),
                                value,
                            }
                        })
                    })
                    .unwrap_or(Route::Okta),
                IdpSelection::Specific => {
                    let idp_ids: Vec<IdpId> =
                        a.providers.iter().filter_map(|p| p.id.clone()).collect();
                    let include_okta = a
                        .providers
                        .iter()
                        .any(|p| p.provider_type == ProviderType::Okta);
                    if idp_ids.is_empty() {
                        Route::Okta
                    } else {
                        Route::Idps {
                            idp_ids,
                            include_okta,
                        }
                    }
                }
            };
            explanation.push(format!(
                "routing rule '{}' of policy '{}' matched: {}",
                rule.header.name,
                policy.header.name,
                match &route {
                    Route::Okta => "local sign-in".to_owned(),
                    Route::Idps { idp_ids, .. } => format!(
                        "identity provider(s) {}",
                        idp_ids
                            .iter()
                            .map(IdpId::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Route::Dynamic {
                        property_name,
                        value,
                    } => {
                        format!(
                            "the identity provider whose {property_name} is '{}'",
                            clip(value)
                        )
                    }
                }
            ));
            return RoutingDecision {
                route,
                policy_id: policy.header.id.clone(),
                rule_id: rule.header.id.clone(),
                fall_back_to_okta: a.should_fall_back_to_okta,
                explanation,
            };
        }
    }
    explanation.push("no routing rule matched: local sign-in".to_owned());
    RoutingDecision {
        route: Route::Okta,
        policy_id: None,
        rule_id: None,
        fall_back_to_okta: false,
        explanation,
    }
}
