//! Who a bake-off observation is credited to at its instant: a team's sourcing and vendor
//! (`team_sourcing_periods`) and a staff member's employment type (`user_periods`) as of an
//! instant (docs/METRICS.md §7).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use std::collections::HashMap;

/// Who an observation is credited to, at the instant.
pub(super) struct Credit<'p> {
    pub(super) team: Option<i64>,
    pub(super) sourcing: Option<&'p str>,
    pub(super) vendor: Option<&'p str>,
    pub(super) employment: Option<&'p str>,
    pub(super) technician: bool,
}

/// `team_sourcing_periods` and `user_periods`, to read a team's sourcing and vendor and a staff
/// member's employment type at an instant.
#[derive(Default)]
pub(super) struct Periods {
    teams: HashMap<i64, Vec<(i64, String, Option<String>)>>,
    users: HashMap<i64, Vec<(i64, String)>>,
}

#[derive(QueryableByName)]
struct TeamPeriodRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    valid_from: i64,
    #[diesel(sql_type = Text)]
    sourcing: String,
    #[diesel(sql_type = Nullable<Text>)]
    vendor: Option<String>,
}

#[derive(QueryableByName)]
struct UserPeriodRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    valid_from: i64,
    #[diesel(sql_type = Text)]
    employment: String,
}

impl Periods {
    pub(super) fn load(conn: &mut PgConnection) -> QueryResult<Periods> {
        // '-infinity' reads as the least bigint.
        let mut p = Periods::default();
        for r in diesel::sql_query(
            "SELECT team_id AS id,
                    CASE WHEN valid_from = '-infinity' THEN -9223372036854775807
                         ELSE floor(extract(epoch FROM valid_from))::int8 END AS valid_from,
                    sourcing::text AS sourcing, vendor_name AS vendor
               FROM team_sourcing_periods ORDER BY team_id, valid_from",
        )
        .load::<TeamPeriodRow>(conn)?
        {
            p.teams
                .entry(r.id)
                .or_default()
                .push((r.valid_from, r.sourcing, r.vendor));
        }
        for r in diesel::sql_query(
            "SELECT user_id AS id,
                    CASE WHEN valid_from = '-infinity' THEN -9223372036854775807
                         ELSE floor(extract(epoch FROM valid_from))::int8 END AS valid_from,
                    employment_type::text AS employment
               FROM user_periods ORDER BY user_id, valid_from",
        )
        .load::<UserPeriodRow>(conn)?
        {
            p.users
                .entry(r.id)
                .or_default()
                .push((r.valid_from, r.employment));
        }
        Ok(p)
    }

    fn team_at(&self, team: i64, at: i64) -> Option<&(i64, String, Option<String>)> {
        let periods = self.teams.get(&team)?;
        periods.iter().rev().find(|(from, _, _)| *from <= at)
    }

    pub(super) fn employment_at(&self, user: i64, at: i64) -> Option<&str> {
        let periods = self.users.get(&user)?;
        periods
            .iter()
            .rev()
            .find(|(from, _)| *from <= at)
            .map(|(_, e)| e.as_str())
    }

    pub(super) fn credit<'p>(
        &'p self,
        team: Option<i64>,
        employment: Option<&'p str>,
        technician: bool,
        at: i64,
    ) -> Credit<'p> {
        let period = team.and_then(|t| self.team_at(t, at));
        Credit {
            team,
            sourcing: period.map(|(_, s, _)| s.as_str()),
            vendor: period.and_then(|(_, _, v)| v.as_deref()),
            employment,
            technician,
        }
    }
}
