//! The subcommands of the `frontline` binary, one module each (`main.rs` parses the command
//! line and dispatches): `import`, `report`, `serve` and `user`, and the connection and
//! migration every command shares.

pub mod import;
pub mod report;
pub mod serve;
pub mod user;

use anyhow::Context;
use diesel::prelude::*;
use frontline::configuration::Settings;
use frontline::db;
use secrecy::ExposeSecret;

/// A connection to the configured database (JIT off, as the pool's connections).
pub fn connect(settings: &Settings) -> anyhow::Result<PgConnection> {
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

/// Applies the pending migrations (and recomputes the metrics projection when an upgrade
/// changed its definition); returns the names of those applied.
pub fn migrate(settings: &Settings) -> anyhow::Result<Vec<String>> {
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
