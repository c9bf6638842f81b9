//! Fuzz target: arbitrary bytes into the compact JWE parser and the full decrypt path
//! (RFC 7516 §7.1 parsing, header validation, key selection, RSA-OAEP-256 + A256GCM).
//!
//! Run with `RUSTC_BOOTSTRAP=1 cargo fuzz run jwe_parse` from `crates/federa-jose/` (see
//! `fuzz/README.md`). The recipient key is the test-vector key, so inputs derived from
//! `test_vectors/*.jwe` reach the cryptographic steps.

#![no_main]

use std::sync::OnceLock;

use federa_jose::{CompactJwe, DecryptionKeySet, RsaDecryptionKey, SystemRng, jwe};
use libfuzzer_sys::fuzz_target;

const PAYLOAD: &str = include_str!("../../test_vectors/payload.json");

fn keys() -> Option<&'static DecryptionKeySet> {
    static KEYS: OnceLock<Option<DecryptionKeySet>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let key =
            RsaDecryptionKey::from_pkcs8_pem(include_str!("../../test_vectors/recipient_key.pem"))
                .ok()?;
        DecryptionKeySet::from_keys([key]).ok()
    })
    .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(parsed) = CompactJwe::parse(&text) {
        let _ = parsed.header().kid();
    }
    if let Some(keys) = keys()
        && let Ok(decrypted) = jwe::decrypt(keys, &text, &SystemRng::new())
    {
        // Only an unmodified test vector can decrypt; any other plaintext is a forgery.
        assert_eq!(decrypted.plaintext(), PAYLOAD.trim_ascii_end().as_bytes());
    }
});
