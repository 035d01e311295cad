//! The CSV downloads of the metrics endpoints (`Accept: text/csv`): content negotiation, and one
//! row per group with every figure and, for each rate, numerator, denominator and value columns.

use crate::domain::stats::Rate;
use crate::error::{ApiError, ApiResult};
use crate::metrics::types as model;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

/// Content negotiation (RFC 9110 §12.5.1): CSV when `Accept` lists `text/csv` (any case) with a
/// quality above 0 and above that of an explicit `application/json`; JSON otherwise (no or an
/// unreadable `Accept`, `text/csv;q=0`, JSON preferred). Wildcards do not outrank the explicit
/// `text/csv`.
pub(crate) fn wants_csv(req: &HttpRequest) -> bool {
    use actix_web::http::header::{Accept, Header, Quality};
    let Ok(accept) = Accept::parse(req) else {
        return false;
    };
    let best = |essence: &str| {
        accept
            .0
            .iter()
            .filter(|q| q.item.essence_str().eq_ignore_ascii_case(essence))
            .map(|q| q.quality)
            .max()
    };
    match (best("text/csv"), best("application/json")) {
        (Some(csv), json) => csv > Quality::ZERO && json.is_none_or(|json| csv > json),
        (None, _) => false,
    }
}

/// A cell of an optional value: empty for `None`.
pub(super) fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The rates of a CSV row after the durations, by column name (the JSON field's): SLA
/// attainment always, the contact rates with `include=contact_rates`. Each gives three columns:
/// `{name}_numerator`, `{name}_denominator` and `{name}` (the value, empty when the denominator
/// is 0).
fn csv_rates(report: &model::GroupReport, with_contact: bool) -> Vec<(&'static str, Rate)> {
    let mut rates = vec![("sla_attainment", report.sla_attainment.clone())];
    if with_contact {
        let c = report
            .contact_rates
            .clone()
            .unwrap_or_else(model::ContactRates::empty);
        rates.extend([
            ("one_touch_rate", c.one_touch),
            ("one_touch_strict_rate", c.one_touch_strict),
            ("fcr_rate", c.fcr),
            ("repeat_contact_rate", c.repeat_contact),
        ]);
    }
    rates
}

/// The satisfaction columns after the rates: `csat.v1` (numerator, denominator, value and the
/// mean score), `csat_response_rate.v1` (numerator, denominator, value) and `nps.v1`
/// (promoters, passives, detractors, responses, score).
const SATISFACTION_HEADER: [&str; 12] = [
    "csat_numerator",
    "csat_denominator",
    "csat",
    "csat_mean_score",
    "csat_response_rate_numerator",
    "csat_response_rate_denominator",
    "csat_response_rate",
    "nps_promoters",
    "nps_passives",
    "nps_detractors",
    "nps_responses",
    "nps",
];

/// The cells of [`SATISFACTION_HEADER`] (empty for a null value, mean or score).
fn satisfaction_cells(s: &model::Satisfaction) -> Vec<String> {
    vec![
        s.csat.numerator.to_string(),
        s.csat.denominator.to_string(),
        opt(s.csat.value),
        opt(s.mean_score),
        s.response_rate.numerator.to_string(),
        s.response_rate.denominator.to_string(),
        opt(s.response_rate.value),
        s.nps.promoters.to_string(),
        s.nps.passives.to_string(),
        s.nps.detractors.to_string(),
        s.nps.responses.to_string(),
        opt(s.nps.score),
    ]
}

/// The field columns (docs/METRICS.md §8): `work_orders_completed`; count, mean, median, p90, min
/// and max of `travel_time`, `wrench_time` and `time_to_arrival` (seconds); numerator,
/// denominator and value of `arrival_window_met`, `first_time_fix` and `repeat_visit_rate`;
/// `ftf_days`.
fn field_header() -> Vec<String> {
    let mut header = vec!["work_orders_completed".to_string()];
    for metric in ["travel_time", "wrench_time", "time_to_arrival"] {
        for stat in ["count", "mean", "median", "p90", "min", "max"] {
            header.push(format!("{metric}_{stat}_seconds").replace("_count_seconds", "_count"));
        }
    }
    for rate in ["arrival_window_met", "first_time_fix", "repeat_visit_rate"] {
        header.extend([
            format!("{rate}_numerator"),
            format!("{rate}_denominator"),
            rate.to_string(),
        ]);
    }
    header.push("ftf_days".to_string());
    header
}

/// The cells of [`field_header`]: empty when field figures do not apply.
fn field_cells(field: Option<&model::FieldFigures>) -> Vec<String> {
    let Some(f) = field else {
        return vec![String::new(); field_header().len()];
    };
    let mut cells = vec![f.work_orders_completed.to_string()];
    for d in [&f.travel_time, &f.wrench_time, &f.time_to_arrival] {
        cells.extend([
            d.count.to_string(),
            opt(d.mean),
            opt(d.median),
            opt(d.p90),
            opt(d.min),
            opt(d.max),
        ]);
    }
    for rate in [
        &f.arrival_window_met,
        &f.first_time_fix,
        &f.repeat_visit_rate,
    ] {
        cells.extend([
            rate.numerator.to_string(),
            rate.denominator.to_string(),
            opt(rate.value),
        ]);
    }
    cells.push(f.ftf_days.to_string());
    cells
}

/// A text cell of a CSV download as a spreadsheet will not run it: a cell starting with `=`,
/// `+`, `-`, `@`, a tab or a carriage return (a formula to Excel, LibreOffice, Google Sheets)
/// gets a leading `'` (OWASP "CSV injection"). Names and categories come from users.
pub(crate) fn csv_text(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// Writes the CSV download `frontline-{name}.csv`: one row per group with the key columns (text,
/// guarded by [`csv_text`]), then every figure (empty cells for null statistics and for the value
/// of a rate over 0), then the rates of [`csv_rates`], then the satisfaction figures
/// ([`SATISFACTION_HEADER`]), then the field figures of [`field_cells`],
/// then `extra` columns (names, values), the same on every row. Without `tickets` (a field-only
/// dimension) the ticket figures' columns are left out; without `field` (field figures do not
/// apply: a ticket-only dimension or filter) the field columns are.
///
/// # Errors
/// 500 when the writer fails (it writes to memory: it does not).
pub(super) fn csv_response(
    name: &str,
    key_columns: &[&str],
    with_contact: bool,
    (tickets, field): (bool, bool),
    rows: Vec<(Vec<String>, model::GroupReport)>,
    extra: (Vec<String>, Vec<String>),
) -> ApiResult<HttpResponse> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = key_columns.iter().map(|c| c.to_string()).collect();
    let keys = header.len();
    header.extend(
        [
            "tickets_created",
            "tickets_solved",
            "reopened",
            "reopen_denominator",
            "reopen_rate",
        ]
        .map(String::from),
    );
    for metric in ["first_reply_time", "full_resolution_time"] {
        for stat in ["count", "mean", "median", "p90", "min", "max"] {
            header.push(format!("{metric}_{stat}_seconds").replace("_count_seconds", "_count"));
        }
    }
    let empty = model::GroupReport::empty(None, with_contact, None);
    for (rate, _) in csv_rates(&empty, with_contact) {
        header.extend([
            format!("{rate}_numerator"),
            format!("{rate}_denominator"),
            rate.to_string(),
        ]);
    }
    header.extend(SATISFACTION_HEADER.map(String::from));
    if !tickets {
        header.truncate(keys);
    }
    if field {
        header.extend(field_header());
    }
    header.extend(extra.0);
    let fail = |e: csv::Error| ApiError::Unexpected(e.into());
    w.write_record(&header).map_err(fail)?;
    for (keys, report) in rows {
        let mut record: Vec<String> = keys.into_iter().map(csv_text).collect();
        let start = record.len();
        let s = &report.figures;
        record.extend([
            s.tickets_created.to_string(),
            s.tickets_solved.to_string(),
            s.reopen_rate.numerator.to_string(),
            s.reopen_rate.denominator.to_string(),
            opt(s.reopen_rate.value),
        ]);
        for d in [&s.first_reply_time, &s.full_resolution_time] {
            record.extend([
                d.count.to_string(),
                opt(d.mean),
                opt(d.median),
                opt(d.p90),
                opt(d.min),
                opt(d.max),
            ]);
        }
        for (_, rate) in csv_rates(&report, with_contact) {
            record.extend([
                rate.numerator.to_string(),
                rate.denominator.to_string(),
                opt(rate.value),
            ]);
        }
        record.extend(satisfaction_cells(&report.satisfaction));
        if !tickets {
            record.truncate(start);
        }
        if field {
            record.extend(field_cells(report.field.as_ref()));
        }
        record.extend(extra.1.iter().cloned());
        w.write_record(&record).map_err(fail)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("csv: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"frontline-{name}.csv\""),
        ))
        .body(body))
}
