//! The demo company `frontline seed` writes before any ticket: three business calendars, three
//! teams, the staff (managers, agents, technicians), 24 organizations with their sites and
//! facility staff, paying friends and family, and two SLA policies; the equipment at the sites
//! and the technicians' skills and time off are in `assets.rs`, the training records in
//! `training.rs`. Every row is written with
//! `ON CONFLICT DO NOTHING` and read back by its unique name, so `--append` finds the company
//! an earlier run wrote; ids depend only on what the database held.

use super::tickets::{OrgInfo, TeamInfo, World};
use super::{DEMO_PASSWORD, SeedError, SeedOptions};
use crate::domain::sla::{Conditions, Target, TargetKind};
use crate::domain::ticket::TicketPriority;
use crate::models::enums::{EmploymentType, TeamKind, TeamSourcing, UserRole};
use crate::schema::{
    business_calendars, customers, organizations, sites, sla_policies, teams, users,
};
use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use diesel::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

const FIRST: [&str; 20] = [
    "Maria", "James", "Aisha", "Daniel", "Sofia", "Marcus", "Linh", "Robert", "Priya", "Carlos",
    "Emily", "Tyrone", "Hannah", "Diego", "Grace", "Kevin", "Fatima", "Brian", "Rosa", "Samuel",
];
const LAST: [&str; 20] = [
    "Garcia", "Johnson", "Nguyen", "Smith", "Patel", "Williams", "Lopez", "Brown", "Kim", "Davis",
    "Martinez", "Miller", "Wilson", "Anderson", "Thomas", "Jackson", "White", "Harris", "Clark",
    "Lewis",
];
const COUNTIES: [&str; 24] = [
    "Harlan",
    "Bexley",
    "Marion",
    "Cedar",
    "Franklin",
    "Lakeview",
    "Grant",
    "Pike",
    "Monroe",
    "Sutter",
    "Clayton",
    "Warren",
    "Hollis",
    "Brandt",
    "Jasper",
    "Tioga",
    "Ramsey",
    "Dalton",
    "Kearny",
    "Lowell",
    "Orange Grove",
    "Putnam",
    "Redfield",
    "Sheldon",
];
const FACILITY_KINDS: [&str; 4] = [
    "County Jail",
    "County Detention Center",
    "Regional Correctional Facility",
    "Sheriff's Office",
];
const SITE_NAMES: [&str; 5] = [
    "Main Jail",
    "Annex",
    "Intake Center",
    "Women's Facility",
    "Work Release Center",
];
const ZONES: [&str; 5] = [
    "America/Chicago",
    "America/New_York",
    "America/Denver",
    "America/Los_Angeles",
    "America/Phoenix",
];

fn staff_name(i: usize) -> (String, String) {
    let first = FIRST[i % 20];
    let last = LAST[(i + (i / 20) * 3) % 20];
    (
        format!("{first} {last}"),
        format!(
            "{}.{}@frontline.example",
            first.to_lowercase(),
            last.to_lowercase()
        ),
    )
}

/// US holidays on which the contact center and field service close: New Year's Day, Memorial
/// Day, Independence Day, Labor Day, Thanksgiving, Christmas (no observed-day shifts).
fn us_holidays(years: std::ops::RangeInclusive<i32>) -> Vec<NaiveDate> {
    let nth =
        |y: i32, m: u32, wd: Weekday, n: u8| NaiveDate::from_weekday_of_month_opt(y, m, wd, n);
    let mut days = Vec::new();
    for y in years {
        let last_monday_may = (1..=5).rev().find_map(|n| nth(y, 5, Weekday::Mon, n));
        days.extend(
            [
                NaiveDate::from_ymd_opt(y, 1, 1),
                last_monday_may,
                NaiveDate::from_ymd_opt(y, 7, 4),
                nth(y, 9, Weekday::Mon, 1),
                nth(y, 11, Weekday::Thu, 4),
                NaiveDate::from_ymd_opt(y, 12, 25),
            ]
            .into_iter()
            .flatten(),
        );
    }
    days
}

fn weekly(days: &[(&str, &str, &str)]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (day, from, to) in days {
        map.insert(
            (*day).to_string(),
            serde_json::json!([[from.to_string(), to.to_string()]]),
        );
    }
    serde_json::Value::Object(map)
}

fn calendar_id(
    conn: &mut PgConnection,
    name: &str,
    zone: &str,
    hours: serde_json::Value,
    holidays: &[NaiveDate],
) -> QueryResult<i64> {
    diesel::insert_into(business_calendars::table)
        .values((
            business_calendars::name.eq(name),
            business_calendars::time_zone.eq(zone),
            business_calendars::weekly_hours.eq(hours),
            business_calendars::holidays.eq(holidays),
        ))
        .on_conflict(business_calendars::name)
        .do_nothing()
        .execute(conn)?;
    business_calendars::table
        .filter(business_calendars::name.eq(name))
        .select(business_calendars::id)
        .first(conn)
}

fn team_id(
    conn: &mut PgConnection,
    name: &str,
    kind: TeamKind,
    sourcing: TeamSourcing,
    vendor: Option<&str>,
    calendar: i64,
) -> QueryResult<i64> {
    diesel::insert_into(teams::table)
        .values((
            teams::name.eq(name),
            teams::kind.eq(kind),
            teams::sourcing.eq(sourcing),
            teams::vendor_name.eq(vendor),
            teams::calendar_id.eq(calendar),
        ))
        .on_conflict(teams::name)
        .do_nothing()
        .execute(conn)?;
    teams::table
        .filter(teams::name.eq(name))
        .select(teams::id)
        .first(conn)
}

fn staff_id(
    conn: &mut PgConnection,
    index: usize,
    role: UserRole,
    employment: EmploymentType,
    team: i64,
    password_hash: &str,
) -> QueryResult<(i64, String)> {
    let (name, email) = staff_name(index);
    diesel::insert_into(users::table)
        .values((
            users::name.eq(&name),
            users::email.eq(&email),
            users::role.eq(role),
            users::employment_type.eq(employment),
            users::team_id.eq(team),
            users::password_hash.eq(password_hash),
        ))
        .on_conflict(users::email)
        .do_nothing()
        .execute(conn)?;
    let id = users::table
        .filter(users::email.eq(&email))
        .select(users::id)
        .first(conn)?;
    Ok((id, email))
}

/// Inserts customers (unique by email) and returns their ids in the given order.
fn customer_ids(
    conn: &mut PgConnection,
    rows: &[(String, String, Option<i64>)],
) -> QueryResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(5_000) {
        let values: Vec<_> = chunk
            .iter()
            .map(|(name, email, org)| {
                (
                    customers::name.eq(name),
                    customers::email.eq(email),
                    customers::organization_id.eq(*org),
                )
            })
            .collect();
        diesel::insert_into(customers::table)
            .values(values)
            .on_conflict(customers::email)
            .do_nothing()
            .execute(conn)?;
        let emails: Vec<&String> = chunk.iter().map(|(_, e, _)| e).collect();
        let found: BTreeMap<String, i64> = customers::table
            .filter(customers::email.eq_any(&emails))
            .select((customers::email.assume_not_null(), customers::id))
            .load::<(String, i64)>(conn)?
            .into_iter()
            .collect();
        for e in &emails {
            ids.push(
                found
                    .get(*e)
                    .copied()
                    .ok_or(diesel::result::Error::NotFound)?,
            );
        }
    }
    Ok(ids)
}

fn policy_targets(rows: &[(TicketPriority, &[(TargetKind, i64)])]) -> serde_json::Value {
    let mut targets: BTreeMap<TicketPriority, BTreeMap<TargetKind, Target>> = BTreeMap::new();
    for (priority, kinds) in rows {
        let entry = targets.entry(*priority).or_default();
        for (kind, seconds) in *kinds {
            entry.insert(
                *kind,
                Target {
                    seconds: *seconds,
                    business: true,
                },
            );
        }
    }
    serde_json::to_value(targets).unwrap_or_default()
}

fn ensure_policy(
    conn: &mut PgConnection,
    name: &str,
    position: i32,
    conditions: &Conditions,
    targets: serde_json::Value,
    warning: i64,
) -> QueryResult<()> {
    diesel::insert_into(sla_policies::table)
        .values((
            sla_policies::name.eq(name),
            sla_policies::position.eq(position),
            sla_policies::conditions.eq(serde_json::to_value(conditions).unwrap_or_default()),
            sla_policies::targets.eq(targets),
            sla_policies::warning_seconds.eq(Some(warning)),
        ))
        .on_conflict(sla_policies::name)
        .do_nothing()
        .execute(conn)?;
    Ok(())
}
/// The stored company: what tickets need, plus the log-ins to show.
pub(super) struct Company {
    /// The company as the ticket generator sees it.
    pub(super) world: World,
    /// `(role, email)` of the accounts the seed prints.
    pub(super) logins: Vec<(String, String)>,
}

/// Writes (or, with `--append`, finds) the company. Ids depend only on what the database held.
pub(super) fn write_company(
    conn: &mut PgConnection,
    options: &SeedOptions,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Company, SeedError> {
    let calendars = write_calendars(conn, start, end)?;
    let teams = write_teams(conn, &calendars)?;
    let staff = write_staff(conn, options.seed, &teams)?;
    let organizations = write_organizations(conn)?;
    let payers = write_payers(conn, options.tickets)?;
    write_policies(conn)?;
    let site_assets = super::assets::write_assets(conn, &organizations)?;
    let technicians =
        super::assets::write_technicians(conn, options.seed, &staff.technicians, (start, end))?;
    let calendar = |conn: &mut PgConnection, team: i64| {
        crate::models::calendar::calendar_of_team(conn, Some(team))
    };
    let mut world = World {
        seed: options.seed,
        start,
        end,
        in_house: TeamInfo {
            id: teams.in_house,
            outsourced: false,
            calendar: calendar(conn, teams.in_house)?,
            agents: staff.agents_in,
        },
        outsourced: TeamInfo {
            id: teams.outsourced,
            outsourced: true,
            calendar: calendar(conn, teams.outsourced)?,
            agents: staff.agents_out,
        },
        field_calendar: calendar(conn, teams.field)?,
        field_team: teams.field,
        technicians,
        site_assets,
        organizations,
        payers,
        training: BTreeMap::new(),
        directory: crate::tickets::attribution::Directory::load(conn)?,
    };
    world.training =
        super::training::write_training(conn, &world, staff.managers.first().copied())?;
    Ok(Company {
        world,
        logins: staff.logins,
    })
}

/// Ids of the company's three business calendars.
struct Calendars {
    contact_center: i64,
    vendor: i64,
    field: i64,
}

/// The contact center's hours (Mon–Fri 07–19, Sat 08–14), the vendor's (06–22 every day, closed
/// on Christmas and New Year's Day only) and field service's (Mon–Fri 08–17), all Chicago time,
/// with US holidays over the window's years and the next.
fn write_calendars(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> QueryResult<Calendars> {
    let years = start.year()..=end.year() + 1;
    let holidays = us_holidays(years.clone());
    let vendor_holidays: Vec<NaiveDate> = holidays
        .iter()
        .copied()
        .filter(|d| (d.month(), d.day()) == (12, 25) || (d.month(), d.day()) == (1, 1))
        .collect();
    let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday"];
    let mut cc: Vec<(&str, &str, &str)> = weekdays.iter().map(|d| (*d, "07:00", "19:00")).collect();
    cc.push(("saturday", "08:00", "14:00"));
    let vendor: Vec<(&str, &str, &str)> = weekdays
        .iter()
        .chain(["saturday", "sunday"].iter())
        .map(|d| (*d, "06:00", "22:00"))
        .collect();
    let field: Vec<(&str, &str, &str)> = weekdays.iter().map(|d| (*d, "08:00", "17:00")).collect();
    let contact_center = calendar_id(
        conn,
        "Contact center hours",
        "America/Chicago",
        weekly(&cc),
        &holidays,
    )?;
    let vendor = calendar_id(
        conn,
        "Vendor extended hours",
        "America/Chicago",
        weekly(&vendor),
        &vendor_holidays,
    )?;
    let field = calendar_id(
        conn,
        "Field service hours",
        "America/Chicago",
        weekly(&field),
        &holidays,
    )?;
    Ok(Calendars {
        contact_center,
        vendor,
        field,
    })
}

/// Ids of the company's three teams.
struct Teams {
    in_house: i64,
    outsourced: i64,
    field: i64,
}

/// The in-house contact center, the outsourced vendor's contact center and field service.
fn write_teams(conn: &mut PgConnection, calendars: &Calendars) -> QueryResult<Teams> {
    let in_house = team_id(
        conn,
        "In-house contact center",
        TeamKind::ContactCenter,
        TeamSourcing::InHouse,
        None,
        calendars.contact_center,
    )?;
    let outsourced = team_id(
        conn,
        "Teleserve BPO contact center",
        TeamKind::ContactCenter,
        TeamSourcing::Outsourced,
        Some("Teleserve BPO"),
        calendars.vendor,
    )?;
    let field = team_id(
        conn,
        "Field service",
        TeamKind::FieldService,
        TeamSourcing::InHouse,
        None,
        calendars.field,
    )?;
    Ok(Teams {
        in_house,
        outsourced,
        field,
    })
}

/// The staff as the ticket generator sees them, and the log-ins to show.
struct Staff {
    logins: Vec<(String, String)>,
    /// Managers (`users.id`), in order of hiring.
    managers: Vec<i64>,
    /// In-house agents: `(users.id, speed factor)`.
    agents_in: Vec<(i64, f64)>,
    /// Outsourced agents: `(users.id, speed factor)`.
    agents_out: Vec<(i64, f64)>,
    /// Technicians: `(users.id, contractor)`.
    technicians: Vec<(i64, bool)>,
}

/// Staff accounts in order of hiring: the n-th account gets the n-th name ([`staff_name`]).
struct Roster {
    password_hash: String,
    index: usize,
}

impl Roster {
    fn hire(
        &mut self,
        conn: &mut PgConnection,
        role: UserRole,
        employment: EmploymentType,
        team: i64,
    ) -> QueryResult<(i64, String)> {
        let hired = staff_id(
            conn,
            self.index,
            role,
            employment,
            team,
            &self.password_hash,
        );
        self.index += 1;
        hired
    }
}

/// Two managers, 12 in-house agents (employees), 12 outsourced agents (contractors) and 12
/// technicians (6 employees, then 6 contractors), in that order; every password is
/// [`DEMO_PASSWORD`]. Agents get speed factors drawn from `seed`.
fn write_staff(conn: &mut PgConnection, seed: u64, teams: &Teams) -> Result<Staff, SeedError> {
    let password_hash = crate::auth::password::hash(DEMO_PASSWORD)
        .map_err(|e| anyhow::anyhow!("cannot hash the demo password: {e}"))?;
    let mut roster = Roster {
        password_hash,
        index: 0,
    };
    let mut logins = Vec::new();
    let mut managers = Vec::new();
    for _ in 0..2 {
        let (id, email) = roster.hire(
            conn,
            UserRole::Manager,
            EmploymentType::Employee,
            teams.in_house,
        )?;
        logins.push(("manager".to_string(), email));
        managers.push(id);
    }
    let mut speed = agent_speeds(seed);
    let mut agents = |conn: &mut PgConnection,
                      employment: EmploymentType,
                      team: i64,
                      login: &str|
     -> QueryResult<Vec<(i64, f64)>> {
        let mut agents = Vec::new();
        for _ in 0..12 {
            let (id, email) = roster.hire(conn, UserRole::Agent, employment, team)?;
            if agents.is_empty() {
                logins.push((login.to_string(), email));
            }
            agents.push((id, speed()));
        }
        Ok(agents)
    };
    let agents_in = agents(
        conn,
        EmploymentType::Employee,
        teams.in_house,
        "agent (in-house)",
    )?;
    let agents_out = agents(
        conn,
        EmploymentType::Contractor,
        teams.outsourced,
        "agent (outsourced)",
    )?;
    let mut technicians = Vec::new();
    for i in 0..12 {
        let contractor = i >= 6;
        let emp = if contractor {
            EmploymentType::Contractor
        } else {
            EmploymentType::Employee
        };
        let (id, email) = roster.hire(conn, UserRole::Technician, emp, teams.field)?;
        if i == 0 {
            logins.push(("technician".to_string(), email));
        }
        technicians.push((id, contractor));
    }
    Ok(Staff {
        logins,
        managers,
        agents_in,
        agents_out,
        technicians,
    })
}

/// Agent speed factors: log-normal around 1 (σ 0.25), from the seed (one generator for every
/// agent, in order of hiring).
fn agent_speeds(seed: u64) -> impl FnMut() -> f64 {
    let mut speed_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_5EED);
    move || -> f64 {
        let u1: f64 = speed_rng.random_range(f64::EPSILON..1.0);
        let u2: f64 = speed_rng.random();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        (0.25 * z).exp()
    }
}

/// The 24 organizations (one per county), each with 1–3 sites in one of five US zones and three
/// facility staff members (customers).
fn write_organizations(conn: &mut PgConnection) -> QueryResult<Vec<OrgInfo>> {
    let mut orgs = Vec::new();
    let mut staff_rows = Vec::new();
    for (i, county) in COUNTIES.iter().enumerate() {
        let name = format!("{county} {}", FACILITY_KINDS[i % FACILITY_KINDS.len()]);
        let org_id = organization_id(conn, &name, &format!("seed:org:{i}"))?;
        let org_sites = write_sites(conn, i, county, org_id)?;
        for j in 0..3 {
            let (person, _) = staff_name(i * 3 + j + 7);
            staff_rows.push((
                person,
                format!("staff{j}.org{i}@facilities.example"),
                Some(org_id),
            ));
        }
        orgs.push(OrgInfo {
            id: org_id,
            name,
            weight: 1.0 / ((i + 1) as f64).powf(0.8),
            sites: org_sites,
            staff: Vec::new(),
        });
    }
    let staff_ids = customer_ids(conn, &staff_rows)?;
    for (i, org) in orgs.iter_mut().enumerate() {
        org.staff = staff_ids.iter().skip(i * 3).take(3).copied().collect();
    }
    Ok(orgs)
}

fn organization_id(conn: &mut PgConnection, name: &str, external: &str) -> QueryResult<i64> {
    diesel::insert_into(organizations::table)
        .values((
            organizations::name.eq(name),
            organizations::external_id.eq(external),
        ))
        .on_conflict(organizations::external_id)
        .do_nothing()
        .execute(conn)?;
    organizations::table
        .filter(organizations::external_id.eq(external))
        .select(organizations::id)
        .first(conn)
}

/// The sites of the `i`-th organization: `(sites.id, name)`.
fn write_sites(
    conn: &mut PgConnection,
    i: usize,
    county: &str,
    org_id: i64,
) -> QueryResult<Vec<(i64, String)>> {
    let zone = ZONES[i % ZONES.len()];
    let mut org_sites = Vec::new();
    for s in 0..(1 + i % 3) {
        let site_name = SITE_NAMES[(i + s) % SITE_NAMES.len()];
        diesel::insert_into(sites::table)
            .values((
                sites::organization_id.eq(org_id),
                sites::name.eq(site_name),
                sites::time_zone.eq(zone),
                sites::address.eq(format!("{} {county} Road", 100 + 10 * s)),
            ))
            .on_conflict((sites::organization_id, sites::name))
            .do_nothing()
            .execute(conn)?;
        let site_id: i64 = sites::table
            .filter(
                sites::organization_id
                    .eq(org_id)
                    .and(sites::name.eq(site_name)),
            )
            .select(sites::id)
            .first(conn)?;
        org_sites.push((site_id, site_name.to_string()));
    }
    Ok(org_sites)
}

/// Paying friends and family (customers without an organization): one per 6 tickets, 50 to
/// 200,000 of them.
fn write_payers(conn: &mut PgConnection, tickets: usize) -> QueryResult<Vec<i64>> {
    let payer_count = (tickets / 6).clamp(50, 200_000);
    let payer_rows: Vec<(String, String, Option<i64>)> = (0..payer_count)
        .map(|k| {
            let (person, _) = staff_name(k * 13 + 5);
            (person, format!("payer{k}@family.example"), None)
        })
        .collect();
    customer_ids(conn, &payer_rows)
}

/// The two SLA policies, business-time targets: equipment faults first, then everything else.
fn write_policies(conn: &mut PgConnection) -> QueryResult<()> {
    let equipment = Conditions {
        categories: vec!["kiosk_phone_equipment".into()],
        ..Conditions::default()
    };
    let h = 3600;
    ensure_policy(
        conn,
        "Facility equipment",
        1,
        &equipment,
        equipment_targets(h),
        h,
    )?;
    ensure_policy(
        conn,
        "Standard",
        2,
        &Conditions::default(),
        standard_targets(h),
        h / 2,
    )
}

/// Targets of "Facility equipment" (`h`: an hour in seconds).
fn equipment_targets(h: i64) -> serde_json::Value {
    use TargetKind::{AgentWork, FirstReply, Resolution};
    policy_targets(&[
        (
            TicketPriority::Urgent,
            &[(FirstReply, h / 2), (Resolution, 8 * h), (AgentWork, 4 * h)],
        ),
        (
            TicketPriority::High,
            &[(FirstReply, h), (Resolution, 16 * h), (AgentWork, 8 * h)],
        ),
        (
            TicketPriority::Normal,
            &[
                (FirstReply, 4 * h),
                (Resolution, 36 * h),
                (AgentWork, 12 * h),
            ],
        ),
        (
            TicketPriority::Low,
            &[(FirstReply, 8 * h), (Resolution, 60 * h)],
        ),
    ])
}

/// Targets of "Standard" (`h`: an hour in seconds).
fn standard_targets(h: i64) -> serde_json::Value {
    use TargetKind::{AgentWork, FirstReply, NextReply, Resolution};
    policy_targets(&[
        (
            TicketPriority::Urgent,
            &[(FirstReply, h / 4), (NextReply, h / 2), (Resolution, 4 * h)],
        ),
        (
            TicketPriority::High,
            &[(FirstReply, h / 2), (NextReply, h), (Resolution, 8 * h)],
        ),
        (
            TicketPriority::Normal,
            &[
                (FirstReply, h),
                (NextReply, 4 * h),
                (Resolution, 24 * h),
                (AgentWork, 8 * h),
            ],
        ),
        (
            TicketPriority::Low,
            &[
                (FirstReply, 4 * h),
                (NextReply, 8 * h),
                (Resolution, 40 * h),
            ],
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holidays_fall_on_the_right_days() {
        let days = us_holidays(2026..=2026);
        let expect = [
            (1, 1),
            (5, 25), // last Monday of May 2026
            (7, 4),
            (9, 7),   // first Monday of September
            (11, 26), // fourth Thursday of November
            (12, 25),
        ];
        let got: Vec<(u32, u32)> = days.iter().map(|d| (d.month(), d.day())).collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn staff_names_and_emails_are_unique() {
        let emails: std::collections::BTreeSet<String> =
            (0..200).map(|i| staff_name(i).1).collect();
        assert_eq!(emails.len(), 200);
    }
}
