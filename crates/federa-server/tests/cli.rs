//! The binary as a script would use it: `--help` for every command, `org create` and
//! `token create` print the token alone on stdout, and errors are clear.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn federa(data_dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_federa"));
    c.arg("--data-dir")
        .arg(data_dir)
        .env_remove("FEDERA_DATABASE__URL")
        .env("RUST_LOG", "warn");
    c
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["migrate", "--help"],
        vec!["org", "create", "--help"],
        vec!["token", "create", "--help"],
    ] {
        let out = federa(dir.path()).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage"), "{args:?}: {text}");
    }
}

#[test]
fn org_and_token_create_print_only_the_token_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = federa(dir.path()).args(["migrate"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = federa(dir.path())
        .args([
            "org",
            "create",
            "--name",
            "Acme",
            "--host",
            "acme.test",
            "--engine",
            "classic",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.trim();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(token.starts_with("00") && token.len() > 40, "{token}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("shown only this once"));
    let out = federa(dir.path())
        .args(["token", "create", "--org", "ACME.test", "--name", "ci"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let second = String::from_utf8(out.stdout).unwrap();
    assert_eq!(second.lines().count(), 1);
    assert_ne!(second.trim(), token);
    // The same host cannot be taken twice; an unknown org is a clear error.
    let out = federa(dir.path())
        .args(["org", "create", "--name", "Other", "--host", "acme.test"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("acme.test"));
    assert!(out.stdout.is_empty());
    let out = federa(dir.path())
        .args(["token", "create", "--org", "nope.test", "--name", "x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.test"));
}

#[test]
fn configuration_errors_exit_2_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = federa(dir.path())
        .env("FEDERA_LISTEN_ADDR", "x")
        .args(["migrate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FEDERA_LISTEN_ADDR"));
}
