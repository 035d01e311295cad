//! `frontline import event-log`.

use super::connect;
use clap::Subcommand;
use diesel::prelude::*;
use frontline::configuration::Settings;
use frontline::db;
use frontline::import::event_log::{ImportOptions, Mapping, import_file};
use std::io::IsTerminal;
use std::path::PathBuf;

/// What `frontline import` reads.
#[derive(Subcommand)]
pub enum ImportSource {
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

/// Imports the event-log CSV `file` with `mapping` (`--strict`, `--if-empty`, `--source`).
pub fn import(
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
