//! Frontline: a contact-center ticketing backend.
//!
//! Map of the crate:
//! - [`auth`]: passwords, access and refresh tokens, the `AuthUser` extractor, login limits.
//! - [`configuration`]: layered settings, validated at start-up.
//! - [`telemetry`]: tracing subscriber (pretty or JSON).
//! - [`error`]: `ApiError` → RFC 9457 problem+json.
//! - [`db`]: pool, embedded migrations, `db::run` (async → blocking diesel).
//! - [`schema`]: diesel table definitions.
//! - [`domain`]: pure rules: ticket state machine, metric projection, statistics.
//! - [`metrics`]: the metrics read side: the in-memory store, its figures, `metrics rebuild`.
//! - [`models`]: diesel rows and queries.
//! - [`notify`]: customer email: notices, threading ids, signed survey/unsubscribe links.
//! - [`import`]: importers of outside history (event-log CSV).
//! - [`routes`]: the HTTP API and its OpenAPI document.
//! - [`seed`]: the deterministic demo company and data at scale (`frontline seed`).
//! - [`startup`]: the server: listener, middleware, wiring.
//! - [`state`]: `AppState`, what every handler shares.
//! - [`tickets`]: ticket use cases (create, update, comment, follow-up, auto-close, SLA events,
//!   import, projections): the only way anything changes a ticket.
//! - [`workers`]: background work (auto-close of solved tickets).

pub mod attachments;
pub mod auth;
pub mod configuration;
pub mod db;
pub mod domain;
pub mod error;
pub mod import;
pub mod metrics;
pub mod models;
pub mod monitoring;
pub mod notify;
pub mod reports;
pub mod routes;
pub mod schema;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tickets;
pub mod workers;
