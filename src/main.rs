//! The `hallq` command: serve the hall, check a config, manage accounts and devices, bench.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hallq::{App, ServeOptions};

#[derive(Parser)]
#[command(
    name = "hallq",
    version,
    about = "Queue and kiosk server for a government service hall (政务服务中心)"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(clap::Args, Clone)]
struct Paths {
    /// Hall configuration.
    #[arg(long, default_value = "config/hall.toml")]
    config: PathBuf,
    /// SQLite database (created if absent).
    #[arg(long, default_value = "data/hallq.db")]
    db: PathBuf,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the hall server.
    Serve {
        #[command(flatten)]
        paths: Paths,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Create demo accounts and devices, print them, keep every queue open at any hour.
        #[arg(long)]
        demo: bool,
        /// Tests and simulations only: a clock moved by POST /api/v1/_clock.
        #[arg(long)]
        simulated_clock: bool,
    },
    /// Validate a hall configuration file.
    CheckConfig {
        /// The file to check.
        file: PathBuf,
    },
    /// Staff accounts.
    User {
        #[command(subcommand)]
        action: UserCmd,
    },
    /// Kiosks, wall screens and evaluators.
    Device {
        #[command(subcommand)]
        action: DeviceCmd,
    },
    /// Simulate a hall day against the real engine and API, faster than real time.
    Simulate(hallq::sim::SimArgs),
    /// Benchmarks that print figures.
    Bench {
        #[command(subcommand)]
        which: hallq::bench::Bench,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add a staff account.
    Add {
        #[command(flatten)]
        paths: Paths,
        #[arg(long)]
        username: String,
        /// Display name, e.g. 李红.
        #[arg(long)]
        name: String,
        /// clerk, manager or admin.
        #[arg(long)]
        role: String,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List staff accounts.
    List {
        #[command(flatten)]
        paths: Paths,
    },
}

#[derive(Subcommand)]
enum DeviceCmd {
    /// Register a device and print its token once (last line of stdout).
    Add {
        #[command(flatten)]
        paths: Paths,
        /// kiosk, display or evaluator.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        id: String,
        /// The window an evaluator belongs to (required for evaluators).
        #[arg(long)]
        window: Option<u32>,
    },
    /// List devices.
    List {
        #[command(flatten)]
        paths: Paths,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "hallq=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hallq: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Bad usage or bad config: exit 2 with the message on stderr.
fn usage(msg: impl std::fmt::Display) -> anyhow::Result<ExitCode> {
    eprintln!("hallq: {msg}");
    Ok(ExitCode::from(2))
}

fn run(cmd: Cmd) -> anyhow::Result<ExitCode> {
    match cmd {
        Cmd::Serve {
            paths,
            listen,
            demo,
            simulated_clock,
        } => {
            if let Err(e) = hallq::config::Config::load(&paths.config) {
                return usage(e);
            }
            let opts = ServeOptions {
                config: paths.config,
                db: paths.db,
                demo,
                simulated_clock,
            };
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(serve(opts, listen))
        }
        Cmd::CheckConfig { file } => match hallq::config::Config::load(&file) {
            Ok((_, plan)) => {
                println!(
                    "{}: ok ({} departments, {} queues, {} windows)",
                    file.display(),
                    plan.departments.len(),
                    plan.queues.len(),
                    plan.windows.len()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => usage(e),
        },
        Cmd::User {
            action:
                UserCmd::Add {
                    paths,
                    username,
                    name,
                    role,
                    password_stdin,
                },
        } => {
            let Some(role) = hallq::domain::Role::parse(&role) else {
                return usage(format!(
                    "--role must be clerk, manager or admin, not {role:?}"
                ));
            };
            if !hallq::admin::valid_username(&username) {
                return usage("--username: 2-32 characters of a-z, 0-9, . _ -");
            }
            let password = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                s.trim_end_matches(['\r', '\n']).to_string()
            } else {
                let p = rpassword::prompt_password(format!("Password for {username}: "))?;
                let again = rpassword::prompt_password("Again: ")?;
                if p != again {
                    return usage("the passwords differ");
                }
                p
            };
            if password.chars().count() < hallq::auth::MIN_PASSWORD {
                return usage(format!(
                    "the password needs at least {} characters",
                    hallq::auth::MIN_PASSWORD
                ));
            }
            if hallq::admin::add_user(&paths.db, &username, &name, role, &password)? {
                println!("added {} {username} ({name})", role.as_str());
                Ok(ExitCode::SUCCESS)
            } else {
                usage(format!("user {username} already exists"))
            }
        }
        Cmd::User {
            action: UserCmd::List { paths },
        } => {
            for u in hallq::admin::users(&paths.db)? {
                println!(
                    "{}\t{}\t{}\t{}",
                    u.username,
                    u.role,
                    u.name,
                    if u.disabled { "disabled" } else { "active" }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Device {
            action:
                DeviceCmd::Add {
                    paths,
                    kind,
                    id,
                    window,
                },
        } => {
            if !["kiosk", "display", "evaluator"].contains(&kind.as_str()) {
                return usage(format!(
                    "--kind must be kiosk, display or evaluator, not {kind:?}"
                ));
            }
            if !hallq::admin::valid_username(&id) {
                return usage("--id: 2-32 characters of a-z, 0-9, . _ -");
            }
            if kind == "evaluator" && window.is_none() {
                return usage("--window is required for an evaluator (the window it stands at)");
            }
            let token = hallq::auth::new_token();
            if hallq::admin::add_device_at(&paths.db, &id, &kind, window, &token)? {
                println!("added {kind} {id}; its token (shown once):");
                println!("{token}");
                Ok(ExitCode::SUCCESS)
            } else {
                usage(format!("device {id} already exists"))
            }
        }
        Cmd::Device {
            action: DeviceCmd::List { paths },
        } => {
            for d in hallq::admin::devices(&paths.db)? {
                println!(
                    "{}\t{}\t{}",
                    d.id,
                    d.kind,
                    if d.revoked { "revoked" } else { "active" }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Simulate(args) => {
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(hallq::sim::simulate(args))?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bench { which } => {
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(hallq::bench::run(which))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn serve(opts: ServeOptions, listen: String) -> anyhow::Result<ExitCode> {
    let app = App::start(&opts)?;
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => return usage(format!("cannot listen on {listen}: {e}")),
    };
    let base = format!("http://{}", listener.local_addr()?);
    if opts.demo {
        let creds = hallq::admin::ensure_demo(&opts.db)?;
        println!(
            "{}",
            hallq::admin::demo_banner(&base, &creds, &app.state.plan)
        );
        tracing::warn!("demo mode: every queue issues tickets at any hour");
    }
    tracing::info!(%base, db = %opts.db.display(), "hallq serving {}", app.state.plan.rules.name);
    println!("hallq listening on {base}");
    app.run(listener, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
