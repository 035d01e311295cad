//! `GET /tickets`: filters, full-text search and keyset pagination.

use super::TicketResponse;
use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::ticket::{TicketPriority, TicketStatus};
use crate::error::{ApiError, ApiResult};
use crate::models::enums::{DbTicketStatus, TicketChannel};
use crate::models::ticket::{self as model, SortKey, TicketFilter, TicketSort, Visibility};
use crate::routes::body::QueryParams;
use crate::routes::fields::{clip, parse_range};
use crate::routes::pages::{decode_keyset_cursor, encode_keyset_cursor, per_page};
use crate::state::AppState;
use crate::tickets::update::HOLD_REASONS;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `GET /tickets` response: `{ "tickets": [...], "meta": { "next_cursor": ..., "total": ... } }`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketListResponse {
    /// Tickets in the order of `sort` (default newest first: by `created_at`, then `id`).
    pub tickets: Vec<TicketListItem>,
    /// Pagination, and the count of matching tickets when asked.
    pub meta: TicketListMeta,
}

/// Pagination of `GET /tickets`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketListMeta {
    /// Pass as `cursor` (with the same filters and sort) to get the next page; `null` on the last.
    pub next_cursor: Option<String>,
    /// How many tickets match the filters, all pages together (`total=true` only; `null`
    /// otherwise: counting costs a statement that reads every match).
    pub total: Option<i64>,
}

/// One ticket of a list, with what a queue screen shows beside it (read by the list's one
/// statement: no call per row).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketListItem {
    /// The ticket.
    #[serde(flatten)]
    pub ticket: TicketResponse,
    /// Its requester's name.
    pub requester_name: Option<String>,
    /// Its organization's name.
    pub organization_name: Option<String>,
    /// Its assignee's name.
    pub assignee_name: Option<String>,
    /// Its team's name.
    pub team_name: Option<String>,
    /// The next SLA due instant (UTC): the earliest due instant of its running SLA clocks;
    /// `null` when no clock runs (no policy applies, or every target is met or paused).
    pub sla_due_at: Option<DateTime<Utc>>,
}

impl From<model::TicketListRow> for TicketListItem {
    fn from(r: model::TicketListRow) -> Self {
        TicketListItem {
            ticket: TicketResponse {
                category_name: r.category_name,
                ..r.ticket.into()
            },
            requester_name: r.requester_name,
            organization_name: r.organization_name,
            assignee_name: r.assignee_name,
            team_name: r.team_name,
            sla_due_at: r.sla_due_at,
        }
    }
}

/// Query parameters of `GET /tickets`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListTicketsQuery {
    /// Comma-separated statuses (`new,open,pending,on_hold,solved,closed`) or the group
    /// `unsolved` (`new,open,pending,on_hold`); any of them matches.
    #[param(value_type = Option<String>, example = "unsolved")]
    pub status: Option<String>,
    /// Comma-separated priorities (`low,normal,high,urgent`).
    #[param(value_type = Option<crate::routes::openapi::TicketPriorityList>)]
    pub priority: Option<String>,
    /// Comma-separated channels (`phone,email,web,chat,field`).
    #[param(value_type = Option<crate::routes::openapi::TicketChannelList>)]
    pub channel: Option<String>,
    /// `me` (the caller's tickets), `none` (unassigned) or a staff user id.
    #[param(value_type = Option<String>, pattern = "^(me|none|[0-9]{1,18})$")]
    pub assignee: Option<String>,
    /// Comma-separated pause reasons (`awaiting_parts`, `awaiting_field_visit`,
    /// `facility_access`, `third_party`, `other`): on-hold tickets held for one of them.
    #[param(value_type = Option<String>, example = "awaiting_field_visit")]
    pub hold_reason: Option<String>,
    /// `true`: `meta.total` counts every matching ticket (one more statement).
    pub total: Option<bool>,
    /// `json` or `csv`; without it the `Accept` header decides (`text/csv` → CSV), else JSON.
    /// The CSV is the page (same filters, sort, `per_page` and `cursor`): one row per ticket
    /// (then one `field.<key>` column per active custom field), the next page's cursor in
    /// `X-Next-Cursor` and, with `total=true`, the count in `X-Total-Count`.
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    pub format: Option<String>,
    /// Team id.
    pub team: Option<i64>,
    /// Requester (customer) id.
    pub requester: Option<i64>,
    /// Organization id.
    pub organization: Option<i64>,
    /// Site id.
    pub site: Option<i64>,
    /// Asset id: only tickets about this asset.
    pub asset_id: Option<i64>,
    /// Category (case-insensitive).
    pub category: Option<String>,
    /// A tag the ticket carries.
    pub tag: Option<String>,
    /// An outside data set's label (`frontline import event-log … --source LABEL`): only its
    /// tickets. Without it, only the company's own tickets are listed.
    #[param(pattern = "^[a-z0-9][a-z0-9_.-]{0,62}$")]
    pub source: Option<String>,
    /// `in_house` or `outsourced`: the sourcing of the ticket's team.
    #[param(value_type = Option<crate::routes::openapi::SourcingList>)]
    pub sourcing: Option<String>,
    /// Created at or after this instant (RFC 3339, inclusive).
    #[param(value_type = Option<crate::routes::openapi::Instant>)]
    pub created_from: Option<String>,
    /// Created before this instant (RFC 3339, exclusive; not before `created_from`).
    #[param(value_type = Option<crate::routes::openapi::Instant>)]
    pub created_to: Option<String>,
    /// Updated at or after (inclusive).
    #[param(value_type = Option<crate::routes::openapi::Instant>)]
    pub updated_from: Option<String>,
    /// Updated before (exclusive; not before `updated_from`).
    #[param(value_type = Option<crate::routes::openapi::Instant>)]
    pub updated_to: Option<String>,
    /// Latest solve at or after (inclusive).
    #[param(value_type = Option<crate::routes::openapi::Instant>)]
    pub solved_from: Option<String>,
    /// Latest solve before (exclusive; not before `solved_from`).
    #[param(value_type = Option<crate::routes::openapi::Instant>)]
    pub solved_to: Option<String>,
    /// Comma-separated ticket numbers (`6118` or `#6118`, at most 100): only these tickets.
    #[param(value_type = Option<String>, example = "6118,#6120")]
    pub number: Option<String>,
    /// Full-text search over subject, description and comments (web search syntax: words,
    /// "quoted phrases", `-excluded`); at most 500 characters once trimmed, blank: no search.
    /// A ticket number finds its ticket: `#6118` only that ticket, a bare `6118` that ticket and
    /// the tickets whose text holds the word 6118.
    #[param(value_type = Option<crate::routes::openapi::Text500>)]
    pub q: Option<String>,
    /// `breached` (a target breached) or `at_risk` (a running target due within the hour or past
    /// its policy's warning instant).
    #[param(value_type = Option<crate::routes::openapi::SlaRiskName>)]
    pub sla: Option<String>,
    /// `-created_at` (default), `created_at`, `-updated_at`, `updated_at`, `sla_due` (next SLA
    /// breach first: by `sla_due_at`, tickets without one last, then by id) or `priority`
    /// (urgent, high, normal, low; oldest first within each).
    #[param(value_type = Option<crate::routes::openapi::TicketSortName>)]
    pub sort: Option<String>,
    /// `meta.next_cursor` of the previous page (with the same sort).
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

/// The cursor after a row with sort key `key` and id `id`: the `(instant, id)` cursor of the time
/// sorts, `due:<µs or inf>:<id>` and `priority:<rank>:<µs>:<id>` (base64url) for the others.
fn encode_ticket_cursor(key: SortKey, id: i64) -> String {
    use base64::Engine;
    let text = match key {
        SortKey::At(at) => return encode_keyset_cursor(at, id),
        SortKey::Due(Some(at)) => format!("due:{}:{id}", at.timestamp_micros()),
        SortKey::Due(None) => format!("due:inf:{id}"),
        SortKey::Priority(rank, at) => format!("priority:{rank}:{}:{id}", at.timestamp_micros()),
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

/// The key of a cursor made by [`encode_ticket_cursor`] for `sort`; 422 on `cursor` otherwise
/// (also a cursor of another sort).
fn decode_ticket_cursor(sort: TicketSort, cursor: &str) -> Result<(SortKey, i64), ApiError> {
    use base64::Engine;
    let bad = || ApiError::invalid_field("cursor", "not a cursor returned by this endpoint");
    let instant = |micros: &str| -> Result<DateTime<Utc>, ApiError> {
        let at =
            DateTime::from_timestamp_micros(micros.parse().map_err(|_| bad())?).ok_or_else(bad)?;
        crate::domain::instant::check(at).map_err(|_| bad())
    };
    match sort {
        TicketSort::SlaDue | TicketSort::Priority => {
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(cursor)
                .map_err(|_| bad())?;
            let text = String::from_utf8(bytes).map_err(|_| bad())?;
            let parts: Vec<&str> = text.split(':').collect();
            match (sort, parts.as_slice()) {
                (TicketSort::SlaDue, ["due", "inf", id]) => {
                    Ok((SortKey::Due(None), id.parse().map_err(|_| bad())?))
                }
                (TicketSort::SlaDue, ["due", micros, id]) => Ok((
                    SortKey::Due(Some(instant(micros)?)),
                    id.parse().map_err(|_| bad())?,
                )),
                (TicketSort::Priority, ["priority", rank, micros, id]) => Ok((
                    SortKey::Priority(
                        rank.parse::<i16>()
                            .ok()
                            .filter(|r| (0..=3).contains(r))
                            .ok_or_else(bad)?,
                        instant(micros)?,
                    ),
                    id.parse().map_err(|_| bad())?,
                )),
                _ => Err(bad()),
            }
        }
        _ => decode_keyset_cursor(cursor).map(|(at, id)| (SortKey::At(at), id)),
    }
}

/// Parses a ticket number as people quote it: `6118` or `#6118` (surrounding blanks ignored),
/// positive. Returns the number and whether it carried the `#`.
pub fn parse_ticket_number(value: &str) -> Option<(i64, bool)> {
    let value = value.trim();
    let (digits, hash) = match value.strip_prefix('#') {
        Some(rest) => (rest, true),
        None => (value, false),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(|n| (n, hash))
}

/// Splits the custom field filters (`field.<key>=<value>`) out of a `GET /tickets` query
/// string: the other parameters (re-encoded, for [`crate::routes::body::parse_query`]) and the
/// filters, in order.
pub fn split_field_filters(query: &str) -> (String, Vec<(String, String)>) {
    let mut rest = form_urlencoded::Serializer::new(String::new());
    let mut fields = Vec::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.strip_prefix("field.") {
            Some(key) => fields.push((key.to_string(), v.into_owned())),
            None => {
                rest.append_pair(&k, &v);
            }
        }
    }
    (rest.finish(), fields)
}

/// The typed values of custom field filters (`field.<key>=<value>`), read as the field's type
/// reads a value: text (trimmed) and drop-down (one of its options) as strings, a number
/// (`2.5`), a date (`YYYY-MM-DD`), a checkbox (`true`, `false`).
///
/// # Errors
/// 422 naming `field.<key>` for an unknown field or a value its type refuses.
pub(super) fn resolve_field_filters(
    conn: &mut diesel::PgConnection,
    raw: &[(String, String)],
) -> Result<Vec<(String, serde_json::Value)>, ApiError> {
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let defs = crate::models::custom_field::list(conn)?;
    raw.iter()
        .map(|(key, value)| {
            let name = format!("field.{}", clip(key));
            let def = defs
                .iter()
                .find(|d| d.key == *key)
                .ok_or_else(|| ApiError::invalid_field(&name, "no such custom field"))?;
            let candidate = match def.field_type.as_str() {
                "number" | "checkbox" => serde_json::from_str(value.trim())
                    .unwrap_or_else(|_| serde_json::Value::String(value.clone())),
                _ => serde_json::Value::String(value.clone()),
            };
            crate::tickets::fields::check_value(def, &candidate)
                .map(|v| (key.clone(), v))
                .map_err(|m| ApiError::invalid_field(&name, m))
        })
        .collect()
}

/// Parses a comma-separated list of snake_case enum values.
fn parse_list<T>(field: &str, value: Option<&str>, expected: &str) -> Result<Vec<T>, ApiError>
where
    T: serde::de::DeserializeOwned,
{
    let Some(list) = value else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(|item| {
            serde_json::from_value(serde_json::Value::String(item.trim().to_string())).map_err(
                |_| {
                    ApiError::invalid_field(
                        field,
                        format!("unknown {field} `{}`; expected {expected}", clip(item)),
                    )
                },
            )
        })
        .collect()
}

impl TryFrom<ListTicketsQuery> for TicketFilter {
    type Error = ApiError;

    fn try_from(q: ListTicketsQuery) -> Result<Self, ApiError> {
        let unsolved = "new,open,pending,on_hold";
        let status = q.status.as_deref().map(|list| {
            list.split(',')
                .map(|s| if s.trim() == "unsolved" { unsolved } else { s })
                .collect::<Vec<_>>()
                .join(",")
        });
        let statuses: Vec<TicketStatus> = parse_list(
            "status",
            status.as_deref(),
            "new, open, pending, on_hold, solved, closed or unsolved",
        )?;
        let (assignee_id, unassigned) = match q.assignee.as_deref().map(str::trim) {
            None => (None, false),
            Some("none") => (None, true),
            // `me` is resolved by the handler, which knows the caller.
            Some("me") => (Some(0), false),
            Some(id) => (
                Some(id.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
                    ApiError::invalid_field("assignee", "expected me, none or a staff id")
                })?),
                false,
            ),
        };
        let hold_reasons = match q.hold_reason.as_deref() {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(|r| {
                    let r = r.trim();
                    HOLD_REASONS
                        .contains(&r)
                        .then(|| r.to_string())
                        .ok_or_else(|| {
                            ApiError::invalid_field(
                                "hold_reason",
                                format!(
                                    "unknown hold_reason `{}`; expected {}",
                                    clip(r),
                                    HOLD_REASONS.join(", ")
                                ),
                            )
                        })
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let priorities: Vec<TicketPriority> = parse_list(
            "priority",
            q.priority.as_deref(),
            "low, normal, high or urgent",
        )?;
        let channels: Vec<TicketChannel> = parse_list(
            "channel",
            q.channel.as_deref(),
            "phone, email, web, chat or field",
        )?;
        let sourcing = parse_list::<crate::models::enums::TeamSourcing>(
            "sourcing",
            q.sourcing.as_deref(),
            "in_house or outsourced",
        )?
        .first()
        .copied();
        let source = crate::import::event_log::source_filter(q.source.as_deref())?;
        let limit = per_page(q.per_page)?;
        let sort = match q.sort.as_deref() {
            None => TicketSort::default(),
            Some(s) => TicketSort::parse(s).ok_or_else(|| {
                ApiError::invalid_field(
                    "sort",
                    "expected -created_at, created_at, -updated_at, updated_at, sla_due or \
                     priority",
                )
            })?,
        };
        let (created_from, created_to) = parse_range(
            "created_from",
            "created_to",
            q.created_from.as_deref(),
            q.created_to.as_deref(),
        )?;
        let (updated_from, updated_to) = parse_range(
            "updated_from",
            "updated_to",
            q.updated_from.as_deref(),
            q.updated_to.as_deref(),
        )?;
        let (solved_from, solved_to) = parse_range(
            "solved_from",
            "solved_to",
            q.solved_from.as_deref(),
            q.solved_to.as_deref(),
        )?;
        let numbers = match q.number.as_deref() {
            None => Vec::new(),
            Some(list) => {
                let numbers = list
                    .split(',')
                    .map(|n| {
                        parse_ticket_number(n).map(|(n, _)| n).ok_or_else(|| {
                            ApiError::invalid_field(
                                "number",
                                format!(
                                    "`{}` is not a ticket number (e.g. 6118 or #6118)",
                                    clip(n)
                                ),
                            )
                        })
                    })
                    .collect::<Result<Vec<i64>, ApiError>>()?;
                if numbers.len() > 100 {
                    return Err(ApiError::invalid_field("number", "at most 100 numbers"));
                }
                numbers
            }
        };
        let text = q.q.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        let q_number = text
            .as_deref()
            .and_then(parse_ticket_number)
            .map(|(n, hash)| (n, !hash));
        if text.as_ref().is_some_and(|t| t.chars().count() > 500) {
            return Err(ApiError::invalid_field(
                "q",
                "must be at most 500 characters",
            ));
        }
        Ok(TicketFilter {
            statuses: statuses.into_iter().map(DbTicketStatus::from).collect(),
            priorities: priorities.into_iter().map(Into::into).collect(),
            channels,
            assignee_id,
            unassigned,
            hold_reasons,
            team_id: q.team,
            requester_id: q.requester,
            organization_id: q.organization,
            site_id: q.site,
            asset_id: q.asset_id,
            category: q.category.map(|c| c.trim().to_lowercase()),
            // Resolved against the field definitions by the handler (`field.<key>=`).
            custom_fields: Vec::new(),
            tag: q.tag.map(|t| t.trim().to_lowercase()),
            source,
            sourcing,
            created_from,
            created_to,
            updated_from,
            updated_to,
            solved_from,
            solved_to,
            numbers,
            q: text,
            q_number,
            sla: match q.sla.as_deref() {
                None => None,
                Some("breached") => Some((model::SlaRisk::Breached, chrono::Utc::now())),
                Some("at_risk") => Some((model::SlaRisk::AtRisk, chrono::Utc::now())),
                Some(_) => {
                    return Err(ApiError::invalid_field(
                        "sla",
                        "expected breached or at_risk",
                    ));
                }
            },
            sort,
            after: q
                .cursor
                .as_deref()
                .map(|c| decode_ticket_cursor(sort, c))
                .transpose()?,
            limit,
            visible_to: Visibility::All,
        })
    }
}

/// The columns of the CSV of a list; one `field.<key>` column per active custom field follows.
const CSV_HEADER: [&str; 15] = [
    "number",
    "id",
    "subject",
    "status",
    "hold_reason",
    "priority",
    "channel",
    "requester_name",
    "organization_name",
    "assignee_name",
    "team_name",
    "sla_due_at",
    "created_at",
    "updated_at",
    "solved_at",
];

/// The CSV cell of a custom field value: a checkbox `true`/`false`, a number as its JSON
/// writes it, a date `YYYY-MM-DD`, a text or drop-down value guarded against formulas; empty
/// without a value.
fn csv_field_cell(value: Option<&serde_json::Value>) -> String {
    use crate::routes::metrics::csv::csv_text;
    use serde_json::Value;
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => csv_text(s.clone()),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => csv_text(other.to_string()),
    }
}

/// The CSV of a page of tickets (text cells guarded against spreadsheet formulas): the
/// [`CSV_HEADER`] columns, then one `field.<key>` column per active custom field definition, in
/// the definitions' order (position, then key).
///
/// # Errors
/// Database errors (reading the definitions).
async fn csv_page(
    state: &AppState,
    rows: &[TicketListItem],
    next_cursor: Option<&str>,
    total: Option<i64>,
) -> ApiResult<HttpResponse> {
    use crate::routes::metrics::csv::csv_text;
    let fields: Vec<String> = db::run(&state.pool, |conn| {
        Ok(crate::models::custom_field::list(conn)?)
    })
    .await?
    .into_iter()
    .filter(|f| f.active)
    .map(|f| f.key)
    .collect();
    let instant = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            .unwrap_or_default()
    };
    let text = |v: &Option<String>| csv_text(v.clone().unwrap_or_default());
    let name = |v: serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let fail = |e: csv::Error| ApiError::Unexpected(e.into());
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = CSV_HEADER
        .iter()
        .map(|c| (*c).to_string())
        .chain(fields.iter().map(|k| format!("field.{k}")));
    w.write_record(header).map_err(fail)?;
    for r in rows {
        let t = &r.ticket;
        let fixed = [
            t.number.to_string(),
            t.id.to_string(),
            csv_text(t.subject.clone()),
            t.status.to_string(),
            t.hold_reason.clone().unwrap_or_default(),
            name(serde_json::to_value(t.priority).unwrap_or_default()),
            name(serde_json::to_value(t.channel).unwrap_or_default()),
            text(&r.requester_name),
            text(&r.organization_name),
            text(&r.assignee_name),
            text(&r.team_name),
            instant(r.sla_due_at),
            instant(Some(t.created_at)),
            instant(Some(t.updated_at)),
            instant(t.solved_at),
        ];
        let custom = fields
            .iter()
            .map(|k| csv_field_cell(t.custom_fields.get(k)));
        w.write_record(fixed.into_iter().chain(custom))
            .map_err(fail)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("csv: {e}")))?;
    let mut response = HttpResponse::Ok();
    response.content_type("text/csv; charset=utf-8");
    if let Some(cursor) = next_cursor {
        response.insert_header(("X-Next-Cursor", cursor.to_string()));
    }
    if let Some(total) = total {
        response.insert_header(("X-Total-Count", total.to_string()));
    }
    Ok(response.body(body))
}

/// Lists tickets, newest first, with filters and keyset pagination.
///
/// Every staff role may list; a technician sees only tickets with a work order assigned to them.
/// `field.<key>=<value>` (repeatable, all must hold) keeps the tickets whose custom field `key`
/// holds the value, read as the field's type reads it (`field.power_source=battery`,
/// `field.visits=2`, `field.warranty=true`, `field.install_date=2026-11-30`).
///
/// Errors: 401 without a valid token; 400 for an unknown parameter or a non-numeric id; 422
/// naming the field for an unknown status, a bad timestamp, a bad cursor or `per_page` outside
/// 1–100, naming `field.<key>` for an unknown custom field or a value its type refuses.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(ListTicketsQuery),
    security(("bearer" = [])),
    responses(
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "A page of tickets (JSON, or CSV with `format=csv` or `Accept: text/csv`)",
         content((TicketListResponse = "application/json"), (String = "text/csv")),
         headers(("X-Next-Cursor" = String, description = "CSV only: the next page's cursor"),
                 ("X-Total-Count" = String, description = "CSV with `total=true`: the count"))),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_tickets(
    state: web::Data<AppState>,
    user: AuthUser,
    req: actix_web::HttpRequest,
) -> ApiResult<HttpResponse> {
    let (rest, field_filters) = split_field_filters(req.query_string());
    let query = QueryParams::<ListTicketsQuery>(crate::routes::body::parse_query(&rest)?);
    let csv = match query.0.format.as_deref() {
        None => crate::routes::metrics::csv::wants_csv(&req),
        Some("csv") => true,
        Some("json") => false,
        Some(_) => return Err(ApiError::invalid_field("format", "expected json or csv")),
    };
    let total = query.0.total.unwrap_or(false);
    let me = query.0.assignee.as_deref().map(str::trim) == Some("me");
    let mut filter = TicketFilter::try_from(query.0)?;
    filter.visible_to = user.visibility();
    if me {
        filter.assignee_id = Some(user.id);
    }
    let sort = filter.sort;
    let (rows, more, total) = db::run(&state.pool, move |conn| {
        let mut filter = filter;
        filter.custom_fields = resolve_field_filters(conn, &field_filters)?;
        let (rows, more) = model::list(conn, &filter)?;
        let total = if total {
            Some(model::count(conn, &filter)?)
        } else {
            None
        };
        Ok((rows, more, total))
    })
    .await?;
    let next_cursor = if more {
        rows.last()
            .map(|t| encode_ticket_cursor(sort.key(t), t.ticket.id))
    } else {
        None
    };
    let tickets: Vec<TicketListItem> = rows.into_iter().map(Into::into).collect();
    if csv {
        return csv_page(&state, &tickets, next_cursor.as_deref(), total).await;
    }
    Ok(HttpResponse::Ok().json(TicketListResponse {
        tickets,
        meta: TicketListMeta { next_cursor, total },
    }))
}
