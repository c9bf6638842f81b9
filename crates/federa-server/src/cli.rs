//! The command line of CONTRACT §1: `serve`, `demo`, `migrate`, `org create`, `token create`.
//! Tokens printed by `org create` and `token create` go alone to stdout so scripts can capture
//! them; every other message goes to stderr.

use crate::app;
use crate::config::{Config, Overrides};
use clap::{Args, Parser, Subcommand};
use federa_core::CoreError;
use federa_core::model::Engine;
use federa_core::service::{orgs, tokens};
use std::path::PathBuf;
use std::process::ExitCode;

/// Federa: a multi-tenant identity server that shares authentication claims between orgs.
#[derive(Debug, Parser)]
#[command(name = "federa", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes (also in the config file and as `FEDERA_*` variables).
#[derive(Debug, Args)]
struct Common {
    /// Config file (default: ./federa.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, global = true, value_name = "ADDR")]
    listen: Option<String>,
    /// Directory holding the SQLite database [default: ./federa-data].
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL; postgres://… selects PostgreSQL [default: SQLite under --data-dir].
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server. On an empty database it creates the default org for `localhost` and
    /// prints its admin API token once.
    Serve,
    /// Start a ready-made hub-and-spoke setup on the embedded database and print what to open.
    Demo {
        /// Port to listen on (127.0.0.1).
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage orgs.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Manage admin API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Create an org and print its first admin API token (once, alone on stdout).
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Host name that selects the org (repeat for several).
        #[arg(long, required = true)]
        host: Vec<String>,
        /// Policy engine.
        #[arg(long, default_value = "identity", value_parser = ["identity", "classic"])]
        engine: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an admin API token for the org served at a host and print it (once).
    Create {
        /// A host name of the org.
        #[arg(long)]
        org: String,
        /// Token name.
        #[arg(long)]
        name: String,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let env: Vec<(String, String)> = std::env::vars().collect();
    let overrides = Overrides {
        listen: cli.common.listen.clone(),
        data_dir: cli.common.data_dir.clone(),
        database_url: cli.common.database_url.clone(),
    };
    let cfg = match Config::load(cli.common.config.as_deref(), &env, &overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("federa: configuration error: {e:#}");
            return ExitCode::from(2);
        }
    };
    crate::logging::init(&cfg.log);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("federa: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command, cfg)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("federa: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, cfg: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => serve(cfg).await,
        Command::Demo { port } => demo(cfg, port).await,
        Command::Migrate => {
            let store = app::open_store(&cfg).await?;
            eprintln!(
                "migrations applied ({})",
                federa_core::ports::Store::backend(&store)
            );
            Ok(())
        }
        Command::Org {
            command: OrgCommand::Create { name, host, engine },
        } => {
            let ctx = app::context(&cfg, app::open_store(&cfg).await?)?;
            let engine = Engine::parse(&engine).unwrap_or(Engine::Identity);
            let created = orgs::create(&ctx, &name, &host, engine, "initial")
                .await
                .map_err(describe)?;
            eprintln!(
                "created org {} ({}) for {}",
                created.org.name,
                created.org.id,
                created.org.hosts.join(", ")
            );
            eprintln!("its admin API token follows on stdout; it is shown only this once");
            println!("{}", created.token.expose());
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { org, name },
        } => {
            let ctx = app::context(&cfg, app::open_store(&cfg).await?)?;
            let org = orgs::resolve(&ctx, Some(&org)).await.map_err(describe)?;
            let (token, value) = tokens::create(&ctx, &org.id, &name)
                .await
                .map_err(describe)?;
            eprintln!(
                "created API token {} for org {}; it is shown only this once",
                token.id, org.name
            );
            println!("{}", value.expose());
            Ok(())
        }
    }
}

fn describe(e: CoreError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn url_for(host: &str, port: u16) -> String {
    format!("http://{host}:{port}/")
}

async fn serve(cfg: Config) -> anyhow::Result<()> {
    let running = app::start(&cfg, true).await?;
    if let Some(b) = &running.bootstrap {
        let base = url_for("localhost", running.addr.port());
        println!("Federa created the default org for {base}");
        println!(
            "Admin API token (shown only this once; keep it): {}",
            b.token.expose()
        );
        println!(
            "Try: curl -H 'Authorization: SSWS {}' {base}api/v1/users",
            b.token.expose()
        );
    }
    eprintln!("listening on http://{}", running.addr);
    running.wait().await
}

async fn demo(mut cfg: Config, port: u16) -> anyhow::Result<()> {
    cfg.listen = format!("127.0.0.1:{port}");
    // All orgs run on this machine: the hub fetches the spoke's keys over loopback.
    cfg.outbound.allow_loopback = true;
    let running = app::start(&cfg, true).await?;
    let port = running.addr.port();
    let ctx = running.ctx.clone();
    let demo = crate::demo::setup(&ctx, &cfg.data_dir, port).await?;
    let mut tokens = Vec::new();
    for org in [&demo.spoke, &demo.hub] {
        let (_, token) = tokens::create(&ctx, &org.id, "demo run")
            .await
            .map_err(describe)?;
        tokens.push(token.expose().clone());
    }
    let hub = url_for("hub.localhost", port);
    let spoke = url_for("spoke.localhost", port);
    let c = &demo.credentials;
    println!(
        "Federa demo is running (data in {}).",
        cfg.data_dir.display()
    );
    println!();
    println!("Open the demo app:   {hub}demo");
    println!(
        "  It asks the hub (SP org) to sign you in; the hub sends {} to the spoke (IdP org),",
        crate::demo::DEMO_USER
    );
    println!(
        "  which asks for the password and a TOTP code. The hub trusts the spoke's claims, so"
    );
    println!(
        "  its \"Any 2 factor types\" policy is met without a second prompt; the app shows the"
    );
    println!("  ID token, its amr, and which factors were credited from where.");
    println!();
    println!("User at the spoke:   {}", crate::demo::DEMO_USER);
    println!("  password:          {}", c.password);
    if let Some(s) = &c.totp_secret {
        println!(
            "  TOTP secret:       {s}   (add it to an authenticator app: 6 digits, 30 s, SHA-1)"
        );
    }
    println!("  Add a passkey at   {spoke}me (after signing in at the spoke)");
    println!();
    println!("Orgs and admin API tokens (new each run):");
    println!("  Spoke (IdP org)    {spoke}   SSWS {}", tokens[0]);
    println!("  Hub (SP org)       {hub}   SSWS {}", tokens[1]);
    println!("  The hub's IdP object for the spoke: {}", demo.idp_id);
    println!(
        "Try: curl -H 'Authorization: SSWS {}' {hub}api/v1/idps/{}",
        tokens[1], demo.idp_id
    );
    println!("Stop with Ctrl-C; run again to continue with the same data.");
    running.wait().await
}
