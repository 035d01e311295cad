//! The evidence report's two ways to read its inputs agree: the database (`reports::inputs`,
//! what the command line and `report verify` use) and the metrics store (what
//! `POST /api/v1/reports/evidence` uses), on the seeded demo company, for every scope and for
//! `as_of` instants that cut through FCR's 7-day windows, SLA clocks still running and
//! first-time fix's 30 days, on each ticket's own calendar and on one named calendar; a team's
//! and an agent's tickets carry the figures credited to them (docs/METRICS.md §7).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use frontline::metrics::store::MetricsStore;
use frontline::reports::inputs::{self, RatingInput, TicketInput, WorkOrderInput};
use frontline::reports::ratings;
use frontline::reports::{EvidenceParams, EvidenceRequest};
use serde_json::json;

#[derive(QueryableByName)]
struct Pick {
    #[diesel(sql_type = Text)]
    scope: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    id: Option<i64>,
}

fn params(
    scope: &str,
    id: Option<i64>,
    from: &str,
    to: &str,
    as_of: DateTime<Utc>,
) -> EvidenceParams {
    let request: EvidenceRequest = serde_json::from_value(json!({
        "scope": scope, "scope_id": id, "from": from, "to": to, "comparison": "previous",
        "category": "contact_center_of_the_year", "word_limit": 300, "as_of": as_of}))
    .unwrap();
    request.parse(Utc::now()).unwrap()
}

type FromSql = (Vec<TicketInput>, Vec<WorkOrderInput>);
type FromStore = (Option<Vec<TicketInput>>, Option<Vec<WorkOrderInput>>);

/// Both paths' ratings of `p` (the store gives those of a company, a team and an agent).
fn both_ratings(
    db: &crate::helpers::TestDb,
    store: &MetricsStore,
    p: &EvidenceParams,
) -> (Vec<RatingInput>, Vec<RatingInput>) {
    let mut conn = db.conn();
    let sql = conn
        .build_transaction()
        .repeatable_read()
        .read_only()
        .run(|conn| ratings::load(conn, p, None))
        .unwrap();
    let stored = store
        .read(&db.pool, |conn, reader| {
            Ok(ratings::load(conn, p, Some(reader))?)
        })
        .unwrap();
    (sql, stored)
}

/// Both paths' tickets and work orders of `p` (on its calendar, if it names one); the store's
/// work orders are `None` for a team.
fn both(
    db: &crate::helpers::TestDb,
    store: &MetricsStore,
    p: &EvidenceParams,
) -> (FromSql, FromStore) {
    let mut conn = db.conn();
    let sql = conn
        .build_transaction()
        .repeatable_read()
        .read_only()
        .run(|conn| {
            let calendar = inputs::calendar(conn, p).unwrap();
            Ok::<_, diesel::result::Error>((
                inputs::load_tickets(conn, p, calendar.as_ref().map(|(c, _)| c))?,
                inputs::load_work_orders(conn, p)?,
            ))
        })
        .unwrap();
    let from_store = store
        .read(&db.pool, |conn, reader| {
            let calendar = inputs::calendar(conn, p).unwrap();
            let calendar = calendar.as_ref().map(|(c, _)| c);
            Ok((
                reader.evidence_tickets(p, calendar),
                reader.evidence_work_orders(p),
            ))
        })
        .unwrap();
    (sql, from_store)
}

#[tokio::test]
async fn the_store_reads_exactly_the_inputs_the_database_gives_for_every_scope_and_as_of() {
    use frontline::seed::{self, Profile, SeedOptions, Writer};
    let db = crate::helpers::TestDb::new();
    let mut conn = db.conn();
    let options = SeedOptions {
        tickets: 3_000,
        seed: 7,
        writer: Writer::Bulk,
        ..SeedOptions::for_profile(Profile::Demo)
    };
    seed::run(&mut conn, &options).unwrap();
    // A ticket reopened twice and one whose count does not fit the packed row's bits.
    diesel::sql_query(
        "UPDATE ticket_metrics SET reopens = CASE WHEN ticket_id = (SELECT min(ticket_id) FROM
            ticket_metrics) THEN 300 ELSE 2 END
          WHERE ticket_id IN (SELECT ticket_id FROM ticket_metrics ORDER BY ticket_id LIMIT 2)",
    )
    .execute(&mut conn)
    .unwrap();
    // Clocks still running, past due at some instants below: breaches at `due_at` then.
    let running = diesel::sql_query(
        "UPDATE ticket_sla_clocks SET running = TRUE, fulfilled_at = NULL, breached_at = NULL,
                due_at = created.at + interval '3 hours'
           FROM (SELECT id, created_at AS at FROM tickets
                  WHERE created_at >= '2026-03-02' AND created_at < '2026-03-06'
                     OR created_at >= '2026-06-16' AND created_at < '2026-06-18') created
          WHERE ticket_sla_clocks.ticket_id = created.id",
    )
    .execute(&mut conn)
    .unwrap();
    assert!(running > 10, "{running}");
    // Ratings changed ten days after the first answer (the other way), ratings tied on the
    // second (the higher id stands), and consented comments: the rating as of an instant is the
    // latest answer by then.
    let changed = diesel::sql_query(
        "INSERT INTO surveys (ticket_id, customer_id, solved_at, assignee_id, team_id, created_at,
                              invite_at, expires_at, sent_at, answered_at, score, comment,
                              consent_to_quote)
         SELECT ticket_id, customer_id, solved_at, assignee_id, team_id,
                created_at + shift, invite_at + shift, expires_at + shift, sent_at + shift,
                answered_at + CASE WHEN id % 2 = 0 THEN shift ELSE interval '0.2 seconds' END,
                6 - score, 'Second thoughts about ticket ' || ticket_id, id % 3 = 0
           FROM (SELECT *, interval '10 days' AS shift FROM surveys
                  WHERE answered_at IS NOT NULL AND id % 5 = 1) s",
    )
    .execute(&mut conn)
    .unwrap();
    assert!(changed > 50, "{changed}");
    let picks: Vec<Pick> = diesel::sql_query(
        "SELECT 'team' AS scope, (SELECT min(team_id) FROM tickets) AS id
         UNION ALL SELECT 'agent', (SELECT assignee_id FROM tickets WHERE assignee_id IS NOT NULL
                                     GROUP BY 1 ORDER BY count(*) DESC LIMIT 1)
         UNION ALL SELECT 'organization', (SELECT max(organization_id) FROM tickets)
         UNION ALL SELECT 'site', (SELECT site_id FROM work_orders GROUP BY 1
                                    ORDER BY count(*) DESC LIMIT 1)
         UNION ALL SELECT 'technician', (SELECT technician_id FROM work_orders
                                          WHERE technician_id IS NOT NULL GROUP BY 1
                                          ORDER BY count(*) DESC LIMIT 1)
         UNION ALL SELECT 'team', 999999",
    )
    .load(&mut conn)
    .unwrap();
    let store = MetricsStore::new();
    // One named calendar for some cases: an office's weekday hours, so that business seconds
    // differ from each ticket's own.
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let office = diesel::sql_query(
        "INSERT INTO business_calendars (name, time_zone, weekly_hours, holidays)
         VALUES ('Comparison office', 'Europe/Berlin',
                 '{\"monday\": [[\"09:00\", \"17:00\"]], \"wednesday\": [[\"10:00\", \"14:30\"]]}',
                 '{2026-03-04}') RETURNING id",
    )
    .get_result::<Id>(&mut conn)
    .unwrap()
    .id;
    let (mut compared, mut repeats, mut fcr_windows, mut fixes) = (0, 0, 0, 0);
    let (mut on_calendar, mut partial, mut rated, mut quoted) = (0, 0, 0, 0);
    // Instants inside the data (mid-month, with open windows) and after it.
    let instants = [
        "2026-03-04T13:00:00Z",
        "2026-06-17T09:30:00Z",
        "2026-11-30T00:00:00Z",
    ];
    for as_of in instants {
        let as_of: DateTime<Utc> = as_of.parse().unwrap();
        let company = params(
            "company",
            None,
            "2026-01-01",
            "2026-07-01",
            as_of.max("2026-01-01T00:00:00Z".parse().unwrap()),
        );
        let mut cases = vec![company];
        for pick in &picks {
            cases.push(params(
                &pick.scope,
                pick.id,
                "2026-01-01",
                "2026-07-01",
                as_of.max("2026-01-01T00:00:00Z".parse().unwrap()),
            ));
        }
        // The company, the team and the agent again on the office calendar.
        let named: Vec<EvidenceParams> = cases
            .iter()
            .filter(|p| matches!(p.scope.as_str(), "company" | "team" | "agent"))
            .map(|p| EvidenceParams {
                calendar: Some(office),
                ..p.clone()
            })
            .collect();
        cases.extend(named);
        for p in &cases {
            let ((tickets, work_orders), (store_tickets, store_work_orders)) = both(&db, &store, p);
            let (sql_ratings, store_ratings) = both_ratings(&db, &store, p);
            assert_eq!(sql_ratings, store_ratings, "{:?} as of {as_of}", p.scope);
            rated += sql_ratings.len();
            quoted += sql_ratings.iter().filter(|r| r.quotable.is_some()).count();
            match p.scope.as_str() {
                "technician" => assert!(store_tickets.is_none()),
                _ => {
                    let store_tickets = store_tickets.unwrap();
                    assert_eq!(store_tickets.len(), tickets.len(), "{:?} {as_of}", p.scope);
                    for (a, b) in tickets.iter().zip(&store_tickets) {
                        assert_eq!(a, b, "{:?} as of {as_of}", p.scope);
                    }
                    compared += tickets.len();
                }
            }
            match p.scope.as_str() {
                "team" => assert!(store_work_orders.is_none()),
                _ => {
                    let store_work_orders = store_work_orders.unwrap();
                    assert_eq!(store_work_orders.len(), work_orders.len(), "{:?}", p.scope);
                    for (a, b) in work_orders.iter().zip(&store_work_orders) {
                        assert_eq!(a, b, "{:?} as of {as_of}", p.scope);
                    }
                }
            }
            if p.calendar.is_some() {
                on_calendar += tickets
                    .iter()
                    .filter(|t| t.first_reply_business().is_some())
                    .count();
            }
            // A team's or an agent's tickets of which only some figures are its own.
            partial += tickets
                .iter()
                .filter(|t| t.roles() != inputs::ALL_ROLES)
                .count();
            let as_of = p.as_of.timestamp();
            repeats += tickets.iter().filter(|t| t.reopens() >= 2).count();
            fcr_windows += tickets
                .iter()
                .filter(|t| t.latest_solved_at().is_some_and(|s| s + 7 * 86_400 > as_of))
                .count();
            fixes += work_orders.iter().filter(|w| w.fixed).count();
        }
    }
    // The comparisons covered what differs between the two ways.
    assert!(compared > 5_000, "{compared}");
    assert!(
        repeats > 0 && fcr_windows > 0 && fixes > 0,
        "{repeats} {fcr_windows} {fixes}"
    );
    assert!(
        on_calendar > 1_000 && partial > 0,
        "{on_calendar} {partial}"
    );
    assert!(rated > 1_000 && quoted > 10, "{rated} {quoted}");
}

/// The training section's facts (`Reader::training_facts`) are the database's
/// (`models::training::effect_facts`), fact by fact and in the same order: first replies credited
/// to their author, reopen units to the assignee at the latest solve, imported tickets left out,
/// cut at `as_of` (a sub-second one too), on each ticket's own calendar and on a named one.
#[tokio::test]
async fn the_store_gives_the_training_facts_the_database_gives() {
    use frontline::domain::training::Cohort;
    use frontline::seed::{self, Profile, SeedOptions, Writer};
    let db = crate::helpers::TestDb::new();
    let mut conn = db.conn();
    let options = SeedOptions {
        tickets: 2_000,
        seed: 5,
        writer: Writer::Bulk,
        ..SeedOptions::for_profile(Profile::Demo)
    };
    seed::run(&mut conn, &options).unwrap();
    // Imported tickets are in no training fact; a reopen count past the packed row's bits.
    let moved = diesel::sql_query("UPDATE tickets SET source = 'rival' WHERE id % 5 = 0")
        .execute(&mut conn)
        .unwrap();
    assert!(moved > 300, "{moved}");
    diesel::sql_query(
        "UPDATE ticket_metrics SET reopens = 300
          WHERE ticket_id = (SELECT min(ticket_id) FROM ticket_metrics
                              WHERE latest_solved_at >= '2026-02-01'
                                AND solved_assignee_id IS NOT NULL AND ticket_id % 5 <> 0)",
    )
    .execute(&mut conn)
    .unwrap();
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let office = diesel::sql_query(
        "INSERT INTO business_calendars (name, time_zone, weekly_hours, holidays)
         VALUES ('Training office', 'America/Chicago',
                 '{\"tuesday\": [[\"08:00\", \"16:00\"]], \"friday\": [[\"09:30\", \"12:00\"]]}',
                 '{2026-03-06}') RETURNING id",
    )
    .get_result::<Id>(&mut conn)
    .unwrap()
    .id;
    let calendar = {
        use frontline::models::calendar::{CalendarRow, to_domain};
        use frontline::schema::business_calendars as c;
        let row: CalendarRow = c::table
            .find(office)
            .select(CalendarRow::as_select())
            .first(&mut conn)
            .unwrap();
        to_domain(&row).unwrap()
    };
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    // Two completion dates: their windows span 2026-01-06 to 2026-06-30.
    let cohorts = vec![
        Cohort {
            completed_on: "2026-02-03".parse().unwrap(),
            staff: vec![1, 2],
            before: (at("2026-01-06T00:00:00Z"), at("2026-02-03T00:00:00Z")),
            after: (at("2026-02-04T00:00:00Z"), at("2026-03-04T00:00:00Z")),
        },
        Cohort {
            completed_on: "2026-05-05".parse().unwrap(),
            staff: vec![3],
            before: (at("2026-04-07T00:00:00Z"), at("2026-05-05T00:00:00Z")),
            after: (at("2026-05-06T00:00:00Z"), at("2026-06-30T00:00:00Z")),
        },
    ];
    let store = MetricsStore::new();
    let (mut first_replies, mut reopens, mut reopened, mut cut) = (0, 0, 0, 0);
    for until in [
        None,
        Some(at("2026-03-04T13:00:00.500Z")),
        Some(at("2026-11-30T00:00:00Z")),
    ] {
        for calendar in [None, Some(&calendar)] {
            let (sql, stored) = store
                .read(&db.pool, |conn, reader| {
                    let sql = frontline::models::training::effect_facts(
                        conn, &cohorts, true, until, calendar,
                    )
                    .unwrap();
                    Ok((sql, reader.training_facts(&cohorts, until, calendar)))
                })
                .unwrap();
            assert_eq!(sql.0.len(), stored.0.len(), "first replies, {until:?}");
            assert_eq!(sql.1.len(), stored.1.len(), "reopens, {until:?}");
            for (a, b) in sql
                .0
                .iter()
                .zip(&stored.0)
                .chain(sql.1.iter().zip(&stored.1))
            {
                assert_eq!(a, b, "until {until:?}, calendar {}", calendar.is_some());
            }
            first_replies += sql.0.len();
            reopens += sql.1.len();
            reopened += sql.1.iter().filter(|f| f.value == 1.0).count();
            if until.is_some_and(|u| u < at("2026-06-30T00:00:00Z")) {
                cut += 1;
                assert!(sql.0.iter().all(|f| f.at <= until.unwrap()));
            }
        }
    }
    // Enough of each that the equality means something.
    assert!(
        first_replies > 1_000 && reopens > 1_000,
        "{first_replies} {reopens}"
    );
    assert!(reopened > 10 && cut == 2, "{reopened} {cut}");
}
