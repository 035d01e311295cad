//! The rules a ticket write applies — the active SLA policies and the business calendar of each
//! team — kept in memory per process and checked against the database on every write.
//!
//! Every change to `sla_policies`, `business_calendars` or a team's calendar bumps
//! `rules_version` in the changing transaction (migration `rules_version`). A write's first
//! statement ([`crate::models::sla::rules_version`], through [`RulesCache::for_write_tx`]) reads
//! the version in force; the cached rules are used when their version is that one and reloaded
//! (two queries) otherwise. So a write never applies rules older than the last change committed
//! before it started, without reading the policies and calendars on every write, and without a
//! lock: a change that commits while the write runs is applied to that ticket afterwards by the
//! background re-projection ([`super::reproject`]), which finds the ticket by the version its
//! projection is stamped with.
//!
//! The active webhook subscriptions ride along ([`Rules::webhooks`]): the same first statement
//! reads `rules_version.webhooks_version` too, which every change of an endpoint's events or
//! active flag bumps, and the subscriptions alone are reloaded (two queries) when it moved. So a
//! write knows without a query whether any endpoint wants its events (docs/WEBHOOKS.md), and a
//! webhook change never re-projects tickets.

use super::attribution::Directory;
use crate::domain::calendar::BusinessCalendar;
use crate::domain::sla::Policy;
use crate::domain::ticket::TicketEvent;
use crate::domain::timeline::{self, CalendarTimeline};
use crate::models::webhook::Subscriptions;
use crate::models::{calendar, sla};
use diesel::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// SLA policies and team calendars at one `rules_version`.
#[derive(Debug, Clone)]
pub struct Rules {
    /// The `rules_version` they were read at.
    pub version: i64,
    /// Active SLA policies in matching order.
    pub policies: Vec<Policy>,
    /// Each team's calendar timeline (docs/METRICS.md §3: a change applies from the change on).
    teams: HashMap<i64, CalendarTimeline>,
    always_open: Arc<BusinessCalendar>,
    /// Who was in which team, and each team's sourcing, over time (attribution, docs/METRICS.md
    /// §7; its changes bump the rules version too).
    pub directory: Directory,
    /// The active webhook subscriptions (at their own version, `webhooks.version`).
    pub webhooks: Arc<Subscriptions>,
}

impl Rules {
    /// Reads the rules in force (policies, then team calendars, then the webhook
    /// subscriptions) and labels them `version`.
    ///
    /// # Errors
    /// Database errors; a stored policy or calendar that does not parse.
    pub fn load(conn: &mut PgConnection, version: i64) -> QueryResult<Rules> {
        Ok(Rules {
            version,
            policies: sla::active_policies(conn)?,
            teams: calendar::team_timelines(conn)?,
            always_open: Arc::new(BusinessCalendar::always_open()),
            directory: Directory::load(conn)?,
            webhooks: Arc::new(Subscriptions::load(conn)?),
        })
    }

    /// The rules in force as the caller's transaction sees them, read afresh (rule changes
    /// re-project with these).
    ///
    /// # Errors
    /// Database errors; a stored policy or calendar that does not parse.
    pub fn current(conn: &mut PgConnection) -> QueryResult<Rules> {
        let version = sla::rules_version(conn)?;
        Rules::load(conn, version)
    }

    /// What a ticket's business time is measured on (docs/METRICS.md §3): while it belonged to
    /// each team (its `team_id` changes in `log`; `team_id` is its team now), that team's
    /// calendar as it was at each instant; 24/7 in UTC for no team.
    pub fn timeline(&self, team_id: Option<i64>, log: &[TicketEvent]) -> CalendarTimeline {
        timeline::of_ticket(log, team_id, &self.teams, &self.always_open)
    }

    /// A team's own calendar timeline (24/7 for no team).
    pub fn team_timeline(&self, team_id: Option<i64>) -> CalendarTimeline {
        team_id
            .and_then(|t| self.teams.get(&t))
            .cloned()
            .unwrap_or_else(|| CalendarTimeline::fixed(self.always_open.clone()))
    }
}

/// The per-process cache of [`Rules`] (cheap to clone: shared).
#[derive(Debug, Clone, Default)]
pub struct RulesCache {
    current: Arc<RwLock<Option<Arc<Rules>>>>,
    notices: super::notify::NoticeSettings,
}

impl RulesCache {
    /// An empty cache (the first use loads the rules).
    pub fn new() -> RulesCache {
        RulesCache::default()
    }

    /// An empty cache whose writes apply the notice rules `notices` (the service's `[email]`;
    /// [`RulesCache::new`] applies the defaults: notices on, survey after 24 h, link 28 days).
    pub fn with_notices(notices: super::notify::NoticeSettings) -> RulesCache {
        RulesCache {
            notices,
            ..RulesCache::default()
        }
    }

    /// The notice rules writes apply.
    pub fn notices(&self) -> super::notify::NoticeSettings {
        self.notices
    }

    /// The first statement of a ticket write: the rules in force (from memory when unchanged),
    /// read without any lock ([`sla::rules_version`]).
    ///
    /// # Errors
    /// Database errors.
    pub fn for_write_tx(&self, conn: &mut PgConnection) -> QueryResult<Arc<Rules>> {
        let (version, webhooks) = sla::write_versions(conn)?;
        let rules = self.at_version(conn, version)?;
        if rules.webhooks.version >= webhooks {
            return Ok(rules);
        }
        // Only the subscriptions changed: the rest is kept.
        let rules = Arc::new(Rules {
            webhooks: Arc::new(Subscriptions::load(conn)?),
            ..(*rules).clone()
        });
        if let Ok(mut guard) = self.current.write()
            && guard.as_ref().is_none_or(|r| {
                r.version < rules.version
                    || (r.version == rules.version && r.webhooks.version < rules.webhooks.version)
            })
        {
            *guard = Some(rules.clone());
        }
        Ok(rules)
    }

    /// The rules of `version`, read by the caller's connection when the cache holds another.
    ///
    /// # Errors
    /// Database errors.
    pub fn at_version(&self, conn: &mut PgConnection, version: i64) -> QueryResult<Arc<Rules>> {
        if let Ok(guard) = self.current.read()
            && let Some(rules) = guard.as_ref()
            && rules.version == version
        {
            return Ok(rules.clone());
        }
        let rules = Arc::new(Rules::load(conn, version)?);
        if let Ok(mut guard) = self.current.write() {
            // Keep the newest: an older reader must not replace rules a newer writer loaded.
            if guard.as_ref().is_none_or(|r| r.version <= version) {
                *guard = Some(rules.clone());
            }
        }
        Ok(rules)
    }
}
