//! The `hallq` command: serve the hall, check a config, manage accounts and devices, simulate
//! a day. (The benchmarks are the `hallq-bench` command of the bench/ workspace member.)

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
        /// With --demo: no built-in fake printer (kiosks show numbers on screen only), as
        /// `hallq-bench load` and `crash` run it.
        #[arg(long, requires = "demo")]
        no_demo_printer: bool,
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
    /// Print a sample slip: the first thing to run when installing a printer.
    PrintTest {
        /// tcp://HOST:9100 or file:///dev/usb/lp0
        #[arg(long)]
        printer: String,
        /// Paper width in millimetres: 58 or 80.
        #[arg(long, default_value_t = 80)]
        width_mm: u32,
        /// Hall configuration (the sample uses its name and first queue).
        #[arg(long, default_value = "config/hall.toml")]
        config: PathBuf,
    },
    /// A network printer that prints to this terminal: decodes each slip it receives.
    FakePrinter {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9100")]
        listen: String,
    },
    /// Copy the database while the server runs (consistent, verified); prints what it wrote.
    Backup {
        /// The hall's database.
        #[arg(long, default_value = "data/hallq.db")]
        db: PathBuf,
        /// The new backup file (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Move closed days before a date out of the live database into an archive file (copied,
    /// verified, then deleted); reports go on reading them there. Refuses while a server holds
    /// the database.
    Archive {
        /// The first day that stays live (YYYY-MM-DD).
        #[arg(long)]
        before: jiff::civil::Date,
        /// The archive file (created if missing; a re-run adds to it).
        #[arg(long)]
        to: PathBuf,
        /// The hall's database.
        #[arg(long, default_value = "data/hallq.db")]
        db: PathBuf,
        /// The hall's configuration (its time zone and rating period).
        #[arg(long, default_value = "config/hall.toml")]
        config: PathBuf,
    },
    /// Put a backup in place of the database; refuses while a server holds it.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// The hall's database (the one it replaces is kept beside it).
        #[arg(long, default_value = "data/hallq.db")]
        db: PathBuf,
    },
    /// Simulate a hall day against the real engine and API, faster than real time.
    Simulate(hallq::sim::SimArgs),
    /// The central reporting server for many halls (PostgreSQL).
    Central {
        #[command(subcommand)]
        action: CentralCmd,
    },
}

#[derive(Subcommand)]
enum CentralCmd {
    /// Serve central login, the halls' uplink status and cross-hall reports.
    Serve {
        /// PostgreSQL connection string, e.g. postgres://hallq@127.0.0.1:5432/central.
        #[arg(long)]
        pg: String,
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: String,
        /// Create the account manager / hallq-demo if absent and print it.
        #[arg(long)]
        demo: bool,
        /// Serve HTTPS with this PEM certificate chain (the server's own first), as a hall's
        /// `[tls] cert`; needs --tls-key.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<std::path::PathBuf>,
        /// The certificate's PEM private key, readable by the service only.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<std::path::PathBuf>,
    },
    /// Central accounts.
    User {
        #[command(subcommand)]
        action: CentralUserCmd,
    },
    /// Rebuild tickets, ratings and rollups from the stored events (after a fix to how they
    /// are derived): the derived rows are dropped and the rollup mark set back, in one
    /// transaction; the running central server, or this command with --now, derives them again.
    Rebuild {
        #[arg(long)]
        pg: String,
        /// Only these halls (comma-separated ids); every hall when absent.
        #[arg(long, value_delimiter = ',')]
        halls: Vec<String>,
        /// Derive them again here and now, instead of leaving it to the central server.
        #[arg(long)]
        now: bool,
    },
}

#[derive(Subcommand)]
enum CentralUserCmd {
    /// Add a central manager or admin.
    Add {
        #[arg(long)]
        pg: String,
        #[arg(long)]
        username: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// manager or admin.
        #[arg(long)]
        role: String,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
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
        /// Limit a clerk to these windows, e.g. 1-11,20.
        #[arg(long, default_value = "")]
        windows: String,
        /// Limit a clerk to the windows of these departments, e.g. gaj,mzj.
        #[arg(long, default_value = "")]
        departments: String,
    },
    /// List staff accounts.
    List {
        #[command(flatten)]
        paths: Paths,
    },
    /// Disable an account (its sessions end at once).
    Disable {
        #[command(flatten)]
        paths: Paths,
        #[arg(long)]
        username: String,
    },
    /// Enable a disabled account again.
    Enable {
        #[command(flatten)]
        paths: Paths,
        #[arg(long)]
        username: String,
    },
    /// Set a new password (the account's sessions end).
    ResetPassword {
        #[command(flatten)]
        paths: Paths,
        #[arg(long)]
        username: String,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
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
    /// Revoke a device's token for good.
    Revoke {
        #[command(flatten)]
        paths: Paths,
        #[arg(long)]
        id: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "hallq=info,warn".into());
    // `[log] format = "json"`: one JSON object a line, for a log collector.
    let json = match &cli.command {
        Cmd::Serve { paths, .. } => hallq::config::Config::load(&paths.config)
            .is_ok_and(|(c, _)| c.log.format == hallq::config::LogFormat::Json),
        _ => false,
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        logs.json().init();
    } else {
        logs.init();
    }
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hallq: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Report a change to one account or device; a name that does not exist is bad usage.
fn done(found: bool, what: &str, name: &str) -> anyhow::Result<ExitCode> {
    if found {
        println!("{what} {name}");
        Ok(ExitCode::SUCCESS)
    } else {
        usage(format!("{name} does not exist"))
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
            no_demo_printer,
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
            rt.block_on(serve(opts, listen, demo && !no_demo_printer))
        }
        Cmd::CheckConfig { file } => match hallq::config::Config::load(&file) {
            Ok((config, plan)) => {
                if let Some(t) = &config.tls
                    && let Err(e) = hallq::tls::server_config(t, &file)
                {
                    return usage(format!("{}: {e}", file.display()));
                }
                if let Err(e) = hallq::notify::tls::connectors(&config.notify, &file) {
                    return usage(format!("{}: {e}", file.display()));
                }
                for w in hallq::domain::appointments::capacity_warnings(&plan)
                    .into_iter()
                    .chain(hallq::domain::rota::warnings(&plan))
                {
                    eprintln!("{}: {w}", file.display());
                }
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
                    windows,
                    departments,
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
            let password = match read_password(&username, password_stdin)? {
                Ok(p) => p,
                Err(msg) => return usage(msg),
            };
            let scope = match hallq::config::Config::load(&paths.config) {
                Ok((_, plan)) => hallq::domain::scope::Scope::parse(&plan, &windows, &departments),
                Err(e) => return usage(e),
            };
            let scope = match scope {
                Ok(s) => s,
                Err(msg) => return usage(msg),
            };
            if hallq::admin::add_user(&paths.db, &username, &name, role, &password)? {
                if !scope.is_unlimited() {
                    hallq::admin::set_scope(&paths.db, &username, &scope)?;
                }
                println!("added {role} {username} ({name})");
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
        Cmd::User {
            action: UserCmd::Disable { paths, username },
        } => done(
            hallq::admin::set_disabled(&paths.db, &username, true)?,
            "disabled",
            &username,
        ),
        Cmd::User {
            action: UserCmd::Enable { paths, username },
        } => done(
            hallq::admin::set_disabled(&paths.db, &username, false)?,
            "enabled",
            &username,
        ),
        Cmd::User {
            action:
                UserCmd::ResetPassword {
                    paths,
                    username,
                    password_stdin,
                },
        } => {
            let password = match read_password(&username, password_stdin)? {
                Ok(p) => p,
                Err(msg) => return usage(msg),
            };
            let found = hallq::admin::reset_password(&paths.db, &username, &password)?;
            done(found, "new password set for", &username)
        }
        Cmd::Device {
            action: DeviceCmd::Revoke { paths, id },
        } => done(hallq::admin::revoke_device(&paths.db, &id)?, "revoked", &id),
        Cmd::Device {
            action:
                DeviceCmd::Add {
                    paths,
                    kind,
                    id,
                    window,
                },
        } => {
            let Some(kind) = hallq::domain::DeviceKind::parse(&kind) else {
                return usage(format!(
                    "--kind must be kiosk, display, evaluator or integrator, not {kind:?}"
                ));
            };
            if !hallq::admin::valid_username(&id) {
                return usage("--id: 2-32 characters of a-z, 0-9, . _ -");
            }
            if kind.needs_window() && window.is_none() {
                return usage("--window is required for an evaluator (the window it stands at)");
            }
            let token = hallq::auth::new_token();
            if hallq::admin::add_device_at(&paths.db, &id, kind, window, &token)? {
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
        Cmd::PrintTest {
            printer,
            width_mm,
            config,
        } => {
            let (cfg, plan) = match hallq::config::Config::load(&config) {
                Ok(c) => c,
                Err(e) => return usage(e),
            };
            if width_mm != 58 && width_mm != 80 {
                return usage("--width-mm is 58 or 80");
            }
            let base = cfg
                .hall
                .public_url
                .as_deref()
                .unwrap_or("http://127.0.0.1:8080");
            let slip = hallq::printer::Slip::sample(&plan, base);
            let rt = tokio::runtime::Runtime::new()?;
            let wait = std::time::Duration::from_secs(10);
            match rt.block_on(hallq::printer::print_once(&printer, width_mm, &slip, wait)) {
                Ok(c) => {
                    let status = if !c.known {
                        "printed (the printer reports no status)"
                    } else if c.paper_near_end {
                        "printed; paper is nearly used up"
                    } else {
                        "printed; printer ok"
                    };
                    println!("{printer}: {status}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("hallq: {printer}: {} ({e})", e.code());
                    Ok(ExitCode::from(1))
                }
            }
        }
        Cmd::FakePrinter { listen } => {
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async {
                use hallq::printer::fake::{FakePrinter, Script};
                let p = FakePrinter::listen(&listen, Script::Online).await?;
                println!("fake printer at {}; slips appear below", p.address());
                hallq::printer::fake::print_jobs_forever(&p).await;
                Ok(ExitCode::SUCCESS)
            })
        }
        Cmd::Backup { db, to } => match hallq::store::backup::backup(&db, &to) {
            Ok(s) => {
                print!(
                    "{}",
                    hallq::ops::backup::describe(&s, &hallq::ops::backup::key_files(&db))
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("hallq: backup failed: {e}");
                Ok(ExitCode::from(1))
            }
        },
        Cmd::Archive {
            before,
            to,
            db,
            config,
        } => {
            let (_, plan) = hallq::config::Config::load(&config)?;
            match hallq::ops::archive::run(&db, &to, before, &plan, jiff::Timestamp::now())? {
                Ok(moved) => {
                    print!("{}", hallq::ops::archive::describe(&moved, &to));
                    Ok(ExitCode::SUCCESS)
                }
                Err(why) => {
                    eprintln!("hallq: nothing archived: {why}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Cmd::Restore { from, db } => match hallq::ops::backup::restore(&from, &db) {
            Ok((s, kept)) => {
                println!(
                    "restored {} into {} (schema version {}, {} tickets, {} events)",
                    from.display(),
                    db.display(),
                    s.schema,
                    s.rows("tickets"),
                    s.rows("events")
                );
                if let Some(k) = kept {
                    println!("the database it replaced is kept as {}", k.display());
                }
                println!("{}", hallq::ops::backup::restore_note(&db));
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("hallq: restore refused: {e}");
                Ok(ExitCode::from(1))
            }
        },
        Cmd::Simulate(args) => {
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(hallq::sim::simulate(args))?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Central { action } => central(action),
    }
}

fn central(action: CentralCmd) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new()?;
    match action {
        CentralCmd::Serve {
            pg,
            listen,
            demo,
            tls_cert,
            tls_key,
        } => rt.block_on(async {
            // A bad certificate is named before the database is touched.
            let tls = match (tls_cert, tls_key) {
                (Some(cert), Some(key)) => {
                    match hallq::tls::server_config_from_files(&cert, &key) {
                        Ok(t) => Some(t),
                        Err(e) => return usage(e),
                    }
                }
                _ => None,
            };
            let central = std::sync::Arc::new(hallq::central::Central::open(&pg).await?);
            if demo
                && central
                    .add_user("manager", "演示管理员", "manager", "hallq-demo")
                    .await?
            {
                println!("demo account: manager / hallq-demo");
            }
            let listener = match tokio::net::TcpListener::bind(&listen).await {
                Ok(l) => l,
                Err(e) => return usage(format!("cannot listen on {listen}: {e}")),
            };
            println!(
                "hallq central listening on {}://{}/central/",
                if tls.is_some() { "https" } else { "http" },
                listener.local_addr()?
            );
            hallq::central::serve(central, listener, tls, shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }),
        CentralCmd::Rebuild { pg, halls, now } => rt.block_on(async {
            let mut client = hallq::central::connect(&pg)
                .await
                .map_err(|e| anyhow::anyhow!("connecting to the central database: {e}"))?;
            hallq::central::schema::migrate(&mut client).await?;
            let ids = hallq::central::ingest::forget_derived(&mut client, &halls).await?;
            if ids.is_empty() {
                return usage(if halls.is_empty() {
                    "the central database holds no hall yet".to_string()
                } else {
                    format!("no such hall: {}", halls.join(", "))
                });
            }
            println!("derived rows dropped for {}", ids.join(", "));
            if now {
                let started = std::time::Instant::now();
                let patience = std::time::Duration::from_secs(600);
                let behind = hallq::central::roll_up(&mut client, &ids, patience).await?;
                if !behind.is_empty() {
                    anyhow::bail!(
                        "still behind after {} s (another process holds their rollups): {}",
                        patience.as_secs(),
                        behind.join(", ")
                    );
                }
                println!(
                    "rebuilt from the events in {:.1} s",
                    started.elapsed().as_secs_f64()
                );
            } else {
                println!("the central server derives them again within seconds (once it runs)");
            }
            Ok(ExitCode::SUCCESS)
        }),
        CentralCmd::User {
            action:
                CentralUserCmd::Add {
                    pg,
                    username,
                    name,
                    role,
                    password_stdin,
                },
        } => {
            if !hallq::admin::valid_username(&username) {
                return usage("--username: 2-32 characters of a-z, 0-9, . _ -");
            }
            if !hallq::central::accounts::ROLES.contains(&role.as_str()) {
                return usage(format!("--role must be manager or admin, not {role:?}"));
            }
            let password = match read_password(&username, password_stdin)? {
                Ok(p) => p,
                Err(msg) => return usage(msg),
            };
            rt.block_on(async {
                let central = hallq::central::Central::open(&pg).await?;
                if central.add_user(&username, &name, &role, &password).await? {
                    println!("added central {role} {username} ({name})");
                    Ok(ExitCode::SUCCESS)
                } else {
                    usage(format!("user {username} already exists"))
                }
            })
        }
    }
}

/// A new password from stdin or typed twice at a prompt; `Err` carries a usage message.
fn read_password(username: &str, from_stdin: bool) -> anyhow::Result<Result<String, String>> {
    let password = if from_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        s.trim_end_matches(['\r', '\n']).to_string()
    } else {
        let p = rpassword::prompt_password(format!("Password for {username}: "))?;
        let again = rpassword::prompt_password("Again: ")?;
        if p != again {
            return Ok(Err("the passwords differ".into()));
        }
        p
    };
    if password.chars().count() < hallq::auth::MIN_PASSWORD {
        return Ok(Err(format!(
            "the password needs at least {} characters",
            hallq::auth::MIN_PASSWORD
        )));
    }
    Ok(Ok(password))
}

async fn serve(opts: ServeOptions, listen: String, demo_printer: bool) -> anyhow::Result<ExitCode> {
    // Room for every screen, kiosk and phone: the connection budget follows this limit.
    match hallq::net::raise_fd_limit() {
        Ok(n) => tracing::info!(descriptors = n, "descriptor limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the descriptor limit"),
    }
    let mut app = App::start(&opts)?;
    // The demo prints real slips, on a printer that lives in this process, on loopback.
    let demo_printer = if demo_printer {
        use hallq::printer::fake::{FakePrinter, Script, print_jobs_forever};
        let fake = FakePrinter::start(Script::Online).await?;
        let address = fake.address();
        app.state.printers = hallq::printer::Printers::demo(&app.state.plan, &address);
        tokio::spawn(async move { print_jobs_forever(&fake).await });
        Some(address)
    } else {
        None
    };
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
        match &demo_printer {
            Some(address) => println!(
                "Printer: every kiosk prints on the built-in fake printer at {address} \
                 (printer \"demo\"); each slip it receives is decoded and shown below in \
                 this terminal, between \"---- slip\" lines.\n"
            ),
            None => println!("Printer: none (--no-demo-printer); kiosks show numbers on screen.\n"),
        }
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
