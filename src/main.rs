//! The `frontline` binary: `serve`, `migrate`, `import event-log`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use diesel::prelude::*;
use frontline::configuration::{Settings, config_dir};
use frontline::import::event_log::{ImportOptions, Mapping, import_file};
use frontline::startup::Application;
use frontline::{db, telemetry};
use secrecy::ExposeSecret;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "frontline",
    version,
    about = "Contact-center ticketing backend"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (migrates first when `application.migrate_on_start`).
    Serve {
        /// Import `bootstrap.event_log` first when the database holds no ticket.
        #[arg(long)]
        bootstrap: bool,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Import outside history.
    Import {
        #[command(subcommand)]
        source: ImportSource,
    },
}

#[derive(Subcommand)]
enum ImportSource {
    /// An event-log CSV: one row per ticket event.
    EventLog {
        /// The CSV file.
        file: PathBuf,
        /// The mapping (TOML) of its columns and activities.
        #[arg(long)]
        mapping: PathBuf,
        /// Abort on the first skipped or refused row; nothing is written.
        #[arg(long)]
        strict: bool,
        /// Do nothing when the database already holds tickets.
        #[arg(long)]
        if_empty: bool,
    },
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(&config_dir())?;
    telemetry::init(settings.log.format, &settings.log.filter);
    match cli.command {
        Command::Migrate => {
            let applied = migrate(&settings)?;
            println!("applied {} migration(s)", applied.len());
            Ok(())
        }
        Command::Import {
            source:
                ImportSource::EventLog {
                    file,
                    mapping,
                    strict,
                    if_empty,
                },
        } => import(&settings, &file, &mapping, strict, if_empty),
        Command::Serve { bootstrap } => {
            if settings.application.migrate_on_start {
                migrate(&settings)?;
            }
            if bootstrap && !settings.bootstrap.event_log.is_empty() {
                import(
                    &settings,
                    &PathBuf::from(&settings.bootstrap.event_log),
                    &PathBuf::from(&settings.bootstrap.event_log_mapping),
                    false,
                    true,
                )?;
            }
            serve(settings)
        }
    }
}

fn connect(settings: &Settings) -> anyhow::Result<PgConnection> {
    PgConnection::establish(settings.database.url().expose_secret()).with_context(|| {
        format!(
            "cannot connect to database `{}` on {}:{} (run `make db`?)",
            settings.database.database_name, settings.database.host, settings.database.port
        )
    })
}

fn migrate(settings: &Settings) -> anyhow::Result<Vec<String>> {
    let mut conn = connect(settings)?;
    let applied = db::migrate(&mut conn)?;
    for name in &applied {
        tracing::info!(migration = %name, "applied migration");
    }
    Ok(applied)
}

fn import(
    settings: &Settings,
    file: &std::path::Path,
    mapping: &std::path::Path,
    strict: bool,
    if_empty: bool,
) -> anyhow::Result<()> {
    let mut conn = connect(settings)?;
    if if_empty {
        use frontline::schema::tickets;
        let any: bool = diesel::select(diesel::dsl::exists(tickets::table.select(tickets::id)))
            .get_result(&mut conn)?;
        if any {
            eprintln!(
                "database already holds tickets: import of {} skipped",
                file.display()
            );
            return Ok(());
        }
    }
    let mapping = Mapping::load(mapping)?;
    let started = std::time::Instant::now();
    let summary = import_file(
        &mut conn,
        file,
        &mapping,
        ImportOptions {
            strict,
            progress: std::io::stderr().is_terminal(),
        },
    )?;
    for issue in &summary.issues {
        eprintln!("{}: {issue}", file.display());
    }
    eprintln!(
        "{}: {summary} in {:.2} s",
        file.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let system = actix_web::rt::System::with_tokio_rt(|| runtime);
    system.block_on(async move {
        let host = settings.application.host.clone();
        let app = Application::build(settings)?;
        let base = format!("http://{host}:{}", app.port());
        println!("Frontline is serving on {base}  (Ctrl-C stops it)");
        println!("  {base}/api/v1/metrics/summary");
        println!("  {base}/api/v1/tickets?status=solved&per_page=5");
        println!("  {base}/api/v1/tickets/1");
        println!("  {base}/docs/            (Swagger UI)");
        println!("  {base}/api/v1/openapi.json");
        println!("  {base}/readyz");
        app.run_until_stopped().await?;
        tracing::info!("server stopped");
        Ok(())
    })
}
