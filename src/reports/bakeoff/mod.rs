//! The **bake-off report** (issue 14; docs/REPORTS.md, "Bake-off"): two cohorts measured on the
//! same definitions over one period, under a protocol registered and hashed before any figure
//! is computed.
//!
//! ```text
//! protocol  ProtocolRequest → Protocol (422 naming the field); register (hash, immutable row)
//! inputs    the observations of both cohorts, attributed, in one snapshot (SQL)
//! compute   per metric: figures, intervals, difference, effect size, p, Holm, verdict; strata
//! render    Markdown, HTML (inline SVG charts), CSV — from the JSON document alone
//! ```
//!
//! The JSON document ([`BakeOffDocument`]) is the source of every other format; `frontline
//! report verify FILE` recomputes it from the database and compares figure by figure.

pub mod beside_sql;
pub mod compute;
pub mod inputs;
mod periods;
pub mod protocol;
pub mod render;
pub mod ticket_sql;

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use compute::{MetricResult, StratumResults};
pub use protocol::{BakeOffMetric, Protocol, ProtocolRequest, RegisteredProtocol};

/// The document's format name (the `format` field).
pub const FORMAT: &str = "frontline.bake_off.v1";
/// The name of the canonical form of the observations the manifest hashes.
pub const CANONICAL_FORM: &str = "frontline.bake_off.observations.v1";

/// The protocol a report was computed under, cited by its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProtocolCitation {
    /// `bake_off_protocols.id`.
    pub id: i64,
    /// SHA-256 (lowercase hex) of the protocol's canonical JSON.
    pub sha256: String,
    /// When it was registered (UTC): before any figure of this report was computed.
    pub registered_at: DateTime<Utc>,
    /// The protocol.
    pub protocol: Protocol,
}

/// The report's parameters: the protocol and the instant (stored with the report; re-read by
/// `report verify`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BakeOffParams {
    /// `bake_off_protocols.id`.
    pub protocol_id: i64,
    /// Its SHA-256.
    pub protocol_sha256: String,
    /// The instant the figures are taken at (whole seconds, UTC).
    pub as_of: DateTime<Utc>,
}

/// What a cohort is, as the report prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CohortSummary {
    /// `a` or `b`.
    pub key: String,
    /// The protocol's label.
    pub label: String,
    /// The filters in words, e.g. `sourcing = outsourced; channels: phone, email`.
    pub filters: String,
}

/// The calendar business durations were measured on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CalendarUsed {
    /// The calendar's id; `null`: each ticket's own.
    pub id: Option<i64>,
    /// What the report says about it.
    pub description: String,
}

/// The integrity manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BakeOffManifest {
    /// `SHA-256`.
    pub algorithm: String,
    /// [`CANONICAL_FORM`].
    pub canonical_form: String,
    /// The protocol's hash (as cited).
    pub protocol_sha256: String,
    /// SHA-256 of the observation lines.
    pub inputs_sha256: String,
    /// SHA-256 over the parameters' JSON, `\n`, and the observation lines.
    pub sha256: String,
    /// Observation lines.
    pub observations: u64,
}

/// The bake-off report's JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BakeOffDocument {
    /// [`FORMAT`].
    pub format: String,
    /// The protocol's name.
    pub title: String,
    /// The parameters.
    pub parameters: BakeOffParams,
    /// The protocol, cited by hash.
    pub protocol: ProtocolCitation,
    /// Cohorts A and B.
    pub cohorts: Vec<CohortSummary>,
    /// The calendar of the business durations.
    pub calendar: CalendarUsed,
    /// Per metric, in the protocol's order; Holm's correction across them.
    pub results: Vec<MetricResult>,
    /// Per stratum (Holm's correction within each).
    pub strata: Vec<StratumResults>,
    /// Definitions, attribution, tests, corrections, flags and what was left out.
    pub methodology: Vec<String>,
    /// SHA-256 over the parameters and the observations.
    pub manifest: BakeOffManifest,
}

impl BakeOffDocument {
    /// The document's JSON (compact, fields in declaration order): what is stored and hashed by
    /// a judge.
    ///
    /// # Errors
    /// Serialization errors (none in practice).
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string(self)
    }

    /// Every figure, overall then per stratum.
    pub fn figures(&self) -> impl Iterator<Item = &MetricResult> {
        self.results
            .iter()
            .chain(self.strata.iter().flat_map(|s| s.results.iter()))
    }
}

/// Why a bake-off report cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum BakeOffError {
    /// No such protocol.
    #[error("no bake-off protocol {0}")]
    UnknownProtocol(i64),
    /// The protocol's calendar does not exist.
    #[error("no business calendar {0}")]
    UnknownCalendar(i64),
    /// `as_of` is before the period's start.
    #[error("as_of must not be before the period's start")]
    AsOfTooEarly,
    /// A stratum has more values than a report can hold (65,536).
    #[error("stratum {0} has more than 65,536 values")]
    TooManyStrata(String),
    /// A duration of 68 years or more in the data (the metric's id, the unit's id).
    #[error("a {0} of {1} is 68 years or longer")]
    TooLong(String, i64),
    /// A database error.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<inputs::InputError> for BakeOffError {
    fn from(e: inputs::InputError) -> Self {
        match e {
            inputs::InputError::UnknownCalendar(id) => BakeOffError::UnknownCalendar(id),
            inputs::InputError::TooManyStrata(s) => BakeOffError::TooManyStrata(s.as_str().into()),
            inputs::InputError::TooLong(m, unit) => BakeOffError::TooLong(m.id().into(), unit),
            inputs::InputError::Database(e) => BakeOffError::Database(e),
        }
    }
}

/// Calls `emit` with each canonical observation line, in order (metric in the protocol's order,
/// then unit): `metric<TAB>cohorts<TAB>unit<TAB>value<TAB>strata…\n`, `cohorts` being `a`, `b`
/// or `ab`, strata values in the protocol's order.
pub fn write_canonical(observations: &inputs::Observations, mut emit: impl FnMut(&str)) {
    let mut line = String::with_capacity(96);
    let strata = observations.strata_values.len();
    for o in &observations.rows {
        line.clear();
        let cohorts = match (o.a, o.b) {
            (true, true) => "ab",
            (true, false) => "a",
            _ => "b",
        };
        // Field by field, integers without `fmt`: six million lines at a million tickets.
        line.push_str(o.metric.id());
        line.push('\t');
        line.push_str(cohorts);
        line.push('\t');
        line.push_str(itoa::Buffer::new().format(o.unit));
        line.push('\t');
        line.push_str(itoa::Buffer::new().format(o.value));
        for k in 0..strata {
            line.push('\t');
            line.push_str(observations.stratum(o, k));
        }
        line.push('\n');
        emit(&line);
    }
}

fn manifest(params: &BakeOffParams, observations: &inputs::Observations) -> BakeOffManifest {
    let parameters = serde_json::to_string(params).unwrap_or_default();
    let mut digests = super::manifest::LineDigests::new(&parameters);
    write_canonical(observations, |l| digests.push(l));
    let (inputs_sha256, sha256) = digests.finish();
    BakeOffManifest {
        algorithm: "SHA-256".to_string(),
        canonical_form: CANONICAL_FORM.to_string(),
        protocol_sha256: params.protocol_sha256.clone(),
        inputs_sha256,
        sha256,
        observations: observations.rows.len() as u64,
    }
}

fn describe(c: &protocol::Cohort) -> String {
    let ids = |v: &Option<Vec<i64>>| {
        v.as_ref()
            .map(|v| v.iter().map(i64::to_string).collect::<Vec<_>>().join(", "))
    };
    let mut parts = vec![format!(
        "data set: {}",
        c.source.as_deref().unwrap_or("the company's own tickets")
    )];
    let mut add = |name: &str, v: Option<String>| {
        if let Some(v) = v {
            parts.push(format!("{name}: {v}"));
        }
    };
    add("teams", ids(&c.teams));
    add("sourcing", c.sourcing.clone());
    add("vendor", c.vendor.clone());
    add("agent employment type", c.agent_employment_type.clone());
    add(
        "technician employment type",
        c.technician_employment_type.clone(),
    );
    add("organizations", ids(&c.organizations));
    add("sites", ids(&c.sites));
    add("channels", c.channels.as_ref().map(|v| v.join(", ")));
    add("categories", c.categories.as_ref().map(|v| v.join(", ")));
    add("priorities", c.priorities.as_ref().map(|v| v.join(", ")));
    parts.join("; ")
}

fn methodology(p: &Protocol) -> Vec<String> {
    let mut m = vec![
        format!(
            "Protocol {} registered before any figure was computed; the report cites its SHA-256. \
             A registered protocol cannot change: a change is a new protocol.",
            p.name
        ),
        format!(
            "Period: {} to {} (exclusive), local dates in {}; an observation belongs to it by the \
             instant of its event: the first reply, the latest solve, the SLA outcome, the \
             survey's sending or answer, the visit's finish or arrival.",
            p.period.from, p.period.to, p.time_zone
        ),
        "Attribution (docs/METRICS.md \"Attribution\"): first reply time is credited to the agent \
         who wrote the reply and that agent's team at that instant; resolution, reopens, FCR and \
         SLA attainment to the assignee and team at the latest solve (a ticket not yet solved: \
         its first reply's); CSAT and the response rate to the team and assignee at the solve \
         surveyed; field metrics to the technician at the finish. Sourcing and vendor are the \
         credited team's at that instant. Reassigning a ticket later moves nothing."
            .to_string(),
        "Durations: the median with a 95 % bootstrap percentile interval (the protocol's seed and \
         resamples); two-sided Mann–Whitney U (tie-corrected normal approximation with continuity \
         correction, exact for small samples without ties, as SciPy's `auto`); effect size: the \
         rank-biserial correlation, positive when A's values tend to be larger."
            .to_string(),
        "Rates: Wilson 95 % intervals; the pooled two-proportion z-test, two-sided; the difference \
         with Newcombe's hybrid score interval; effect size: Cohen's h, positive when A's rate is \
         higher."
            .to_string(),
        "SLA attainment takes the ticket as the unit: a ticket attains when every SLA target with \
         an outcome in the period was achieved (targets of one ticket are not independent)."
            .to_string(),
        format!(
            "Holm's correction across the {} metrics compared (raw and adjusted p-values are both \
             printed), family-wise alpha {}; within each stratum, a correction of its own.",
            p.metrics.len(),
            p.alpha
        ),
        format!(
            "Verdict: \"too few to conclude\" when a cohort has fewer than {} observations; \
             otherwise the better cohort when the adjusted p-value is at most {}, else \"no \
             detectable difference\".",
            p.min_sample, p.alpha
        ),
        "An observation that meets both cohorts' filters is counted in each and flagged."
            .to_string(),
    ];
    m.push(match p.calendar {
        Some(id) => format!(
            "Business durations of both cohorts are measured on business calendar {id} (one \
             calendar for all, docs/METRICS.md \"Comparisons on one calendar\")."
        ),
        None => "Business durations are measured on each ticket's own calendar (its team's at \
                 each instant); name a calendar in the protocol to compare on one."
            .to_string(),
    });
    m
}

/// Builds the report of `registered` as of `as_of` from its observations.
pub fn build(
    registered: &RegisteredProtocol,
    as_of: DateTime<Utc>,
    observations: inputs::Observations,
) -> BakeOffDocument {
    let p = &registered.protocol;
    let params = BakeOffParams {
        protocol_id: registered.id,
        protocol_sha256: registered.sha256.clone(),
        as_of,
    };
    // The manifest's hashes on a second thread while the figures are computed.
    let ((results, strata), manifest) = std::thread::scope(|scope| {
        let hashed = scope.spawn(|| {
            let started = std::time::Instant::now();
            let m = manifest(&params, &observations);
            crate::monitoring::phase_done(started, "bake-off manifest hashed");
            m
        });
        let started = std::time::Instant::now();
        let figures = compute::results(p, &observations);
        crate::monitoring::phase_done(started, "bake-off figures computed");
        let manifest = hashed
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (figures, manifest)
    });
    BakeOffDocument {
        format: FORMAT.to_string(),
        title: p.name.clone(),
        parameters: params,
        protocol: ProtocolCitation {
            id: registered.id,
            sha256: registered.sha256.clone(),
            registered_at: registered.created_at,
            protocol: p.clone(),
        },
        cohorts: vec![
            CohortSummary {
                key: "a".to_string(),
                label: p.cohort_a.label.clone(),
                filters: describe(&p.cohort_a),
            },
            CohortSummary {
                key: "b".to_string(),
                label: p.cohort_b.label.clone(),
                filters: describe(&p.cohort_b),
            },
        ],
        calendar: CalendarUsed {
            id: p.calendar,
            description: match (p.calendar, observations.calendar_name) {
                (Some(id), Some(name)) => format!("{name} (calendar {id}), for both cohorts"),
                (Some(id), None) => format!("calendar {id}, for both cohorts"),
                _ => "each ticket's own calendar".to_string(),
            },
        },
        results,
        strata,
        methodology: methodology(p),
        manifest,
    }
}

/// `as_of` truncated to the second.
fn whole_second(as_of: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(as_of.timestamp(), 0).unwrap_or(as_of)
}

/// Reads protocol `protocol_id` and its observations as of `as_of` (whole seconds) in the
/// caller's transaction; the tickets from `store` when given.
fn read(
    conn: &mut PgConnection,
    protocol_id: i64,
    as_of: DateTime<Utc>,
    store: Option<&crate::metrics::store::Reader<'_>>,
) -> Result<(RegisteredProtocol, inputs::Observations), BakeOffError> {
    let registered = match protocol::get(conn, protocol_id) {
        Ok(r) => r,
        Err(diesel::result::Error::NotFound) => {
            return Err(BakeOffError::UnknownProtocol(protocol_id));
        }
        Err(e) => return Err(e.into()),
    };
    if as_of < registered.protocol.period.start {
        return Err(BakeOffError::AsOfTooEarly);
    }
    let observations = inputs::load(conn, &registered.protocol, as_of, store)?;
    Ok((registered, observations))
}

/// Reads and builds the report of protocol `protocol_id` as of `as_of` (truncated to the
/// second) in one `REPEATABLE READ`, read-only transaction, every input from the database (the
/// command line's path).
///
/// # Errors
/// [`BakeOffError::UnknownProtocol`], [`BakeOffError::UnknownCalendar`],
/// [`BakeOffError::AsOfTooEarly`]; database errors.
pub fn generate(
    conn: &mut PgConnection,
    protocol_id: i64,
    as_of: DateTime<Utc>,
) -> Result<BakeOffDocument, BakeOffError> {
    let as_of = whole_second(as_of);
    let (registered, observations) = conn
        .build_transaction()
        .repeatable_read()
        .read_only()
        .run(|conn| read(conn, protocol_id, as_of, None))?;
    Ok(build(&registered, as_of, observations))
}

/// Reads the report's inputs in the transaction of a metrics-store read (`conn` and `reader`
/// share one `REPEATABLE READ` snapshot: [`crate::metrics::store::MetricsStore::read`]): the
/// tickets from the store, surveys and work orders from the database — the same observations
/// [`generate`] reads, without reading a year of tickets through the driver. Build the report
/// with [`build`] once the store is let go.
///
/// # Errors
/// As [`generate`].
pub fn read_with_store(
    conn: &mut PgConnection,
    reader: &crate::metrics::store::Reader<'_>,
    protocol_id: i64,
    as_of: DateTime<Utc>,
) -> Result<(RegisteredProtocol, DateTime<Utc>, inputs::Observations), BakeOffError> {
    let as_of = whole_second(as_of);
    let (registered, observations) = read(conn, protocol_id, as_of, Some(reader))?;
    Ok((registered, as_of, observations))
}

/// Stores a bake-off report (kind `bake_off`).
///
/// # Errors
/// Database errors; serialization errors as a diesel error.
pub fn insert(
    conn: &mut PgConnection,
    doc: &BakeOffDocument,
    created_by: Option<i64>,
) -> diesel::QueryResult<super::store::StoredReport> {
    use crate::schema::reports;
    use diesel::prelude::*;
    let ser = |e: serde_json::Error| diesel::result::Error::SerializationError(Box::new(e));
    let document = doc.to_json().map_err(ser)?;
    let parameters = serde_json::to_value(&doc.parameters).map_err(ser)?;
    diesel::insert_into(reports::table)
        .values((
            reports::kind.eq("bake_off"),
            reports::parameters.eq(parameters),
            reports::document.eq(document),
            reports::manifest_sha256.eq(&doc.manifest.sha256),
            reports::created_by.eq(created_by),
        ))
        .returning(super::store::StoredReport::as_returning())
        .get_result(conn)
}

/// The outcome of verifying a stored bake-off report against a recomputation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// `ok …` / `CHANGED …` lines: the protocol, the manifest, then each figure.
    pub lines: Vec<String>,
    /// Ids that changed (`manifest` and `protocol` included).
    pub changed: Vec<String>,
}

impl Verification {
    /// Whether everything matched.
    pub fn passed(&self) -> bool {
        self.changed.is_empty()
    }
}

fn figure_key(r: &MetricResult) -> serde_json::Value {
    serde_json::json!({"a": r.a, "b": r.b, "difference": r.difference,
        "p_value": r.p_value, "p_adjusted": r.p_adjusted, "verdict": r.verdict})
}

fn short(r: &MetricResult) -> String {
    let v = |f: &compute::CohortFigure| {
        f.value
            .map_or_else(|| "none".to_string(), |v| format!("{v}"))
    };
    format!(
        "A {} (n={}), B {} (n={}), p {}, {}",
        v(&r.a),
        r.a.n,
        v(&r.b),
        r.b.n,
        r.p_value
            .map_or_else(|| "none".to_string(), |p| format!("{p}")),
        r.verdict_label
    )
}

/// Compares the stored document `old` (as read from its JSON) with the recomputed `new`. The
/// new document goes through its JSON too, so both sides' numbers are parsed alike (serde_json's
/// float parsing is not always the exact inverse of its printing).
pub fn compare(old: &BakeOffDocument, new: &BakeOffDocument) -> Verification {
    let reparsed = new
        .to_json()
        .ok()
        .and_then(|json| serde_json::from_str::<BakeOffDocument>(&json).ok());
    let new = reparsed.as_ref().unwrap_or(new);
    let mut lines = Vec::new();
    let mut changed = Vec::new();
    if old.protocol.sha256 == new.protocol.sha256
        && old.protocol.sha256 == new.protocol.protocol.sha256()
    {
        lines.push(format!("ok protocol {}", new.protocol.sha256));
    } else {
        lines.push(format!(
            "CHANGED protocol: was {}, now {}",
            old.protocol.sha256, new.protocol.sha256
        ));
        changed.push("protocol".to_string());
    }
    if old.manifest.sha256 == new.manifest.sha256 {
        lines.push(format!("ok manifest {}", new.manifest.sha256));
    } else {
        lines.push(format!(
            "CHANGED manifest: was {}, now {}",
            old.manifest.sha256, new.manifest.sha256
        ));
        changed.push("manifest".to_string());
    }
    let fresh: Vec<&MetricResult> = new.figures().collect();
    for f in old.figures() {
        match fresh.iter().find(|g| g.id == f.id) {
            Some(g) if figure_key(f) == figure_key(g) => lines.push(format!("ok {}", f.id)),
            Some(g) => {
                lines.push(format!(
                    "CHANGED {}: was {}; now {}",
                    f.id,
                    short(f),
                    short(g)
                ));
                changed.push(f.id.clone());
            }
            None => {
                lines.push(format!("CHANGED {}: was {}; now absent", f.id, short(f)));
                changed.push(f.id.clone());
            }
        }
    }
    for g in &fresh {
        if !old.figures().any(|f| f.id == g.id) {
            lines.push(format!("CHANGED {}: was absent; now {}", g.id, short(g)));
            changed.push(g.id.clone());
        }
    }
    Verification { lines, changed }
}
