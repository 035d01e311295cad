//! Builds the evidence report's document from its inputs ([`build`], pure) or from the database
//! ([`generate`]). Statistics come from [`crate::domain::inference`] only.

use super::anonymise::Anonymiser;
use super::document::*;
use super::inputs::{self, FTF_DAYS, Inputs, RatingInput, Role, TicketInput, WorkOrderInput};
use super::manifest;
use super::params::EvidenceParams;
use crate::domain::buckets::{Interval as Bucket, bucket_starts};
use crate::domain::inference::{
    CONFIDENCE_95, Caution, TimeToEvent, bootstrap_median, kaplan_meier_median, wilson,
};
use crate::domain::stats::percentile_cont;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// Why a report could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The scope's team, agent, technician, organization or site does not exist (422 naming
    /// `scope_id`).
    #[error("no such {0}")]
    ScopeNotFound(&'static str),
    /// No business calendar has the parameters' `calendar` id (422 naming `calendar`).
    #[error("no business calendar {0}")]
    UnknownCalendar(i64),
    /// A database error.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    /// The document could not be serialized (not expected).
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

impl From<inputs::CalendarError> for ReportError {
    fn from(e: inputs::CalendarError) -> Self {
        match e {
            inputs::CalendarError::Unknown(id) => ReportError::UnknownCalendar(id),
            inputs::CalendarError::Database(e) => ReportError::Database(e),
        }
    }
}

/// Reads the inputs of `params` in one read-only `REPEATABLE READ` transaction and builds the
/// report.
///
/// # Errors
/// [`ReportError::ScopeNotFound`] for an unknown scope id; [`ReportError::UnknownCalendar`];
/// database errors.
pub fn generate(
    conn: &mut PgConnection,
    params: &EvidenceParams,
) -> Result<EvidenceDocument, ReportError> {
    let (name, inputs) = conn
        .build_transaction()
        .repeatable_read()
        .read_only()
        .run(|conn| {
            let name = inputs::scope_name(conn, params)?;
            let inputs = inputs::load(conn, params)?;
            Ok::<_, ReportError>((name, inputs))
        })?;
    let name = name.ok_or(ReportError::ScopeNotFound(params.scope.as_str()))?;
    Ok(build(params, &name, inputs))
}

/// Reads the report's name and inputs in the transaction of a metrics-store read (`conn` and
/// `reader` share one `REPEATABLE READ` snapshot: [`crate::metrics::store::MetricsStore::read`]):
/// the tickets and work orders from the store, the rest from the database — the same inputs
/// [`generate`] reads, without reading every ticket through the driver. A technician's scope
/// reads its tickets from the database, a team's its work orders.
///
/// # Errors
/// [`ReportError::ScopeNotFound`] for an unknown scope id; [`ReportError::UnknownCalendar`];
/// database errors.
pub fn read_with_store(
    conn: &mut PgConnection,
    reader: &crate::metrics::store::Reader<'_>,
    params: &EvidenceParams,
) -> Result<(String, Inputs), ReportError> {
    let name = inputs::scope_name(conn, params)?
        .ok_or(ReportError::ScopeNotFound(params.scope.as_str()))?;
    let calendar = inputs::calendar(conn, params)?;
    let on = calendar.as_ref().map(|(c, _)| c);
    // PostgreSQL reads the ratings, names and training inputs on a second thread while this
    // one passes over the store.
    let (tickets, work_orders, rest) = std::thread::scope(|scope| {
        let rest = scope.spawn(|| {
            let started = std::time::Instant::now();
            let rest = inputs::load_rest(conn, params, on, Some(reader));
            crate::monitoring::phase_done(started, "evidence ratings, names and training read");
            rest
        });
        let started = std::time::Instant::now();
        let tickets = reader.evidence_tickets(params, on);
        let work_orders = reader.evidence_work_orders(params);
        crate::monitoring::phase_done(started, "evidence store pass");
        let rest = rest
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (tickets, work_orders, rest)
    });
    let rest = rest?;
    let tickets = match tickets {
        Some(tickets) => tickets,
        None => inputs::load_tickets(conn, params, on)?,
    };
    let work_orders = match work_orders {
        Some(work_orders) => work_orders,
        None => inputs::load_work_orders(conn, params)?,
    };
    let mut inputs = rest.with(tickets, work_orders);
    inputs.calendar_name = calendar.map(|(_, name)| name);
    Ok((name, inputs))
}

mod measures;
mod methodology;
use measures::{Measures, Selector, measure, measure_buckets};
use methodology::methodology;

/// One value with what goes beside it.
struct Stat {
    value: Option<f64>,
    n: u64,
    successes: Option<u64>,
    interval: Option<Interval>,
}

fn count_stat(n: u64) -> Stat {
    Stat {
        value: Some(n as f64),
        n,
        successes: None,
        interval: None,
    }
}

fn rate_stat((k, n): (u64, u64)) -> Stat {
    match wilson(k, n, CONFIDENCE_95) {
        Some(p) => Stat {
            value: Some(round(p.rate, 6)),
            n,
            successes: Some(k),
            interval: Some(Interval {
                method: "wilson",
                confidence: CONFIDENCE_95,
                low: Some(round(p.low, 6)),
                high: Some(round(p.high, 6)),
                seed: None,
                resamples: None,
            }),
        },
        None => Stat {
            value: None,
            n,
            successes: Some(k),
            interval: None,
        },
    }
}

fn median_stat(values: &[i64], params: &EvidenceParams) -> Stat {
    let n = values.len() as u64;
    match bootstrap_median(
        values,
        params.bootstrap_resamples,
        params.bootstrap_seed,
        CONFIDENCE_95,
    ) {
        Some(b) => Stat {
            value: Some(round(b.median, 3)),
            n,
            successes: None,
            interval: Some(Interval {
                method: "bootstrap_percentile",
                confidence: CONFIDENCE_95,
                low: Some(round(b.low, 3)),
                high: Some(round(b.high, 3)),
                seed: Some(b.seed),
                resamples: Some(b.resamples),
            }),
        },
        None => Stat {
            value: None,
            n,
            successes: None,
            interval: None,
        },
    }
}

fn plain_median_stat(values: &[i64]) -> Stat {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    Stat {
        value: percentile_cont(&sorted, 0.5).map(|m| round(m, 3)),
        n: values.len() as u64,
        successes: None,
        interval: None,
    }
}

fn km_stat(obs: &[TimeToEvent]) -> Stat {
    let n = obs.len() as u64;
    // The median and its interval only: the curve of a year's tickets is tens of megabytes.
    match kaplan_meier_median(obs, CONFIDENCE_95) {
        Some(k) => Stat {
            value: k.median.map(|m| m as f64),
            n,
            successes: None,
            interval: Some(Interval {
                method: "kaplan_meier_loglog",
                confidence: CONFIDENCE_95,
                low: k.median_low.map(|m| m as f64),
                high: k.median_high.map(|m| m as f64),
                seed: None,
                resamples: None,
            }),
        },
        None => Stat {
            value: None,
            n,
            successes: None,
            interval: None,
        },
    }
}

/// How a figure is made: its id suffix, label, definition, unit, statistic and flags.
struct Spec {
    label: &'static str,
    definition: &'static str,
    unit: Unit,
    note: Option<&'static str>,
    csat: bool,
    count: bool,
}

const NAIVE_NOTE: &str = "naive: median of the tickets solved by the period's end only \
    (open tickets left out); it understates the time to resolution";

fn spec(key: &'static str) -> Spec {
    let (label, definition, unit) = match key {
        "tickets_created" => ("Tickets created", "tickets_created", Unit::Count),
        "first_reply_median" => (
            "Median first reply time (business seconds)",
            "frt.v1",
            Unit::Seconds,
        ),
        "resolution_median_km" => (
            "Median time to full resolution, Kaplan–Meier, open tickets censored (calendar seconds)",
            "full_resolution.v1",
            Unit::Seconds,
        ),
        "resolution_median_naive" => (
            "Median time to full resolution of solved tickets, naive (calendar seconds)",
            "full_resolution.v1",
            Unit::Seconds,
        ),
        "resolution_median" => (
            "Median full resolution time of the tickets solved (calendar seconds)",
            "full_resolution.v1",
            Unit::Seconds,
        ),
        "sla_attainment" => (
            "SLA attainment (tickets whose targets were all achieved)",
            "sla_attainment",
            Unit::Ratio,
        ),
        "reopen_rate" => ("Reopen rate", "reopen_rate.v1", Unit::Ratio),
        "one_touch_rate" => ("One-touch resolution rate", "one_touch.v1", Unit::Ratio),
        "fcr_rate" => ("First-contact resolution rate", "fcr.v1", Unit::Ratio),
        "csat" => ("CSAT (ratings of 4 or 5)", "csat.v1", Unit::Ratio),
        "first_time_fix" => ("First-time fix rate", "first_time_fix.v1", Unit::Ratio),
        "work_orders_completed" => (
            "Work orders ended (completed or cannot complete)",
            "work_orders_completed",
            Unit::Count,
        ),
        _ => ("Tickets created", "tickets_created", Unit::Count),
    };
    Spec {
        label,
        definition,
        unit,
        note: (key == "resolution_median_naive").then_some(NAIVE_NOTE),
        csat: key == "csat",
        count: matches!(key, "tickets_created" | "work_orders_completed"),
    }
}

fn stat_of(key: &str, m: &Measures, params: &EvidenceParams, intervals: bool) -> Stat {
    let naive = || -> Vec<i64> {
        m.km.iter()
            .filter(|o| o.event)
            .map(|o| o.duration)
            .collect()
    };
    match key {
        "tickets_created" => count_stat(m.created),
        "work_orders_completed" => count_stat(m.ended),
        "first_reply_median" if intervals => median_stat(&m.frt, params),
        "first_reply_median" => plain_median_stat(&m.frt),
        "resolution_median_km" => km_stat(&m.km),
        "resolution_median_naive" => median_stat(&naive(), params),
        "resolution_median" => plain_median_stat(&m.resolution_solved),
        "sla_attainment" => rate_stat(m.sla),
        "reopen_rate" => rate_stat(m.reopen),
        "one_touch_rate" => rate_stat(m.one_touch),
        "fcr_rate" => rate_stat(m.fcr),
        "csat" => rate_stat(m.csat),
        "first_time_fix" => rate_stat(m.ftf),
        _ => count_stat(0),
    }
}

fn figure(id: String, s: &Spec, stat: Stat, comparison: Option<Stat>) -> Figure {
    let mut flags = Vec::new();
    if !s.count {
        flags.extend(Caution::too_few(stat.n as usize));
    }
    if s.csat {
        flags.extend(Caution::csat_wide(stat.n as usize));
    }
    let change = match (&stat.value, comparison.as_ref().and_then(|c| c.value)) {
        (Some(v), Some(c)) => {
            let decimals = if s.unit == Unit::Ratio { 6 } else { 3 };
            Some(Change {
                absolute: round(v - c, decimals),
                relative: (c != 0.0).then(|| round((v - c) / c, 6)),
            })
        }
        _ => None,
    };
    Figure {
        id,
        label: s.label.to_string(),
        definition: s.definition,
        unit: s.unit,
        value: stat.value,
        n: stat.n,
        successes: stat.successes,
        interval: stat.interval,
        comparison: comparison.map(|c| Comparison {
            value: c.value,
            n: c.n,
            interval: c.interval,
        }),
        change,
        flags,
        note: s.note,
    }
}

fn has_field_work(inputs: &Inputs, params: &EvidenceParams) -> bool {
    inputs
        .work_orders
        .iter()
        .any(|w| params.eligibility.holds(w.finished_at) || params.comparison.holds(w.finished_at))
}

const TICKET_HEADLINE: [&str; 9] = [
    "tickets_created",
    "first_reply_median",
    "resolution_median_km",
    "resolution_median_naive",
    "sla_attainment",
    "reopen_rate",
    "one_touch_rate",
    "fcr_rate",
    "csat",
];

fn month_label(t: DateTime<Utc>, params: &EvidenceParams) -> String {
    t.with_timezone(&params.zone()).format("%Y-%m").to_string()
}

/// The report over `inputs` (pure: the same parameters, name and inputs give the same document).
pub fn build(params: &EvidenceParams, scope_name: &str, mut inputs: Inputs) -> EvidenceDocument {
    retain_relevant(&mut inputs, params);
    anonymise_quotes(&mut inputs);
    let inputs = &inputs;
    // The manifest's hashes on a thread of their own while the figures are computed.
    std::thread::scope(|scope| {
        let hashed = scope.spawn(|| {
            let started = std::time::Instant::now();
            let m = manifest::manifest(params, inputs);
            crate::monitoring::phase_done(started, "evidence manifest hashed");
            m
        });
        assemble(params, scope_name, inputs, move || {
            hashed
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    })
}

/// The document of `inputs` (kept and anonymised), its manifest given by `manifest` once the
/// figures are computed.
fn assemble(
    params: &EvidenceParams,
    scope_name: &str,
    inputs: &Inputs,
    manifest: impl FnOnce() -> super::document::Manifest,
) -> EvidenceDocument {
    let field = has_field_work(inputs, params);
    let (es, ee) = (
        params.eligibility.start.timestamp(),
        params.eligibility.end.timestamp(),
    );
    let (cs, ce) = (
        params.comparison.start.timestamp(),
        params.comparison.end.timestamp(),
    );

    let as_of = params.as_of.timestamp();
    let started = std::time::Instant::now();
    // Headline.
    let now = measure(inputs, es, ee, as_of, Selector::All);
    let before = measure(inputs, cs, ce, as_of, Selector::All);
    let mut keys: Vec<&'static str> = TICKET_HEADLINE.to_vec();
    if field {
        keys.push("first_time_fix");
    }
    // The two periods' statistics (their bootstraps dominate the cost) on two threads; each
    // bootstrap has its own seeded stream, so the result does not depend on the scheduling.
    let stats =
        |m: &Measures| -> Vec<Stat> { keys.iter().map(|k| stat_of(k, m, params, true)).collect() };
    let (now_stats, before_stats) = std::thread::scope(|scope| {
        let before_stats = scope.spawn(|| stats(&before));
        let now_stats = stats(&now);
        let before_stats = before_stats
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (now_stats, before_stats)
    });
    let headline: Vec<Figure> = keys
        .iter()
        .zip(now_stats.into_iter().zip(before_stats))
        .map(|(k, (now, before))| figure(format!("headline.{k}"), &spec(k), now, Some(before)))
        .collect();
    // Their values are no longer needed: let them go before the months' are gathered.
    drop((now, before));
    crate::monitoring::phase_done(started, "evidence headline");
    let started = std::time::Instant::now();

    // Monthly series.
    let months: Vec<(String, i64, i64)> = {
        let starts = bucket_starts(
            Bucket::Month,
            params.zone(),
            params.eligibility.start,
            params.eligibility.end,
        )
        .unwrap_or_default();
        starts
            .iter()
            .enumerate()
            .map(|(i, (_, start))| {
                let end = starts.get(i + 1).map_or(ee, |(_, s)| s.timestamp());
                (month_label(*start, params), start.timestamp().max(es), end)
            })
            .collect()
    };
    let bounds: Vec<(i64, i64)> = months.iter().map(|(_, s, e)| (*s, *e)).collect();
    let month_measures = measure_buckets(inputs, &bounds, as_of, Selector::All);
    let mut series_keys: Vec<(&'static str, &'static str, &'static str)> = vec![
        ("volume", "tickets_created", "Tickets created per month"),
        (
            "first_reply_median",
            "first_reply_median",
            "Median first reply time per month (business seconds)",
        ),
        (
            "resolution_median",
            "resolution_median",
            "Median full resolution time of the tickets solved per month (calendar seconds)",
        ),
        (
            "sla_attainment",
            "sla_attainment",
            "SLA attainment per month",
        ),
        ("csat", "csat", "CSAT per month"),
    ];
    if field {
        series_keys.push((
            "first_time_fix",
            "first_time_fix",
            "First-time fix rate per month",
        ));
    }
    let monthly: Vec<Series> = series_keys
        .iter()
        .map(|(metric, key, label)| {
            let s = spec(key);
            Series {
                metric,
                label,
                definition: s.definition,
                unit: s.unit,
                points: months
                    .iter()
                    .zip(&month_measures)
                    .map(|((month, _, _), m)| {
                        figure(
                            format!("monthly.{metric}.{month}"),
                            &s,
                            stat_of(key, m, params, false),
                            None,
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    drop(month_measures);
    crate::monitoring::phase_done(started, "evidence monthly series");
    let started = std::time::Instant::now();

    // Splits: only when the eligibility period holds both values.
    let mut splits = Vec::new();
    let sourcing_seen = |v: &str| {
        inputs.tickets.iter().any(|t| {
            // A figure of the eligibility period credited with that sourcing.
            let during = |at: Option<i64>| at.is_some_and(|at| params.eligibility.holds(at));
            Role::ALL.iter().any(|&role| {
                let credited = t.sourcing(role) == Some(v);
                t.holds(role)
                    && match role {
                        Role::Created => credited && during(Some(t.created())),
                        Role::FirstReply => credited && during(t.first_reply_at()),
                        Role::Solved => credited && during(t.latest_solved_at()),
                        // Each outcome with the sourcing credited at its instant.
                        Role::Sla => t.sla().iter().any(|(at, _, s)| {
                            s.map(inputs::Sourcing::as_str) == Some(v) && during(Some(at))
                        }),
                    }
            })
        }) || inputs.ratings.iter().any(|r| {
            r.sourcing.map(inputs::Sourcing::as_str) == Some(v)
                && params.eligibility.holds(r.answered_at)
        })
    };
    if sourcing_seen("in_house") && sourcing_seen("outsourced") {
        let keys = [
            "tickets_created",
            "first_reply_median",
            "sla_attainment",
            "reopen_rate",
            "fcr_rate",
            "csat",
        ];
        splits.push(split(
            inputs,
            params,
            "sourcing",
            &["in_house", "outsourced"],
            &keys,
            Selector::Sourcing,
        ));
    }
    let employment_seen = |v: &str| {
        inputs.work_orders.iter().any(|w| {
            w.employment_type.map(|t| t.as_str()) == Some(v)
                && params.eligibility.holds(w.finished_at)
        })
    };
    if employment_seen("employee") && employment_seen("contractor") {
        splits.push(split(
            inputs,
            params,
            "technician_employment_type",
            &["employee", "contractor"],
            &["work_orders_completed", "first_time_fix"],
            Selector::Employment,
        ));
    }

    // Testimonials.
    let testimonials: Vec<Testimonial> = inputs
        .ratings
        .iter()
        .filter(|r| params.eligibility.holds(r.answered_at))
        .filter_map(|r| {
            let quote = r.quotable.clone()?;
            let at = DateTime::<Utc>::from_timestamp(r.answered_at, 0)?;
            Some(Testimonial {
                quote,
                rating: r.score,
                month: month_label(at, params),
            })
        })
        .collect();

    crate::monitoring::phase_done(started, "evidence splits and testimonials");
    let started = std::time::Instant::now();
    let training = super::training::section(params, &inputs.training);
    crate::monitoring::phase_done(started, "evidence training section");
    let manifest = manifest();
    let started = std::time::Instant::now();
    let mut document = EvidenceDocument {
        format: FORMAT,
        parameters: params.clone(),
        scope: Scope {
            kind: params.scope,
            id: params.scope_id,
            name: scope_name.to_string(),
        },
        headline,
        monthly,
        splits,
        testimonials,
        training,
        narrative: Narrative::default(),
        methodology: methodology(params, inputs, field),
        manifest,
    };
    if let Some(training) = &document.training {
        document.methodology.definitions.push(Definition {
            id: "training_effect",
            source: "docs/METRICS.md §11; docs/REPORTS.md, Training section",
            text: "for staff of the scope who completed a course in the eligibility period: their frt.v1 (business seconds, credited to who wrote the first reply) and reopen_rate.v1 units (credited to who recorded the latest solve) in the weeks before and after the completion date, against staff of the same role who never completed the course over the same calendar weeks; n counts stacked observations (an untrained staff member's ticket counts once per cohort whose window holds it)",
        });
        document
            .methodology
            .statistics
            .methods
            .push(super::training::METHOD);
        document.methodology.filters.push(format!(
            "training: completions of staff of the scope dated in the eligibility period; {} weeks before and after each completion; untrained staff company-wide",
            training.weeks
        ));
    }
    if matches!(
        params.scope,
        super::params::ScopeKind::Organization | super::params::ScopeKind::Site
    ) {
        document
            .methodology
            .exclusions
            .push("organization and site scopes have no training section: no staff belong to them");
    }
    document.methodology.flags = document
        .figures()
        .iter()
        .flat_map(|f| {
            f.flags.iter().map(|c| RaisedFlag {
                figure: f.id.clone(),
                label: c.label(),
            })
        })
        .collect();
    document.narrative = super::narrative::write(&document);
    crate::monitoring::phase_done(started, "evidence methodology and narrative");
    document
}

fn split<'a>(
    inputs: &Inputs,
    params: &EvidenceParams,
    dimension: &'static str,
    values: &[&'a str],
    keys: &[&'static str],
    selector: impl Fn(&'a str) -> Selector<'a>,
) -> Split {
    let (es, ee) = (
        params.eligibility.start.timestamp(),
        params.eligibility.end.timestamp(),
    );
    Split {
        dimension,
        groups: values
            .iter()
            .map(|v| {
                let m = measure(inputs, es, ee, params.as_of.timestamp(), selector(v));
                SplitGroup {
                    value: (*v).to_string(),
                    figures: keys
                        .iter()
                        .map(|k| {
                            figure(
                                format!("splits.{dimension}.{v}.{k}"),
                                &spec(k),
                                stat_of(k, &m, params, true),
                                None,
                            )
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

/// Replaces each consented comment by its anonymised quote (trimmed) and forgets the customer
/// names it was checked against: what the testimonials show and the manifest hashes.
pub(super) fn anonymise_quotes(inputs: &mut Inputs) {
    let anonymiser = Anonymiser::new(&inputs.staff_names, &inputs.facility_names);
    for r in &mut inputs.ratings {
        r.quotable = r
            .quotable
            .take()
            .map(|text| anonymiser.anonymise(text.trim(), &r.customer_names));
        r.customer_names = Vec::new();
    }
}

/// Keeps the rows that count in a figure of either period (the manifest hashes exactly those).
fn retain_relevant(inputs: &mut Inputs, params: &EvidenceParams) {
    let any = |t: i64| params.eligibility.holds(t) || params.comparison.holds(t);
    inputs.tickets.retain(|t| inputs::ticket_counts(t, params));
    inputs.ratings.retain(|r| any(r.answered_at));
    inputs.work_orders.retain(|w| any(w.finished_at));
    super::training::retain_relevant(&mut inputs.training, params);
}

#[cfg(test)]
mod tests;
