//! The bake-off's two ways of reading tickets give the same observations: the service reads them
//! from the in-memory metrics store, the command line from the database
//! (`reports::bakeoff::ticket_sql`). Compared in one snapshot, observation by observation, over
//! the seeded demo company with a third of its tickets moved to another data set, for protocols
//! that compare teams, sourcing, employment types, data sets, on one calendar or each ticket's
//! own, at instants inside the period (open FCR windows, running SLA clocks) and after it.

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use frontline::metrics::store::MetricsStore;
use frontline::reports::bakeoff::{ProtocolRequest, inputs};
use frontline::seed::{self, Profile, SeedOptions, Writer};
use serde_json::json;

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[test]
fn the_store_and_the_database_give_the_same_observations() {
    let db = crate::helpers::TestDb::new();
    let mut conn = db.conn();
    seed::run(
        &mut conn,
        &SeedOptions {
            tickets: 2_000,
            seed: 11,
            writer: Writer::Bulk,
            until: "2026-11-01".parse().unwrap(),
            ..SeedOptions::for_profile(Profile::Demo)
        },
    )
    .unwrap();
    let moved = diesel::sql_query("UPDATE tickets SET source = 'rival' WHERE id % 3 = 0")
        .execute(&mut conn)
        .unwrap();
    assert!(moved > 600, "{moved}");
    // Ratings changed after the first answer (ten days later, the other way) and ratings tied
    // on the instant (the higher id stands): the rating as of an instant is the latest by then.
    let changed = diesel::sql_query(
        "INSERT INTO surveys (ticket_id, customer_id, solved_at, assignee_id, team_id, created_at,
                              invite_at, expires_at, sent_at, answered_at, score)
         SELECT ticket_id, customer_id, solved_at, assignee_id, team_id,
                created_at + shift, invite_at + shift, expires_at + shift, sent_at + shift,
                answered_at + CASE WHEN id % 2 = 0 THEN shift ELSE interval '0' END, 6 - score
           FROM (SELECT *, interval '10 days' AS shift FROM surveys
                  WHERE answered_at IS NOT NULL AND id % 5 = 1) s",
    )
    .execute(&mut conn)
    .unwrap();
    assert!(changed > 50, "{changed}");
    let id = |conn: &mut PgConnection, sql: &str| {
        diesel::sql_query(sql).get_result::<Id>(conn).unwrap().id
    };
    let in_house = id(
        &mut conn,
        "SELECT id FROM teams WHERE name = 'In-house contact center'",
    );
    let calendar = id(&mut conn, "SELECT min(id) AS id FROM business_calendars");
    let every = json!([
        "first_reply_time",
        "full_resolution_time",
        "reopen_rate",
        "first_contact_resolution",
        "sla_attainment",
        "csat",
        "csat_response_rate"
    ]);
    let protocols = [
        json!({"name": "teams", "cohort_a": {"label": "In-house", "teams": [in_house]},
               "cohort_b": {"label": "Vendor", "vendor": "Teleserve BPO"},
               "from": "2025-11-01", "to": "2026-11-01", "metrics": every,
               "strata": ["priority", "category", "channel", "site"]}),
        json!({"name": "sourcing on one calendar",
               "cohort_a": {"label": "In-house", "sourcing": "in_house"},
               "cohort_b": {"label": "Outsourced", "sourcing": "outsourced"},
               "from": "2026-03-01", "to": "2026-09-01", "metrics": every,
               "calendar": calendar, "strata": ["priority"]}),
        json!({"name": "employment", "cohort_a": {"label": "Employees", "agent_employment_type": "employee"},
               "cohort_b": {"label": "Contractors", "agent_employment_type": "contractor"},
               "from": "2025-11-01", "to": "2026-11-01", "metrics": every}),
        json!({"name": "company vs rival", "cohort_a": {"label": "Company"},
               "cohort_b": {"label": "Rival", "source": "rival"},
               "from": "2025-11-01", "to": "2026-11-01", "metrics": every,
               "strata": ["channel"]}),
        json!({"name": "an unknown data set", "cohort_a": {"label": "Company"},
               "cohort_b": {"label": "Nobody", "source": "nobody"},
               "from": "2026-01-01", "to": "2026-02-01", "metrics": every}),
    ];
    let store = MetricsStore::new();
    let (mut compared, mut sla, mut fcr, mut rival, mut csat) = (0, 0, 0, 0, 0);
    for protocol in &protocols {
        let protocol = serde_json::from_value::<ProtocolRequest>(protocol.clone())
            .unwrap()
            .parse()
            .unwrap();
        for as_of in [
            "2026-04-17T09:30:00Z",
            "2026-08-03T00:00:00Z",
            "2026-11-30T00:00:00Z",
        ] {
            let as_of = as_of.parse().unwrap();
            if as_of < protocol.period.start {
                continue;
            }
            let (sql, stored) = store
                .read(&db.pool, |conn, reader| {
                    let sql = inputs::load(conn, &protocol, as_of, None).unwrap();
                    let stored = inputs::load(conn, &protocol, as_of, Some(reader)).unwrap();
                    Ok((sql, stored))
                })
                .unwrap();
            assert_eq!(
                sql.rows.len(),
                stored.rows.len(),
                "{} as of {as_of}",
                protocol.name
            );
            for (a, b) in sql.rows.iter().zip(&stored.rows) {
                assert_eq!(a, b, "{} as of {as_of}", protocol.name);
            }
            assert_eq!(sql.strata_values, stored.strata_values, "{}", protocol.name);
            assert_eq!(sql.calendar_name, stored.calendar_name);
            compared += sql.rows.len();
            sql.rows.iter().for_each(|o| {
                use frontline::reports::bakeoff::BakeOffMetric as M;
                sla += usize::from(o.metric == M::SlaAttainment);
                fcr += usize::from(o.metric == M::FirstContactResolution);
                csat += usize::from(o.metric == M::Csat || o.metric == M::CsatResponseRate);
                rival += usize::from(o.b && protocol.cohort_b.source.is_some());
            });
        }
    }
    // Enough of each kind that an equality means something.
    assert!(compared > 10_000, "{compared}");
    assert!(sla > 1_000, "{sla}");
    assert!(fcr > 1_000, "{fcr}");
    assert!(rival > 500, "{rival}");
    assert!(csat > 1_000, "{csat}");
}
