//! Pure domain rules: no actix, no diesel, no clock.
//!
//! - [`calendar`]: business time and due instants (METRICS.md "Business calendars").
//! - [`buckets`]: the local days, weeks and months of a reporting time zone (timeseries).
//! - [`email`]: normalised email addresses.
//! - [`instant`]: the accepted range and precision of timestamps.
//! - [`ticket`]: statuses, priorities, the state machine and the ticket aggregate that turns
//!   commands into events.
//! - [`metrics`]: the per-ticket metric projection of the event log (METRICS.md).
//! - [`stats`]: aggregates over durations (count, mean, median, p90, min, max).

pub mod buckets;
pub mod calendar;
pub mod email;
pub mod instant;
pub mod metrics;
pub mod sla;
pub mod stats;
pub mod ticket;
