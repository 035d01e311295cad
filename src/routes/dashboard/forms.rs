//! The dashboard's report forms and stored reports.
//!
//! - `GET /dashboard/reports/evidence`: the evidence-report form alone (the dashboard shows the
//!   same form).
//! - `POST /dashboard/reports/evidence` (`application/x-www-form-urlencoded`, with the session's
//!   `csrf_token`): the fields of `POST /api/v1/reports/evidence` as text, parsed by the same
//!   [`EvidenceRequest::parse`] and stored by the same
//!   [`crate::routes::reports::generate_and_store`]; 303 to `/dashboard/reports/{id}`. A field
//!   that does not parse or is refused: 422, the form again with the field named and the input
//!   kept.
//! - `GET /dashboard/reports/{id}`: the stored report's HTML, rendered from its JSON by
//!   [`crate::reports::render::html_from_json`] (what `GET /api/v1/reports/{id}?format=html`
//!   answers), with the report's own `Content-Security-Policy` (nothing loads, no form).
//!
//! Each report kind has its form view (a struct the template `dashboard/_evidence_form.html`
//! lays out) and its POST handler; the bake-off report's form goes beside the evidence one, in
//! the dashboard's "Reports" section, the same way.

use super::{failure, html, post_refusal, problem, viewer};
use crate::auth::session::Session;
use crate::error::ApiError;
use crate::reports::params::{AwardCategory, ComparisonKind, EvidenceRequest, ScopeKind};
use crate::reports::store::StoredReportHeader;
use crate::routes::reports::{REPORT_CONTENT_SECURITY_POLICY, StoredReportSummary};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Datelike, Months, NaiveDate, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

/// One option of a `<select>`.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The value sent.
    pub value: &'static str,
    /// What the option says.
    pub label: &'static str,
    /// Selected.
    pub selected: bool,
}

const SCOPES: &[(&str, &str)] = &[
    ("company", "The whole company"),
    ("team", "A team (id)"),
    ("agent", "An agent (id)"),
    ("technician", "A technician (id)"),
    ("organization", "An organization (id)"),
    ("site", "A site (id)"),
];

const COMPARISONS: &[(&str, &str)] = &[
    ("previous", "The period of the same length just before"),
    ("year_earlier", "The same dates a year earlier"),
    ("dates", "These dates"),
];

const CATEGORIES: &[(&str, &str)] = &[
    ("contact_center_of_the_year", "Contact center of the year"),
    ("customer_service_team", "Customer service team of the year"),
    (
        "front_line_professional",
        "Front-line professional of the year",
    ),
    ("field_service_team", "Field service team of the year"),
    (
        "training_innovation",
        "Training or innovation in customer service",
    ),
];

/// Every field of the evidence form with the label the summary of errors names it by.
const FIELD_LABELS: &[(&str, &str)] = &[
    ("scope", "Whose work"),
    ("scope_id", "Id"),
    ("from", "From"),
    ("to", "To"),
    ("time_zone", "Time zone"),
    ("comparison", "Compare with"),
    ("comparison_from", "Comparison from"),
    ("comparison_to", "Comparison to"),
    ("category", "Award category"),
    ("word_limit", "Word limit"),
    ("calendar", "Calendar"),
    ("as_of", "As of"),
    ("bootstrap_resamples", "Bootstrap resamples"),
];

fn choices(options: &[(&'static str, &'static str)], selected: &str) -> Vec<Choice> {
    options
        .iter()
        .map(|&(value, label)| Choice {
            value,
            label,
            selected: value == selected,
        })
        .collect()
}

/// The fields of the evidence form as typed (every one text; unknown fields ignored).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EvidenceFields {
    /// `company`, `team`, `agent`, `technician`, `organization` or `site`.
    pub scope: String,
    /// The scope's id (blank for the company).
    pub scope_id: String,
    /// First day (`YYYY-MM-DD`).
    pub from: String,
    /// Day after the last (`YYYY-MM-DD`).
    pub to: String,
    /// IANA zone.
    pub time_zone: String,
    /// `previous`, `year_earlier` or `dates`.
    pub comparison: String,
    /// First day of the comparison (`dates` only).
    pub comparison_from: String,
    /// Day after the comparison (`dates` only).
    pub comparison_to: String,
    /// The award category.
    pub category: String,
    /// The essay's word limit (50–5,000).
    pub word_limit: String,
    /// One business calendar's id for every ticket's business time, or empty (each ticket's
    /// own).
    pub calendar: String,
    /// The session's CSRF token.
    pub csrf_token: Option<String>,
}

/// The evidence form as the template lays it out: the values, the choices and the messages.
#[derive(Debug, Clone)]
pub struct EvidenceFormView {
    /// The values shown in the fields.
    pub fields: EvidenceFields,
    /// Scope options.
    pub scopes: Vec<Choice>,
    /// Comparison options.
    pub comparisons: Vec<Choice>,
    /// Category options.
    pub categories: Vec<Choice>,
    /// Field name → message (a field named in it is marked invalid).
    pub errors: BTreeMap<String, String>,
}

impl EvidenceFormView {
    /// The form for `fields` with `errors`.
    pub fn new(fields: EvidenceFields, errors: BTreeMap<String, String>) -> EvidenceFormView {
        EvidenceFormView {
            scopes: choices(SCOPES, &fields.scope),
            comparisons: choices(COMPARISONS, &fields.comparison),
            categories: choices(CATEGORIES, &fields.category),
            fields,
            errors,
        }
    }

    /// The blank form: the company, last calendar month against the one before, in `zone`.
    pub fn defaults(today: NaiveDate, zone: &str) -> EvidenceFormView {
        let this_month = today.with_day(1).unwrap_or(today);
        let last_month = this_month
            .checked_sub_months(Months::new(1))
            .unwrap_or(this_month);
        EvidenceFormView::new(
            EvidenceFields {
                scope: "company".into(),
                from: last_month.to_string(),
                to: this_month.to_string(),
                time_zone: zone.into(),
                comparison: "previous".into(),
                category: "contact_center_of_the_year".into(),
                word_limit: "500".into(),
                ..EvidenceFields::default()
            },
            BTreeMap::new(),
        )
    }

    /// The failed fields for the summary at the top: (field, its label, message), in the
    /// form's order.
    pub fn summary(&self) -> Vec<(&str, &str, &str)> {
        let known = FIELD_LABELS
            .iter()
            .filter_map(|&(field, label)| self.error(field).map(|m| (field, label, m)));
        let other = self
            .errors
            .iter()
            .filter(|(field, _)| !FIELD_LABELS.iter().any(|(f, _)| f == field))
            .map(|(field, m)| (field.as_str(), field.as_str(), m.as_str()));
        known.chain(other).collect()
    }

    /// The message of `field`, if it failed.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

/// The typed fields as the API's request; the failing fields named.
///
/// # Errors
/// Field name → message, for every field that does not parse.
pub fn evidence_request(f: &EvidenceFields) -> Result<EvidenceRequest, BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let mut fail = |field: &str, message: &str| {
        errors.insert(field.to_string(), message.to_string());
    };
    let enumerated = |value: &str| serde_json::Value::String(value.trim().to_string());
    let scope = serde_json::from_value::<ScopeKind>(enumerated(&f.scope)).ok();
    if scope.is_none() {
        fail("scope", "choose whose work the report is about");
    }
    let scope_id = match f.scope_id.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                fail("scope_id", "must be a whole number");
                None
            }
        },
    };
    let mut date = |field: &str, value: &str, required: bool| match value.trim() {
        "" if !required => None,
        v => match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                fail(field, "must be a date (YYYY-MM-DD)");
                None
            }
        },
    };
    let from = date("from", &f.from, true);
    let to = date("to", &f.to, true);
    let comparison_from = date("comparison_from", &f.comparison_from, false);
    let comparison_to = date("comparison_to", &f.comparison_to, false);
    let comparison = serde_json::from_value::<ComparisonKind>(enumerated(&f.comparison)).ok();
    if comparison.is_none() {
        fail("comparison", "choose what to compare with");
    }
    let category = serde_json::from_value::<AwardCategory>(enumerated(&f.category)).ok();
    if category.is_none() {
        fail("category", "choose the award category");
    }
    let word_limit = f.word_limit.trim().parse::<u32>().ok();
    if word_limit.is_none() {
        fail("word_limit", "must be a whole number from 50 to 5000");
    }
    let calendar = match f.calendar.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                fail("calendar", "must be a calendar id");
                None
            }
        },
    };
    let time_zone = Some(f.time_zone.trim())
        .filter(|z| !z.is_empty())
        .map(str::to_string);
    match (scope, from, to, comparison, category, word_limit) {
        (Some(scope), Some(from), Some(to), Some(comparison), Some(category), Some(word_limit))
            if errors.is_empty() =>
        {
            Ok(EvidenceRequest {
                scope,
                scope_id,
                from,
                to,
                time_zone,
                comparison,
                comparison_from,
                comparison_to,
                category,
                word_limit,
                as_of: None,
                bootstrap_seed: None,
                bootstrap_resamples: None,
                source: None,
                calendar,
            })
        }
        _ => Err(errors),
    }
}

/// A stored report in the dashboard's list.
#[derive(Debug, Clone)]
pub struct ReportLink {
    /// Id.
    pub id: i64,
    /// `evidence`.
    pub kind: String,
    /// What it is about (`Company, 1 November 2026 – 30 November 2026`).
    pub about: String,
    /// When it was stored (UTC, to the minute).
    pub created: String,
}

impl From<StoredReportHeader> for ReportLink {
    fn from(r: StoredReportHeader) -> Self {
        let bake_off = (r.kind == "bake_off").then(|| {
            format!(
                "bake-off under protocol {}, as of {}",
                r.parameters["protocol_id"],
                r.parameters["as_of"].as_str().unwrap_or("?")
            )
        });
        let summary = StoredReportSummary::from(r);
        let about = bake_off.or_else(|| {
            summary.parameters.as_ref().map(|p| {
                let scope = crate::reports::render::format::words(p.scope.as_str());
                let who = p.scope_id.map(|id| format!(" {id}")).unwrap_or_default();
                format!(
                    "{scope}{who}, {}",
                    crate::reports::render::format::period(p.from, p.to)
                )
            })
        });
        let about = about.unwrap_or_else(|| "(parameters unreadable)".to_string());
        ReportLink {
            id: summary.id,
            kind: summary.kind,
            about,
            created: summary.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/evidence_form.html")]
struct EvidencePage<'a> {
    session: Option<&'a Session>,
    csrf_token: &'a str,
    evidence: &'a EvidenceFormView,
}

fn form_page(session: &Session, status: StatusCode, view: &EvidenceFormView) -> HttpResponse {
    let page = EvidencePage {
        session: Some(session),
        csrf_token: &session.csrf_token,
        evidence: view,
    };
    rendered(session, status, page.render())
}

/// A form page's response: the rendered page with `status`, or the failure page.
pub(super) fn rendered(
    session: &Session,
    status: StatusCode,
    page: Result<String, askama::Error>,
) -> HttpResponse {
    match page {
        Ok(body) => html(status, body),
        Err(e) => failure(ApiError::Unexpected(e.into()), Some(session)),
    }
}

/// Today's date in the reporting zone, and the zone.
pub(super) fn today(state: &AppState) -> (NaiveDate, String) {
    let zone = state.settings.metrics.reporting_time_zone.clone();
    let today = zone.parse::<chrono_tz::Tz>().map_or_else(
        |_| Utc::now().date_naive(),
        |z| Utc::now().with_timezone(&z).date_naive(),
    );
    (today, zone)
}

/// `GET /dashboard/reports/evidence`: the blank form (200).
pub async fn show_evidence(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let session = match viewer(&state, &req).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let (today, zone) = today(&state);
    form_page(
        &session,
        StatusCode::OK,
        &EvidenceFormView::defaults(today, &zone),
    )
}

/// `POST /dashboard/reports/evidence`: see the module documentation.
pub async fn submit_evidence(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let session = match viewer(&state, &req).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let fields: EvidenceFields = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if let Some(refused) = post_refusal(&req, &state, &session, fields.csrf_token.as_deref()) {
        return refused;
    }
    let invalid = |errors: BTreeMap<String, String>| {
        let mut shown = fields.clone();
        shown.csrf_token = None;
        form_page(
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            &EvidenceFormView::new(shown, errors),
        )
    };
    let request = match evidence_request(&fields) {
        Ok(r) => r,
        Err(errors) => return invalid(errors),
    };
    let field_errors = |e: ApiError| match e {
        ApiError::Validation { errors, .. } | ApiError::BadRequest { errors, .. } => Ok(errors
            .into_iter()
            .map(|(field, messages)| (field, messages.join("; ")))
            .collect::<BTreeMap<_, _>>()),
        other => Err(other),
    };
    let params = match request.parse(Utc::now()) {
        Ok(p) => p,
        Err(e) => {
            return match field_errors(e) {
                Ok(errors) => invalid(errors),
                Err(other) => failure(other, Some(&session)),
            };
        }
    };
    match crate::routes::reports::generate_and_store(&state, params, session.user_id).await {
        Ok((stored, _)) => {
            tracing::info!(target: "audit", { user.id = session.user_id, report.id = stored.id },
                "evidence report stored from the dashboard");
            super::see_other(&format!("/dashboard/reports/{}", stored.id)).finish()
        }
        Err(e) => match field_errors(e) {
            Ok(errors) => invalid(errors),
            Err(other) => failure(other, Some(&session)),
        },
    }
}

/// `GET /dashboard/reports/{id}`: the stored report's HTML page (200), 404 page for no such
/// report.
pub async fn show_report(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    let session = match viewer(&state, &req).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let not_found = || {
        problem(
            StatusCode::NOT_FOUND,
            "No such report",
            "There is no stored report with this number.",
            Some(&session),
        )
    };
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    let stored = match crate::db::run(&state.pool, move |conn| {
        Ok(crate::reports::store::get(conn, id)
            .map(Some)
            .or_else(|e| match e {
                diesel::result::Error::NotFound => Ok(None),
                other => Err(other),
            })?)
    })
    .await
    {
        Ok(Some(s)) => s,
        Ok(None) => return not_found(),
        Err(e) => return failure(e, Some(&session)),
    };
    let page = if stored.kind == "bake_off" {
        crate::reports::bakeoff::render::html_from_json(&stored.document)
            .map_err(|e| ApiError::Unexpected(e.into()))
    } else {
        crate::reports::render::html_from_json(&stored.document)
            .map_err(|e| ApiError::Unexpected(e.into()))
    };
    match page {
        Ok(page) => super::builder(StatusCode::OK)
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                REPORT_CONTENT_SECURITY_POLICY,
            ))
            .content_type("text/html; charset=utf-8")
            .body(page),
        Err(e) => failure(e, Some(&session)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typed_fields_become_the_api_request_or_name_the_failing_fields() {
        let view = EvidenceFormView::defaults(NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(), "UTC");
        let request = evidence_request(&view.fields).unwrap();
        assert_eq!(request.scope, ScopeKind::Company);
        assert_eq!(request.from, NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        assert_eq!(request.to, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(request.word_limit, 500);
        assert_eq!(request.calendar, None, "blank: each ticket's own calendar");
        let mut on_one = view.fields.clone();
        on_one.calendar = " 2 ".into();
        assert_eq!(evidence_request(&on_one).unwrap().calendar, Some(2));
        let mut bad = view.fields.clone();
        bad.from = "1 Nov".into();
        bad.word_limit = "many".into();
        bad.scope = "galaxy".into();
        bad.calendar = "office".into();
        let errors = evidence_request(&bad).unwrap_err();
        assert_eq!(
            errors.keys().map(String::as_str).collect::<Vec<_>>(),
            ["calendar", "from", "scope", "word_limit"]
        );
        let view = EvidenceFormView::new(bad, errors);
        let summary: Vec<_> = view.summary().into_iter().map(|(_, l, _)| l).collect();
        assert_eq!(
            summary,
            ["Whose work", "From", "Word limit", "Calendar"],
            "in the form's order"
        );
    }
}
