//! Unsubscribe links (`List-Unsubscribe` of every customer email, RFC 8058 one-click):
//! - `GET /unsubscribe/{token}`: a page asking to confirm (a GET changes nothing: mail
//!   scanners follow links);
//! - `POST /unsubscribe/{token}`: the customer stops receiving notices and surveys
//!   (`customers.email_opt_out`); also what a mail client's one-click unsubscribe sends
//!   (`List-Unsubscribe=One-Click` in the body, ignored). Messages already queued for them are
//!   cancelled in the same transaction.
//!
//! A tampered or unknown token answers 404, an expired one 410, each with a page saying so.

use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::notify::links::{LinkError, Purpose};
use crate::schema::customers;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use diesel::prelude::*;

#[derive(Template)]
#[template(path = "pages/unsubscribe.html")]
struct Page<'a> {
    title: &'a str,
    message: &'a str,
    confirm: bool,
}

fn page(status: StatusCode, title: &str, message: &str, confirm: bool) -> ApiResult<HttpResponse> {
    let body = Page {
        title,
        message,
        confirm,
    }
    .render()
    .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("unsubscribe page: {e}")))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        ))
        .body(body))
}

fn refused(e: LinkError) -> ApiResult<HttpResponse> {
    match e {
        LinkError::Expired => page(
            StatusCode::GONE,
            "This link has expired",
            "Unsubscribe links work for a year. Use the link in a more recent email from us, or reply to it and ask us to stop.",
            false,
        ),
        LinkError::Invalid => page(
            StatusCode::NOT_FOUND,
            "This link is not valid",
            "Please use the unsubscribe link exactly as it appears in our email.",
            false,
        ),
    }
}

/// The confirmation page of an unsubscribe link.
pub async fn show(state: web::Data<AppState>, token: web::Path<String>) -> ApiResult<HttpResponse> {
    match state.links.verify(Purpose::Unsubscribe, &token, Utc::now()) {
        Ok(_) => page(
            StatusCode::OK,
            "Stop emails from us?",
            "You will no longer receive updates about your requests or satisfaction surveys by email. You can still call us.",
            true,
        ),
        Err(e) => refused(e),
    }
}

/// Unsubscribes the link's customer (idempotent).
pub async fn confirm(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let customer = match state.links.verify(Purpose::Unsubscribe, &token, Utc::now()) {
        Ok(c) => c,
        Err(e) => return refused(e),
    };
    let changed = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let changed = diesel::update(customers::table.find(customer))
                .set((
                    customers::email_opt_out.eq(true),
                    customers::updated_at.eq(Utc::now()),
                ))
                .execute(conn)?;
            // What is already queued for them (a survey invitation waits a day, a retry longer)
            // is not sent either; the worker checks again at sending time.
            crate::models::outbox::cancel_for_customer_tx(conn, customer)?;
            Ok::<_, ApiError>(changed)
        })
    })
    .await?;
    if changed == 0 {
        return refused(LinkError::Invalid);
    }
    tracing::info!(target: "audit", { customer.id = customer }, "customer unsubscribed from email");
    page(
        StatusCode::OK,
        "You are unsubscribed",
        "We will not send you any more emails about your requests or surveys.",
        false,
    )
}
