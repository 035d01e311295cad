//! `frontline report evidence | bake-off | verify`.

use super::connect;
use anyhow::Context;
use clap::Subcommand;
use frontline::configuration::Settings;
use std::path::PathBuf;

/// What `frontline report` does.
#[derive(Subcommand)]
pub enum ReportAction {
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

/// `frontline report …`.
pub fn report(settings: &Settings, action: ReportAction) -> anyhow::Result<()> {
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
