//! The dashboard's bake-off form.
//!
//! - `GET /dashboard/reports/bake-off`: the form — which comparison (the in-house contact center
//!   against the outsourced one, by sourcing; or employed technicians against contractors), the
//!   period, and optionally one business calendar for both cohorts.
//! - `POST /dashboard/reports/bake-off` (`application/x-www-form-urlencoded`, with the session's
//!   `csrf_token`): the protocol is built from the fields and registered (or found) before any
//!   figure is computed, by the same [`crate::routes::bake_off::generate_and_store`] as `POST
//!   /api/v1/reports/bake-off`; 303 to `/dashboard/reports/{id}`. A field that does not parse or
//!   is refused: 422, the form again with the field named and the input kept.

use super::forms::Choice;
use super::{failure, post_refusal, viewer};
use crate::auth::session::Session;
use crate::error::ApiError;
use crate::reports::bakeoff::ProtocolRequest;
use crate::routes::bake_off::BakeOffRequest;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;

const COMPARISONS: &[(&str, &str)] = &[
    ("sourcing", "In-house (A) vs outsourced (B) contact center"),
    ("technicians", "Employed technicians (A) vs contractors (B)"),
];

/// The form's fields as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BakeOffFields {
    /// `sourcing` or `technicians`.
    #[serde(default)]
    pub comparison: String,
    /// First day.
    #[serde(default)]
    pub from: String,
    /// Day after the last.
    #[serde(default)]
    pub to: String,
    /// IANA zone.
    #[serde(default)]
    pub time_zone: String,
    /// A calendar id, or empty.
    #[serde(default)]
    pub calendar: String,
    /// The session's CSRF token.
    pub csrf_token: Option<String>,
}

/// The form as shown.
pub struct BakeOffFormView {
    /// The fields.
    pub fields: BakeOffFields,
    /// The comparison choices.
    pub comparisons: Vec<Choice>,
    /// Field → message.
    pub errors: BTreeMap<String, String>,
}

impl BakeOffFormView {
    fn new(fields: BakeOffFields, errors: BTreeMap<String, String>) -> BakeOffFormView {
        let comparisons = COMPARISONS
            .iter()
            .map(|&(value, label)| Choice {
                value,
                label,
                selected: value == fields.comparison,
            })
            .collect();
        BakeOffFormView {
            fields,
            comparisons,
            errors,
        }
    }

    /// The last 90 days to today, in `zone`.
    fn defaults(today: NaiveDate, zone: &str) -> BakeOffFormView {
        let from = today - chrono::Days::new(90);
        BakeOffFormView::new(
            BakeOffFields {
                comparison: "sourcing".to_string(),
                from: from.to_string(),
                to: today.to_string(),
                time_zone: zone.to_string(),
                calendar: String::new(),
                csrf_token: None,
            },
            BTreeMap::new(),
        )
    }

    /// The message of `field`, if any.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

/// The API request of the typed fields, or the fields that do not parse.
fn request(f: &BakeOffFields) -> Result<BakeOffRequest, BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let date = |v: &str, field: &str, errors: &mut BTreeMap<String, String>| {
        let d = NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok();
        if d.is_none() {
            errors.insert(field.to_string(), "must be a date (YYYY-MM-DD)".to_string());
        }
        d
    };
    let from = date(&f.from, "from", &mut errors);
    let to = date(&f.to, "to", &mut errors);
    let calendar = match f.calendar.trim() {
        "" => None,
        v => match v.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.insert("calendar".to_string(), "must be a calendar id".to_string());
                None
            }
        },
    };
    let cohorts = match f.comparison.as_str() {
        "sourcing" => Some((
            serde_json::json!({"label": "In-house", "sourcing": "in_house"}),
            serde_json::json!({"label": "Outsourced", "sourcing": "outsourced"}),
            vec![
                "first_reply_time",
                "full_resolution_time",
                "reopen_rate",
                "first_contact_resolution",
                "sla_attainment",
                "csat",
                "csat_response_rate",
            ],
        )),
        "technicians" => Some((
            serde_json::json!({"label": "Employees", "technician_employment_type": "employee"}),
            serde_json::json!({"label": "Contractors", "technician_employment_type": "contractor"}),
            vec!["first_time_fix", "arrival_window_met", "wrench_time"],
        )),
        _ => {
            errors.insert("comparison".to_string(), "choose a comparison".to_string());
            None
        }
    };
    let (Some(from), Some(to), Some((a, b, metrics)), true) =
        (from, to, cohorts, errors.is_empty())
    else {
        return Err(errors);
    };
    let name = format!(
        "{} {} to {}",
        if f.comparison == "sourcing" {
            "In-house vs outsourced contact center,"
        } else {
            "Employed technicians vs contractors,"
        },
        from,
        to
    );
    let time_zone = Some(f.time_zone.trim())
        .filter(|z| !z.is_empty())
        .map(str::to_string);
    let protocol: ProtocolRequest = serde_json::from_value(serde_json::json!({
        "name": name, "cohort_a": a, "cohort_b": b, "from": from, "to": to,
        "time_zone": time_zone, "metrics": metrics, "calendar": calendar,
    }))
    .map_err(|e| BTreeMap::from([("comparison".to_string(), e.to_string())]))?;
    Ok(BakeOffRequest {
        protocol_id: None,
        protocol: Some(protocol),
        as_of: None,
    })
}

#[derive(Template)]
#[template(path = "dashboard/bake_off_form.html")]
struct BakeOffPage<'a> {
    session: Option<&'a Session>,
    csrf_token: &'a str,
    bake_off: &'a BakeOffFormView,
}

fn form_page(session: &Session, status: StatusCode, view: &BakeOffFormView) -> HttpResponse {
    let page = BakeOffPage {
        session: Some(session),
        csrf_token: &session.csrf_token,
        bake_off: view,
    };
    super::forms::rendered(session, status, page.render())
}

/// `GET /dashboard/reports/bake-off`: the blank form (200).
pub async fn show(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let session = match viewer(&state, &req).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let (today, zone) = super::forms::today(&state);
    form_page(
        &session,
        StatusCode::OK,
        &BakeOffFormView::defaults(today, &zone),
    )
}

/// `POST /dashboard/reports/bake-off`: see the module documentation.
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let session = match viewer(&state, &req).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let fields: BakeOffFields = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if let Some(refused) = post_refusal(&req, &state, &session, fields.csrf_token.as_deref()) {
        return refused;
    }
    let invalid = |errors: BTreeMap<String, String>| {
        let mut shown = fields.clone();
        shown.csrf_token = None;
        form_page(
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            &BakeOffFormView::new(shown, errors),
        )
    };
    let request = match request(&fields) {
        Ok(r) => r,
        Err(errors) => return invalid(errors),
    };
    match crate::routes::bake_off::generate_and_store(&state, request, session.user_id).await {
        Ok((stored, _)) => {
            tracing::info!(target: "audit", { user.id = session.user_id, report.id = stored.id },
                "bake-off report stored from the dashboard");
            super::see_other(&format!("/dashboard/reports/{}", stored.id)).finish()
        }
        Err(ApiError::Validation { errors, .. }) => invalid(
            errors
                .into_iter()
                .map(|(field, messages)| {
                    // The protocol's fields, named as the form names them.
                    let field = field
                        .trim_start_matches("protocol.")
                        .trim_start_matches("cohort_a.")
                        .to_string();
                    (field, messages.join("; "))
                })
                .collect(),
        ),
        Err(other) => failure(other, Some(&session)),
    }
}
