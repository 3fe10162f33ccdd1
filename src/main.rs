//! `centralita`: the command line. `serve` is the embedded all-in-one default; production
//! runs `migrate` once, then any number of `api` and `worker` processes.

use std::path::PathBuf;

use centralita::{Application, BuildOptions, Mode};
use centralita_domain::{
    Core,
    authz::Role,
    config::{Config, LogFormat},
    core as dcore,
    services::auth,
    tokens::random_token,
};
use clap::{Parser, Subcommand, ValueEnum};

/// mimalloc rather than glibc's allocator: a request allocates and frees many small
/// objects (JSON, rows, futures) across threads, and with glibc malloc and free were the
/// largest single cost of a call authorization after the kernel's (see the README's
/// authorization benchmark for the figures before and after).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "centralita",
    version,
    about = "Multi-tenant hosted PBX platform"
)]
struct Cli {
    /// TOML configuration file (also `CENTRALITA_CONFIG`); `CENTRALITA_*` variables override it.
    #[arg(long, env = "CENTRALITA_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// API and worker in one process, migrations applied (the default).
    Serve,
    /// The HTTP API only.
    Api,
    /// The job worker only.
    Worker {
        /// Jobs run at once by this process (each loop holds its own leases).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
        concurrency: u16,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Administrative tasks.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Managed installs, through the API of a running Centralita.
    Installs {
        #[command(subcommand)]
        command: InstallsCommand,
    },
}

#[derive(Subcommand)]
enum InstallsCommand {
    /// Follow an install's step log with a progress bar until it ends (exit status 0 when
    /// it succeeded).
    Watch {
        /// The install's id.
        id: String,
        /// The API's base URL.
        #[arg(long, env = "CENTRALITA_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
        /// An access token or API key of platform staff or the partner who started it.
        #[arg(long, env = "CENTRALITA_TOKEN", hide_env_values = true)]
        token: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum StaffRole {
    PlatformAdmin,
    Support,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a platform staff user (platform_admin or support).
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Platform admin")]
        display_name: String,
        #[arg(long, value_enum, default_value = "platform-admin")]
        role: StaffRole,
        /// Password (also `CENTRALITA_ADMIN_PASSWORD`); generated and printed when absent.
        #[arg(long, env = "CENTRALITA_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.init(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        let spec = centralita_api::openapi().to_pretty_json()?;
        println!("{spec}");
        return Ok(());
    }
    // A client of a running server: no configuration, database or logging of its own.
    if let Command::Installs {
        command: InstallsCommand::Watch { id, url, token },
    } = &command
    {
        let api = centralita::watch::Api {
            url: url.trim_end_matches('/').to_owned(),
            token: token.clone(),
        };
        let succeeded = centralita::watch::watch(&api, id).await?;
        std::process::exit(if succeeded { 0 } else { 1 });
    }
    let config =
        Config::load(cli.config.as_deref()).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    init_logging(config.log_format);
    match command {
        Command::Serve | Command::Api => {
            let mode = if matches!(command, Command::Serve) {
                Mode::Serve
            } else {
                Mode::Api
            };
            let app = Application::build(config, mode, BuildOptions::default()).await?;
            tracing::info!(port = app.port(), "listening");
            app.run_until_stopped().await
        }
        Command::Worker { concurrency } => {
            centralita::run_worker(config, usize::from(concurrency)).await
        }
        Command::Migrate => {
            let db = dcore::connect(&config, None).await?;
            centralita::migrate(&db).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::CreateUser {
                    email,
                    display_name,
                    role,
                    password,
                },
        } => {
            let db = dcore::connect(&config, None).await?;
            centralita::migrate(&db).await?;
            let core = Core::build(config, db).await?;
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (random_token(18), true),
            };
            let role = match role {
                StaffRole::PlatformAdmin => Role::PlatformAdmin,
                StaffRole::Support => Role::Support,
            };
            let user = auth::create_staff_user(&core, &email, &display_name, role, &password)
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "{}: {}",
                        e.detail,
                        e.errors
                            .iter()
                            .map(|f| format!("{} {}", f.field, f.message))
                            .collect::<Vec<_>>()
                            .join("; ")
                    )
                })?;
            println!(
                "Created {} {} ({})",
                user.role.as_str(),
                user.email,
                user.id
            );
            if generated {
                println!("Password (shown only this once): {password}");
            }
            Ok(())
        }
        Command::Openapi | Command::Installs { .. } => Ok(()),
    }
}
