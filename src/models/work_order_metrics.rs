//! The `work_order_metrics` projection (docs/METRICS.md §8): its row, the facts a ticket's
//! work orders are projected from (one query joining the technician and the asset), and the
//! multi-row upsert. Coordination (when to project, which calendar) is in
//! [`crate::tickets::projection`].

use crate::domain::field_metrics::{FieldMetrics, WorkOrderFacts};
use crate::domain::work_order::WorkOrderStatus;
use crate::models::enums::EmploymentType;
use crate::schema::{assets, users, work_order_metrics as wom, work_orders as wo};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A `work_order_metrics` row (without `updated_at` and the change tracking). Durations are
/// seconds (`*_business_seconds`: business seconds on the ticket's calendar); instants UTC.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = wom, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
pub struct WorkOrderMetricsRow {
    /// The work order.
    pub work_order_id: i64,
    /// Its ticket.
    pub ticket_id: i64,
    /// The work order's organization.
    pub organization_id: i64,
    /// The work order's site.
    pub site_id: i64,
    /// The work order's asset.
    pub asset_id: Option<i64>,
    /// The asset's kind (`AssetKind` name).
    pub asset_kind: Option<String>,
    /// The technician (attribution of every field figure).
    pub technician_id: Option<i64>,
    /// The technician's employment type when the work order ended (null while open).
    pub technician_employment_type: Option<EmploymentType>,
    /// The technician's team when the work order ended (null while open).
    pub technician_team_id: Option<i64>,
    /// The work order's status (`WorkOrderStatus` name).
    pub status: String,
    /// Not a follow-up and the ticket's earliest arrival on site.
    pub first_visit: bool,
    /// Creation of the work order.
    pub created_at: DateTime<Utc>,
    /// Arrival on site (device instant).
    pub on_site_at: Option<DateTime<Utc>>,
    /// Completed, could not complete or cancelled (device instant): field figures' period.
    pub finished_at: Option<DateTime<Utc>>,
    /// Completion: the problem is fixed.
    pub problem_fixed: Option<bool>,
    /// `travel_time.v1`, seconds.
    pub travel_seconds: Option<i64>,
    /// `travel_time.v1`, business seconds.
    pub travel_business_seconds: Option<i64>,
    /// `wrench_time.v1`, seconds.
    pub wrench_seconds: Option<i64>,
    /// `wrench_time.v1`, business seconds.
    pub wrench_business_seconds: Option<i64>,
    /// `time_to_arrival.v1`, seconds.
    pub time_to_arrival_seconds: Option<i64>,
    /// `time_to_arrival.v1`, business seconds.
    pub time_to_arrival_business_seconds: Option<i64>,
    /// `arrival_window_met.v1`.
    pub arrival_window_met: Option<bool>,
    /// The ticket's first reopen at or after `finished_at` (`first_time_fix.v1`).
    pub reopened_at: Option<DateTime<Utc>>,
}

/// A work order as the projection reads it: its facts, the columns copied into the row, the
/// technician's current employment type and team, and the attribution stored so far.
#[derive(Debug, Clone)]
pub struct WorkOrderInput {
    /// The facts of the pure projection.
    pub facts: WorkOrderFacts,
    /// Its ticket.
    pub ticket_id: i64,
    /// Organization.
    pub organization_id: i64,
    /// Site.
    pub site_id: i64,
    /// Asset.
    pub asset_id: Option<i64>,
    /// The asset's kind.
    pub asset_kind: Option<String>,
    /// Technician.
    pub technician_id: Option<i64>,
    /// The technician's employment type and team now.
    pub technician_now: Option<(EmploymentType, Option<i64>)>,
    /// Completion: the problem is fixed.
    pub problem_fixed: Option<bool>,
    /// The stored row's (`finished_at`, `technician_id`, employment type, team), if any.
    pub stored: Option<StoredAttribution>,
}

/// The attribution a stored `work_order_metrics` row holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttribution {
    /// `finished_at` when it was written.
    pub finished_at: Option<DateTime<Utc>>,
    /// `technician_id` when it was written.
    pub technician_id: Option<i64>,
    /// `technician_employment_type`.
    pub employment_type: Option<EmploymentType>,
    /// `technician_team_id`.
    pub team_id: Option<i64>,
}

type InputTuple = (
    (
        i64,
        i64,
        i64,
        i64,
        Option<i64>,
        String,
        Option<i64>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<i64>,
        DateTime<Utc>,
    ),
    (
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<bool>,
    ),
    Option<String>,
    Option<(EmploymentType, Option<i64>)>,
    Option<(
        Option<DateTime<Utc>>,
        Option<i64>,
        Option<EmploymentType>,
        Option<i64>,
    )>,
);

/// The work orders of the given tickets with their asset kind, technician and stored
/// attribution, by ticket then id: one query.
///
/// # Errors
/// Database errors.
pub fn inputs_of_tickets(
    conn: &mut PgConnection,
    ticket_ids: &[i64],
) -> QueryResult<Vec<WorkOrderInput>> {
    let rows: Vec<InputTuple> = wo::table
        .left_join(assets::table)
        .left_join(users::table.on(users::id.nullable().eq(wo::technician_id)))
        .left_join(wom::table)
        .filter(wo::ticket_id.eq_any(ticket_ids))
        .order((wo::ticket_id, wo::id))
        .select((
            (
                wo::id,
                wo::ticket_id,
                wo::organization_id,
                wo::site_id,
                wo::asset_id,
                wo::status,
                wo::follow_up_of,
                wo::window_start,
                wo::window_end,
                wo::technician_id,
                wo::created_at,
            ),
            (
                wo::en_route_at,
                wo::on_site_at,
                wo::finished_at,
                wo::problem_fixed,
            ),
            assets::kind.nullable(),
            (users::employment_type, users::team_id).nullable(),
            (
                wom::finished_at,
                wom::technician_id,
                wom::technician_employment_type,
                wom::technician_team_id,
            )
                .nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(a, b, asset_kind, technician_now, stored)| {
            let (
                id,
                ticket_id,
                organization_id,
                site_id,
                asset_id,
                status,
                follow_up_of,
                window_start,
                window_end,
                technician_id,
                created_at,
            ) = a;
            let (en_route_at, on_site_at, finished_at, problem_fixed) = b;
            WorkOrderInput {
                facts: WorkOrderFacts {
                    id,
                    status: WorkOrderStatus::parse(&status).unwrap_or(WorkOrderStatus::Cancelled),
                    follow_up_of,
                    created_at,
                    en_route_at,
                    on_site_at,
                    finished_at,
                    window_start,
                    window_end,
                },
                ticket_id,
                organization_id,
                site_id,
                asset_id,
                asset_kind,
                technician_id,
                technician_now,
                problem_fixed,
                stored: stored.map(|(finished_at, technician_id, employment_type, team_id)| {
                    StoredAttribution {
                        finished_at,
                        technician_id,
                        employment_type,
                        team_id,
                    }
                }),
            }
        })
        .collect())
}

impl WorkOrderMetricsRow {
    /// The row of `input` given its projected `metrics`. Attribution (docs/METRICS.md §8): the
    /// technician's employment type and team are written when the work order ends and kept
    /// afterwards (a stored row with the same `finished_at` and technician keeps its values);
    /// null while it is open.
    pub fn new(input: &WorkOrderInput, m: &FieldMetrics) -> WorkOrderMetricsRow {
        let f = &input.facts;
        let (employment_type, team_id) = match (&input.stored, f.finished_at) {
            (_, None) => (None, None),
            (Some(s), Some(finished))
                if s.finished_at == Some(finished) && s.technician_id == input.technician_id =>
            {
                (s.employment_type, s.team_id)
            }
            _ => input
                .technician_now
                .map_or((None, None), |(e, t)| (Some(e), t)),
        };
        WorkOrderMetricsRow {
            work_order_id: f.id,
            ticket_id: input.ticket_id,
            organization_id: input.organization_id,
            site_id: input.site_id,
            asset_id: input.asset_id,
            asset_kind: input.asset_kind.clone(),
            technician_id: input.technician_id,
            technician_employment_type: employment_type,
            technician_team_id: team_id,
            status: f.status.as_str().to_string(),
            first_visit: m.first_visit,
            created_at: f.created_at,
            on_site_at: f.on_site_at,
            finished_at: f.finished_at,
            problem_fixed: input.problem_fixed,
            travel_seconds: m.travel.map(|s| s.calendar),
            travel_business_seconds: m.travel.map(|s| s.business),
            wrench_seconds: m.wrench.map(|s| s.calendar),
            wrench_business_seconds: m.wrench.map(|s| s.business),
            time_to_arrival_seconds: m.time_to_arrival.map(|s| s.calendar),
            time_to_arrival_business_seconds: m.time_to_arrival.map(|s| s.business),
            arrival_window_met: m.arrival_window_met,
            reopened_at: m.reopened_at,
        }
    }
}

/// The stored rows of the given work orders.
///
/// # Errors
/// Database errors.
pub fn stored(
    conn: &mut PgConnection,
    work_order_ids: &[i64],
) -> QueryResult<Vec<WorkOrderMetricsRow>> {
    wom::table
        .filter(wom::work_order_id.eq_any(work_order_ids))
        .select(WorkOrderMetricsRow::as_select())
        .load(conn)
}

/// Inserts `rows` (new work orders: the seed's bulk loader, whose tables have no unique index
/// during the load), in statements of at most 2,000 rows.
///
/// # Errors
/// Database errors.
pub fn insert_tx(conn: &mut PgConnection, rows: &[WorkOrderMetricsRow]) -> QueryResult<()> {
    for chunk in rows.chunks(2000) {
        let values: Vec<_> = chunk
            .iter()
            .map(|r| (r, wom::updated_at.eq(diesel::dsl::now)))
            .collect();
        diesel::insert_into(wom::table)
            .values(values)
            .execute(conn)?;
    }
    Ok(())
}

/// Inserts or replaces `rows` in one statement (nothing for none).
///
/// # Errors
/// Database errors.
pub fn upsert_tx(conn: &mut PgConnection, rows: &[WorkOrderMetricsRow]) -> QueryResult<()> {
    use diesel::upsert::excluded;
    if rows.is_empty() {
        return Ok(());
    }
    let values: Vec<_> = rows
        .iter()
        .map(|r| (r, wom::updated_at.eq(diesel::dsl::now)))
        .collect();
    diesel::insert_into(wom::table)
        .values(values)
        .on_conflict(wom::work_order_id)
        .do_update()
        .set((
            wom::ticket_id.eq(excluded(wom::ticket_id)),
            wom::organization_id.eq(excluded(wom::organization_id)),
            wom::site_id.eq(excluded(wom::site_id)),
            wom::asset_id.eq(excluded(wom::asset_id)),
            wom::asset_kind.eq(excluded(wom::asset_kind)),
            wom::technician_id.eq(excluded(wom::technician_id)),
            wom::technician_employment_type.eq(excluded(wom::technician_employment_type)),
            wom::technician_team_id.eq(excluded(wom::technician_team_id)),
            wom::status.eq(excluded(wom::status)),
            wom::first_visit.eq(excluded(wom::first_visit)),
            wom::created_at.eq(excluded(wom::created_at)),
            wom::on_site_at.eq(excluded(wom::on_site_at)),
            wom::finished_at.eq(excluded(wom::finished_at)),
            wom::problem_fixed.eq(excluded(wom::problem_fixed)),
            wom::travel_seconds.eq(excluded(wom::travel_seconds)),
            wom::travel_business_seconds.eq(excluded(wom::travel_business_seconds)),
            wom::wrench_seconds.eq(excluded(wom::wrench_seconds)),
            wom::wrench_business_seconds.eq(excluded(wom::wrench_business_seconds)),
            wom::time_to_arrival_seconds.eq(excluded(wom::time_to_arrival_seconds)),
            (
                wom::time_to_arrival_business_seconds
                    .eq(excluded(wom::time_to_arrival_business_seconds)),
                wom::arrival_window_met.eq(excluded(wom::arrival_window_met)),
                wom::reopened_at.eq(excluded(wom::reopened_at)),
                wom::updated_at.eq(diesel::dsl::now),
            ),
        ))
        .execute(conn)
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::field_metrics;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn input(
        finished: Option<&str>,
        stored: Option<StoredAttribution>,
        technician_now: (EmploymentType, Option<i64>),
    ) -> WorkOrderInput {
        WorkOrderInput {
            facts: WorkOrderFacts {
                id: 1,
                status: if finished.is_some() {
                    WorkOrderStatus::Completed
                } else {
                    WorkOrderStatus::OnSite
                },
                follow_up_of: None,
                created_at: at("2026-03-02T10:00:00Z"),
                en_route_at: None,
                on_site_at: Some(at("2026-03-02T11:00:00Z")),
                finished_at: finished.map(at),
                window_start: None,
                window_end: None,
            },
            ticket_id: 7,
            organization_id: 1,
            site_id: 2,
            asset_id: None,
            asset_kind: None,
            technician_id: Some(5),
            technician_now: Some(technician_now),
            problem_fixed: finished.map(|_| true),
            stored,
        }
    }

    fn attribution(i: &WorkOrderInput) -> (Option<EmploymentType>, Option<i64>) {
        let m = field_metrics::project(
            &i.facts,
            &[],
            &[],
            &crate::domain::calendar::BusinessCalendar::always_open(),
        );
        let row = WorkOrderMetricsRow::new(i, &m);
        (row.technician_employment_type, row.technician_team_id)
    }

    #[test]
    fn attribution_is_written_at_the_finish_and_kept_afterwards() {
        use EmploymentType::*;
        // Open: none, whatever the technician is now.
        assert_eq!(
            attribution(&input(None, None, (Employee, Some(3)))),
            (None, None)
        );
        // Just finished: the technician as they are now.
        let finished = "2026-03-02T12:00:00Z";
        assert_eq!(
            attribution(&input(Some(finished), None, (Employee, Some(3)))),
            (Some(Employee), Some(3))
        );
        // Later refreshes keep what was written, though the technician changed since.
        let stored = StoredAttribution {
            finished_at: Some(at(finished)),
            technician_id: Some(5),
            employment_type: Some(Employee),
            team_id: Some(3),
        };
        assert_eq!(
            attribution(&input(
                Some(finished),
                Some(stored.clone()),
                (Contractor, Some(4))
            )),
            (Some(Employee), Some(3))
        );
        // A stored row of an earlier state (open then) does not count.
        let open_then = StoredAttribution {
            finished_at: None,
            employment_type: None,
            team_id: None,
            ..stored
        };
        assert_eq!(
            attribution(&input(Some(finished), Some(open_then), (Contractor, None))),
            (Some(Contractor), None)
        );
    }
}
