//! Per-process caches, passed in through [`crate::Ctx`], never global.
//!
//! - Values that never change once written, held without expiry: parsed signing keys by
//!   `(org, kid)` (a key's material is immutable; rotation adds a new kid).
//! - Configuration read on every protocol request, held for [`TTL`]: the org of a host, the
//!   app of a client id, the kid that signs an org's tokens, an IdP object as sign-in uses it,
//!   the org's claims feature flags. A change made on this node clears its entry at once;
//!   other nodes see it within [`TTL`] (a deactivated app or IdP, or a rotated key, may be used
//!   for that long — the rotated key stays published, so its tokens verify). The admin API
//!   always reads the store.
//! - What sign-in evaluates for an org, held for [`TTL`] in an [`OrgConfig`]: its policies with
//!   their rules, parsed, and its authenticators. Same rule as above: a change on this node
//!   applies to the next sign-in at once, other nodes apply it within [`TTL`]; a read that
//!   started before a change is not stored. The admin API and its save-time checks read the
//!   store.
//! - Key sets fetched from elsewhere (an upstream IdP's JWKS, an SP org's encryption JWKS, a
//!   client's `jwks_uri`), parsed, held for [`REMOTE_TTL`] by (org, owner, URL); a token whose
//!   `kid` is not in the cached set triggers one refetch, at most every [`REFETCH_INTERVAL`]
//!   per entry (a key rotated upstream is picked up at once; a flood of made-up kids is not
//!   passed on to the IdP).
//! - The opened per-IdP SP key (decryption key set, SAML identity), keyed by the digest of the
//!   sealed key it was opened from: a changed key is a different entry, so nothing to invalidate.

use federa_jose::SigningKey;
use federa_saml::SigningIdentity;
use federa_types::OrgId;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long configuration stays cached.
pub const TTL: Duration = Duration::from_secs(5);

/// A small map whose entries expire after [`TTL`].
#[derive(Debug)]
pub struct TtlMap<K, V> {
    map: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K, V> Default for TtlMap<K, V> {
    fn default() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> TtlMap<K, V> {
    /// The live value of `k`.
    pub fn get(&self, k: &K) -> Option<V> {
        let g = self.map.lock().ok()?;
        g.get(k)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, v)| v.clone())
    }
    /// Remembers `v` for `k`.
    pub fn put(&self, k: K, v: V) {
        if let Ok(mut g) = self.map.lock() {
            if g.len() >= MAX_ENTRIES {
                g.retain(|_, (at, _)| at.elapsed() < TTL);
                if g.len() >= MAX_ENTRIES {
                    g.clear();
                }
            }
            g.insert(k, (Instant::now(), v));
        }
    }
    /// Forgets `k`.
    pub fn remove(&self, k: &K) {
        if let Ok(mut g) = self.map.lock() {
            g.remove(k);
        }
    }
}

/// Per-org values that sign-in reads on every attempt, expiring after [`TTL`]. Forgetting an
/// org also moves a generation counter: a value read from the store before the forget (and so
/// possibly older than the write that caused it) is not stored when it arrives after it.
#[derive(Debug)]
pub struct OrgConfig<V> {
    map: Mutex<HashMap<OrgId, (Instant, Arc<V>)>>,
    generation: std::sync::atomic::AtomicU64,
}

impl<V> Default for OrgConfig<V> {
    fn default() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            generation: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

impl<V> OrgConfig<V> {
    /// The live value for `org`.
    pub fn get(&self, org: &OrgId) -> Option<Arc<V>> {
        let g = self.map.lock().ok()?;
        g.get(org)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, v)| Arc::clone(v))
    }

    /// The generation to hand back to [`OrgConfig::put_if_current`]; take it before reading
    /// the store.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Remembers `v` for `org`, unless something was forgotten since `generation` was taken.
    pub fn put_if_current(&self, org: &OrgId, generation: u64, v: Arc<V>) {
        if let Ok(mut g) = self.map.lock() {
            if self.generation() != generation {
                return;
            }
            if g.len() >= MAX_ENTRIES {
                g.retain(|_, (at, _)| at.elapsed() < TTL);
                if g.len() >= MAX_ENTRIES {
                    g.clear();
                }
            }
            g.insert(org.clone(), (Instant::now(), v));
        }
    }

    /// Forgets `org`'s value (call after writing what it was made from).
    pub fn forget(&self, org: &OrgId) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        if let Ok(mut g) = self.map.lock() {
            g.remove(org);
        }
    }
}

/// Most keys kept per cache before it is cleared (bounded memory with many orgs).
const MAX_ENTRIES: usize = 4096;

/// How long a fetched key set is used before it is fetched again.
pub const REMOTE_TTL: Duration = Duration::from_secs(300);

/// The least time between two refetches of one key set for an unknown `kid`.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(30);

/// Which remote key set: (org, owner — an IdP or app id —, URL).
pub type RemoteKey = (OrgId, String, String);

#[derive(Debug)]
struct RemoteEntry<T> {
    fetched: Instant,
    refetched: Option<Instant>,
    value: Arc<T>,
}

/// Parsed key sets fetched from another party, see the module documentation.
#[derive(Debug)]
pub struct RemoteKeySets<T> {
    map: Mutex<HashMap<RemoteKey, RemoteEntry<T>>>,
}

impl<T> Default for RemoteKeySets<T> {
    fn default() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> RemoteKeySets<T> {
    /// The set for `k` if it was fetched within [`REMOTE_TTL`].
    pub fn get(&self, k: &RemoteKey) -> Option<Arc<T>> {
        let g = self.map.lock().ok()?;
        g.get(k)
            .filter(|e| e.fetched.elapsed() < REMOTE_TTL)
            .map(|e| e.value.clone())
    }

    /// Whether `k` may be fetched again before its time (an unknown `kid`); when it may, the
    /// attempt is recorded, so the next one waits [`REFETCH_INTERVAL`].
    pub fn may_refetch(&self, k: &RemoteKey) -> bool {
        let Ok(mut g) = self.map.lock() else {
            return false;
        };
        match g.get_mut(k) {
            Some(e) if e.refetched.is_some_and(|t| t.elapsed() < REFETCH_INTERVAL) => false,
            Some(e) => {
                e.refetched = Some(Instant::now());
                true
            }
            None => true,
        }
    }

    /// Remembers a freshly fetched set (keeping when it was last refetched early).
    pub fn put(&self, k: RemoteKey, value: Arc<T>) {
        if let Ok(mut g) = self.map.lock() {
            if g.len() >= MAX_ENTRIES && !g.contains_key(&k) {
                g.retain(|_, e| e.fetched.elapsed() < REMOTE_TTL);
                if g.len() >= MAX_ENTRIES {
                    g.clear();
                }
            }
            let refetched = g.get(&k).and_then(|e| e.refetched);
            g.insert(
                k,
                RemoteEntry {
                    fetched: Instant::now(),
                    refetched,
                    value,
                },
            );
        }
    }
}

/// Values by a digest of what they were made from.
type ByDigest<V> = Arc<Mutex<HashMap<[u8; 32], Arc<V>>>>;

/// Values by `(org, kid)`.
type ByKid<V> = Arc<Mutex<HashMap<(OrgId, String), Arc<V>>>>;

/// The caches.
#[derive(Default, Clone)]
pub struct Caches {
    jws: ByKid<SigningKey>,
    saml: ByKid<SigningIdentity>,
    /// The org serving a (normalised) host.
    pub orgs: Arc<TtlMap<String, crate::model::Org>>,
    /// The app of `(org, client id)`.
    pub apps: Arc<TtlMap<(OrgId, String), crate::service::apps::App>>,
    /// The kid that signs the org's tokens now.
    pub signing_kid: Arc<TtlMap<OrgId, String>>,
    /// IdP objects as sign-in reads them, by `(org, IdP id)`.
    pub idps: Arc<TtlMap<(OrgId, federa_types::IdpId), crate::service::idps::Idp>>,
    /// The org's claims feature flags.
    pub claims_features: Arc<TtlMap<OrgId, federa_claims::trust::OrgFeatures>>,
    /// The org's policies with their rules, as sign-in evaluates them.
    pub signin_policies: Arc<OrgConfig<crate::service::policies::OrgPolicies>>,
    /// The org's authenticators, as sign-in reads them.
    pub authenticators: Arc<OrgConfig<Vec<crate::model::Authenticator>>>,
    /// Upstream IdPs' JWKS (by IdP) and clients' `jwks_uri` key sets (by app).
    pub verifying_jwks: Arc<RemoteKeySets<federa_jose::VerifyingKeySet>>,
    /// SP orgs' encryption JWKS, for `okta_auth` (by app).
    pub encryption_jwks: Arc<RemoteKeySets<federa_jose::EncryptionKeySet>>,
    sp_decryption: ByDigest<federa_jose::DecryptionKeySet>,
    sp_identity: ByDigest<SigningIdentity>,
    sp_saml_decryption: ByDigest<Vec<federa_saml::DecryptionKey>>,
}

impl std::fmt::Debug for Caches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caches").finish_non_exhaustive()
    }
}

fn get<V>(m: &Mutex<HashMap<(OrgId, String), Arc<V>>>, org: &OrgId, kid: &str) -> Option<Arc<V>> {
    m.lock().ok()?.get(&(org.clone(), kid.to_string())).cloned()
}

fn put<V>(m: &Mutex<HashMap<(OrgId, String), Arc<V>>>, org: &OrgId, kid: &str, v: Arc<V>) {
    if let Ok(mut g) = m.lock() {
        if g.len() >= MAX_ENTRIES {
            g.clear();
        }
        g.insert((org.clone(), kid.to_string()), v);
    }
}

fn digest_get<V>(m: &Mutex<HashMap<[u8; 32], Arc<V>>>, d: &[u8; 32]) -> Option<Arc<V>> {
    m.lock().ok()?.get(d).cloned()
}

fn digest_put<V>(m: &Mutex<HashMap<[u8; 32], Arc<V>>>, d: [u8; 32], v: Arc<V>) {
    if let Ok(mut g) = m.lock() {
        if g.len() >= MAX_ENTRIES {
            g.clear();
        }
        g.insert(d, v);
    }
}

impl Caches {
    /// The opened SP decryption keys for the sealed key with this digest.
    pub fn sp_decryption(&self, digest: &[u8; 32]) -> Option<Arc<federa_jose::DecryptionKeySet>> {
        digest_get(&self.sp_decryption, digest)
    }
    /// Remembers opened SP decryption keys.
    pub fn put_sp_decryption(&self, digest: [u8; 32], v: Arc<federa_jose::DecryptionKeySet>) {
        digest_put(&self.sp_decryption, digest, v);
    }
    /// The opened SP SAML identity for the sealed key (and certificate) with this digest.
    pub fn sp_identity(&self, digest: &[u8; 32]) -> Option<Arc<SigningIdentity>> {
        digest_get(&self.sp_identity, digest)
    }
    /// The opened SP keys for SAML `EncryptedAssertion`s, by sealed-key digest.
    pub fn sp_saml_decryption(
        &self,
        digest: &[u8; 32],
    ) -> Option<Arc<Vec<federa_saml::DecryptionKey>>> {
        digest_get(&self.sp_saml_decryption, digest)
    }
    /// Remembers opened SP keys for SAML `EncryptedAssertion`s.
    pub fn put_sp_saml_decryption(
        &self,
        digest: [u8; 32],
        v: Arc<Vec<federa_saml::DecryptionKey>>,
    ) {
        digest_put(&self.sp_saml_decryption, digest, v);
    }
    /// Remembers an opened SP SAML identity.
    pub fn put_sp_identity(&self, digest: [u8; 32], v: Arc<SigningIdentity>) {
        digest_put(&self.sp_identity, digest, v);
    }
    /// A parsed JWS signing key.
    pub fn jws_key(&self, org: &OrgId, kid: &str) -> Option<Arc<SigningKey>> {
        get(&self.jws, org, kid)
    }
    /// Remembers a parsed JWS signing key.
    pub fn put_jws_key(&self, org: &OrgId, kid: &str, key: Arc<SigningKey>) {
        put(&self.jws, org, kid, key);
    }
    /// A parsed SAML signing identity.
    pub fn saml_identity(&self, org: &OrgId, kid: &str) -> Option<Arc<SigningIdentity>> {
        get(&self.saml, org, kid)
    }
    /// Remembers a parsed SAML signing identity.
    pub fn put_saml_identity(&self, org: &OrgId, kid: &str, id: Arc<SigningIdentity>) {
        put(&self.saml, org, kid, id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(s: &str) -> OrgId {
        OrgId::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn org_config_keeps_values_until_forgotten() {
        let c: OrgConfig<u32> = OrgConfig::default();
        let (a, b) = (org("00o1aaaaaaaaaaaaaaa1"), org("00o1bbbbbbbbbbbbbbb1"));
        let g = c.generation();
        c.put_if_current(&a, g, Arc::new(1));
        c.put_if_current(&b, g, Arc::new(2));
        assert_eq!(c.get(&a).as_deref(), Some(&1));
        c.forget(&a);
        assert_eq!(c.get(&a), None);
        assert_eq!(c.get(&b).as_deref(), Some(&2), "other orgs keep theirs");
    }

    #[test]
    fn a_read_from_before_a_forget_is_not_stored() {
        let c: OrgConfig<u32> = OrgConfig::default();
        let a = org("00o1aaaaaaaaaaaaaaa1");
        // A sign-in takes the generation and reads the store; meanwhile a write forgets.
        let before = c.generation();
        c.forget(&a);
        c.put_if_current(&a, before, Arc::new(1));
        assert_eq!(c.get(&a), None, "the possibly stale value was dropped");
        let now = c.generation();
        c.put_if_current(&a, now, Arc::new(2));
        assert_eq!(c.get(&a).as_deref(), Some(&2));
    }
}
