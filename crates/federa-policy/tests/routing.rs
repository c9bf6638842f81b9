//! IdP routing (`IDP_DISCOVERY`, reference §2.7, §1.13): identifier patterns, apps, network
//! zones, DYNAMIC selection, rule order, and the default rule to the local sign-in.

mod support;

use federa_policy::defaults;
use federa_policy::discovery::{
    AppContext, IdpDiscoveryPolicy, Route, RoutingInput, RoutingRule, route,
};
use federa_policy::ids::AppId;
use serde_json::{Value, json};
use support::*;

fn policy(rules: &[Value]) -> IdpDiscoveryPolicy {
    let mut p = defaults::default_idp_discovery_policy();
    for r in rules {
        p.rules
            .push(RoutingRule::from_json(r).unwrap_or_else(|e| panic!("{e}")));
    }
    p
}

fn no_attr(_: &str) -> Option<String> {
    None
}

fn go(
    p: &IdpDiscoveryPolicy,
    identifier: &str,
    app: Option<AppContext<'_>>,
    zones: &[federa_policy::ids::ZoneId],
) -> Route {
    route(
        std::slice::from_ref(p),
        &RoutingInput {
            identifier,
            app,
            zones,
            attribute: &no_attr,
        },
    )
    .route
}

#[test]
fn default_rule_routes_to_the_local_sign_in() {
    let p = defaults::default_idp_discovery_policy();
    let d = route(
        std::slice::from_ref(&p),
        &RoutingInput {
            identifier: "ann@example.com",
            app: None,
            zones: &[],
            attribute: &no_attr,
        },
    );
    assert_eq!(d.route, Route::Okta);
    assert!(d.explanation.iter().any(|l| l.contains("local sign-in")));
    assert_eq!(
        route(
            &[],
            &RoutingInput {
                identifier: "x",
                app: None,
                zones: &[],
                attribute: &no_attr
            }
        )
        .route,
        Route::Okta
    );
}

#[test]
fn patterns_apps_and_zones_pick_the_idp() {
    let app1 = AppId::new("0oaAPP1");
    let p = policy(&[
        json!({"name": "partners", "priority": 1,
               "conditions": {"userIdentifier": {"type": "IDENTIFIER", "patterns": [{"matchType": "SUFFIX", "value": "@Partner.example"}]}},
               "actions": {"idp": {"providers": [{"type": "OKTA_INTEGRATION", "id": "0oaIDPA"}], "shouldFallBackToOkta": true}}}),
        json!({"name": "payroll from the office", "priority": 2,
               "conditions": {"app": {"include": [{"type": "APP", "id": "0oaAPP1"}]},
                              "network": {"connection": "ZONE", "include": ["nzocorp"]}},
               "actions": {"idp": {"providers": [{"type": "SAML2", "id": "0oaIDPB"}, {"type": "OKTA"}]}}}),
        json!({"name": "disabled", "priority": 0, "status": "INACTIVE",
               "actions": {"idp": {"providers": [{"type": "OIDC", "id": "0oaIDPZ"}]}}}),
    ]);
    let a = route(
        std::slice::from_ref(&p),
        &RoutingInput {
            identifier: "bob@partner.EXAMPLE",
            app: None,
            zones: &[],
            attribute: &no_attr,
        },
    );
    assert_eq!(
        a.route,
        Route::Idps {
            idp_ids: vec![idp("A")],
            include_okta: false
        }
    );
    assert!(a.fall_back_to_okta);
    let ctx = AppContext {
        id: &app1,
        name: "oidc_client",
    };
    assert_eq!(
        go(&p, "ann@example.com", Some(ctx), &[zone("corp")]),
        Route::Idps {
            idp_ids: vec![idp("B")],
            include_okta: true
        }
    );
    assert_eq!(
        go(&p, "ann@example.com", Some(ctx), &[]),
        Route::Okta,
        "outside the zone"
    );
    assert_eq!(
        go(&p, "ann@example.com", None, &[zone("corp")]),
        Route::Okta,
        "no app"
    );
}

#[test]
fn dynamic_selection_and_attributes() {
    let p = policy(&[
        json!({"name": "by attribute", "priority": 1,
               "conditions": {"userIdentifier": {"type": "ATTRIBUTE", "attribute": "department", "patterns": [{"matchType": "EQUALS", "value": "sales"}]}},
               "actions": {"idp": {"providers": [{"type": "OIDC", "id": "0oaIDPS"}]}}}),
        json!({"name": "by domain", "priority": 2,
               "conditions": {"userIdentifier": {"patterns": [{"matchType": "CONTAINS", "value": "@"}]}},
               "actions": {"idp": {"idpSelectionType": "DYNAMIC",
                                   "matchCriteria": [{"providerExpression": "login.identifier.substringAfter('@')", "propertyName": "name"}]}}}),
    ]);
    let sales = |attr: &str| (attr == "department").then(|| "Sales".to_owned());
    let d = route(
        std::slice::from_ref(&p),
        &RoutingInput {
            identifier: "x@acme.test",
            app: None,
            zones: &[],
            attribute: &sales,
        },
    );
    assert_eq!(
        d.route,
        Route::Idps {
            idp_ids: vec![idp("S")],
            include_okta: false
        }
    );
    assert_eq!(
        go(&p, "x@acme.test", None, &[]),
        Route::Dynamic {
            property_name: "name".into(),
            value: "acme.test".into()
        }
    );
    assert_eq!(go(&p, "plainname", None, &[]), Route::Okta);
}
