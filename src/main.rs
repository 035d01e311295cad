//! The `frontline` binary: `serve`, `migrate`, `import event-log`, `metrics rebuild`,
//! `report evidence`, `report bake-off`, `report verify`, `user create`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use diesel::prelude::*;
use frontline::configuration::{Settings, config_dir};
use frontline::domain::email::EmailAddress;
use frontline::import::event_log::{ImportOptions, Mapping, import_file};
use frontline::models::enums::{EmploymentType, UserRole};
use frontline::models::staff;
use frontline::startup::Application;
use frontline::{auth, db, telemetry};
use secrecy::{ExposeSecret, SecretString};
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

#[derive(Subcommand)]
enum ReportAction {
    /// Build an evidence report (JSON, docs/REPORTS.md) from the database.
    Evidence {
        /// `company`, or `team:ID`, `agent:ID`, `technician:ID`, `organization:ID`, `site:ID`.
        #[arg(long)]
        scope: String,
        /// First day of the eligibility period (YYYY-MM-DD, local in --time-zone).
        #[arg(long)]
        from: String,
        /// Day after its last (exclusive).
        #[arg(long)]
        to: String,
        /// `previous`, `year_earlier`, or `FROM..TO` (dates).
        #[arg(long, default_value = "previous")]
        compare: String,
        /// contact_center_of_the_year, customer_service_team, front_line_professional,
        /// field_service_team or training_innovation.
        #[arg(long)]
        category: String,
        /// The essay's word limit (50–5000).
        #[arg(long, default_value_t = 500)]
        words: u32,
        /// IANA zone of the dates.
        #[arg(long, default_value = "UTC")]
        time_zone: String,
        /// The instant the figures are taken at (RFC 3339; default now).
        #[arg(long)]
        as_of: Option<String>,
        /// Bootstrap seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Bootstrap resamples (100–10000).
        #[arg(long)]
        resamples: Option<usize>,
        /// An imported data set's label: the report is over its tickets (default: the
        /// company's own).
        #[arg(long, value_name = "LABEL")]
        source: Option<String>,
        /// A business calendar's id: every business duration measured on it (default: each
        /// ticket's own calendar).
        #[arg(long, value_name = "ID")]
        calendar: Option<i64>,
        /// `json` (the document `report verify` reads), `html` (one self-contained page),
        /// `markdown` or `csv` (one row per figure); all are written from the JSON.
        #[arg(long, default_value = "json", value_parser = ["json", "html", "markdown", "csv"])]
        format: String,
        /// Write the report here (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Build a bake-off report (JSON, docs/REPORTS.md "Bake-off") under a protocol: a protocol
    /// FILE (JSON, the body of `POST /api/v1/bake-off/protocols`) is registered first (or found,
    /// when the same protocol was registered before), then the figures are computed.
    BakeOff {
        /// The protocol's JSON file.
        #[arg(
            long,
            conflicts_with = "protocol_id",
            required_unless_present = "protocol_id"
        )]
        protocol: Option<PathBuf>,
        /// A registered protocol's id.
        #[arg(long)]
        protocol_id: Option<i64>,
        /// The instant the figures are taken at (RFC 3339; default now).
        #[arg(long)]
        as_of: Option<String>,
        /// `json` (the document `report verify` reads), `html`, `markdown` or `csv`.
        #[arg(long, default_value = "json", value_parser = ["json", "html", "markdown", "csv"])]
        format: String,
        /// Write the report here (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Recompute a report FILE (evidence or bake-off) from the database and say, figure by
    /// figure, whether it still matches (`ok ID` or `CHANGED ID: was …, now …`); non-zero exit
    /// on any change.
    Verify {
        /// The report's JSON.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Create a staff account. The password is read from a prompt on a terminal, otherwise from
    /// the first line of standard input.
    Create {
        /// admin, manager, agent or technician.
        #[arg(long, value_parser = parse_role)]
        role: UserRole,
        /// Log-in email.
        #[arg(long)]
        email: String,
        /// Display name (default: the email).
        #[arg(long)]
        name: Option<String>,
        /// employee or contractor.
        #[arg(long, default_value = "employee", value_parser = parse_employment)]
        employment_type: EmploymentType,
    },
}

fn parse_role(s: &str) -> Result<UserRole, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("`{s}` is not one of admin, manager, agent, technician"))
}

fn parse_employment(s: &str) -> Result<EmploymentType, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("`{s}` is not one of employee, contractor"))
}

#[derive(Subcommand)]
enum ImportSource {
    /// An event-log CSV: one row per ticket event.
    EventLog {
        /// The CSV file.
        file: PathBuf,
        /// The mapping (TOML): its columns, timestamp format and zone, source values, activities,
        /// and what created teams and staff are (docs/IMPORT.md).
        #[arg(long)]
        mapping: PathBuf,
        /// All or nothing: the first row that is skipped (unreadable) or refused (by the ticket
        /// state machine) aborts the import with a non-zero exit, and nothing is written (the
        /// import is one transaction). Without it such rows are reported with their line and the
        /// rest is imported; the exit is non-zero only when no row was imported.
        #[arg(long)]
        strict: bool,
        /// Do nothing when the database already holds tickets.
        #[arg(long)]
        if_empty: bool,
        /// Import an outside data set (a rival's export, a vendor's log) under this label: it
        /// is kept on every ticket, and figures, lists and reports read it only when asked for
        /// (`source=LABEL`). Lowercase letters, digits, `_`, `.`, `-` (at most 63).
        #[arg(long, value_name = "LABEL")]
        source: Option<String>,
    },
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

/// A created account, for the confirmation line.
struct CreatedUser {
    id: i64,
    email: String,
    role: UserRole,
}

impl CreatedUser {
    fn role_name(&self) -> String {
        serde_json::to_value(self.role)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    }
}

fn read_password() -> anyhow::Result<SecretString> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Password again: ")?;
        anyhow::ensure!(first == second, "the passwords differ");
        Ok(SecretString::from(first))
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(SecretString::from(
            line.trim_end_matches(['\r', '\n']).to_string(),
        ))
    }
}

fn create_user(
    settings: &Settings,
    role: UserRole,
    email: &str,
    name: Option<&str>,
    employment_type: EmploymentType,
    password: &SecretString,
) -> anyhow::Result<CreatedUser> {
    let email = EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
    auth::password::check_policy(password.expose_secret())
        .map_err(|e| anyhow::anyhow!("password {e}"))?;
    let hash = auth::password::hash(password.expose_secret())?;
    let mut conn = connect(settings)?;
    let staff = staff::create_staff_tx(
        &mut conn,
        &staff::NewStaff {
            name: name.unwrap_or(email.as_str()),
            email: Some(email.as_str()),
            role,
            employment_type,
            team_id: None,
            password_hash: Some(&hash),
            skills: None,
            also_agent: None,
        },
    )
    .map_err(|e| match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => anyhow::anyhow!("a staff account with email {email} already exists"),
        other => other.into(),
    })?;
    tracing::info!(target: "audit", { user.id = staff.id }, "staff account created");
    Ok(CreatedUser {
        id: staff.id,
        email: email.to_string(),
        role,
    })
}

/// Creates the configured first admin when no account can log in yet; returns how to log in.
fn bootstrap_admin(settings: &Settings) -> anyhow::Result<Option<String>> {
    let email = &settings.bootstrap.admin_email;
    if email.is_empty() {
        return Ok(None);
    }
    let mut conn = connect(settings)?;
    use frontline::schema::users;
    let any_login: bool = diesel::select(diesel::dsl::exists(
        users::table.filter(users::password_hash.is_not_null()),
    ))
    .get_result(&mut conn)?;
    let password = &settings.bootstrap.admin_password;
    if !any_login {
        create_user(
            settings,
            UserRole::Admin,
            email,
            Some("Administrator"),
            EmploymentType::Employee,
            password,
        )?;
        eprintln!("created the first admin account {email}");
    }
    Ok(Some(format!(
        "{{\"email\":\"{email}\",\"password\":\"{}\"}}",
        password.expose_secret()
    )))
}

/// `frontline report …`.
fn report(settings: &Settings, action: ReportAction) -> anyhow::Result<()> {
    use frontline::reports::{self, EvidenceRequest};
    match action {
        ReportAction::Evidence {
            scope,
            from,
            to,
            compare,
            category,
            words,
            time_zone,
            as_of,
            seed,
            resamples,
            source,
            calendar,
            format,
            out,
        } => {
            let (kind, id) = match scope.split_once(':') {
                Some((k, id)) => (
                    k.to_string(),
                    Some(
                        id.parse::<i64>()
                            .with_context(|| format!("--scope: `{id}` is not an id"))?,
                    ),
                ),
                None => (scope.clone(), None),
            };
            let (comparison, cf, ct) = match compare.split_once("..") {
                Some((a, b)) => (
                    "dates".to_string(),
                    Some(a.to_string()),
                    Some(b.to_string()),
                ),
                None => (compare.clone(), None, None),
            };
            let request: EvidenceRequest = serde_json::from_value(serde_json::json!({
                "scope": kind, "scope_id": id, "from": from, "to": to, "time_zone": time_zone,
                "comparison": comparison, "comparison_from": cf, "comparison_to": ct,
                "category": category, "word_limit": words, "as_of": as_of,
                "bootstrap_seed": seed, "bootstrap_resamples": resamples, "source": source,
                "calendar": calendar,
            }))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let params = request
                .parse(chrono::Utc::now())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut conn = connect(settings)?;
            let document = reports::generate(&mut conn, &params)?;
            let json = document.to_json()?;
            let bytes = match format.as_str() {
                "html" => reports::render::html(&document)?.into_bytes(),
                "markdown" => reports::render::markdown(&document)?.into_bytes(),
                "csv" => reports::csv::figures_csv(&serde_json::from_str(&json)?)?,
                _ => json.into_bytes(),
            };
            write_output(out, &bytes)
        }
        ReportAction::BakeOff {
            protocol,
            protocol_id,
            as_of,
            format,
            out,
        } => {
            use frontline::reports::bakeoff;
            let mut conn = connect(settings)?;
            let id = match (protocol, protocol_id) {
                (Some(path), _) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    let request: bakeoff::ProtocolRequest = serde_json::from_str(&text)
                        .with_context(|| format!("{}: not a bake-off protocol", path.display()))?;
                    let protocol = request.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
                    let (registered, new) = bakeoff::protocol::register(&mut conn, &protocol, None)
                        .map_err(|e| match e {
                            diesel::result::Error::NotFound => anyhow::anyhow!(
                                "calendar: no business calendar {}",
                                protocol.calendar.unwrap_or_default()
                            ),
                            other => other.into(),
                        })?;
                    eprintln!(
                        "protocol {} {} (SHA-256 {})",
                        registered.id,
                        if new {
                            "registered"
                        } else {
                            "already registered"
                        },
                        registered.sha256
                    );
                    registered.id
                }
                (None, Some(id)) => id,
                (None, None) => anyhow::bail!("--protocol FILE or --protocol-id N is required"),
            };
            let as_of = match as_of {
                Some(t) => chrono::DateTime::parse_from_rfc3339(&t)
                    .with_context(|| format!("--as-of: `{t}` is not an RFC 3339 instant"))?
                    .to_utc(),
                None => chrono::Utc::now(),
            };
            let document = bakeoff::generate(&mut conn, id, as_of)?;
            let bytes = match format.as_str() {
                "html" => bakeoff::render::html(&document)?.into_bytes(),
                "markdown" => bakeoff::render::markdown(&document).into_bytes(),
                "csv" => bakeoff::render::csv(&document)?,
                _ => document.to_json()?.into_bytes(),
            };
            write_output(out, &bytes)
        }
        ReportAction::Verify { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            if let Ok(old) =
                serde_json::from_str::<frontline::reports::bakeoff::BakeOffDocument>(&text)
            {
                use frontline::reports::bakeoff;
                let mut conn = connect(settings)?;
                let new =
                    bakeoff::generate(&mut conn, old.parameters.protocol_id, old.parameters.as_of)?;
                let outcome = bakeoff::compare(&old, &new);
                for line in &outcome.lines {
                    println!("{line}");
                }
                if outcome.passed() {
                    return Ok(());
                }
                anyhow::bail!(
                    "the report no longer matches the database: {} item(s) changed",
                    outcome.changed.len()
                );
            }
            let (stored, params) = reports::verify::parameters_of(&text)?;
            let mut conn = connect(settings)?;
            let document = reports::generate(&mut conn, &params)?;
            let outcome = reports::verify::compare(&stored, &document);
            for line in &outcome.lines {
                println!("{line}");
            }
            if outcome.passed() {
                Ok(())
            } else {
                anyhow::bail!(
                    "the report no longer matches the database: manifest {}, {} figure(s) changed",
                    if outcome.manifest_matches {
                        "unchanged"
                    } else {
                        "changed"
                    },
                    outcome.changed.len()
                )
            }
        }
    }
}

/// Writes a report's bytes to `out`, or to standard output.
fn write_output(out: Option<PathBuf>, bytes: &[u8]) -> anyhow::Result<()> {
    match out {
        Some(path) => {
            std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
        }
        None => Ok(std::io::Write::write_all(&mut std::io::stdout(), bytes)?),
    }
}

fn connect(settings: &Settings) -> anyhow::Result<PgConnection> {
    let mut conn =
        PgConnection::establish(settings.database.url().expose_secret()).with_context(|| {
            format!(
                "cannot connect to database `{}` on {}:{} (`make db` creates it; it reads the same \
             FRONTLINE__DATABASE__… variables)",
                settings.database.database_name, settings.database.host, settings.database.port
            )
        })?;
    diesel::RunQueryDsl::execute(diesel::sql_query(db::JIT_OFF), &mut conn)?;
    Ok(conn)
}

fn migrate(settings: &Settings) -> anyhow::Result<Vec<String>> {
    let mut conn = connect(settings)?;
    let applied = db::migrate(&mut conn)?;
    for name in &applied {
        tracing::info!(migration = %name, "applied migration");
    }
    // An upgrade that changed the projection's definition recomputes it (once).
    let started = std::time::Instant::now();
    if let Some(report) = frontline::metrics::ensure_projection_current(&mut conn)? {
        println!(
            "metrics projection upgraded to version {}: recomputed {} tickets in {:.1} s, {} differed",
            frontline::metrics::PROJECTION_VERSION,
            report.tickets,
            started.elapsed().as_secs_f64(),
            report.changed_tickets
        );
    }
    Ok(applied)
}

fn import(
    settings: &Settings,
    file: &std::path::Path,
    mapping: &std::path::Path,
    strict: bool,
    if_empty: bool,
    source: Option<String>,
) -> anyhow::Result<()> {
    if let Some(label) = source.as_deref() {
        anyhow::ensure!(
            frontline::import::event_log::valid_source_label(label),
            "--source `{label}`: a label is 1 to 63 lowercase letters, digits, `_`, `.` or `-`, \
             starting with a letter or a digit"
        );
    }
    let mapping = Mapping::load(mapping)?;
    let mut conn = connect(settings)?;
    {
        use diesel_migrations::MigrationHarness;
        let pending = conn
            .pending_migrations(db::MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("cannot read the migration state: {e}"))?;
        anyhow::ensure!(
            pending.is_empty(),
            "the database `{}` is not migrated: run `frontline migrate` first",
            settings.database.database_name
        );
    }
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
    let started = std::time::Instant::now();
    let summary = import_file(
        &mut conn,
        file,
        &mapping,
        ImportOptions {
            strict,
            progress: std::io::stderr().is_terminal(),
            source,
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
    // Nothing imported and nothing already there: the mapping or the file is wrong (exit 1).
    if summary.rows_imported == 0 && summary.tickets_already_present == 0 {
        anyhow::bail!(
            "{}: no row was imported; check the mapping's columns and activities",
            file.display()
        );
    }
    Ok(())
}

fn serve(settings: Settings, login_hint: Option<String>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let system = actix_web::rt::System::with_tokio_rt(|| runtime);
    system.block_on(async move {
        let host = settings.application.host.clone();
        let pool = db::pool(&settings.database);
        let runner = frontline::workers::start(&settings, pool.clone())?;
        let mail = match settings.email.transport {
            frontline::configuration::MailTransport::File => format!(
                "written as .eml files under {}",
                std::fs::canonicalize(&settings.email.file_dir)
                    .unwrap_or_else(|_| settings.email.file_dir.clone())
                    .display()
            ),
            frontline::configuration::MailTransport::Smtp => format!(
                "sent through SMTP {}:{}",
                settings.email.smtp_host, settings.email.smtp_port
            ),
        };
        let workers_on = settings.workers.enabled;
        let links = settings.email.public_base_url.clone();
        let app = Application::build_with_pool(settings, pool.clone())?;
        // Load the metrics store now rather than on a manager's first request (at a million
        // tickets that takes seconds); requests arriving meanwhile wait for it.
        let store = app.metrics_store();
        let store_pool = pool.clone();
        actix_web::rt::task::spawn_blocking(move || {
            if let Err(e) = store.read(&store_pool, |_, _| Ok(())) {
                tracing::warn!(error = %e, "metrics store not loaded at start-up");
            }
        });
        let base = format!("http://{host}:{}", app.port());
        println!("Frontline is serving on {base}  (Ctrl-C stops it)");
        println!("  {base}/login            (managers' dashboard: log in with a manager or admin account)");
        println!("  {base}/docs/            (Swagger UI)");
        println!("  {base}/api/v1/openapi.json");
        println!("  {base}/readyz");
        if workers_on {
            println!("Customer emails are {mail}; their survey and unsubscribe links point at {links} (email.public_base_url)");
        } else {
            println!("Customer emails are queued but not sent: workers.enabled is false");
        }
        if let Some(credentials) = login_hint {
            println!("Log in (the development admin; change its password before real use):");
            println!(
                "  TOKEN=$(curl -s -H 'content-type: application/json' -d '{credentials}' \\\n    {base}/api/v1/auth/login | sed 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/')"
            );
        } else {
            println!("Log in with POST {base}/api/v1/auth/login (create an account with `frontline user create`).");
        }
        println!("Then:");
        println!("  curl -s -H \"Authorization: Bearer $TOKEN\" {base}/api/v1/metrics/summary");
        println!("  curl -s -H \"Authorization: Bearer $TOKEN\" '{base}/api/v1/tickets?status=solved&per_page=5'");
        println!("  curl -s -H \"Authorization: Bearer $TOKEN\" {base}/api/v1/tickets/1");
        let served = app.run_until_stopped().await;
        // The jobs stop with the server, after the pass each may be in.
        runner.shutdown().await;
        served?;
        tracing::info!("server stopped");
        Ok(())
    })
}
