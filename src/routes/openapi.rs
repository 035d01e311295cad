//! What the OpenAPI document says about every operation, written once instead of on each
//! handler's `#[utoipa::path]`: the security schemes ([`SecuritySchemes`]) and the error statuses
//! that the shared extractors and middleware answer ([`CommonResponses`]).
//!
//! | what the operation has | statuses it may answer (problem+json) | who answers them |
//! | --- | --- | --- |
//! | the `bearer` scheme | 401 (+ `WWW-Authenticate`), 429 (+ `Retry-After`) | `AuthUser`, the per-user API limit |
//! | a JSON body | 400, 408, 413, 415, 422 | [`crate::routes::body::JsonBody`] |
//! | a path parameter | 400 (not a whole number), 404 | the path extractor, the handler |
//! | query parameters | 400 (unknown or repeated), 422 (a value that does not fit) | [`crate::routes::body::QueryParams`] |
//! | any `/api/v1` path | 503 (+ `Retry-After`) | the pool or the database (`ApiError::Unavailable`) |
//!
//! A status the handler documents itself keeps its description; responses without one get the
//! standard description of their status (OpenAPI requires one).

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};

/// Declares the `bearer` security scheme (JWT access tokens from `POST /auth/login`) and the
/// `inbound_secret` one (header `X-Inbound-Secret` of `POST /inbound/email`).
pub struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "inbound_secret",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Inbound-Secret",
                "The shared secret `email.inbound_secret`",
            ))),
        );
    }
}

/// Adds the statuses of the table above to every operation that can answer them, and a
/// description to every response that has none.
pub struct CommonResponses;

impl utoipa::Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let api = path.starts_with("/api/v1/");
            for operation in [
                item.get.as_mut(),
                item.post.as_mut(),
                item.patch.as_mut(),
                item.put.as_mut(),
                item.delete.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                if api {
                    add_common(operation);
                }
                describe(operation);
            }
        }
    }
}

fn add_common(operation: &mut Operation) {
    let bearer = operation
        .security
        .iter()
        .flatten()
        .any(|requirement| requirement_names(requirement).contains(&"bearer".to_string()));
    let json_body = operation
        .request_body
        .as_ref()
        .is_some_and(|body| match body {
            RefOr::T(body) => body.content.contains_key("application/json"),
            RefOr::Ref(_) => false,
        });
    let located = |place: ParameterIn| {
        operation.parameters.iter().flatten().any(|p| match p {
            RefOr::T(p) => p.parameter_in == place,
            RefOr::Ref(_) => false,
        })
    };
    let (path_params, query_params) = (located(ParameterIn::Path), located(ParameterIn::Query));
    let mut add: Vec<u16> = vec![503];
    if bearer {
        add.extend([401, 429]);
    }
    if json_body {
        add.extend([400, 408, 413, 415, 422]);
    }
    if path_params {
        add.extend([400, 404]);
    }
    if query_params {
        add.extend([400, 422]);
    }
    for status in add {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(problem(status)));
    }
}

/// The names of a security requirement's schemes (the type keeps them private; its JSON has
/// them as keys).
fn requirement_names(requirement: &utoipa::openapi::security::SecurityRequirement) -> Vec<String> {
    serde_json::to_value(requirement)
        .ok()
        .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
        .unwrap_or_default()
}

fn describe(operation: &mut Operation) {
    for (status, response) in operation.responses.responses.iter_mut() {
        let (Ok(status), RefOr::T(response)) = (status.parse::<u16>(), response) else {
            continue;
        };
        if response.description.is_empty() {
            response.description = standard_description(status)
                .unwrap_or("See the problem's `code` and `detail`.")
                .to_string();
        }
        if response.content.contains_key("application/problem+json") {
            add_headers(status, response);
        }
    }
}

/// What a status means everywhere in this API.
fn standard_description(status: u16) -> Option<&'static str> {
    Some(match status {
        200 => "OK",
        201 => "Created",
        204 => "Done; no body",
        400 => {
            "The request does not parse: malformed JSON, an unknown or repeated query parameter, \
             a path id that is not a whole number, a malformed header (`errors` names it)"
        }
        401 => {
            "Missing, invalid or expired credentials (`WWW-Authenticate: Bearer`); every \
             authentication failure answers the same body"
        }
        403 => "Authenticated, but the role does not allow this",
        404 => "No such resource (or the caller may not know it exists)",
        408 => "The request's body did not arrive within `application.body_read_timeout_seconds`",
        409 => "Conflicts with the current state: a duplicate, a refused transition (`code`)",
        412 => "`If-Match` names an older version than the current one",
        413 => "The body is larger than the limit (512 KiB for JSON)",
        415 => "The body is not `application/json` (nor `…+json`)",
        422 => {
            "The request parsed but a value is not acceptable, or does not fit the schema \
             (`errors`: field path → messages)"
        }
        428 => "The request needs an `If-Match` header",
        429 => {
            "Too many requests (`auth.api_requests_per_user_per_minute`, log-in attempts); \
             retry after `Retry-After` seconds"
        }
        503 => {
            "The database is unavailable or did not answer in time; retry after `Retry-After` \
             seconds"
        }
        _ => return None,
    })
}

/// A problem+json response with the standard description of `status`.
fn problem(status: u16) -> Response {
    let mut response = ResponseBuilder::new()
        .description(standard_description(status).unwrap_or_default())
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build();
    add_headers(status, &mut response);
    response
}

/// The headers that come with some statuses ([`crate::error::ApiError`]'s `error_response`).
fn add_headers(status: u16, response: &mut Response) {
    let header = |name: &str, description: &str| {
        let h = HeaderBuilder::new()
            .schema(Some(utoipa::openapi::schema::Object::with_type(
                utoipa::openapi::schema::Type::String,
            )))
            .description(Some(description))
            .build();
        (name.to_string(), RefOr::T(h))
    };
    let (name, h) = match status {
        401 => header("WWW-Authenticate", "`Bearer realm=\"frontline\"`"),
        429 | 503 => header("Retry-After", "Seconds to wait before retrying"),
        _ => return,
    };
    response.headers.entry(name).or_insert(h);
}

// ------------------------------------------------------------------ shapes of request values
//
// Named schemas for the request values that the parsers of `routes::fields` (and their like)
// accept, so that the document states exactly what the server takes: fields refer to them with
// `#[schema(value_type = …)]` / `#[param(value_type = …)]`. A value is trimmed (Unicode
// `White_Space`, as `str::trim`) before it is checked, so each pattern allows white space around
// the value and bounds the length of what is inside it. No string may hold U+0000 (PostgreSQL
// text cannot store it; the body and query parsers refuse it).

/// `str::trim`'s white space (Unicode `White_Space`), as a character class.
const WS: &str = r"[\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
/// Anything but white space and U+0000.
const SOLID: &str = r"[^\x00\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
/// Anything but U+0000.
const ANY: &str = r"[^\x00]";
/// Anything but control characters (`char::is_control`: U+0000–U+001F, U+007F–U+009F).
const NO_CONTROL: &str = r"[^\x00-\x1F\x7F-\x9F]";
/// Anything but control characters and white space.
const SOLID_NO_CONTROL: &str =
    r"[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

/// A pattern for a value that, once trimmed, is `min`(0 or 1)–`max` characters, starting and
/// ending with an `edge` character, `inner` ones between.
fn trimmed(edge: &str, inner: &str, min: usize, max: usize) -> String {
    let core = match max {
        1 => edge.to_string(),
        _ => format!("{edge}(?:{inner}{{0,{}}}{edge})?", max - 2),
    };
    let core = if min == 0 {
        format!("(?:{core})?")
    } else {
        core
    };
    format!("^{WS}*{core}{WS}*$")
}

fn string_schema(description: &str, pattern: String) -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .description(Some(description))
        .pattern(Some(pattern))
        .build()
}

macro_rules! text_shape {
    ($(#[$doc:meta])* $name:ident, $description:expr, $pattern:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
                RefOr::T(utoipa::openapi::schema::Schema::Object(string_schema(
                    $description,
                    $pattern,
                )))
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

text_shape!(
    /// A one-line name ([`crate::routes::fields::parse_name`] with 200).
    Name200,
    "1–200 characters once trimmed, without control characters (one line)",
    trimmed(SOLID_NO_CONTROL, NO_CONTROL, 1, 200)
);
text_shape!(
    /// A one-line value of at most 100 characters (tags, serial numbers, part numbers, codes).
    Name100,
    "1–100 characters once trimmed, without control characters (one line)",
    trimmed(SOLID_NO_CONTROL, NO_CONTROL, 1, 100)
);
text_shape!(
    /// A subject or summary ([`crate::tickets::MAX_SUBJECT`]).
    Subject,
    "1–250 characters once trimmed, without control characters (one line)",
    trimmed(
        SOLID_NO_CONTROL,
        NO_CONTROL,
        1,
        crate::tickets::MAX_SUBJECT
    )
);
text_shape!(
    /// A one-line value of at most 500 characters (addresses, reasons).
    Name500,
    "1–500 characters once trimmed, without control characters (one line)",
    trimmed(SOLID_NO_CONTROL, NO_CONTROL, 1, 500)
);
text_shape!(
    /// An optional one-line value of at most 500 characters: blank means none.
    OptionalName500,
    "At most 500 characters once trimmed, without control characters (one line); blank means none",
    trimmed(SOLID_NO_CONTROL, NO_CONTROL, 0, 500)
);
text_shape!(
    /// An optional short text (a skill): blank means none.
    Text50,
    "At most 50 characters once trimmed; blank means none",
    trimmed(SOLID, ANY, 0, 50)
);
text_shape!(
    /// An optional text of at most 200 characters: blank means none.
    Text200,
    "At most 200 characters once trimmed; blank means none",
    trimmed(SOLID, ANY, 0, 200)
);
text_shape!(
    /// An optional text of at most 500 characters: blank means none.
    Text500,
    "At most 500 characters once trimmed; blank means none",
    trimmed(SOLID, ANY, 0, 500)
);
text_shape!(
    /// An optional text of at most 2,000 characters: blank means none.
    Text2000,
    "At most 2,000 characters once trimmed; blank means none",
    trimmed(SOLID, ANY, 0, 2000)
);
text_shape!(
    /// An optional text of at most 4,000 characters: blank means none.
    Text4000,
    "At most 4,000 characters once trimmed; blank means none",
    trimmed(SOLID, ANY, 0, 4000)
);
text_shape!(
    /// A ticket tag ([`crate::routes::fields::parse_tags`]).
    Tag,
    "1–50 characters once trimmed, without white space; stored lower-cased",
    trimmed(SOLID, SOLID, 1, 50)
);
text_shape!(
    /// A staff member's skill ([`crate::routes::fields::parse_skills`]).
    Skill,
    "1–50 characters once trimmed; stored lower-cased",
    trimmed(SOLID, ANY, 1, 50)
);
text_shape!(
    /// A ticket category ([`crate::routes::fields::parse_category`]).
    Category,
    "1–100 characters once trimmed; stored lower-cased",
    trimmed(SOLID, ANY, 1, 100)
);
text_shape!(
    /// An email address ([`crate::domain::email::EmailAddress::parse`]).
    Email,
    "An email address: one `@` with a name before it and a domain with a dot after it, no \
     white space or control characters, at most 254 characters once trimmed; stored lower-cased",
    {
        let part = r"[^@.\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
        format!(r"^{WS}*[^@\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+@(?:{part}+\.)+{part}+{WS}*$")
    }
);
text_shape!(
    /// A phone number ([`crate::routes::fields::parse_phone`]).
    Phone,
    "3–20 digits, optionally with `+ - ( ) .` and spaces",
    format!(r"^{WS}*(?:[ +().\-]*[0-9]){{3,20}}[ +().\-]*{WS}*$")
);
text_shape!(
    /// An RFC 3339 instant with an offset, from 1900 ([`crate::domain::instant::parse_rfc3339`]).
    Instant,
    "An RFC 3339 instant with an offset (e.g. `2026-03-02T09:00:00Z`), between 1900-01-01 and \
     9999-12-31 UTC; precision beyond microseconds is dropped",
    r"^(?:19|[2-9][0-9])[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$".to_string()
);

/// An IANA time zone name, e.g. `America/Chicago`: an enum of the names the server knows
/// (chrono-tz's database).
pub struct TimeZoneName;

impl utoipa::PartialSchema for TimeZoneName {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
        RefOr::T(utoipa::openapi::schema::Schema::Object(
            utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .description(Some("An IANA time zone name, e.g. `America/Chicago`"))
                .enum_values(Some(names))
                .build(),
        ))
    }
}

impl utoipa::ToSchema for TimeZoneName {}

/// A calendar's weekly hours ([`crate::models::calendar::build`]): weekday → `[open, close]`
/// pairs of `HH:MM` (00:00–24:00), each closing after it opens.
pub struct WeeklyHoursSchema;

impl utoipa::PartialSchema for WeeklyHoursSchema {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
        let clock = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"))
            .build();
        let interval = || {
            ArrayBuilder::new()
                .items(clock.clone())
                .min_items(Some(2))
                .max_items(Some(2))
                .description(Some("`[open, close]`, `HH:MM`; closes after it opens"))
        };
        let day = || ArrayBuilder::new().items(interval());
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "Weekday → intervals, e.g. `{\"monday\": [[\"09:00\", \"17:00\"]]}`; a day left \
                 out is closed",
            ))
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ));
        for weekday in [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ] {
            object = object.property(weekday, day().build());
        }
        RefOr::T(Schema::Object(object.build()))
    }
}

impl utoipa::ToSchema for WeeklyHoursSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "WeeklyHours".into()
    }
}

/// The pause reasons of a ticket on hold ([`crate::tickets::update::HOLD_REASONS`]).
pub struct HoldReason;

impl utoipa::PartialSchema for HoldReason {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        RefOr::T(utoipa::openapi::schema::Schema::Object(
            utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .description(Some("Why a ticket is on hold (`on_hold.v1` pause reason)"))
                .enum_values(Some(crate::tickets::update::HOLD_REASONS))
                .build(),
        ))
    }
}

impl utoipa::ToSchema for HoldReason {}

/// An SLA policy's targets as `POST /sla-policies` takes them: priority → target kind →
/// `{"seconds": 1–31,622,400, "business": bool}`, at least one priority.
pub struct SlaTargets;

impl utoipa::PartialSchema for SlaTargets {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        use serde_json::{Map, Value, json};
        let target = json!({
            "type": "object",
            "required": ["seconds", "business"],
            "properties": {
                "seconds": {"type": "integer", "format": "int64", "minimum": 1,
                    "maximum": 31_622_400, "description": "The allowed time, seconds (a year at most)"},
                "business": {"type": "boolean",
                    "description": "`true`: business seconds on the ticket's calendar"}
            },
            "additionalProperties": false
        });
        let kinds: Map<String, Value> = ["first_reply", "next_reply", "resolution", "agent_work"]
            .iter()
            .map(|k| (k.to_string(), target.clone()))
            .collect();
        let per_priority =
            json!({"type": "object", "properties": kinds, "additionalProperties": false});
        let priorities: Map<String, Value> = ["low", "normal", "high", "urgent"]
            .iter()
            .map(|p| (p.to_string(), per_priority.clone()))
            .collect();
        let json = json!({
            "type": "object",
            "description": "Priority → target (`first_reply`, `next_reply`, `resolution`, \
                            `agent_work`) → `{\"seconds\": …, \"business\": …}`; at least one \
                            priority",
            "properties": priorities,
            "minProperties": 1,
            "additionalProperties": false
        });
        serde_json::from_value(json).unwrap_or_default()
    }
}

impl utoipa::ToSchema for SlaTargets {}

/// A pattern for a comma-separated list of `values`, each item trimmed; `empty_items`: blank
/// items are skipped (else refused).
fn list_of(values: &[&str], empty_items: bool) -> String {
    let one = format!("(?:{})", values.join("|"));
    let item = if empty_items {
        format!("{WS}*{one}?{WS}*")
    } else {
        format!("{WS}*{one}{WS}*")
    };
    format!("^{item}(?:,{item})*$")
}

text_shape!(
    /// `GET /tickets?status=`.
    TicketStatusList,
    "Comma-separated statuses: `new`, `open`, `pending`, `on_hold`, `solved`, `closed`",
    list_of(&["new", "open", "pending", "on_hold", "solved", "closed"], false)
);
text_shape!(
    /// `GET /tickets?priority=`.
    TicketPriorityList,
    "Comma-separated priorities: `low`, `normal`, `high`, `urgent`",
    list_of(&["low", "normal", "high", "urgent"], false)
);
text_shape!(
    /// `GET /tickets?channel=`.
    TicketChannelList,
    "Comma-separated channels: `phone`, `email`, `web`, `chat`, `field`",
    list_of(&["phone", "email", "web", "chat", "field"], false)
);
text_shape!(
    /// `GET /tickets?sourcing=` (the first one counts).
    SourcingList,
    "`in_house` or `outsourced` (a comma-separated list: the first one counts)",
    list_of(&["in_house", "outsourced"], false)
);
text_shape!(
    /// `GET /work-orders?status=`.
    WorkOrderStatusList,
    "Comma-separated statuses (`open` = scheduled, dispatched, en_route, on_site); blank items \
     are skipped",
    list_of(
        &[
            "open",
            "scheduled",
            "dispatched",
            "en_route",
            "on_site",
            "completed",
            "cannot_complete",
            "cancelled"
        ],
        true
    )
);
text_shape!(
    /// `GET /metrics/summary?include=`.
    SummaryInclude,
    "Comma-separated extras: `contact_rates`, `on_hold_by_reason`; blank items are skipped",
    list_of(&["contact_rates", "on_hold_by_reason"], true)
);
text_shape!(
    /// `GET /metrics/timeseries|breakdown?include=`.
    ReportInclude,
    "Comma-separated extras: `contact_rates`; blank items are skipped",
    list_of(&["contact_rates"], true)
);
text_shape!(
    /// A non-blank text filter (the metrics' `category`).
    NonBlank,
    "Not blank",
    format!("^{ANY}*{SOLID}{ANY}*$")
);
text_shape!(
    /// `GET /me/work-orders?day=`.
    DayFilter,
    "`YYYY-MM-DD` (windows starting that local day at the site), `upcoming` or `open`",
    r"^(?:[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])|upcoming|open)$".to_string()
);

/// A closed set of strings, as a schema.
fn string_enum(description: &str, values: &[&str]) -> RefOr<utoipa::openapi::schema::Schema> {
    RefOr::T(utoipa::openapi::schema::Schema::Object(
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(description))
            .enum_values(Some(values.to_vec()))
            .build(),
    ))
}

macro_rules! enum_shape {
    ($(#[$doc:meta])* $name:ident, $description:expr, [$($value:literal),+ $(,)?]) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
                string_enum($description, &[$($value),+])
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

enum_shape!(
    /// The metrics' `time` parameter.
    TimeBasisName,
    "`calendar` (wall-clock seconds) or `business` (seconds inside each ticket's team calendar)",
    ["calendar", "business"]
);
enum_shape!(
    /// `GET /metrics/timeseries?interval=`.
    IntervalName,
    "`day`, `week` (from Monday) or `month`",
    ["day", "week", "month"]
);
/// `GET /metrics/breakdown?by=`: a dimension name or `field.<key>` (a custom drop-down field).
pub struct DimensionName;

impl utoipa::PartialSchema for DimensionName {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        RefOr::T(utoipa::openapi::schema::Schema::Object(
            utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .description(Some(
                    "The grouping of a breakdown: a dimension or `field.<key>` (a custom \
                     drop-down field's value)",
                ))
                .pattern(Some(
                    r"^(?:team|agent|current_team|current_agent|organization|site|channel|priority|category|sourcing|agent_employment_type|employment_type|technician|asset_kind|technician_employment_type|field\.[a-z][a-z0-9_]{0,39})$",
                ))
                .build(),
        ))
    }
}

impl utoipa::ToSchema for DimensionName {}
enum_shape!(
    /// `GET /tickets?sla=`.
    SlaRiskName,
    "`breached` or `at_risk`",
    ["breached", "at_risk"]
);
enum_shape!(
    /// `GET /tickets?sort=`.
    TicketSortName,
    "The order of the list",
    [
        "-created_at",
        "created_at",
        "-updated_at",
        "updated_at",
        "sla_due",
        "priority"
    ]
);

/// The flattened ticket figures of a breakdown group (`routes::metrics::breakdown::Group`):
/// either every field of `Figures`, or none of them (the field-only dimensions). utoipa's own
/// rendering of a flattened `Option` (`oneOf [Figures, null]`) fits no group without figures.
pub fn figures_or_absent() -> RefOr<utoipa::openapi::schema::Schema> {
    serde_json::from_value(serde_json::json!({
        "description": "Its ticket figures (the fields of `Figures`); absent for the field-only \
                        dimensions (`technician`, `asset_kind`, `technician_employment_type`)",
        "anyOf": [
            {"$ref": "#/components/schemas/Figures"},
            // Without figures a group is `key`, `label` and `field` alone.
            {"type": "object", "maxProperties": 3}
        ]
    }))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::{OpenApi, PartialSchema};

    fn document() -> serde_json::Value {
        serde_json::to_value(crate::routes::ApiDoc::openapi()).unwrap()
    }

    fn refs(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(r)) = map.get("$ref") {
                    out.push(r.clone());
                }
                map.values().for_each(|v| refs(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_of_the_document_resolves() {
        let doc = document();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 100, "{}", found.len());
        for r in found {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or(&r);
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{r} does not resolve"
            );
        }
    }

    /// Two types of one name would share one component, the later silently replacing the
    /// other (the evidence report's `Period` once replaced the metrics' one, and schemathesis
    /// found metrics responses outside their schema): each keeps its own.
    #[test]
    fn the_metrics_period_and_the_report_period_are_distinct_components() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["Period"]["properties"]["from"]["format"],
            "date-time"
        );
        assert_eq!(
            schemas["ReportPeriod"]["properties"]["from"]["format"],
            "date"
        );
    }

    /// The shapes of supervisors, redaction and macros (issue 15) are components of their own,
    /// under names no other type uses.
    #[test]
    fn the_agent_day_components_keep_their_own_names() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        let properties = |name: &str| {
            let mut keys: Vec<String> = schemas[name]["properties"]
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            keys.sort();
            keys
        };
        assert_eq!(properties("CreateRedactionRequest"), ["text"]);
        assert_eq!(
            properties("RedactionResponse"),
            [
                "characters_removed",
                "comment",
                "description_redacted",
                "occurrences",
                "ticket_version"
            ]
        );
        assert_eq!(
            properties("MacroActions"),
            [
                "add_tags",
                "assignee_id",
                "hold_reason",
                "priority",
                "remove_tags",
                "status",
                "team_id"
            ]
        );
        assert_eq!(
            properties("SaveMacroRequest"),
            [
                "actions",
                "name",
                "reply",
                "reply_public",
                "shared",
                "team_id"
            ]
        );
        assert_eq!(properties("MacroAppliedResponse"), ["comment", "ticket"]);
        assert_eq!(properties("MacroListResponse"), ["macros"]);
        assert!(properties("MacroResponse").contains(&"owner_id".to_string()));
        assert!(properties("StaffResponse").contains(&"also_agent".to_string()));
    }

    #[test]
    fn every_api_operation_documents_the_shared_statuses() {
        let doc = document();
        let secured = &doc["paths"]["/api/v1/tickets/{id}"]["patch"]["responses"];
        for status in [
            "400", "401", "404", "408", "413", "415", "422", "429", "503",
        ] {
            assert!(
                secured.get(status).is_some(),
                "PATCH /tickets/{{id}} lacks {status}"
            );
            assert!(!secured[status]["description"].as_str().unwrap().is_empty());
        }
        assert_eq!(
            secured["401"]["headers"]["WWW-Authenticate"]["schema"]["type"],
            "string"
        );
        assert_eq!(
            secured["429"]["headers"]["Retry-After"]["schema"]["type"],
            "string"
        );
        // No body, no path parameter: none of their statuses.
        let me = &doc["paths"]["/api/v1/me"]["get"]["responses"];
        let mut statuses: Vec<&str> = me.as_object().unwrap().keys().map(String::as_str).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, ["200", "401", "429", "503"]);
        // The health probe answers no problem.
        let health = &doc["paths"]["/healthz"]["get"]["responses"];
        assert_eq!(health.as_object().unwrap().len(), 1);
    }

    /// The pattern of a shape, checked with the `regex` crate (close to ECMA-262 for these).
    fn matches(pattern: &str, value: &str) -> bool {
        regex::Regex::new(pattern).unwrap().is_match(value)
    }

    #[test]
    fn each_text_shape_accepts_what_its_parser_accepts() {
        use crate::routes::fields::{parse_category, parse_email, parse_name, parse_phone};
        let name = trimmed(SOLID_NO_CONTROL, NO_CONTROL, 1, 10);
        let email = Email::schema();
        let email = serde_json::to_value(email).unwrap()["pattern"]
            .as_str()
            .unwrap()
            .to_string();
        let phone = serde_json::to_value(Phone::schema()).unwrap()["pattern"]
            .as_str()
            .unwrap()
            .to_string();
        let category = trimmed(SOLID, ANY, 1, 100);
        for value in [
            "Ann",
            "  Ann  ",
            "",
            "   ",
            "\u{3000}",
            "a\tb",
            "a\u{85}b",
            " a\u{2028}b ",
            "abcdefghij",
            " abcdefghij\n",
            "abcdefghijk",
            "a\u{feff}",
        ] {
            assert_eq!(
                matches(&name, value),
                parse_name("n", value, 10).is_ok(),
                "name {value:?}"
            );
            assert_eq!(
                matches(&category, value),
                parse_category(value).is_ok(),
                "category {value:?}"
            );
        }
        for value in [
            "ann@example.com",
            " Ann@Example.COM ",
            "ann",
            "@example.com",
            "ann@",
            "ann@localhost",
            "a@b@c.com",
            "ann @example.com",
            "ann@example..com",
            "ann@.com",
            "ann@example.com.",
        ] {
            assert_eq!(
                matches(&email, value),
                parse_email("e", value).is_ok(),
                "email {value:?}"
            );
        }
        for value in [
            "214-555-0100",
            " +1 (555) 010-0000 ",
            "12",
            "555-CALL",
            "123456789012345678901",
            "1.2.3",
        ] {
            assert_eq!(
                matches(&phone, value),
                parse_phone("p", value).is_ok(),
                "phone {value:?}"
            );
        }
    }
}
