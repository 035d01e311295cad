//! `GET /tickets/{id}` and `GET /tickets/by-number/{number}`: the ticket, its audit trail, its
//! metrics and its live SLA clocks.
//!
//! A ticket has two integers: its `id` (the row's identity, 1, 2, …: what every other route
//! takes) and its human `number` (from `ticket_number_seq`, 1000, 1001, …: what a facility quotes
//! on the phone). The two ranges overlap once there are a thousand tickets, so a number is never
//! accepted where an id is: it has its own path segment, `by-number`, which no id can be.

use super::{SlaResponse, TicketDetailResponse};
use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::models::ticket as model;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel::QueryResult;

/// One ticket with its audit trail (oldest first) and metrics.
///
/// Errors: 401 without a valid token; 404 when no ticket has this id or the caller may not see it
/// (a technician asking for a ticket without their work order: its existence is private); 400
/// when the id is not a number.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets",
    params(("id" = i64, Path, description = "Ticket id (not its number: a number is looked up at \
        `/api/v1/tickets/by-number/{number}`)")),
    security(("bearer" = [])),
    responses(
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, body = TicketDetailResponse),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_ticket(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    detail(state, user, Ticket::Id(id.into_inner())).await
}

/// The ticket a person quotes by its human number (`6118`; `#6118` sent as `%236118` is the same
/// ticket), with its audit trail, metrics and SLA clocks: the body of `GET /tickets/{id}`, and
/// `Content-Location` naming that canonical id URL. Numbers and ids are different integers, so a
/// number never goes in an id's place (`GET /tickets/6118` is the ticket with *id* 6118).
///
/// Errors: 401 without a valid token; 400 naming `number` when it is not a whole number; 404
/// when no ticket has this number (0 included) or the caller may not see it (a technician without a work
/// order on it).
#[utoipa::path(get, path = "/api/v1/tickets/by-number/{number}", tag = "tickets",
    params(("number" = String, Path, description = "Ticket number, e.g. `6118` or `#6118`",
            pattern = "^#?[0-9]{1,18}$")),
    security(("bearer" = [])),
    responses(
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, body = TicketDetailResponse,
         headers(("ETag" = String), ("Content-Location" = String, description = "`/api/v1/tickets/{id}`"))),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_ticket_by_number(
    state: web::Data<AppState>,
    user: AuthUser,
    number: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let Some((number, _)) = super::list::parse_ticket_number(&number) else {
        // Well-formed digits that name no possible ticket (0, 000): no ticket has that number.
        let digits = number.trim();
        let digits = digits.strip_prefix('#').unwrap_or(digits);
        if !digits.is_empty() && digits.len() <= 18 && digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::NotFound("ticket"));
        }
        return Err(ApiError::bad_field(
            "number",
            "must be a ticket number, e.g. 6118 or #6118",
        ));
    };
    detail(state, user, Ticket::Number(number)).await
}

/// How the caller named the ticket.
#[derive(Debug, Clone, Copy)]
enum Ticket {
    Id(i64),
    Number(i64),
}

async fn detail(
    state: web::Data<AppState>,
    user: AuthUser,
    which: Ticket,
) -> ApiResult<HttpResponse> {
    let visibility = user.visibility();
    let rules = state.rules.clone();
    let (detail, sla, category_name) = db::run(&state.pool, move |conn| {
        let id = match which {
            Ticket::Id(id) => id,
            Ticket::Number(number) => model::id_by_number(conn, number, visibility)
                .map_err(ApiError::not_found("ticket"))?,
        };
        let detail =
            model::get_with_history(conn, id, visibility).map_err(ApiError::not_found("ticket"))?;
        let rules = rules.at_version(conn, detail.rules_version)?;
        // The log is replayed only when a policy applies to the ticket.
        let sla = match crate::tickets::projection::policy_of(&rules, &detail.ticket) {
            Some(_) => {
                let log = detail
                    .events
                    .iter()
                    .cloned()
                    .map(model::domain_event)
                    .collect::<QueryResult<Vec<_>>>()?;
                crate::tickets::projection::clocks_at(&rules, &detail.ticket, &log, Utc::now())
            }
            None => None,
        };
        let category_name = match &detail.ticket.category {
            Some(key) => crate::models::category::name_of(conn, key)?,
            None => None,
        };
        Ok((detail, sla, category_name))
    })
    .await?;
    let model::TicketDetail {
        ticket,
        events,
        metrics,
        ..
    } = detail;
    let mut response = HttpResponse::Ok();
    if let Ticket::Number(_) = which {
        response.insert_header((
            header::CONTENT_LOCATION,
            format!("/api/v1/tickets/{}", ticket.id),
        ));
    }
    Ok(response
        .insert_header((header::ETAG, format!("\"{}\"", ticket.version)))
        .json(TicketDetailResponse {
            ticket: super::TicketResponse {
                category_name,
                ..ticket.into()
            },
            events: events.into_iter().map(Into::into).collect(),
            metrics: metrics.map(Into::into),
            sla: sla.map(|(policy, clocks)| SlaResponse {
                policy_id: policy.id,
                policy_name: policy.name,
                clocks,
            }),
        }))
}
