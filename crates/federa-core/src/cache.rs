//! Per-process caches, passed in through [`crate::Ctx`], never global.
//!
//! - Values that never change once written, held without expiry: parsed signing keys by
//!   `(org, kid)` (a key's material is immutable; rotation adds a new kid).
//! - Configuration read on every protocol request, held for [`TTL`]: the org of a host, the
//!   app of a client id, the kid that signs an org's tokens. A change made on this node clears
//!   its entry at once; other nodes see it within [`TTL`] (a deactivated app or a rotated key
//!   may be used for that long — the rotated key stays published, so its tokens verify).

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

/// Most keys kept per cache before it is cleared (bounded memory with many orgs).
const MAX_ENTRIES: usize = 4096;

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

impl Caches {
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
