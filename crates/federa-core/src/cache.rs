//! Per-process caches of values that never change once written, so any node may hold them
//! without invalidation: parsed signing keys by `(org, kid)` (a key's material is immutable;
//! rotation adds a new kid). Passed in through [`crate::Ctx`], never global.

use federa_jose::SigningKey;
use federa_saml::SigningIdentity;
use federa_types::OrgId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Most keys kept per cache before it is cleared (bounded memory with many orgs).
const MAX_ENTRIES: usize = 4096;

/// Values by `(org, kid)`.
type ByKid<V> = Arc<Mutex<HashMap<(OrgId, String), Arc<V>>>>;

/// The caches.
#[derive(Default, Clone)]
pub struct Caches {
    jws: ByKid<SigningKey>,
    saml: ByKid<SigningIdentity>,
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
