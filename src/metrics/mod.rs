//! The metrics read side (docs/METRICS.md): what `GET /metrics/summary`, `/timeseries` and
//! `/breakdown` compute, and the upkeep of the per-ticket projection they read.
//!
//! - [`types`]: filters, groupings and figures (the shapes, with their units and docs/METRICS.md ids).
//! - [`store`]: the projection held in memory per process, brought up to each request's own
//!   snapshot, and the aggregation over it (the request path).
//! - [`one_calendar`]: every business duration of a request on one named calendar.
//! - [`mod@rebuild`]: `frontline metrics rebuild` and the projection's version upgrade.
//! - `reference` (feature `sql-reference`, test builds only): the same aggregates in SQL, the
//!   reference the store is compared with.
//!
//! The projection itself (`ticket_metrics`, computed by [`crate::domain::metrics::project`]) is
//! written by the ticket writes, in their transactions.

pub mod one_calendar;
pub mod rebuild;
#[cfg(feature = "sql-reference")]
pub mod reference;
pub mod store;
pub mod types;

pub use one_calendar::OneCalendar;
pub use rebuild::{
    DETAILED_DIFFERENCES, PROJECTION_VERSION, RebuildReport, ensure_projection_current, rebuild,
};
pub use store::MetricsStore;
pub use types::{
    ContactRates, Dimension, FieldKey, GroupReport, MetricFilters, Nps, ReportOptions,
    Satisfaction, Summary, TimeBasis,
};
