//! The per-work-order field-service projection (docs/METRICS.md §8): `travel_time.v1`,
//! `wrench_time.v1`, `time_to_arrival.v1` (calendar and business seconds), `arrival_window_met.v1`,
//! whether the work order is its ticket's first visit, and the ticket's first reopen after the
//! work order finished (what `first_time_fix.v1` reads). Pure: a function of the work order, the
//! other work orders of its ticket, the ticket's event log and the ticket's business calendar.
//!
//! `first_time_fix.v1` and the repeat-visit rate look across work orders created later, with a
//! window of N days chosen by the request: they are computed when aggregating (the metrics store
//! and `metrics::reference`), from what this projection stores.

use crate::domain::ticket::{EventKind, TicketEvent, TicketStatus};
use crate::domain::timeline::BusinessTime;
use crate::domain::work_order::WorkOrderStatus;
use chrono::{DateTime, Utc};

/// What the projection reads of one work order. Instants are UTC device instants of the
/// transitions (`work_orders.*_at`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkOrderFacts {
    /// `work_orders.id`.
    pub id: i64,
    /// Current status.
    pub status: WorkOrderStatus,
    /// The work order whose visit asked for this one (a follow-up is never a first visit).
    pub follow_up_of: Option<i64>,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Set off to the site.
    pub en_route_at: Option<DateTime<Utc>>,
    /// Arrived on site.
    pub on_site_at: Option<DateTime<Utc>>,
    /// Completed, could not complete, or cancelled.
    pub finished_at: Option<DateTime<Utc>>,
    /// The promised arrival window, start (inclusive).
    pub window_start: Option<DateTime<Utc>>,
    /// The promised arrival window, end (inclusive).
    pub window_end: Option<DateTime<Utc>>,
}

/// A duration in both variants: wall-clock seconds and business seconds on the ticket's
/// calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds {
    /// Calendar (wall-clock) seconds.
    pub calendar: i64,
    /// Business seconds on the ticket's calendar.
    pub business: i64,
}

/// The field metrics of one work order (docs/METRICS.md §8). Each duration is `None` until its
/// stop instant exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMetrics {
    /// Not a follow-up, and no other work order of the same ticket reached `on_site` before it.
    pub first_visit: bool,
    /// `travel_time.v1`: `en_route_at` → `on_site_at`.
    pub travel: Option<Seconds>,
    /// `wrench_time.v1`: `on_site_at` → `finished_at`, for a work order `completed` or
    /// `cannot_complete` (not for a cancelled one).
    pub wrench: Option<Seconds>,
    /// `time_to_arrival.v1`: `created_at` → `on_site_at`.
    pub time_to_arrival: Option<Seconds>,
    /// `arrival_window_met.v1`: `window_start ≤ on_site_at ≤ window_end` (whole seconds);
    /// `None` without a window or an arrival.
    pub arrival_window_met: Option<bool>,
    /// The ticket's first reopen (a status change from `solved` to an unsolved status) at or
    /// after `finished_at`; `None` while the work order is open or without such a reopen.
    pub reopened_at: Option<DateTime<Utc>>,
}

/// The duration `a` → `b` in both variants: whole seconds (each instant rounded down to the
/// second), 0 when `b` is not after `a`; business seconds of `[a, b)` on `calendar`.
pub fn between(a: DateTime<Utc>, b: DateTime<Utc>, calendar: &dyn BusinessTime) -> Seconds {
    Seconds {
        calendar: (b.timestamp() - a.timestamp()).max(0),
        business: calendar.business_seconds(a, b),
    }
}

/// Whether `wo` is its ticket's first visit: it is not a follow-up (`follow_up_of` is null) and
/// no other work order of `ticket_work_orders` reached `on_site` before it — earlier whole second,
/// or the same second and a smaller id; when `wo` has not reached `on_site`, any other that did
/// came before it. `ticket_work_orders` may contain `wo` itself (skipped by id).
pub fn is_first_visit(wo: &WorkOrderFacts, ticket_work_orders: &[WorkOrderFacts]) -> bool {
    if wo.follow_up_of.is_some() {
        return false;
    }
    let mine = wo.on_site_at.map(|t| (t.timestamp(), wo.id));
    !ticket_work_orders.iter().any(|o| {
        o.id != wo.id
            && o.on_site_at.is_some_and(|t| match mine {
                Some(mine) => (t.timestamp(), o.id) < mine,
                None => true,
            })
    })
}

/// The first reopen of the ticket in `log` (a `status_changed` from `solved` to `new`, `open`,
/// `pending` or `on_hold`) at or after `after`.
pub fn first_reopen_after(log: &[TicketEvent], after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    log.iter()
        .filter(|e| e.occurred_at >= after)
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::StatusChanged {
                    from: TicketStatus::Solved,
                    to,
                    ..
                } if !matches!(to, TicketStatus::Solved | TicketStatus::Closed)
            )
        })
        .map(|e| e.occurred_at)
        .min()
}

/// Projects one work order (pure): `ticket_work_orders` are the work orders of its ticket
/// (including it or not), `log` the ticket's event log, `calendar` the ticket's business
/// calendar (the one its own metrics use: its team's).
pub fn project(
    wo: &WorkOrderFacts,
    ticket_work_orders: &[WorkOrderFacts],
    log: &[TicketEvent],
    calendar: &dyn BusinessTime,
) -> FieldMetrics {
    let ended = matches!(
        wo.status,
        WorkOrderStatus::Completed | WorkOrderStatus::CannotComplete
    );
    let on_site = wo.on_site_at;
    FieldMetrics {
        first_visit: is_first_visit(wo, ticket_work_orders),
        travel: wo
            .en_route_at
            .zip(on_site)
            .map(|(a, b)| between(a, b, calendar)),
        wrench: on_site
            .zip(wo.finished_at)
            .filter(|_| ended)
            .map(|(a, b)| between(a, b, calendar)),
        time_to_arrival: on_site.map(|b| between(wo.created_at, b, calendar)),
        arrival_window_met: match (wo.window_start, wo.window_end, on_site) {
            (Some(start), Some(end), Some(at)) => {
                Some(start.timestamp() <= at.timestamp() && at.timestamp() <= end.timestamp())
            }
            _ => None,
        },
        reopened_at: wo.finished_at.and_then(|f| first_reopen_after(log, f)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::BusinessCalendar;
    use crate::domain::calendar::Interval;
    use chrono::Duration;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// Monday to Friday 09:00–17:00 UTC.
    fn office() -> BusinessCalendar {
        let day = vec![Interval {
            start: 9 * 3600,
            end: 17 * 3600,
        }];
        BusinessCalendar::new(
            "UTC",
            [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                vec![],
                vec![],
            ],
            [],
        )
        .unwrap()
    }

    fn order(id: i64) -> WorkOrderFacts {
        WorkOrderFacts {
            id,
            status: WorkOrderStatus::Scheduled,
            follow_up_of: None,
            created_at: at("2026-03-05T10:00:00Z"),
            en_route_at: None,
            on_site_at: None,
            finished_at: None,
            window_start: None,
            window_end: None,
        }
    }

    fn status(at_: &str, from: TicketStatus, to: TicketStatus) -> TicketEvent {
        TicketEvent {
            occurred_at: at(at_),
            actor: None,
            kind: EventKind::StatusChanged {
                from,
                to,
                reason: None,
            },
        }
    }

    #[test]
    fn durations_across_a_weekend_count_business_hours_only() {
        // Created Thursday 2026-03-05 10:00; en route Friday 16:00; on site Monday 03-09 10:30;
        // completed Monday 12:00 (2026-03-07/08 is a weekend).
        let wo = WorkOrderFacts {
            status: WorkOrderStatus::Completed,
            en_route_at: Some(at("2026-03-06T16:00:00Z")),
            on_site_at: Some(at("2026-03-09T10:30:00Z")),
            finished_at: Some(at("2026-03-09T12:00:00Z")),
            ..order(1)
        };
        let m = project(&wo, &[], &[], &office());
        // Travel: Fri 16:00 → Mon 10:30 = 66.5 h; business Fri 1 h + Mon 1.5 h = 9000 s.
        assert_eq!(
            m.travel,
            Some(Seconds {
                calendar: 66 * 3600 + 1800,
                business: 9000
            })
        );
        // Wrench: Mon 10:30 → 12:00, inside hours: 5400 s both.
        assert_eq!(
            m.wrench,
            Some(Seconds {
                calendar: 5400,
                business: 5400
            })
        );
        // Arrival: Thu 10:00 → Mon 10:30 = 96.5 h; business Thu 7 h + Fri 8 h + Mon 1.5 h.
        assert_eq!(
            m.time_to_arrival,
            Some(Seconds {
                calendar: 96 * 3600 + 1800,
                business: (7 + 8) * 3600 + 5400
            })
        );
        assert_eq!(m.arrival_window_met, None);
        assert!(m.first_visit);
        assert_eq!(m.reopened_at, None);
    }

    #[test]
    fn durations_are_null_until_their_stop_instant_exists() {
        let en_route = WorkOrderFacts {
            status: WorkOrderStatus::EnRoute,
            en_route_at: Some(at("2026-03-05T11:00:00Z")),
            ..order(1)
        };
        let m = project(&en_route, &[], &[], &office());
        assert_eq!((m.travel, m.wrench, m.time_to_arrival), (None, None, None));
        let on_site = WorkOrderFacts {
            status: WorkOrderStatus::OnSite,
            on_site_at: Some(at("2026-03-05T11:30:00Z")),
            ..en_route
        };
        let m = project(&on_site, &[], &[], &office());
        assert_eq!(m.travel.map(|s| s.calendar), Some(1800));
        assert_eq!(m.time_to_arrival.map(|s| s.business), Some(5400));
        assert_eq!(m.wrench, None);
    }

    #[test]
    fn a_cancelled_work_order_has_travel_and_arrival_but_no_wrench_time() {
        let wo = WorkOrderFacts {
            status: WorkOrderStatus::Cancelled,
            en_route_at: Some(at("2026-03-05T11:00:00Z")),
            on_site_at: Some(at("2026-03-05T11:10:00Z")),
            finished_at: Some(at("2026-03-05T11:20:00Z")),
            ..order(1)
        };
        let m = project(&wo, &[], &[], &office());
        assert_eq!(m.travel.map(|s| s.calendar), Some(600));
        assert_eq!(m.time_to_arrival.map(|s| s.calendar), Some(4200));
        assert_eq!(m.wrench, None);
    }

    #[test]
    fn cannot_complete_has_wrench_time() {
        let wo = WorkOrderFacts {
            status: WorkOrderStatus::CannotComplete,
            on_site_at: Some(at("2026-03-05T16:30:00Z")),
            finished_at: Some(at("2026-03-05T17:30:00Z")),
            ..order(1)
        };
        let m = project(&wo, &[], &[], &office());
        assert_eq!(
            m.wrench,
            Some(Seconds {
                calendar: 3600,
                business: 1800
            })
        );
    }

    #[test]
    fn instants_are_taken_to_the_whole_second() {
        let wo = WorkOrderFacts {
            status: WorkOrderStatus::OnSite,
            created_at: at("2026-03-05T10:00:00.900Z"),
            on_site_at: Some(at("2026-03-05T10:00:10.100Z")),
            ..order(1)
        };
        let m = project(&wo, &[], &[], &office());
        assert_eq!(
            m.time_to_arrival,
            Some(Seconds {
                calendar: 10,
                business: 10
            })
        );
    }

    #[test]
    fn the_arrival_window_includes_both_ends() {
        let window = |on_site: &str| {
            let wo = WorkOrderFacts {
                status: WorkOrderStatus::OnSite,
                window_start: Some(at("2026-03-05T12:00:00Z")),
                window_end: Some(at("2026-03-05T14:00:00Z")),
                on_site_at: Some(at(on_site)),
                ..order(1)
            };
            project(&wo, &[], &[], &office()).arrival_window_met
        };
        assert_eq!(window("2026-03-05T11:59:59Z"), Some(false));
        assert_eq!(window("2026-03-05T12:00:00Z"), Some(true));
        assert_eq!(window("2026-03-05T13:00:00Z"), Some(true));
        assert_eq!(window("2026-03-05T14:00:00Z"), Some(true));
        // Sub-second parts are dropped: 14:00:00.5 is the second 14:00:00.
        assert_eq!(window("2026-03-05T14:00:00.500Z"), Some(true));
        assert_eq!(window("2026-03-05T14:00:01Z"), Some(false));
        let no_window = WorkOrderFacts {
            on_site_at: Some(at("2026-03-05T13:00:00Z")),
            ..order(1)
        };
        assert_eq!(
            project(&no_window, &[], &[], &office()).arrival_window_met,
            None
        );
        let no_arrival = WorkOrderFacts {
            window_start: Some(at("2026-03-05T12:00:00Z")),
            window_end: Some(at("2026-03-05T14:00:00Z")),
            ..order(1)
        };
        assert_eq!(
            project(&no_arrival, &[], &[], &office()).arrival_window_met,
            None
        );
    }

    #[test]
    fn first_visit_is_the_earliest_arrival_of_the_ticket_and_never_a_follow_up() {
        let arrived = |id: i64, on_site: Option<&str>| WorkOrderFacts {
            on_site_at: on_site.map(at),
            ..order(id)
        };
        let a = arrived(1, Some("2026-03-05T12:00:00Z"));
        let b = arrived(2, Some("2026-03-06T12:00:00Z"));
        let c = arrived(3, None);
        let all = [a.clone(), b.clone(), c.clone()];
        assert!(is_first_visit(&a, &all));
        assert!(!is_first_visit(&b, &all));
        // Not yet on site while another one was: not the first visit.
        assert!(!is_first_visit(&c, &all));
        // Alone, not yet on site: the first visit so far.
        assert!(is_first_visit(&c, std::slice::from_ref(&c)));
        // Same second: the smaller id came first.
        let d = arrived(4, Some("2026-03-05T12:00:00.700Z"));
        assert!(is_first_visit(&a, &[a.clone(), d.clone()]));
        assert!(!is_first_visit(&d, &[a.clone(), d.clone()]));
        // A follow-up never is.
        let follow_up = WorkOrderFacts {
            follow_up_of: Some(9),
            ..a.clone()
        };
        assert!(!is_first_visit(
            &follow_up,
            std::slice::from_ref(&follow_up)
        ));
        // A work order that arrived later than one created after it is not the first visit.
        let late = arrived(5, Some("2026-03-07T12:00:00Z"));
        let early = WorkOrderFacts {
            created_at: at("2026-03-05T11:00:00Z"),
            ..arrived(6, Some("2026-03-05T13:00:00Z"))
        };
        assert!(!is_first_visit(&late, &[late.clone(), early.clone()]));
        assert!(is_first_visit(&early, &[late, early.clone()]));
    }

    #[test]
    fn reopened_at_is_the_first_reopen_at_or_after_the_finish() {
        use TicketStatus::*;
        let finished = at("2026-03-05T12:00:00Z");
        let wo = WorkOrderFacts {
            status: WorkOrderStatus::Completed,
            on_site_at: Some(finished - Duration::hours(1)),
            finished_at: Some(finished),
            ..order(1)
        };
        let log = [
            status("2026-03-05T09:00:00Z", Open, Solved),
            // A reopen before the work order finished does not count.
            status("2026-03-05T10:00:00Z", Solved, Open),
            status("2026-03-05T12:30:00Z", Open, Solved),
            // A close is not a reopen.
            status("2026-03-06T12:00:00Z", Solved, Closed),
        ];
        assert_eq!(project(&wo, &[], &log, &office()).reopened_at, None);
        let log = [
            status("2026-03-05T12:30:00Z", Open, Solved),
            status("2026-03-20T08:00:00Z", Solved, Pending),
            status("2026-03-21T08:00:00Z", Pending, Solved),
            status("2026-03-22T08:00:00Z", Solved, Open),
        ];
        assert_eq!(
            project(&wo, &[], &log, &office()).reopened_at,
            Some(at("2026-03-20T08:00:00Z"))
        );
        // Open work orders have none.
        let open = WorkOrderFacts {
            status: WorkOrderStatus::OnSite,
            finished_at: None,
            ..wo
        };
        assert_eq!(project(&open, &[], &log, &office()).reopened_at, None);
    }

    #[test]
    fn business_time_is_additive_over_travel_and_wrench() {
        // time_to_arrival = created → en_route + travel; wrench adds to on_site → finished.
        let cal = office();
        let created = at("2026-03-06T15:00:00Z");
        let en_route = at("2026-03-07T10:00:00Z");
        let on_site = at("2026-03-09T09:30:00Z");
        let wo = WorkOrderFacts {
            status: WorkOrderStatus::OnSite,
            created_at: created,
            en_route_at: Some(en_route),
            on_site_at: Some(on_site),
            ..order(1)
        };
        let m = project(&wo, &[], &[], &cal);
        let before = between(created, en_route, &cal);
        let (travel, arrival) = (m.travel.unwrap(), m.time_to_arrival.unwrap());
        assert_eq!(before.business + travel.business, arrival.business);
        assert_eq!(before.calendar + travel.calendar, arrival.calendar);
        assert_eq!(arrival.business, 2 * 3600 + 1800);
        assert_eq!(travel.business, 1800);
    }
}
