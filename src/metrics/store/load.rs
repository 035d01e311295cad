//! Reading the store from the database: a full load in chunks, or the tickets changed since the
//! store's snapshot (`changed_xid`, migration 0013).

use super::*;

/// `pg_current_snapshot()` of `conn`'s transaction (its first statement fixes it under
/// `REPEATABLE READ`).
pub(super) fn current_snapshot(conn: &mut PgConnection) -> QueryResult<String> {
    Ok(
        diesel::sql_query("SELECT pg_current_snapshot()::text AS snapshot")
            .get_result::<SnapshotRow>(conn)?
            .snapshot,
    )
}

pub(super) fn refresh(
    conn: &mut PgConnection,
    content: &mut Content,
    snapshot: String,
    chunk: i64,
) -> QueryResult<Refresh> {
    if content.snapshot.is_empty() {
        return full_load(conn, content, snapshot, chunk);
    }
    let changed = changed_since(conn, &content.snapshot)?;
    if changed.len() > 1000 && changed.len() > content.rows.len() / FULL_RELOAD_SHARE {
        return full_load(conn, content, snapshot, chunk);
    }
    let tickets = changed.len();
    if !changed.is_empty() {
        let (rows, outcomes) = load_rows(conn, Selection::Ids(&changed))?;
        let rows = assemble(content, rows, outcomes);
        let found: std::collections::HashSet<i64> = rows.iter().map(|p| p.row.ticket_id).collect();
        let gone: Vec<i64> = changed
            .iter()
            .copied()
            .filter(|id| !found.contains(id))
            .collect();
        content.apply(rows, &gone);
        let fields = field::load_fields(conn, Some(&changed))?;
        let fields = content.pack_fields(fields);
        content.set_fields(Some(&changed), fields);
        let surveys = survey::load_surveys(conn, Some(&changed))?;
        let surveys = content.pack_surveys(surveys);
        content.set_surveys(Some(&changed), surveys);
    }
    content.snapshot = snapshot;
    Ok(Refresh::Changed { tickets })
}

/// The tickets with a row (ticket, projection, SLA clock, work order's field metrics or survey) that the caller's transaction sees
/// and that was written by a transaction `snapshot` did not see: what a store read at `snapshot`
/// lacks for the caller's snapshot (one query over the `changed_xid` indexes).
///
/// # Errors
/// Database errors.
pub(super) fn changed_since(conn: &mut PgConnection, snapshot: &str) -> QueryResult<Vec<i64>> {
    Ok(diesel::sql_query(
        "WITH s AS (SELECT $1::pg_snapshot AS s)
         SELECT id AS ticket_id FROM tickets, s
          WHERE changed_xid >= pg_snapshot_xmin(s.s) AND NOT pg_visible_in_snapshot(changed_xid, s.s)
         UNION
         SELECT ticket_id FROM ticket_metrics, s
          WHERE changed_xid >= pg_snapshot_xmin(s.s) AND NOT pg_visible_in_snapshot(changed_xid, s.s)
         UNION
         SELECT ticket_id FROM ticket_sla_clocks, s
          WHERE changed_xid >= pg_snapshot_xmin(s.s) AND NOT pg_visible_in_snapshot(changed_xid, s.s)
         UNION
         SELECT ticket_id FROM work_order_metrics, s
          WHERE changed_xid >= pg_snapshot_xmin(s.s) AND NOT pg_visible_in_snapshot(changed_xid, s.s)
         UNION
         SELECT ticket_id FROM surveys, s
          WHERE changed_xid >= pg_snapshot_xmin(s.s) AND NOT pg_visible_in_snapshot(changed_xid, s.s)",
    )
    .bind::<Text, _>(snapshot)
    .load::<IdRow>(conn)?
    .into_iter()
    .map(|r| r.ticket_id)
    .collect())
}

pub(super) fn full_load(
    conn: &mut PgConnection,
    content: &mut Content,
    snapshot: String,
    chunk: i64,
) -> QueryResult<Refresh> {
    // In chunks of tickets (by id, in the one snapshot), so that the rows as loaded (strings,
    // JSON, the driver's result buffers) never exist for every ticket at once.
    let mut fresh = Content::empty();
    let mut rows = Vec::new();
    let mut after = i64::MIN;
    loop {
        let (tickets, clocks) = load_rows(conn, Selection::After(after, chunk))?;
        let Some(last) = tickets.last().map(|(t, ..)| t.0) else {
            break;
        };
        for p in assemble(&mut fresh, tickets, clocks) {
            fresh.set_beside(p.row.ticket_id, p.extra, p.hold);
            rows.push(p.row);
        }
        after = last;
    }
    fresh.build(rows);
    let fields = field::load_fields(conn, None)?;
    let fields = fresh.pack_fields(fields);
    fresh.set_fields(None, fields);
    let surveys = survey::load_surveys(conn, None)?;
    let surveys = fresh.pack_surveys(surveys);
    fresh.set_surveys(None, surveys);
    fresh.snapshot = snapshot;
    let tickets = fresh.rows.len();
    *content = fresh;
    Ok(Refresh::Full { tickets })
}

/// Reads tickets with their projection, and their SLA clocks; never a ticket merged into another
/// (a duplicate, in no aggregate: it is then "gone" from the store).
pub(super) fn load_rows(conn: &mut PgConnection, which: Selection<'_>) -> QueryResult<Loaded> {
    use crate::schema::{ticket_metrics as m, ticket_sla_clocks as c, tickets as t};
    use diesel::dsl::sql;
    let select = (
        (
            t::id,
            sql::<Nullable<Text>>("tickets.channel::text"),
            sql::<Nullable<Text>>("tickets.priority::text"),
            t::category,
            t::team_id,
            t::assignee_id,
            t::organization_id,
            t::site_id,
            t::source,
            // PostgreSQL's text of the JSON: equal values, equal text (jsonb keeps its keys in
            // one order).
            sql::<Nullable<Text>>("nullif(tickets.custom_fields, '{}'::jsonb)::text"),
        ),
        (
            m::ticket_id.nullable(),
            m::created_at.nullable(),
            m::first_reply_at.nullable(),
            m::first_reply_seconds.nullable(),
            m::first_reply_business_seconds.nullable(),
            m::latest_solved_at.nullable(),
            m::full_resolution_seconds.nullable(),
            m::full_resolution_business_seconds.nullable(),
            m::reopens.nullable(),
        ),
        (
            t::requester_id,
            t::created_at,
            t::solved_at,
            m::one_touch.nullable(),
            m::one_touch_strict.nullable(),
            m::fcr_candidate.nullable(),
            // Most tickets were never on hold: no JSON to parse for them.
            sql::<Nullable<diesel::sql_types::Jsonb>>(
                "nullif(ticket_metrics.on_hold_by_reason, '{}'::jsonb)",
            ),
        ),
        (
            m::created_team_id.nullable(),
            sql::<Nullable<Text>>("ticket_metrics.created_sourcing::text"),
            m::first_reply_agent_id.nullable(),
            m::first_reply_team_id.nullable(),
            sql::<Nullable<Text>>("ticket_metrics.first_reply_sourcing::text"),
            sql::<Nullable<Text>>("ticket_metrics.first_reply_agent_employment::text"),
            m::solved_assignee_id.nullable(),
            m::solved_team_id.nullable(),
            sql::<Nullable<Text>>("ticket_metrics.solved_sourcing::text"),
            sql::<Nullable<Text>>("ticket_metrics.solved_assignee_employment::text"),
        ),
    );
    let clock_select = (
        c::ticket_id,
        c::running,
        c::due_at,
        c::fulfilled_at,
        c::breached_at,
        c::outcome_team_id,
        c::outcome_assignee_id,
    );
    Ok(match which {
        Selection::After(after, n) => {
            let tickets: Vec<(TicketTuple, MetricsTuple, ContactTuple, AttributionTuple)> =
                t::table
                    .left_join(m::table)
                    .filter(t::id.gt(after))
                    // A merged ticket is a duplicate: in no aggregate (docs/METRICS.md).
                    .filter(t::merged_into_id.is_null())
                    .order(t::id)
                    .limit(n)
                    .select(select)
                    .load(conn)?;
            let clocks = match tickets.last() {
                Some((last, ..)) => c::table
                    .filter(c::ticket_id.gt(after).and(c::ticket_id.le(last.0)))
                    .select(clock_select)
                    .load(conn)?,
                None => Vec::new(),
            };
            (tickets, clocks)
        }
        Selection::Ids(ids) => (
            t::table
                .left_join(m::table)
                .filter(t::id.eq_any(ids))
                .filter(t::merged_into_id.is_null())
                .select(select)
                .load(conn)?,
            c::table
                .filter(c::ticket_id.eq_any(ids))
                .select(clock_select)
                .load(conn)?,
        ),
    })
}

pub(super) fn micros(t: Option<DateTime<Utc>>) -> i64 {
    t.map_or(NONE, |t| t.timestamp_micros())
}

/// Packs loaded tuples into rows (interning their strings into `content`).
pub(super) fn assemble(
    content: &mut Content,
    tickets: Vec<(TicketTuple, MetricsTuple, ContactTuple, AttributionTuple)>,
    clocks: Vec<ClockTuple>,
) -> Vec<Packed> {
    let mut outcomes: HashMap<i64, Vec<Outcome>> = HashMap::default();
    for (ticket_id, running, due_at, fulfilled_at, breached_at, team, assignee) in clocks {
        // The three outcomes of `metrics::sla_attainment_by`, one UNION ALL branch each, each
        // credited to the team and assignee at its instant (docs/METRICS.md §7).
        let credit = content.intern_credit(team, assignee);
        let list = outcomes.entry(ticket_id).or_default();
        if let (Some(at), None) = (fulfilled_at, breached_at) {
            list.push(Outcome {
                at: at.timestamp_micros(),
                kind: OutcomeKind::Achieved,
                credit,
            });
        }
        if let Some(at) = breached_at {
            list.push(Outcome {
                at: at.timestamp_micros(),
                kind: OutcomeKind::Breached,
                credit,
            });
        }
        if let (true, None, Some(at)) = (running, breached_at, due_at) {
            list.push(Outcome {
                at: at.timestamp_micros(),
                kind: OutcomeKind::BreachedIfDue,
                credit,
            });
        }
    }
    tickets
        .into_iter()
        .map(|(t, m, contact, credit)| {
            let (
                requester_id,
                ticket_created_at,
                ticket_solved_at,
                one_touch,
                one_touch_strict,
                fcr_candidate,
                on_hold,
            ) = contact;
            let on_hold: Box<[(u32, i64)]> = on_hold
                .as_ref()
                .and_then(serde_json::Value::as_object)
                .map(|reasons| {
                    reasons
                        .iter()
                        .map(|(reason, seconds)| {
                            (
                                content.strings.intern(Some(reason.clone())),
                                seconds.as_i64().unwrap_or(0),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let (
                id,
                channel,
                priority,
                category,
                team_id,
                assignee_id,
                organization_id,
                site_id,
                source,
                custom,
            ) = t;
            let (
                metrics_id,
                created_at,
                first_reply_at,
                frt,
                frt_business,
                latest_solved_at,
                resolution,
                resolution_business,
                reopens,
            ) = m;
            let outcomes = outcomes.remove(&id).unwrap_or_default();
            Packed::of(Unpacked {
                ticket_id: id,
                has_metrics: metrics_id.is_some(),
                metrics_created: micros(created_at),
                first_reply_at: micros(first_reply_at),
                first_reply: [frt.unwrap_or(NONE), frt_business.unwrap_or(NONE)],
                latest_solved: micros(latest_solved_at),
                full_resolution: [
                    resolution.unwrap_or(NONE),
                    resolution_business.unwrap_or(NONE),
                ],
                reopens: reopens.unwrap_or(0),
                channel: content.labels.intern(channel),
                priority: content.labels.intern(priority),
                category: content.strings.intern(category),
                attribution: content.intern_attribution(team_id, assignee_id, credit),
                outcome_credits: content.intern_outcome_credits(&outcomes),
                organization: content.ids.intern(organization_id),
                site: content.ids.intern(site_id),
                source: content.sources.intern(source),
                custom: content.customs.intern(custom),
                outcomes,
                requester_id: requester_id.unwrap_or(NONE),
                created: ticket_created_at.timestamp_micros(),
                solved: micros(ticket_solved_at),
                one_touch,
                one_touch_strict,
                fcr_candidate: fcr_candidate.unwrap_or(false),
                on_hold,
            })
        })
        .collect()
}

impl Content {
    /// The index in `credits` of an SLA outcome's team and assignee (interning the ids; 0 for
    /// neither).
    pub(super) fn intern_credit(&mut self, team: Option<i64>, assignee: Option<i64>) -> u32 {
        let pair = (self.ids.intern(team), self.ids.intern(assignee));
        if pair == (0, 0) {
            return 0;
        }
        self.credits.intern(Some(pair))
    }

    /// The index in `outcome_credits` of the credits of a row's SLA outcomes when the row can
    /// hold them inline (at most [`INLINE_OUTCOMES`]): `Some(0)` when all are nobody's, `None`
    /// for more outcomes or a full table (they go to [`Extra`] with their credits).
    pub(super) fn intern_outcome_credits(&mut self, outcomes: &[Outcome]) -> Option<u16> {
        if outcomes.len() > INLINE_OUTCOMES {
            return None;
        }
        let mut inline = [0; INLINE_OUTCOMES];
        for (slot, o) in inline.iter_mut().zip(outcomes) {
            *slot = o.credit;
        }
        if inline == [0; INLINE_OUTCOMES] {
            return Some(0);
        }
        Some(self.outcome_credits.intern(Some(inline))).filter(|&i| i != 0)
    }

    /// The index in `attributions` of a ticket's current team and assignee and its attribution
    /// columns (interning ids and labels).
    pub(super) fn intern_attribution(
        &mut self,
        team: Option<i64>,
        assignee: Option<i64>,
        credit: AttributionTuple,
    ) -> u32 {
        let (
            created_team,
            created_sourcing,
            first_reply_agent,
            first_reply_team,
            first_reply_sourcing,
            first_reply_employment,
            solved_assignee,
            solved_team,
            solved_sourcing,
            solved_employment,
        ) = credit;
        let a = Attribution {
            team: self.ids.intern(team),
            assignee: self.ids.intern(assignee),
            created_team: self.ids.intern(created_team),
            created_sourcing: self.labels.intern(created_sourcing),
            first_reply_agent: self.ids.intern(first_reply_agent),
            first_reply_team: self.ids.intern(first_reply_team),
            first_reply_sourcing: self.labels.intern(first_reply_sourcing),
            first_reply_employment: self.labels.intern(first_reply_employment),
            solved_assignee: self.ids.intern(solved_assignee),
            solved_team: self.ids.intern(solved_team),
            solved_sourcing: self.labels.intern(solved_sourcing),
            solved_employment: self.labels.intern(solved_employment),
        };
        if a == NOBODY {
            return 0;
        }
        self.attributions.intern(Some(a))
    }
}
