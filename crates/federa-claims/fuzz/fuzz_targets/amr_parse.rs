//! Fuzz target: arbitrary bytes as an OIDC `amr` claim (any JSON) and as SAML `session.amr`
//! attribute values, through both AMR tables. Nothing may panic, and nothing outside the
//! reference §1.11 vocabulary may be credited.

#![no_main]

use federa_claims::model::IdpId;
use federa_claims::{AmrContext, AmrTable, parse_oidc_amr, parse_saml_session_amr};
use federa_types::Timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = AmrContext { idp_id: IdpId::new("0oaFUZZ"), factor_only: data.first() == Some(&1), verified_at: Timestamp(0) };
    for table in [AmrTable::ClaimsSharing, AmrTable::Legacy] {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
            let _ = parse_oidc_amr(Some(&v), table, &ctx);
        }
        let text = String::from_utf8_lossy(data);
        let values: Vec<&str> = text.split('\n').collect();
        let _ = parse_saml_session_amr(&values, table, &ctx);
    }
});
