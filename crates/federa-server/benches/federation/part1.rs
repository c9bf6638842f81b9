//! Part 1 of the federation benchmark: the SP-side processing of one federated sign-in
//! (criterion, in-process); see the crate-level documentation in `federation.rs`.

use super::*;

#[path = "cpu_cost.rs"]
mod cpu_cost;
// ---------------------------------------------------------------------------------------------
// Part 1: the upstream stub and the minted tokens

/// The upstream as the callback sees it: the token response for each code, the JWKS.
struct Stub {
    jwks: Vec<u8>,
    tokens: Mutex<HashMap<String, Vec<u8>>>,
}

// `Fetch` is an `#[async_trait]` trait; this is its expansion written out (the bench has no
// `async-trait` dependency).
impl Fetch for Stub {
    fn get<'life0, 'life1, 'async_trait>(
        &'life0 self,
        _url: &'life1 str,
        _max_bytes: usize,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, FetchError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        let body = self.jwks.clone();
        Box::pin(async move { Ok(body) })
    }

    fn post_form<'life0, 'life1, 'life2, 'life3, 'life4, 'life5, 'life6, 'async_trait>(
        &'life0 self,
        _url: &'life1 str,
        _basic: Option<(&'life2 str, &'life3 str)>,
        form: &'life4 [(&'life5 str, &'life6 str)],
        _max_bytes: usize,
    ) -> Pin<Box<dyn Future<Output = Result<(u16, Vec<u8>), FetchError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        'life3: 'async_trait,
        'life4: 'async_trait,
        'life5: 'async_trait,
        'life6: 'async_trait,
        Self: 'async_trait,
    {
        let code = form
            .iter()
            .find(|(k, _)| *k == "code")
            .map(|(_, v)| v.to_string())
            .unwrap_or_default();
        let body = self.tokens.lock().unwrap().remove(&code);
        Box::pin(async move {
            Ok(match body {
                Some(b) => (200, b),
                None => (400, br#"{"error":"invalid_grant"}"#.to_vec()),
            })
        })
    }
}

/// Mints ID tokens as the spoke's token endpoint does for the org2org app.
struct Minter {
    key: Arc<federa_jose::SigningKey>,
    enc: EncryptionKeySet,
    issuer: String,
    client_id: String,
    sub: String,
    spoke_org: String,
}

impl Minter {
    fn id_token(&self, ctx: &Ctx, nonce: &str) -> String {
        let now = ctx.clock.now();
        let iat = now.0 / 1000;
        let verifications = vec![
            local_verification(
                &AuthenticatorKey::OktaPassword,
                &MethodType::Password,
                MethodFlags::default(),
                Timestamp(now.0 - 5_000),
            )
            .unwrap(),
            local_verification(
                &AuthenticatorKey::OktaVerify,
                &MethodType::Totp,
                MethodFlags::default(),
                Timestamp(now.0 - 2_000),
            )
            .unwrap(),
        ];
        let payload = build_payload(
            &verifications,
            &PayloadHeader {
                iss: &self.issuer,
                aud: &self.client_id,
                sub: &self.sub,
                iat,
                engine: ClaimsEngine::Identity,
            },
        );
        let plaintext = serde_json::to_vec(&payload).unwrap();
        let okta_auth = federa_jose::jwe::encrypt(
            self.enc.preferred().unwrap(),
            &plaintext,
            &EncryptOptions::new(),
            ctx.rng.as_ref(),
        )
        .unwrap();
        let mut profile = serde_json::Map::new();
        profile.insert("preferred_username".into(), LOGIN.into());
        profile.insert("name".into(), "Sam Lee".into());
        profile.insert("given_name".into(), "Sam".into());
        profile.insert("family_name".into(), "Lee".into());
        profile.insert("updated_at".into(), iat.into());
        profile.insert("email".into(), LOGIN.into());
        let claims = IdTokenClaims {
            ver: 1,
            jti: new_token_id("ID.", ctx.rng.as_ref()),
            iss: self.issuer.clone(),
            sub: self.sub.clone(),
            aud: self.client_id.clone(),
            iat,
            exp: iat + 3600,
            auth_time: iat - 5,
            nonce: Some(nonce.to_string()),
            amr: federa_claims::amr_strings(&verifications),
            acr: Some("urn:okta:loa:2fa:any".into()),
            idp: Some(self.spoke_org.clone()),
            at_hash: Some(at_hash(&random_token(ctx), JwsAlg::Rs256)),
            okta_auth: Some(okta_auth),
            profile,
        };
        sign_id_token(&claims, &self.key).unwrap()
    }
}

/// A pending callback: the flow, its cookie, the query the spoke would redirect with.
struct Pending {
    flow: signin::Flow,
    flow_cookie: String,
    pairs: Vec<(String, String)>,
    query: String,
}

struct Sp {
    world: World,
    ctx: Ctx,
    stub: Arc<Stub>,
    minter: Minter,
    router: axum::Router,
    client: Client,
}

fn query_param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("{name} in {url}"))
}

impl Sp {
    async fn new(world: World) -> Self {
        let up = world.idp.oidc.clone().unwrap();
        let jwks = world
            .running
            .ctx
            .fetch
            .get(&up.jwks_url, 256 * 1024)
            .await
            .unwrap();
        let stub = Arc::new(Stub {
            jwks,
            tokens: Mutex::new(HashMap::new()),
        });
        let ctx = Ctx {
            fetch: stub.clone(),
            ..world.running.ctx.clone()
        };
        let key = keys::jws_signing_key(&ctx, &world.spoke_org.id)
            .await
            .unwrap();
        assert_eq!(key.alg(), JwsAlg::Rs256);
        let enc_jwks = idps::sp_jwks(&ctx, &world.idp).await.unwrap();
        let enc =
            EncryptionKeySet::from_jwks_json(&serde_json::to_string(&enc_jwks).unwrap()).unwrap();
        let minter = Minter {
            key,
            enc,
            issuer: up.issuer.clone(),
            client_id: up.client_id.clone(),
            sub: world.spoke_user.clone(),
            spoke_org: world.spoke_org.id.to_string(),
        };
        let state =
            federa_web::AppState::new(ctx.clone(), federa_web::WebConfig::default()).unwrap();
        let router = federa_web::router(state);
        Sp {
            world,
            ctx,
            stub,
            minter,
            router,
            client: Client {
                ip: Some("127.0.0.1".into()),
                user_agent: Some("federa-bench/1.0".into()),
                request_id: None,
            },
        }
    }

    /// A new flow, a pending state at the hub (as `/sso/idps` makes), and the token the spoke
    /// would answer for the code (untimed).
    async fn pending(&self) -> Pending {
        let (cookie, flow) = signin::start(&self.ctx, &self.world.hub_org, Some("/me"))
            .await
            .unwrap();
        let url = broker::oidc::start(
            &self.ctx,
            &self.world.hub_org,
            &self.world.hub_base(),
            &self.world.idp,
            &flow,
            None,
        )
        .await
        .unwrap()
        .unwrap();
        let state = query_param(&url, "state");
        let nonce = query_param(&url, "nonce");
        let id_token = self.minter.id_token(&self.ctx, &nonce);
        let code = random_token(&self.ctx);
        let body = serde_json::to_vec(&json!({
            "token_type": "Bearer", "expires_in": 3600, "scope": "openid email profile",
            "access_token": random_token(&self.ctx), "id_token": id_token
        }))
        .unwrap();
        self.stub.tokens.lock().unwrap().insert(code.clone(), body);
        let issuer = self.minter.issuer.clone();
        let query = form(&[("code", &code), ("state", &state), ("iss", &issuer)]);
        Pending {
            flow,
            flow_cookie: cookie.expose().clone(),
            pairs: vec![
                ("code".into(), code),
                ("state".into(), state),
                ("iss".into(), issuer),
            ],
            query,
        }
    }

    async fn callback_core(&self, mut p: Pending) {
        let out = broker::oidc::callback(
            &self.ctx,
            &self.world.hub_org,
            &self.world.hub_base(),
            &p.pairs,
            Some(&mut p.flow),
            &self.client,
        )
        .await
        .unwrap();
        match out {
            BrokerOutcome::Done { redirect, .. } => assert_eq!(redirect, "/me"),
            other => panic!("expected a session, got {other:?}"),
        }
    }

    async fn callback_http(&self, p: Pending, ip: SocketAddr) {
        let mut req = axum::http::Request::builder()
            .method("GET")
            .uri(format!("/oauth2/v1/authorize/callback?{}", p.query))
            .header(axum::http::header::HOST, HUB)
            .header(axum::http::header::USER_AGENT, "federa-bench/1.0")
            .header(
                axum::http::header::COOKIE,
                format!("{FLOW_COOKIE}={}", p.flow_cookie),
            )
            .body(Body::empty())
            .unwrap();
        req.extensions_mut().insert(ConnectInfo(ip));
        let res = self.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), axum::http::StatusCode::SEE_OTHER);
        assert_eq!(
            res.headers()
                .get(axum::http::header::LOCATION)
                .map(|v| v.to_str().unwrap()),
            Some("/me")
        );
        let set: Vec<_> = res
            .headers()
            .get_all(axum::http::header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        assert!(
            set.iter()
                .any(|c| c.starts_with(&format!("{SESSION_COOKIE}=")) && !c.contains("Max-Age=0")),
            "{set:?}"
        );
        let _ = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Part 1: the benchmarks

/// What the stages need, made once from one minted token.
struct StageInputs {
    id_token: String,
    nonce: String,
    token_response: Vec<u8>,
    keys: VerifyingKeySet,
    jwe: String,
    plaintext: Vec<u8>,
    validated: federa_oidc::rp::ValidatedIdToken,
    user: federa_core::model::User,
    credited: Vec<federa_claims::FactorVerification>,
    debug: serde_json::Map<String, Value>,
}

fn expectations<'a>(
    up: &'a federa_core::model::idp::OidcUpstream,
    nonce: &'a str,
    now: Timestamp,
) -> IdTokenExpectations<'a> {
    IdTokenExpectations {
        issuer: &up.issuer,
        client_id: &up.client_id,
        nonce,
        now,
        max_clock_skew: Duration::from_secs(120),
        allowed_algs: &JwsAlg::ALL,
    }
}

fn trust_outcome<'a>(
    idp: &federa_claims::IdpTrustConfig,
    features: federa_claims::OrgFeatures,
    v: &'a federa_oidc::rp::ValidatedIdToken,
    plaintext: &'a [u8],
    authenticated_at: Timestamp,
) -> federa_claims::TrustOutcome {
    trust::evaluate(&TrustInput {
        idp,
        features,
        claims: UpstreamClaims {
            okta_auth: Some(OktaAuthInput::OidcPlaintext(plaintext)),
            oidc_amr: v.amr.as_ref(),
            saml_session_amr: None,
            oidc_acr: v.acr.as_ref().and_then(Value::as_str),
            authn_context_class_ref: None,
        },
        outer: OuterBinding {
            issuer: &v.issuer,
            audiences: &v.audiences,
            subject: &v.subject,
            expected_engine: None,
            authenticated_at,
        },
    })
}

async fn stage_inputs(sp: &Sp) -> StageInputs {
    let ctx = &sp.ctx;
    let up = sp.world.idp.oidc.clone().unwrap();
    let nonce = random_token(ctx);
    let id_token = sp.minter.id_token(ctx, &nonce);
    let token_response = serde_json::to_vec(&json!({
        "token_type": "Bearer", "expires_in": 3600, "scope": "openid email profile",
        "access_token": random_token(ctx), "id_token": id_token
    }))
    .unwrap();
    let keys = VerifyingKeySet::from_jwks_json(&String::from_utf8_lossy(&sp.stub.jwks)).unwrap();
    let validated = validate_id_token(
        &id_token,
        &keys,
        &expectations(&up, &nonce, ctx.clock.now()),
    )
    .unwrap();
    let jwe = validated
        .okta_auth
        .as_ref()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    let dk = idps::sp_decryption_keys(ctx, &sp.world.idp).await.unwrap();
    let plaintext = federa_jose::jwe::decrypt(&dk, &jwe, ctx.rng.as_ref())
        .unwrap()
        .into_plaintext();
    let features = broker::org_features(ctx, &sp.world.hub_org).await.unwrap();
    let outcome = trust_outcome(
        &sp.world.idp.trust_config(),
        features,
        &validated,
        &plaintext,
        ctx.clock.now(),
    );
    assert!(
        outcome.claims.credited.len() >= 2,
        "password and TOTP credited: {:?}",
        outcome.claims
    );
    let user = ctx
        .store
        .linked_user_record(&sp.world.hub_org.id, &sp.world.idp.id, &sp.world.spoke_user)
        .await
        .unwrap()
        .expect("the first sign-in linked the hub user");
    let mut debug = serde_json::Map::new();
    debug.insert(
        "trustMode".into(),
        serde_json::to_value(outcome.mode).unwrap(),
    );
    debug.insert("contextAbsent".into(), outcome.context_absent.into());
    debug.insert(
        "credited".into(),
        serde_json::to_value(&outcome.claims.credited).unwrap(),
    );
    debug.insert(
        "ignored".into(),
        serde_json::to_value(&outcome.claims.ignored).unwrap(),
    );
    debug.insert("userResolution".into(), "LINKED".into());
    debug.insert("externalId".into(), sp.world.spoke_user.clone().into());
    debug.insert("decision".into(), "ALLOW".into());
    StageInputs {
        id_token,
        nonce,
        token_response,
        keys,
        jwe,
        plaintext,
        validated,
        user,
        credited: outcome.claims.credited,
        debug,
    }
}

/// Names of the part-1 benchmarks, in the order of the summary table.
pub(super) const PART1: &[&str] = &[
    "rsa2048_oaep_decrypt_raw",
    "rsa2048_pkcs1_sign_raw",
    "callback_core",
    "callback_http_oneshot",
    "stage_01_take_state",
    "stage_02_idp_get_cached",
    "stage_03_code_exchange_stub",
    "stage_04_jwks_cached",
    "stage_05_validate_id_token",
    "stage_07_sp_key_cached",
    "stage_08_jwe_decrypt",
    "stage_09_org_features",
    "stage_10_trust_evaluate",
    "stage_11_resolve_user",
    "stage_12_continue_federated",
    "sub_12a_policy_evaluate",
    "sub_12b_session_create",
    "net_jwks_fetch_loopback",
];

pub(super) fn part1(c: &mut Criterion, rt: &tokio::runtime::Runtime, db: Db) {
    let Some(world) = rt.block_on(world(db)) else {
        eprintln!(
            "{}: skipped (set {})",
            backend_name(db),
            federa_testkit::POSTGRES_ENV
        );
        return;
    };
    let sp = rt.block_on(Sp::new(world));
    let ctx = sp.ctx.clone();
    let org = sp.world.hub_org.clone();
    let idp = sp.world.idp.clone();
    let up = idp.oidc.clone().unwrap();
    let input = rt.block_on(stage_inputs(&sp));
    // Both timed paths work before anything is timed.
    rt.block_on(async {
        let p = sp.pending().await;
        sp.callback_core(p).await;
        let p = sp.pending().await;
        sp.callback_http(p, "127.0.0.1:40000".parse().unwrap())
            .await;
    });
    let secs = env_num("FED_MEASURE_SECONDS", 5u64);
    let mut g = c.benchmark_group(format!("federation_sp_{}", backend_name(db)));
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(secs))
        .sample_size(50);

    // The raw RSA-2048 private-key operations.
    let der = rt.block_on(idps::sp_private_key_pkcs8(&ctx, &idp)).unwrap();
    {
        use aws_lc_rs::rsa::{
            OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
            PrivateDecryptingKey,
        };
        let private = PrivateDecryptingKey::from_pkcs8(der.expose()).unwrap();
        assert_eq!(private.key_size_bits(), 2048);
        let public = OaepPublicEncryptingKey::new(private.public_key()).unwrap();
        let private = OaepPrivateDecryptingKey::new(private).unwrap();
        let mut ek = vec![0u8; public.ciphertext_size()];
        let n = public
            .encrypt(&OAEP_SHA256_MGF1SHA256, &[0x42; 32], &mut ek, None)
            .unwrap()
            .len();
        ek.truncate(n);
        let mut out = vec![0u8; private.min_output_size()];
        g.bench_function("rsa2048_oaep_decrypt_raw", |b| {
            b.iter(|| {
                private
                    .decrypt(&OAEP_SHA256_MGF1SHA256, black_box(&ek), &mut out, None)
                    .unwrap()
                    .len()
            })
        });
    }
    {
        use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};
        let pair = RsaKeyPair::from_pkcs8(der.expose()).unwrap();
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let mut sig = vec![0u8; pair.public_modulus_len()];
        let _ = pair.public_key();
        g.bench_function("rsa2048_pkcs1_sign_raw", |b| {
            b.iter(|| {
                pair.sign(&RSA_PKCS1_SHA256, &rng, black_box(&[7u8; 32]), &mut sig)
                    .unwrap()
            })
        });
    }

    // The whole callback.
    g.bench_function("callback_core", |b| {
        b.iter_batched(
            || rt.block_on(sp.pending()),
            |p| rt.block_on(sp.callback_core(p)),
            BatchSize::SmallInput,
        )
    });
    let next_ip = AtomicUsize::new(1);
    g.bench_function("callback_http_oneshot", |b| {
        b.iter_batched(
            || {
                let n = next_ip.fetch_add(1, Ordering::Relaxed);
                let ip = SocketAddr::new(
                    std::net::IpAddr::V6(std::net::Ipv6Addr::from(
                        (0xfd00_u128 << 112) | n as u128,
                    )),
                    40_000,
                );
                (rt.block_on(sp.pending()), ip)
            },
            |(p, ip)| rt.block_on(sp.callback_http(p, ip)),
            BatchSize::SmallInput,
        )
    });

    // The stages, in the callback's order.
    g.bench_function("stage_01_take_state", |b| {
        b.iter_batched(
            || {
                let token = random_token(&ctx);
                let now = ctx.clock.now();
                rt.block_on(ctx.store.put_broker_state(&BrokerState {
                    id_hash: hash_token(&token),
                    org_id: org.id.clone(),
                    idp_id: idp.id.clone(),
                    data: json!({"protocol": "oidc", "nonce": random_token(&ctx),
                        "verifier": random_token(&ctx), "binding": hash_token(&token)}),
                    created: now,
                    expires_at: Timestamp(now.0 + 600_000),
                }))
                .unwrap();
                token
            },
            |token| {
                rt.block_on(ctx.store.take_broker_state(
                    &org.id,
                    &hash_token(&token),
                    ctx.clock.now(),
                ))
                .unwrap()
                .unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("stage_02_idp_get_cached", |b| {
        b.iter(|| {
            rt.block_on(idps::get_cached(&ctx, &org.id, idp.id.as_str()))
                .unwrap()
        })
    });
    // `exchange_code`: unseal the client secret, the POST (stub), parse the JSON response.
    g.bench_function("stage_03_code_exchange_stub", |b| {
        b.iter(|| {
            rt.block_on(async {
                let secret = idp_svc::client_secret(&ctx, &idp).await.unwrap();
                let s = secret.as_ref().map(|s| s.expose().clone()).unwrap();
                let v: Value = serde_json::from_slice(black_box(&input.token_response)).unwrap();
                black_box((s, v))
            })
        })
    });
    // The IdP's JWKS, as the callback gets it: from the cache (fetched through the stub once).
    let kid = federa_core::service::remote_keys::jws_kid(&input.id_token);
    g.bench_function("stage_04_jwks_cached", |b| {
        b.iter(|| {
            rt.block_on(federa_core::service::remote_keys::verifying_keys(
                &ctx,
                &org.id,
                idp.id.as_str(),
                &up.jwks_url,
                256 * 1024,
                kid.as_deref(),
            ))
            .unwrap()
        })
    });
    g.bench_function("stage_05_validate_id_token", |b| {
        b.iter(|| {
            validate_id_token(
                black_box(&input.id_token),
                &input.keys,
                &expectations(&up, &input.nonce, ctx.clock.now()),
            )
            .unwrap()
        })
    });
    g.bench_function("stage_07_sp_key_cached", |b| {
        b.iter(|| rt.block_on(idps::sp_decryption_keys(&ctx, &idp)).unwrap())
    });
    let dk = rt.block_on(idps::sp_decryption_keys(&ctx, &idp)).unwrap();
    g.bench_function("stage_08_jwe_decrypt", |b| {
        b.iter(|| {
            federa_jose::jwe::decrypt(&dk, black_box(&input.jwe), ctx.rng.as_ref())
                .unwrap()
                .into_plaintext()
        })
    });
    g.bench_function("stage_09_org_features", |b| {
        b.iter(|| rt.block_on(broker::org_features(&ctx, &org)).unwrap())
    });
    let features = rt.block_on(broker::org_features(&ctx, &org)).unwrap();
    g.bench_function("stage_10_trust_evaluate", |b| {
        b.iter(|| {
            let cfg = idp.trust_config();
            let o = trust_outcome(
                &cfg,
                features,
                &input.validated,
                black_box(&input.plaintext),
                ctx.clock.now(),
            );
            assert!(o.claims.credited.len() >= 2);
            o
        })
    });
    g.bench_function("stage_11_resolve_user", |b| {
        b.iter(|| {
            rt.block_on(
                ctx.store
                    .linked_user_record(&org.id, &idp.id, &sp.world.spoke_user),
            )
            .unwrap()
            .unwrap()
        })
    });
    // The broker's System Log event, written inside stage 12's transaction.
    let idp_event = || LogEventInput {
        severity: Severity::Info,
        outcome_result: OutcomeResult::Success,
        actor: Some(LogActor::user(
            input.user.id.to_string(),
            input.user.profile.login.clone(),
            input.user.profile.display_name.clone(),
        )),
        targets: vec![LogTarget {
            id: idp.id.to_string(),
            kind: "IdentityProvider".into(),
            alternate_id: Some(idp.name.clone()),
            display_name: None,
        }],
        client_ip: sp.client.ip.clone(),
        user_agent: sp.client.user_agent.clone(),
        request_id: None,
        debug_data: input.debug.clone(),
        ..LogEventInput::new(
            "user.authentication.auth_via_IDP",
            "Authenticate user via IDP",
        )
    };
    g.bench_function("stage_12_continue_federated", |b| {
        b.iter_batched(
            || {
                rt.block_on(signin::start(&ctx, &org, Some("/me")))
                    .unwrap()
                    .1
            },
            |mut flow| {
                let adv = rt
                    .block_on(signin::continue_federated(
                        &ctx,
                        &org,
                        &mut flow,
                        input.user.clone(),
                        input.credited.clone(),
                        (idp.id.clone(), ctx.clock.now()),
                        &sp.client,
                        idp_event(),
                        // The ID token's replay record, written in the same transaction.
                        vec![OnceMark {
                            namespace: "idp-id-token".into(),
                            key: federa_core::system::sha256_hex(random_token(&ctx).as_bytes()),
                            expires_at: Timestamp(ctx.clock.now().0 + 3_600_000),
                        }],
                        None,
                    ))
                    .unwrap();
                assert!(matches!(adv, Advance::Done { .. }), "{adv:?}");
            },
            BatchSize::SmallInput,
        )
    });
    // Inside stage 12 (not added to the sum): the policy decision alone (reads: policies,
    // enrollments, authenticators) and the session insert alone.
    g.bench_function("sub_12a_policy_evaluate", |b| {
        b.iter(|| {
            let (d, _) = rt
                .block_on(signin::evaluate_for(
                    &ctx,
                    &org,
                    &input.user,
                    &input.credited,
                    Some(ctx.clock.now()),
                    None,
                ))
                .unwrap();
            assert!(format!("{d:?}").starts_with("Allow"), "{d:?}");
        })
    });
    g.bench_function("sub_12b_session_create", |b| {
        b.iter(|| {
            rt.block_on(federa_core::service::sessions::create(
                &ctx,
                &org.id,
                &input.user.id,
                input.credited.clone(),
                None,
                Some(idp.id.clone()),
            ))
            .unwrap()
        })
    });
    // Outside the budget: the real outbound client over loopback.
    let real = sp.world.running.ctx.fetch.clone();
    g.bench_function("net_jwks_fetch_loopback", |b| {
        b.iter(|| rt.block_on(real.get(&up.jwks_url, 256 * 1024)).unwrap())
    });
    g.finish();
    cpu_cost::cpu_cost(rt, &sp, db);
    let _ = &input.validated;
    rt.block_on(sp.world.stop());
}

/// Where criterion keeps this benchmark's estimates: the first candidate directory that has it
/// (`CRITERION_HOME`, `$CARGO_TARGET_DIR/criterion`, the `target/criterion` above this
/// executable, `target/criterion` under the working directory).
fn estimates_file(group: &str, name: &str) -> Option<std::path::PathBuf> {
    let mut roots = Vec::new();
    if let Ok(h) = std::env::var("CRITERION_HOME") {
        roots.push(std::path::PathBuf::from(h));
    }
    if let Ok(t) = std::env::var("CARGO_TARGET_DIR") {
        roots.push(std::path::Path::new(&t).join("criterion"));
    }
    // `target/release/deps/federation-…` → `target`.
    if let Some(t) = std::env::current_exe()
        .ok()
        .and_then(|e| e.ancestors().nth(3).map(|p| p.to_path_buf()))
    {
        roots.push(t.join("criterion"));
    }
    roots.push(std::path::PathBuf::from("target/criterion"));
    roots
        .into_iter()
        .map(|r| r.join(group).join(name).join("new").join("estimates.json"))
        .find(|p| p.exists())
}

/// `(mean, median)` in ns from criterion's estimates of one benchmark, and whether this run
/// wrote them.
fn estimate(group: &str, name: &str, since: std::time::SystemTime) -> Option<(f64, f64, bool)> {
    let path = estimates_file(group, name)?;
    let fresh = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t >= since);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    Some((
        v["mean"]["point_estimate"].as_f64()?,
        v["median"]["point_estimate"].as_f64()?,
        fresh,
    ))
}

pub(super) fn summary(group: &str, started: std::time::SystemTime) {
    let Some((raw, _, _)) = estimate(group, "rsa2048_oaep_decrypt_raw", started) else {
        return;
    };
    println!();
    println!("{group}: mean and median per operation, and mean ÷ raw RSA-2048 OAEP decrypt");
    println!("| benchmark | mean µs | median µs | ÷ RSA private op |");
    println!("|---|---|---|---|");
    let mut stages = 0.0;
    for name in PART1 {
        let Some((mean, median, fresh)) = estimate(group, name, started) else {
            continue;
        };
        // Figures left by an earlier run (a filter skipped this one) are marked.
        let mark = if fresh { "" } else { " (old)" };
        if name.starts_with("stage_") {
            stages += mean;
        }
        println!(
            "| {name}{mark} | {:.1} | {:.1} | {:.2}× |",
            mean / 1e3,
            median / 1e3,
            mean / raw
        );
    }
    println!(
        "| sum of stage_* | {:.1} | | {:.2}× |",
        stages / 1e3,
        stages / raw
    );
    cpu_cost::print_rows(group, raw);
}

/// `openssl speed -mr -seconds S rsa2048`: (sign/s, verify/s) of one core.
pub(super) fn openssl_rsa2048(seconds: u32) -> Option<(f64, f64)> {
    let out = std::process::Command::new("openssl")
        .args(["speed", "-mr", "-seconds", &seconds.to_string(), "rsa2048"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // OpenSSL 3: `+F2:<n>:2048:<sign/s>:<verify/s>`.
    let l = text.lines().find(|l| l.starts_with("+F2:"))?;
    let f: Vec<&str> = l.split(':').collect();
    Some((f.get(3)?.parse().ok()?, f.get(4)?.parse().ok()?))
}
