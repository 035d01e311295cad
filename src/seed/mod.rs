//! `frontline seed`: a deterministic demo company and its tickets.
//!
//! The company serves correctional facilities and agencies: 24 organizations with 1–3 sites
//! each, facility staff and paying friends and family as requesters, an in-house contact-center
//! team and an outsourced vendor team (12 agents each), a field-service team of technicians
//! (6 employees, 6 contractors), two managers, three business calendars and two SLA policies.
//! Tickets arrive over the 12 months before `--until` ([`tickets`] documents arrivals, lifecycles
//! and the cohort differences built in on purpose).
//!
//! Same seed, same data: everything is derived from the seed, never from the clock. Two writers
//! store the same content:
//! - [`Writer::Domain`] (profile `demo`) stores each ticket as `POST /tickets` does
//!   ([`ticket_model::insert_ticket_tx`]: row, events, comments, metric projection and SLA clocks
//!   computed from the stored log), then runs one SLA worker pass at the window's end;
//! - [`Writer::Bulk`] (profile `scale`) computes the same rows in memory with the same pure
//!   functions (projection, clocks, the pass's events) and stores them with `COPY`.
//!
//! [`content_digest`] hashes the stored content (ids, rows, logs, projections; not the
//! `recorded_at`/`updated_at` stamps, password hashes or full-text vectors), so that two runs,
//! or the two writers, can be compared.

pub mod tickets;

use crate::domain::calendar::BusinessCalendar;
use crate::domain::sla::{Conditions, Policy, Target, TargetKind};
use crate::domain::ticket::TicketPriority;
use crate::models::enums::{EmploymentType, TeamKind, TeamSourcing, UserRole};
use crate::models::sla::ClockRow;
use crate::models::ticket::{self as ticket_model, Ticket, TicketMetricsRow};
use crate::schema::{
    business_calendars, customers, organizations, sites, sla_policies, teams, ticket_links, users,
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use tickets::{Arrival, GeneratedTicket, OrgInfo, Outage, TeamInfo, World};

/// Password of every seeded staff account (a demo: change it before anything else).
pub const DEMO_PASSWORD: &str = "frontline-demo";

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// A few thousand tickets through the ticket-write code of the API.
    Demo,
    /// Millions of tickets, bulk-loaded.
    Scale,
}

/// How tickets are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// One ticket at a time through the API's ticket-write code.
    Domain,
    /// `COPY` of rows computed in memory by the same pure functions.
    Bulk,
}

/// Options of one run.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// Number of tickets created in the window (follow-ups come on top).
    pub tickets: usize,
    /// Seed.
    pub seed: u64,
    /// Window end (exclusive), midnight UTC of this date; the window is the 365 days before.
    pub until: NaiveDate,
    /// Allowed to add to a database that already holds data (the company is reused by name).
    pub append: bool,
    /// Storage path.
    pub writer: Writer,
    /// Draw a progress bar.
    pub progress: bool,
}

impl SeedOptions {
    /// Checks the options before anything is written.
    ///
    /// # Errors
    /// [`SeedError::Options`] naming the option: `tickets` outside 1–50,000,000; `until` outside
    /// 1901-01-01–9999-12-31 (every instant Frontline stores lies in 1900–9999, and the window is
    /// the 365 days before `until`).
    pub fn validate(&self) -> Result<(), SeedError> {
        if self.tickets == 0 || self.tickets > 50_000_000 {
            return Err(SeedError::Options(
                "--tickets must be between 1 and 50,000,000".into(),
            ));
        }
        let (lo, hi) = (
            NaiveDate::from_ymd_opt(1901, 1, 1),
            NaiveDate::from_ymd_opt(9999, 12, 31),
        );
        if lo.is_some_and(|lo| self.until < lo) || hi.is_some_and(|hi| self.until > hi) {
            return Err(SeedError::Options(
                "--until must be between 1901-01-01 and 9999-12-31 (the window is the 365 days before it)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Defaults of a profile: demo 5,000 tickets through the domain writer, scale 1,000,000
    /// bulk-loaded; seed 42; window ending 2026-11-01.
    pub fn for_profile(profile: Profile) -> SeedOptions {
        SeedOptions {
            tickets: match profile {
                Profile::Demo => 5_000,
                Profile::Scale => 1_000_000,
            },
            seed: 42,
            until: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default(),
            append: false,
            writer: match profile {
                Profile::Demo => Writer::Domain,
                Profile::Scale => Writer::Bulk,
            },
            progress: false,
        }
    }
}

/// Outcome of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Tickets stored (follow-ups included).
    pub tickets: usize,
    /// Of which follow-ups.
    pub follow_ups: usize,
    /// Events stored (SLA events included).
    pub events: usize,
    /// Staff accounts that can log in (password [`DEMO_PASSWORD`]), `(role, email)`.
    pub logins: Vec<(String, String)>,
}

/// Why a run did not start.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The database already holds data and `append` was not given.
    #[error(
        "the database already holds data ({0}); seed an empty database, or pass --append to add to it"
    )]
    NotEmpty(String),
    /// Bad options.
    #[error("{0}")]
    Options(String),
    /// Database error.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

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

/// First table among those a seed writes that holds a row, if any (`None`: nothing to refuse).
///
/// # Errors
/// Database errors.
pub fn first_non_empty(conn: &mut PgConnection) -> QueryResult<Option<String>> {
    for table in [
        "tickets",
        "organizations",
        "customers",
        "teams",
        "business_calendars",
        "sla_policies",
    ] {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {table}) AS present");
        #[derive(QueryableByName)]
        struct Present {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            present: bool,
        }
        let p: Present = diesel::sql_query(sql).get_result(conn)?;
        if p.present {
            return Ok(Some(table.to_string()));
        }
    }
    Ok(None)
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
struct Company {
    world: World,
    logins: Vec<(String, String)>,
}

/// Writes (or, with `--append`, finds) the company. Ids depend only on what the database held.
fn write_company(
    conn: &mut PgConnection,
    options: &SeedOptions,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Company, SeedError> {
    use TargetKind::{AgentWork, FirstReply, NextReply, Resolution};
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
    let cal_cc = calendar_id(
        conn,
        "Contact center hours",
        "America/Chicago",
        weekly(&cc),
        &holidays,
    )?;
    let cal_vendor = calendar_id(
        conn,
        "Vendor extended hours",
        "America/Chicago",
        weekly(&vendor),
        &vendor_holidays,
    )?;
    let cal_field = calendar_id(
        conn,
        "Field service hours",
        "America/Chicago",
        weekly(&field),
        &holidays,
    )?;
    let in_house = team_id(
        conn,
        "In-house contact center",
        TeamKind::ContactCenter,
        TeamSourcing::InHouse,
        None,
        cal_cc,
    )?;
    let outsourced = team_id(
        conn,
        "Teleserve BPO contact center",
        TeamKind::ContactCenter,
        TeamSourcing::Outsourced,
        Some("Teleserve BPO"),
        cal_vendor,
    )?;
    let field_team = team_id(
        conn,
        "Field service",
        TeamKind::FieldService,
        TeamSourcing::InHouse,
        None,
        cal_field,
    )?;

    let hash = crate::auth::password::hash(DEMO_PASSWORD)
        .map_err(|e| anyhow::anyhow!("cannot hash the demo password: {e}"))?;
    let mut logins = Vec::new();
    let mut index = 0usize;
    let mut next = |conn: &mut PgConnection,
                    role: UserRole,
                    emp: EmploymentType,
                    team: i64|
     -> QueryResult<(i64, String)> {
        let r = staff_id(conn, index, role, emp, team, &hash);
        index += 1;
        r
    };
    for _ in 0..2 {
        let (_, email) = next(conn, UserRole::Manager, EmploymentType::Employee, in_house)?;
        logins.push(("manager".to_string(), email));
    }
    // Agent speed factors: log-normal around 1 (σ 0.25), from the seed.
    let mut speed_rng = ChaCha8Rng::seed_from_u64(options.seed ^ 0x5EED_5EED);
    let mut speed = move || -> f64 {
        let u1: f64 = speed_rng.random_range(f64::EPSILON..1.0);
        let u2: f64 = speed_rng.random();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        (0.25 * z).exp()
    };
    let mut agents_in = Vec::new();
    for _ in 0..12 {
        let (id, email) = next(conn, UserRole::Agent, EmploymentType::Employee, in_house)?;
        if agents_in.is_empty() {
            logins.push(("agent (in-house)".to_string(), email));
        }
        agents_in.push((id, speed()));
    }
    let mut agents_out = Vec::new();
    for _ in 0..12 {
        let (id, email) = next(
            conn,
            UserRole::Agent,
            EmploymentType::Contractor,
            outsourced,
        )?;
        if agents_out.is_empty() {
            logins.push(("agent (outsourced)".to_string(), email));
        }
        agents_out.push((id, speed()));
    }
    let mut technicians = Vec::new();
    for i in 0..12 {
        let contractor = i >= 6;
        let emp = if contractor {
            EmploymentType::Contractor
        } else {
            EmploymentType::Employee
        };
        let (id, email) = next(conn, UserRole::Technician, emp, field_team)?;
        if i == 0 {
            logins.push(("technician".to_string(), email));
        }
        technicians.push((id, contractor));
    }

    // Organizations, sites, facility staff.
    let mut orgs = Vec::new();
    let mut staff_rows = Vec::new();
    for (i, county) in COUNTIES.iter().enumerate() {
        let name = format!("{county} {}", FACILITY_KINDS[i % FACILITY_KINDS.len()]);
        let external = format!("seed:org:{i}");
        diesel::insert_into(organizations::table)
            .values((
                organizations::name.eq(&name),
                organizations::external_id.eq(&external),
            ))
            .on_conflict(organizations::external_id)
            .do_nothing()
            .execute(conn)?;
        let org_id: i64 = organizations::table
            .filter(organizations::external_id.eq(&external))
            .select(organizations::id)
            .first(conn)?;
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
    let payer_count = (options.tickets / 6).clamp(50, 200_000);
    let payer_rows: Vec<(String, String, Option<i64>)> = (0..payer_count)
        .map(|k| {
            let (person, _) = staff_name(k * 13 + 5);
            (person, format!("payer{k}@family.example"), None)
        })
        .collect();
    let payers = customer_ids(conn, &payer_rows)?;

    // SLA policies: equipment faults first, then everything else.
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
        ]),
        h,
    )?;
    ensure_policy(
        conn,
        "Standard",
        2,
        &Conditions::default(),
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
        ]),
        h / 2,
    )?;

    let calendar = |conn: &mut PgConnection, team: i64| {
        crate::models::calendar::calendar_of_team(conn, Some(team))
    };
    let world = World {
        seed: options.seed,
        start,
        end,
        in_house: TeamInfo {
            id: in_house,
            outsourced: false,
            calendar: calendar(conn, in_house)?,
            agents: agents_in,
        },
        outsourced: TeamInfo {
            id: outsourced,
            outsourced: true,
            calendar: calendar(conn, outsourced)?,
            agents: agents_out,
        },
        field_calendar: calendar(conn, field_team)?,
        technicians,
        organizations: orgs,
        payers,
    };
    Ok(Company { world, logins })
}

/// A generated ticket with everything the bulk writer stores.
struct Prepared {
    ticket: Ticket,
    /// Full-text vector computed on the helper connection, if there is one.
    search_vector: Option<String>,
    generated: GeneratedTicket,
    metrics: TicketMetricsRow,
    clocks: Vec<ClockRow>,
    sla: Vec<crate::domain::sla::DueEvent>,
}

fn calendar_for(world: &World, team: Option<i64>) -> &BusinessCalendar {
    if team == Some(world.outsourced.id) {
        &world.outsourced.calendar
    } else {
        &world.in_house.calendar
    }
}

/// The stored row of a generated ticket with reserved `id` and `number`.
fn ticket_row(g: &GeneratedTicket, id: i64, number: i64) -> Ticket {
    Ticket {
        id,
        number,
        external_id: None,
        subject: g.fields.subject.clone(),
        description: g.fields.description.clone(),
        status: g.state.status.into(),
        priority: g.state.priority.into(),
        channel: g.fields.channel,
        category: g.fields.category.clone(),
        tags: g.fields.tags.clone(),
        requester_id: g.fields.requester_id,
        organization_id: g.fields.organization_id,
        team_id: g.fields.team_id,
        assignee_id: g.state.assignee,
        created_by_id: g.created_by,
        version: 1,
        created_at: g.state.created_at,
        updated_at: g.state.updated_at,
        solved_at: g.state.solved_at,
        closed_at: g.state.closed_at,
        site_id: g.fields.site_id,
    }
}

fn prepare(
    world: &World,
    policies: &[Policy],
    g: GeneratedTicket,
    id: i64,
    number: i64,
) -> Prepared {
    let ticket = ticket_row(&g, id, number);
    let calendar = calendar_for(world, g.fields.team_id);
    let metrics = crate::domain::metrics::project(&g.events, calendar).unwrap_or_default();
    let metrics = TicketMetricsRow::new(id, &metrics);
    let mut clocks =
        crate::tickets::projection::clock_rows_on(policies, calendar, &ticket, &g.events);
    let sla = crate::models::sla::due_events(&mut clocks, world.end);
    Prepared {
        ticket,
        search_vector: None,
        generated: g,
        metrics,
        clocks,
        sla,
    }
}

/// Replaces the run index in a follow-up's `linked` event with the original ticket's id.
fn resolve_link(g: &mut GeneratedTicket, ids: &[i64]) {
    let Some(original) = g.follow_up_of.and_then(|i| ids.get(i).copied()) else {
        return;
    };
    for e in &mut g.events {
        if let crate::domain::ticket::EventKind::Linked { ticket_id, .. } = &mut e.kind {
            *ticket_id = original;
        }
    }
}

/// Generates tickets `range` of `arrivals` on two threads; same result as one thread.
fn generate_range(
    world: &World,
    outages: &[Outage],
    arrivals: &[Arrival],
    first: usize,
) -> anyhow::Result<Vec<GeneratedTicket>> {
    let half = arrivals.len() / 2;
    let (a, b) = arrivals.split_at(half);
    let run = |part: &[Arrival], offset: usize| -> anyhow::Result<Vec<GeneratedTicket>> {
        part.iter()
            .enumerate()
            .map(|(i, arrival)| tickets::generate(world, outages, (offset + i) as u64, *arrival))
            .collect()
    };
    let (left, right) = std::thread::scope(|s| {
        let handle = s.spawn(|| run(b, first + half));
        let left = run(a, first);
        let right = handle
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("ticket generation thread panicked")));
        (left, right)
    });
    let mut all = left?;
    all.extend(right?);
    Ok(all)
}

/// Reserves `n` consecutive values of the sequence behind `regclass` (the table is locked by the
/// caller); returns the first.
fn reserve(conn: &mut PgConnection, sequence_sql: &str, n: usize) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct First {
        #[diesel(sql_type = BigInt)]
        first: i64,
    }
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    let row: First = diesel::sql_query(format!(
        "SELECT setval(s, nextval(s) + $1 - 1) - $1 + 1 AS first FROM (SELECT {sequence_sql}::regclass AS s) q"
    ))
    .bind::<BigInt, _>(n)
    .get_result(conn)?;
    Ok(row.first)
}

/// Stores one batch of generated tickets; returns their ids in order.
fn store(
    conn: &mut PgConnection,
    world: &World,
    policies: &[Policy],
    writer: Writer,
    batch: Vec<GeneratedTicket>,
    events: &mut usize,
) -> anyhow::Result<Vec<i64>> {
    match writer {
        Writer::Domain => {
            let mut ids = Vec::with_capacity(batch.len());
            let rules = crate::tickets::RulesCache::new();
            for g in &batch {
                let row = crate::tickets::import::store_ticket_tx(
                    conn,
                    &rules,
                    &g.fields,
                    &g.state,
                    g.created_by,
                    &g.events,
                    &g.bodies,
                )?;
                *events += g.events.len();
                ids.push(row.id);
            }
            Ok(ids)
        }
        Writer::Bulk => {
            if batch.is_empty() {
                return Ok(Vec::new());
            }
            let first_id = reserve(conn, "pg_get_serial_sequence('tickets', 'id')", batch.len())?;
            let first_number = reserve(conn, "'ticket_number_seq'", batch.len())?;
            // Only the follow-ups (about 2 % of a run) come this way: one thread is enough.
            let prepared: Vec<Prepared> = batch
                .into_iter()
                .enumerate()
                .map(|(i, g)| {
                    let k = i as i64;
                    prepare(world, policies, g, first_id + k, first_number + k)
                })
                .collect();
            copy_prepared(conn, &prepared, events)?;
            Ok(prepared.iter().map(|p| p.ticket.id).collect())
        }
    }
}

/// Follow-ups to store: `(run index of the original, follow-up)`.
type FollowUps = Vec<(usize, GeneratedTicket)>;

/// The bulk path of the primary tickets: a producer thread generates and projects batch after
/// batch (ids reserved up front) while this connection copies the previous one. Returns the ids
/// in arrival order and the follow-ups to store after them.
#[allow(clippy::too_many_arguments)]
fn bulk_primaries(
    conn: &mut PgConnection,
    world: &World,
    policies: &[Policy],
    outages: &[Outage],
    arrivals: &[Arrival],
    batch_size: usize,
    bar: &indicatif::ProgressBar,
    events: &mut usize,
    mut helper: Option<PgConnection>,
) -> Result<(Vec<i64>, FollowUps), SeedError> {
    let n = arrivals.len();
    let first_id = reserve(conn, "pg_get_serial_sequence('tickets', 'id')", n)?;
    let first_number = reserve(conn, "'ticket_number_seq'", n)?;
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Prepared>>(1);
    std::thread::scope(|s| -> Result<_, SeedError> {
        let producer = s.spawn(move || -> anyhow::Result<FollowUps> {
            let mut follow_ups = Vec::new();
            for (k, chunk) in arrivals.chunks(batch_size).enumerate() {
                let first = k * batch_size;
                let mut prepared = Vec::with_capacity(chunk.len());
                for (i, arrival) in chunk.iter().enumerate() {
                    let index = first + i;
                    let g = tickets::generate(world, outages, index as u64, *arrival)?;
                    if let Some(at) = g.follow_up_at {
                        follow_ups.push((index, tickets::follow_up(world, index, &g, at)?));
                    }
                    let offset = index as i64;
                    prepared.push(prepare(
                        world,
                        policies,
                        g,
                        first_id + offset,
                        first_number + offset,
                    ));
                }
                if let Some(helper) = helper.as_mut() {
                    let subjects: Vec<&str> =
                        prepared.iter().map(|p| p.ticket.subject.as_str()).collect();
                    let descriptions: Vec<&str> = prepared
                        .iter()
                        .map(|p| p.ticket.description.as_str())
                        .collect();
                    let comments: Vec<String> = prepared
                        .iter()
                        .map(|p| ticket_model::comment_text(&p.generated.bodies))
                        .collect();
                    let vectors =
                        ticket_model::search_vectors(helper, &subjects, &descriptions, &comments)?;
                    for (p, v) in prepared.iter_mut().zip(vectors) {
                        p.search_vector = Some(v);
                    }
                }
                if sender.send(prepared).is_err() {
                    // The copying side failed and stopped listening.
                    break;
                }
            }
            Ok(follow_ups)
        });
        let mut copied: Result<(), SeedError> = Ok(());
        for prepared in receiver.iter() {
            if let Err(e) = copy_prepared(conn, &prepared, events) {
                copied = Err(e.into());
                break;
            }
            bar.inc(prepared.len() as u64);
        }
        drop(receiver);
        let follow_ups = producer
            .join()
            .map_err(|_| anyhow::anyhow!("ticket generation thread panicked"))??;
        copied?;
        Ok(((0..n).map(|i| first_id + i as i64).collect(), follow_ups))
    })
}

fn copy_prepared(
    conn: &mut PgConnection,
    prepared: &[Prepared],
    events: &mut usize,
) -> QueryResult<()> {
    let bulk: Vec<ticket_model::BulkTicket> = prepared
        .iter()
        .map(|p| ticket_model::BulkTicket {
            ticket: &p.ticket,
            events: &p.generated.events,
            bodies: &p.generated.bodies,
            metrics: &p.metrics,
            clocks: &p.clocks,
            sla_events: &p.sla,
            search_vector: p.search_vector.as_deref(),
        })
        .collect();
    ticket_model::copy_tickets_tx(conn, &bulk)?;
    *events += prepared
        .iter()
        .map(|p| p.generated.events.len() + p.sla.len())
        .sum::<usize>();
    Ok(())
}

/// Seeds the database: the company, then `options.tickets` tickets and their follow-ups, all in
/// one transaction (nothing is stored if anything fails).
///
/// # Errors
/// [`SeedError::NotEmpty`] without `append` on a database holding data; bad options; database
/// errors.
pub fn run(conn: &mut PgConnection, options: &SeedOptions) -> Result<SeedReport, SeedError> {
    run_with_helper(conn, None, options)
}

/// [`run`], with a second connection to the same database on which the bulk writer computes
/// full-text vectors while the first one copies (a pure computation: same content, about a
/// third less time for a large load on two cores).
///
/// # Errors
/// As [`run`].
pub fn run_with_helper(
    conn: &mut PgConnection,
    helper: Option<PgConnection>,
    options: &SeedOptions,
) -> Result<SeedReport, SeedError> {
    options.validate()?;
    let end = Utc.from_utc_datetime(
        &options
            .until
            .and_hms_opt(0, 0, 0)
            .ok_or_else(|| SeedError::Options("bad --until".into()))?,
    );
    let start = end - Duration::days(365);
    let batch_size = match options.writer {
        Writer::Domain => 500,
        Writer::Bulk => 10_000,
    };
    let bar = if options.progress {
        let bar = indicatif::ProgressBar::new(options.tickets as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} seeding [{bar:40}] {pos}/{len} tickets ({per_sec}, {eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let report = conn.transaction(|conn| -> Result<SeedReport, SeedError> {
        diesel::sql_query("LOCK TABLE tickets IN SHARE ROW EXCLUSIVE MODE").execute(conn)?;
        if !options.append
            && let Some(table) = first_non_empty(conn)?
        {
            return Err(SeedError::NotEmpty(format!("table {table} is not empty")));
        }
        let empty: bool = diesel::select(diesel::dsl::not(diesel::dsl::exists(
            crate::schema::tickets::table.select(crate::schema::tickets::id),
        )))
        .get_result(conn)?;
        // Into empty tables, COPY is much faster without secondary indexes and foreign keys; they
        // are rebuilt and re-validated before the commit.
        let deferred = if options.writer == Writer::Bulk && empty {
            Some(ticket_model::defer_constraints_tx(conn)?)
        } else {
            None
        };
        let company = write_company(conn, options, start, end)?;
        let world = &company.world;
        let policies = crate::models::sla::active_policies(conn)?;
        let mut master = ChaCha8Rng::seed_from_u64(world.seed);
        let outages = tickets::outages(world, options.tickets, &mut master);
        let arrivals = tickets::arrivals(world, options.tickets, &outages, &mut master);

        let mut events = 0usize;
        let (ids, mut follow_ups) = match options.writer {
            Writer::Domain => {
                let mut ids: Vec<i64> = Vec::with_capacity(arrivals.len());
                let mut follow_ups: Vec<(usize, GeneratedTicket)> = Vec::new();
                for (n, chunk) in arrivals.chunks(batch_size).enumerate() {
                    let first = n * batch_size;
                    let generated = generate_range(world, &outages, chunk, first)?;
                    for (i, g) in generated.iter().enumerate() {
                        if let Some(at) = g.follow_up_at {
                            follow_ups
                                .push((first + i, tickets::follow_up(world, first + i, g, at)?));
                        }
                    }
                    ids.extend(store(
                        conn,
                        world,
                        &policies,
                        options.writer,
                        generated,
                        &mut events,
                    )?);
                    bar.inc(chunk.len() as u64);
                }
                (ids, follow_ups)
            }
            Writer::Bulk => bulk_primaries(
                conn,
                world,
                &policies,
                &outages,
                &arrivals,
                batch_size,
                &bar,
                &mut events,
                helper,
            )?,
        };
        // Follow-ups, in order of creation, each linked to its closed original.
        follow_ups.sort_by_key(|(i, g)| (g.state.created_at, *i));
        let mut batch: Vec<GeneratedTicket> = follow_ups.into_iter().map(|(_, g)| g).collect();
        for g in &mut batch {
            resolve_link(g, &ids);
        }
        let links: Vec<i64> = batch
            .iter()
            .filter_map(|g| g.follow_up_of.and_then(|i| ids.get(i).copied()))
            .collect();
        let follow_up_count = batch.len();
        let follow_ids = store(conn, world, &policies, options.writer, batch, &mut events)?;
        let link_rows: Vec<_> = follow_ids
            .iter()
            .zip(&links)
            .map(|(id, original)| {
                (
                    ticket_links::ticket_id.eq(*id),
                    ticket_links::linked_ticket_id.eq(*original),
                    ticket_links::kind.eq("follow_up"),
                )
            })
            .collect();
        for chunk in link_rows.chunks(5_000) {
            diesel::insert_into(ticket_links::table)
                .values(chunk)
                .execute(conn)?;
        }
        if let Some(deferred) = deferred {
            let clock = std::time::Instant::now();
            ticket_model::restore_constraints_tx(conn, deferred)?;
            tracing::info!(
                seconds = clock.elapsed().as_secs_f64(),
                "rebuilt indexes and foreign keys"
            );
        }
        if options.writer == Writer::Domain {
            // The SLA worker's pass at the window's end: breaches and warnings up to then.
            loop {
                let r = crate::tickets::sla_events::record_due(conn, world.end, 1_000)?;
                if r.breaches.is_empty() && r.warnings.is_empty() {
                    break;
                }
                events += r.breaches.len() + r.warnings.len();
            }
        }
        Ok(SeedReport {
            tickets: ids.len() + follow_ids.len(),
            follow_ups: follow_up_count,
            events,
            logins: company.logins,
        })
    })?;
    bar.finish_and_clear();
    if options.writer == Writer::Bulk {
        // Fresh statistics for the planner after a bulk load.
        diesel::sql_query("ANALYZE").execute(conn)?;
    }
    Ok(report)
}

/// A digest of the stored content: per table, an order-independent sum of row hashes, combined
/// into one hex string. Covers the company, tickets, event logs, comments, links, metric
/// projections and SLA clocks; leaves out write stamps (`recorded_at`, `updated_at` of
/// projections and directory rows, `changed_xid`), password hashes and full-text vectors.
///
/// # Errors
/// Database errors.
pub fn content_digest(conn: &mut PgConnection) -> QueryResult<String> {
    let parts = [
        "SELECT name, time_zone, weekly_hours, holidays FROM business_calendars",
        "SELECT id, name, kind, sourcing, vendor_name, calendar_id FROM teams",
        "SELECT id, name, email, role, employment_type, team_id, active FROM users",
        "SELECT id, name, external_id FROM organizations",
        "SELECT id, organization_id, name, time_zone, address FROM sites",
        "SELECT id, name, email, phone, organization_id FROM customers",
        "SELECT id, name, position, active, conditions, targets, warning_seconds FROM sla_policies",
        "SELECT id, number, external_id, subject, description, status, priority, channel, category, \
         tags, requester_id, organization_id, team_id, assignee_id, created_by_id, version, \
         created_at, updated_at, solved_at, closed_at, site_id FROM tickets",
        "SELECT ticket_id, seq, kind, occurred_at, actor_user_id, from_status, to_status, data \
         FROM ticket_events",
        "SELECT ticket_id, author_kind, author_user_id, public, body, created_at FROM comments",
        "SELECT ticket_id, linked_ticket_id, kind FROM ticket_links",
        "SELECT ticket_id, kind, policy_id, target_seconds, business, running, due_at, warning_at, \
         fulfilled_at, breached_at, breach_recorded, warning_recorded FROM ticket_sla_clocks",
    ];
    #[derive(QueryableByName)]
    struct Part {
        #[diesel(sql_type = Text)]
        digest: String,
    }
    let mut all = String::new();
    for sql in parts {
        let p: Part = diesel::sql_query(format!(
            "SELECT count(*)::text || ':' || coalesce(sum(('x' || substr(md5(r::text), 1, 15))::bit(60)::bigint)::text, '0') AS digest FROM ({sql}) r"
        ))
        .get_result(conn)?;
        all.push_str(&p.digest);
        all.push('|');
    }
    // Metrics without their write stamp.
    let p: Part = diesel::sql_query(
        "SELECT count(*)::text || ':' || coalesce(sum(('x' || substr(md5((to_jsonb(m) - 'updated_at' - 'changed_xid')::text), 1, 15))::bit(60)::bigint)::text, '0') AS digest FROM ticket_metrics m",
    )
    .get_result(conn)?;
    all.push_str(&p.digest);
    #[derive(QueryableByName)]
    struct Md5 {
        #[diesel(sql_type = Text)]
        md5: String,
    }
    let m: Md5 = diesel::sql_query("SELECT md5($1) AS md5")
        .bind::<Text, _>(all)
        .get_result(conn)?;
    Ok(m.md5)
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
