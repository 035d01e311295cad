//! The `frontline` binary: `serve`, `migrate`, `import event-log`, `metrics rebuild`,
//! `report evidence`, `report bake-off`, `report verify`, `user create`.

mod cli;

use clap::{Parser, Subcommand};
use cli::import::{ImportSource, import};
use cli::report::{ReportAction, report};
use cli::serve::serve;
use cli::user::{UserAction, bootstrap_admin, create_user, read_password};
use cli::{connect, migrate};
use frontline::configuration::{Settings, config_dir};
use frontline::telemetry;
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
    /// Per-ticket metrics.
    Metrics {
        #[command(subcommand)]
        action: MetricsAction,
    },
    /// Generate the demo company and its tickets (deterministic: same seed, same data).
    Seed {
        /// `demo`: a few thousand tickets through the API's ticket-write code; `scale`: a
        /// million, bulk-loaded with COPY (same content for the same options).
        #[arg(long, value_parser = ["demo", "scale"], default_value = "demo")]
        profile: String,
        /// Tickets created in the 12-month window (follow-ups come on top); default 5,000
        /// (demo) or 1,000,000 (scale).
        #[arg(long)]
        tickets: Option<usize>,
        /// Seed of the generator.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// End of the window (exclusive, midnight UTC); the window is the 365 days before.
        #[arg(long, default_value = "2026-11-01")]
        until: chrono::NaiveDate,
        /// Add to a database that already holds data (the company is reused by name).
        #[arg(long, conflicts_with = "if_empty")]
        append: bool,
        /// Do nothing when the database already holds data (for scripts such as `make demo`).
        #[arg(long)]
        if_empty: bool,
        /// Store through `domain` (the API's code) or `bulk` (COPY) instead of the profile's own.
        #[arg(long, value_parser = ["domain", "bulk"])]
        writer: Option<String>,
        /// Print the content digest when done (compare two runs).
        #[arg(long)]
        digest: bool,
    },
    /// Reports: the evidence report, and verifying one against the database.
    Report {
        // Boxed: the evidence report's options outweigh every other command's.
        #[command(subcommand)]
        action: Box<ReportAction>,
    },
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
}

#[derive(Subcommand)]
enum MetricsAction {
    /// Recompute every ticket's metrics from its event log; report (and replace) any row that
    /// differed. A healthy database reports none.
    Rebuild,
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The cause chain, skipping causes already quoted by the message above them.
            let mut message = e.to_string();
            for cause in e.chain().skip(1) {
                let text = cause.to_string();
                if !message.contains(&text) {
                    message = format!("{message}: {text}");
                }
            }
            eprintln!("error: {message}");
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
                    source,
                },
        } => import(&settings, &file, &mapping, strict, if_empty, source),
        Command::Report { action } => report(&settings, *action),
        Command::Metrics {
            action: MetricsAction::Rebuild,
        } => {
            let mut conn = connect(&settings)?;
            let started = std::time::Instant::now();
            let report = frontline::metrics::rebuild(&mut conn, 1000)?;
            for d in &report.differences {
                eprintln!(
                    "ticket {}: stored {} ≠ recomputed {}",
                    d.ticket_id, d.stored, d.recomputed
                );
            }
            for d in &report.field_differences {
                eprintln!(
                    "work order {}: stored {} ≠ recomputed {}",
                    d.work_order_id, d.stored, d.recomputed
                );
            }
            println!(
                "rebuilt the metrics of {} tickets and {} work orders in {:.2} s: {} and {} differed; {} SLA outcome credits replaced",
                report.tickets,
                report.work_orders,
                started.elapsed().as_secs_f64(),
                report.changed_tickets,
                report.changed_work_orders,
                report.changed_clocks
            );
            Ok(())
        }
        Command::Seed {
            profile,
            tickets,
            seed,
            until,
            append,
            if_empty,
            writer,
            digest,
        } => {
            use frontline::seed::{Profile, SeedOptions, Writer};
            let profile = if profile == "scale" {
                Profile::Scale
            } else {
                Profile::Demo
            };
            let mut options = SeedOptions::for_profile(profile);
            if let Some(n) = tickets {
                options.tickets = n;
            }
            options.seed = seed;
            options.until = until;
            options.append = append;
            options.progress = std::io::stderr().is_terminal();
            match writer.as_deref() {
                Some("domain") => options.writer = Writer::Domain,
                Some("bulk") => options.writer = Writer::Bulk,
                _ => {}
            }
            options.validate()?;
            migrate(&settings)?;
            let mut conn = connect(&settings)?;
            if if_empty && let Some(table) = frontline::seed::first_non_empty(&mut conn)? {
                println!("the database already holds data (table {table}); nothing seeded");
                return Ok(());
            }
            let started = std::time::Instant::now();
            // The bulk writer computes full-text vectors on a second connection meanwhile.
            let helper = match options.writer {
                Writer::Bulk => Some(connect(&settings)?),
                Writer::Domain => None,
            };
            let report = frontline::seed::run_with_helper(&mut conn, helper, &options)?;
            println!(
                "seeded {} tickets ({} follow-ups), {} events in {:.1} s (seed {}, window ending {})",
                report.tickets,
                report.follow_ups,
                report.events,
                started.elapsed().as_secs_f64(),
                options.seed,
                options.until
            );
            for (role, email) in &report.logins {
                println!(
                    "  log in as {role}: {email} / {}",
                    frontline::seed::DEMO_PASSWORD
                );
            }
            if digest {
                println!(
                    "content digest: {}",
                    frontline::seed::content_digest(&mut conn)?
                );
            }
            Ok(())
        }
        Command::User {
            action:
                UserAction::Create {
                    role,
                    email,
                    name,
                    employment_type,
                },
        } => {
            let password = read_password()?;
            let staff = create_user(
                &settings,
                role,
                &email,
                name.as_deref(),
                employment_type,
                &password,
            )?;
            println!(
                "created {} {} (id {})",
                staff.role_name(),
                staff.email,
                staff.id
            );
            Ok(())
        }
        Command::Serve { bootstrap } => {
            if settings.application.migrate_on_start {
                migrate(&settings)?;
            }
            let mut login_hint = None;
            if bootstrap {
                if !settings.bootstrap.event_log.is_empty() {
                    import(
                        &settings,
                        &PathBuf::from(&settings.bootstrap.event_log),
                        &PathBuf::from(&settings.bootstrap.event_log_mapping),
                        false,
                        true,
                        None,
                    )?;
                }
                login_hint = bootstrap_admin(&settings)?;
            }
            serve(settings, login_hint)
        }
    }
}
