//! The cache of key sets fetched from other parties (`service::remote_keys`): one fetch per
//! TTL, an early refetch when a token names a kid the cached set lacks (rate-limited), entries
//! separate per owner, and unusable documents never cached.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use async_trait::async_trait;
use federa_core::fetch::{Fetch, FetchError};
use federa_core::service::remote_keys::{self, RemoteKeysError};
use federa_jose::{JwsAlg, SigningJwks, SigningKey};
use federa_types::OrgId;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Answers every GET with the current body and counts the GETs.
#[derive(Default)]
struct Stub {
    body: Mutex<String>,
    gets: AtomicUsize,
}

#[async_trait]
impl Fetch for Stub {
    async fn get(&self, _url: &str, _max: usize) -> Result<Vec<u8>, FetchError> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        Ok(self.body.lock().unwrap().clone().into_bytes())
    }
    async fn post_form(
        &self,
        url: &str,
        _basic: Option<(&str, &str)>,
        _form: &[(&str, &str)],
        _max: usize,
    ) -> Result<(u16, Vec<u8>), FetchError> {
        Err(FetchError::BadUrl(url.into()))
    }
}

fn jwks(keys: &[&SigningKey]) -> String {
    SigningJwks {
        keys: keys.iter().map(|k| k.public_jwk()).collect(),
    }
    .to_json()
    .unwrap()
}

#[tokio::test]
async fn key_sets_are_cached_and_refetched_for_an_unknown_kid_at_most_once_per_interval() {
    let db = federa_testkit::TestDb::new(federa_testkit::Db::Sqlite)
        .await
        .unwrap();
    let stub = Arc::new(Stub::default());
    let mut ctx = federa_testkit::ctx(db.store().await);
    ctx.fetch = stub.clone();
    let org = OrgId::parse("00o00000000000000001").unwrap();
    let url = "https://idp.example/keys";
    let k1 = SigningKey::generate(JwsAlg::Rs256).unwrap();
    let k2 = SigningKey::generate(JwsAlg::Rs256).unwrap();
    let kid1 = k1.kid().as_str().to_string();
    let kid2 = k2.kid().as_str().to_string();
    *stub.body.lock().unwrap() = jwks(&[&k1]);
    let gets = || stub.gets.load(Ordering::SeqCst);

    // First use fetches; later uses (known kid, or no kid) do not.
    let set = remote_keys::verifying_keys(&ctx, &org, "idp-a", url, 65536, Some(&kid1))
        .await
        .unwrap();
    assert!(set.get(&kid1).is_some());
    for kid in [Some(kid1.as_str()), None] {
        remote_keys::verifying_keys(&ctx, &org, "idp-a", url, 65536, kid)
            .await
            .unwrap();
    }
    assert_eq!(gets(), 1);

    // The IdP rotates: a token signed with the new kid makes the cache fetch again at once.
    *stub.body.lock().unwrap() = jwks(&[&k2, &k1]);
    let set = remote_keys::verifying_keys(&ctx, &org, "idp-a", url, 65536, Some(&kid2))
        .await
        .unwrap();
    assert!(set.get(&kid2).is_some());
    assert_eq!(gets(), 2);

    // Made-up kids do not reach the IdP again within the interval that refetch started: the
    // cached set is used (and the token will fail verification for want of the key).
    for _ in 0..5 {
        let set = remote_keys::verifying_keys(&ctx, &org, "idp-a", url, 65536, Some("made-up"))
            .await
            .unwrap();
        assert!(set.get("made-up").is_none());
        assert!(set.get(&kid2).is_some());
    }
    assert_eq!(gets(), 2, "no second early refetch within the interval");

    // Another owner of the same URL (another IdP object, another org) has its own entry.
    remote_keys::verifying_keys(&ctx, &org, "idp-b", url, 65536, None)
        .await
        .unwrap();
    let other_org = OrgId::parse("00o00000000000000002").unwrap();
    remote_keys::verifying_keys(&ctx, &other_org, "idp-a", url, 65536, None)
        .await
        .unwrap();
    assert_eq!(gets(), 4);

    // An unusable document is an error and is not cached: the next use fetches again.
    *stub.body.lock().unwrap() = "{\"keys\": \"nope\"}".into();
    for _ in 0..2 {
        assert!(matches!(
            remote_keys::verifying_keys(&ctx, &org, "idp-c", url, 65536, None).await,
            Err(RemoteKeysError::Unusable(_))
        ));
    }
    assert_eq!(gets(), 6);
    // Encryption key sets are cached the same way, apart from verifying ones.
    assert!(matches!(
        remote_keys::encryption_keys(&ctx, &org, "idp-a", url, 65536).await,
        Err(RemoteKeysError::Unusable(_))
    ));
    assert_eq!(gets(), 7);
    db.cleanup().await;
}

#[test]
fn the_kid_of_a_compact_jws_is_read_without_verifying() {
    let k = SigningKey::generate(JwsAlg::Es256).unwrap();
    let token = federa_jose::jws::sign(&k, b"{}", &federa_jose::SignOptions::new()).unwrap();
    assert_eq!(
        remote_keys::jws_kid(&token).as_deref(),
        Some(k.kid().as_str())
    );
    assert_eq!(remote_keys::jws_kid("not a token"), None);
    assert_eq!(remote_keys::jws_kid("e30.e30.AA"), None);
}
