//! A bake-off's tickets ([`crate::reports::bakeoff::inputs::TicketFacts`]) read from the store
//! instead of the database: the same tickets, values and order as the report's SQL
//! (`reports::bakeoff::ticket_sql`), at the store's snapshot — one pass over the packed rows
//! instead of a year of tickets read through the driver.
//!
//! As the SQL does, a ticket counts when it has a projection, was created by `as_of`, belongs
//! to either cohort's data set and has a first reply, a latest solve or an SLA outcome in the
//! period; its SLA outcomes are those in the period and by `as_of` (the evidence report's
//! outcomes: `evidence.rs`), credited to the team and assignee of the last of them, and
//! `fcr.v1`'s look-up sees only tickets created by `as_of`. The
//! equality of both paths is tested in `tests/api/bake_off.rs`.

use super::*;
use crate::reports::bakeoff::beside_sql::SurveyRow;
use crate::reports::bakeoff::inputs::{Facts, TicketFacts, TicketQuery};

/// Whole seconds since the epoch of an instant in microseconds (`floor(extract(epoch …))`).
fn whole_seconds(micros: i64) -> i64 {
    micros.div_euclid(1_000_000)
}

/// `Some(v)` unless `v` is [`NONE`].
fn present(v: i64) -> Option<i64> {
    (v != NONE).then_some(v)
}

impl Reader<'_> {
    /// The tickets the snapshot holds (merged ones left out).
    pub fn ticket_count(&self) -> usize {
        self.content.rows.len()
    }

    /// The facts of ticket `ticket_id` a bake-off's cohorts and strata read of a survey's or a
    /// work order's ticket (`reports::bakeoff::beside_sql`): `None` when the store has no such
    /// ticket (a merged one, a duplicate in no figure).
    pub fn bake_off_facts(&self, ticket_id: i64) -> Option<Facts<'_>> {
        let c = self.content;
        let r = c.rows.get(c.position(ticket_id).ok()?)?;
        Some(self.facts_of(r))
    }

    /// The facts of row `r` a bake-off reads ([`Reader::bake_off_facts`]).
    fn facts_of(&self, r: &Row) -> Facts<'_> {
        let c = self.content;
        let label = |v: u8| c.labels.value(v).map(String::as_str);
        Facts {
            source: c.sources.value(r.source).map(String::as_str),
            organization: c.ids.value(r.organization).copied(),
            site: c.ids.value(r.site).copied(),
            channel: label(r.channel),
            category: c.strings.value(r.category).map(String::as_str),
            priority: label(r.priority),
        }
    }

    /// Calls `visit` with each survey of `q`'s period and its ticket's facts, exactly as
    /// `reports::bakeoff::beside_sql::surveys` reads them from the database at this snapshot
    /// without the join: the surveys sent in the period or answered in it, `responded` (sent in
    /// the period and by `as_of`: answered by `as_of`) and `csat_score` (the ticket's rating as
    /// of `as_of` — its latest answer by then, ties to the higher id, docs/METRICS.md §9 —
    /// answered in the period) as of `q.as_of`. By ticket, then survey id; none of a merged
    /// ticket (the store holds none).
    pub fn bake_off_surveys(
        &self,
        q: &TicketQuery<'_>,
        visit: &mut impl FnMut(&SurveyRow, Facts<'_>),
    ) {
        let c = self.content;
        let (start, end) = (q.start.timestamp_micros(), q.end.timestamp_micros());
        let as_of = q.as_of.timestamp_micros();
        let within = |t: i64| t != NONE && t >= start && t < end;
        let id = |v: u32| c.ids.value(v).copied();
        let held = &c.surveys.held;
        // Both lists ascend by ticket id: the ticket's row is found by walking beside them.
        let mut p = 0;
        let mut i = 0;
        while i < held.len() {
            let ticket_id = held[i].ticket_id;
            let n = held[i..]
                .iter()
                .take_while(|s| s.ticket_id == ticket_id)
                .count();
            let group = &held[i..i + n];
            i += n;
            while p < c.rows.len() && c.rows[p].ticket_id < ticket_id {
                p += 1;
            }
            let Some(r) = c.rows.get(p).filter(|r| r.ticket_id == ticket_id) else {
                continue;
            };
            // The ticket's rating as of `as_of`: its latest answer by then.
            let rating = group
                .iter()
                .filter(|s| s.answered != NONE && s.answered <= as_of)
                .map(|s| (s.answered, s.id))
                .max();
            let mut facts = None;
            for s in group {
                let sent = within(s.sent);
                let answered = within(s.answered);
                if !sent && !answered {
                    continue;
                }
                let row = SurveyRow {
                    id: s.id,
                    ticket_id,
                    solved_at: whole_seconds(s.solved),
                    team_id: id(s.team),
                    assignee_id: id(s.assignee),
                    responded: (sent && s.sent <= as_of)
                        .then_some(s.answered != NONE && s.answered <= as_of),
                    csat_score: (answered
                        && s.answered <= as_of
                        && rating == Some((s.answered, s.id)))
                    .then_some(i16::from(s.score)),
                };
                visit(&row, *facts.get_or_insert_with(|| self.facts_of(r)));
            }
        }
    }

    /// Calls `visit` with the facts of each ticket `q` selects, ascending by id, exactly as
    /// `reports::bakeoff::ticket_sql::read` reads them from the database at this snapshot.
    pub fn bake_off_tickets(&self, q: &TicketQuery<'_>, visit: &mut impl FnMut(TicketFacts)) {
        let c = self.content;
        // The interned data sets wanted (0: the company's own); a label no ticket has selects
        // nothing.
        let wanted: Vec<u32> = q
            .sources
            .iter()
            .filter_map(|s| match s {
                None => Some(0),
                Some(label) => c.sources.get(&(*label).to_string()),
            })
            .collect();
        if wanted.is_empty() {
            return;
        }
        let (start, end) = (q.start.timestamp_micros(), q.end.timestamp_micros());
        let as_of = q.as_of.timestamp_micros();
        let within = |t: i64| t != NONE && t >= start && t < end;
        let id = |v: u32| c.ids.value(v).copied();
        let label = |v: u8| c.labels.value(v).cloned();
        let mut sla = Vec::new();
        for r in &c.rows {
            if r.flags & flag::HAS_METRICS == 0 || r.created > as_of || !wanted.contains(&r.source)
            {
                continue;
            }
            sla.clear();
            if q.sla {
                c.outcomes(r, |o| {
                    if o.at >= start && o.at < end && o.at <= as_of {
                        let (team, assignee) = c.credits.value(o.credit).copied().unwrap_or((0, 0));
                        sla.push((
                            o.at,
                            o.kind == OutcomeKind::Achieved,
                            id(team),
                            id(assignee),
                        ));
                    }
                });
                // The SQL's `array_agg(achieved ORDER BY at, achieved)`; the last is the
                // ticket's credit (team and assignee with none first, as the SQL orders them).
                sla.sort_unstable();
            }
            let latest = c.latest(r);
            if !within(r.first_reply_at) && !within(latest) && sla.is_empty() {
                continue;
            }
            let (first_reply_business, full_resolution_business) = c.durations(r, 1);
            let fcr = (q.fcr && r.flags & flag::ONE_TOUCH_SET != 0).then(|| {
                r.flags & flag::FCR_CANDIDATE != 0
                    && latest != NONE
                    && self.first_contact(r, latest, as_of)
            });
            let a = c.attribution(r);
            visit(TicketFacts {
                id: r.ticket_id,
                source: c.sources.value(r.source).cloned(),
                organization_id: id(r.organization),
                site_id: id(r.site),
                channel: label(r.channel),
                category: c.strings.value(r.category).cloned(),
                priority: label(r.priority).unwrap_or_default(),
                created: whole_seconds(r.created),
                first_reply_at: present(r.first_reply_at).map(whole_seconds),
                frt_business: present(first_reply_business),
                latest_solved_at: present(latest).map(whole_seconds),
                full_resolution_business: present(full_resolution_business),
                reopens: c.reopens(r),
                fcr,
                first_reply_team_id: id(a.first_reply_team),
                first_reply_employment: label(a.first_reply_employment),
                solved_team_id: id(a.solved_team),
                solved_employment: label(a.solved_employment),
                sla_achieved: sla.iter().map(|&(_, achieved, ..)| achieved).collect(),
                sla_team_id: sla.last().and_then(|o| o.2),
                sla_assignee_id: sla.last().and_then(|o| o.3),
                sla_at: sla.last().map(|o| whole_seconds(o.0)),
            });
        }
    }
}
