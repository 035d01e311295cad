//! Pure domain rules: no actix, no diesel, no clock.
//!
//! - [`calendar`]: business time and due instants (docs/METRICS.md §3).
//! - [`timeline`]: business time across calendar changes (each period on its own calendar).
//! - [`buckets`]: the local days, weeks and months of a reporting time zone (timeseries).
//! - [`email`]: normalised email addresses.
//! - [`inbound`]: a reply's own text (quoted history stripped), the ticket number a subject
//!   quotes, machine-sent messages (inbound email).
//! - [`ids`]: typed ids (`TicketId`, `UserId`, …) for values that cross layers.
//! - [`instant`]: the accepted range and precision of timestamps.
//! - [`ticket`]: statuses, priorities, the state machine and the ticket aggregate that turns
//!   commands into events.
//! - [`metrics`]: the per-ticket metric projection of the event log (docs/METRICS.md §4).
//! - [`field_metrics`]: the per-work-order field-service projection (docs/METRICS.md §8).
//! - [`stats`]: aggregates over durations (count, mean, median, p90, min, max).
//! - [`inference`]: the statistics of the evidence and bake-off reports (intervals, tests, Holm,
//!   Kaplan–Meier, difference in differences, small-sample flags and verdicts).
//! - [`survey`]: CSAT/NPS answers (1–5, 0–10, comment, consent) and the `pre_reopen` rule.
//! - [`training`]: the training-effect comparison (before/after windows around each completion,
//!   the untrained staff over the same weeks; docs/METRICS.md §11).
//! - [`work_order`]: work-order and asset statuses, the field visit's state machine and the
//!   scheduling rules.

pub mod buckets;
pub mod calendar;
pub mod email;
pub mod field_metrics;
pub mod ids;
pub mod inbound;
pub mod inference;
pub mod instant;
pub mod metrics;
pub mod sla;
pub mod stats;
pub mod survey;
pub mod ticket;
pub mod timeline;
pub mod training;
pub mod work_order;
