//! Configuration loading: the example file parses, unknown keys are named, layers override in
//! the documented order, and secrets can come from files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_server::config::{Config, LogFormat, Overrides};
use std::path::PathBuf;

fn example() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../federa.example.toml"
    ))
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_example_config_parses_to_the_defaults() {
    let cfg = Config::load(Some(&example()), &[], &Overrides::default()).expect("example parses");
    let def = Config::load(None, &[], &Overrides::default()).expect("defaults");
    assert_eq!(cfg.listen, "127.0.0.1:8080");
    assert_eq!(cfg.listen, def.listen);
    assert_eq!(cfg.password_hash.memory_kib, 19_456);
    assert_eq!(cfg.log.format, LogFormat::Pretty);
    assert_eq!(cfg.http.body_limit_bytes, def.http.body_limit_bytes);
}

#[test]
fn unknown_keys_in_the_file_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("federa.toml");
    std::fs::write(&f, "listen = \"127.0.0.1:1\"\nlisten_adress = \"x\"\n").unwrap();
    let err = Config::load(Some(&f), &[], &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("listen_adress"), "{err}");
    std::fs::write(&f, "[log]\nformat = \"json\"\ncolour = true\n").unwrap();
    let err = Config::load(Some(&f), &[], &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("colour"), "{err}");
    std::fs::write(&f, "[log]\nformat = \"xml\"\n").unwrap();
    let err = Config::load(Some(&f), &[], &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("xml"), "{err}");
}

#[test]
fn unknown_environment_variables_are_named_but_test_ones_are_ignored() {
    let err = Config::load(None, &env(&[("FEDERA_LISTN", "x")]), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("FEDERA_LISTN"), "{err}");
    assert!(
        Config::load(
            None,
            &env(&[("FEDERA_TEST_POSTGRES_URL", "postgres://x")]),
            &Overrides::default()
        )
        .is_ok()
    );
}

#[test]
fn layers_override_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f.toml");
    std::fs::write(
        &f,
        "listen = \"127.0.0.1:1111\"\n[log]\nformat = \"json\"\n[http]\nbody_limit_bytes = 4096\n",
    )
    .unwrap();
    let cfg = Config::load(Some(&f), &[], &Overrides::default()).unwrap();
    assert_eq!(cfg.listen, "127.0.0.1:1111");
    assert_eq!(cfg.log.format, LogFormat::Json);
    let e = env(&[
        ("FEDERA_LISTEN", "127.0.0.1:2222"),
        ("FEDERA_HTTP__BODY_LIMIT_BYTES", "8192"),
        ("FEDERA_LOG__FORMAT", "pretty"),
    ]);
    let cfg = Config::load(Some(&f), &e, &Overrides::default()).unwrap();
    assert_eq!(cfg.listen, "127.0.0.1:2222");
    assert_eq!(cfg.http.body_limit_bytes, 8192);
    assert_eq!(cfg.log.format, LogFormat::Pretty);
    let o = Overrides {
        listen: Some("127.0.0.1:3333".into()),
        database_url: Some("postgres://db/x".into()),
        ..Default::default()
    };
    let cfg = Config::load(Some(&f), &e, &o).unwrap();
    assert_eq!(cfg.listen, "127.0.0.1:3333");
    assert_eq!(cfg.database_url().unwrap(), "postgres://db/x");
}

#[test]
fn bad_values_are_refused_with_their_key() {
    let o = Overrides {
        listen: Some("not an address".into()),
        ..Default::default()
    };
    assert!(
        Config::load(None, &[], &o)
            .unwrap_err()
            .to_string()
            .contains("listen")
    );
    let weak = env(&[
        ("FEDERA_PASSWORD_HASH__MEMORY_KIB", "1024"),
        ("FEDERA_PASSWORD_HASH__ITERATIONS", "1"),
    ]);
    assert!(
        Config::load(None, &weak, &Overrides::default())
            .unwrap_err()
            .to_string()
            .contains("password_hash")
    );
    let o = Overrides {
        database_url: Some("mysql://x".into()),
        ..Default::default()
    };
    assert!(
        Config::load(None, &[], &o)
            .unwrap_err()
            .to_string()
            .contains("database.url")
    );
    let bad_key = env(&[("FEDERA_MASTER_KEY", "dG9vIHNob3J0")]);
    let err = Config::load(None, &bad_key, &Overrides::default()).unwrap_err();
    assert!(format!("{err:#}").contains("32 bytes"), "{err:#}");
    assert!(
        !format!("{err:#}").contains("dG9vIHNob3J0"),
        "the secret is not echoed"
    );
}

#[test]
fn the_master_key_can_come_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("key");
    std::fs::write(&f, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n").unwrap();
    let e = env(&[("FEDERA_MASTER_KEY_FILE", f.to_str().unwrap())]);
    let cfg = Config::load(None, &e, &Overrides::default()).unwrap();
    let key = cfg.master_key().unwrap().expect("key");
    assert_eq!(key.expose()[31], 31);
    assert_eq!(format!("{key:?}"), "[redacted]");
}
