//! Unit tests of the bake-off collector (strata interning, absorbing a second thread's rows).

use super::*;
use crate::reports::bakeoff::protocol::ProtocolRequest;

fn protocol() -> Protocol {
    serde_json::from_value::<ProtocolRequest>(serde_json::json!({
        "name": "strata", "cohort_a": {"label": "A", "teams": [1]},
        "cohort_b": {"label": "B", "teams": [2]}, "from": "2026-01-01", "to": "2026-02-01",
        "strata": ["site"]
    }))
    .expect("request")
    .parse()
    .expect("protocol")
}

fn credit(team: i64) -> Credit<'static> {
    Credit {
        team: Some(team),
        sourcing: None,
        vendor: None,
        employment: None,
        technician: false,
    }
}

fn at_site(site: i64) -> Facts<'static> {
    Facts {
        site: Some(site),
        priority: Some("normal"),
        ..Facts::default()
    }
}

#[test]
fn a_stratum_past_65536_values_is_refused_not_wrapped() {
    let p = protocol();
    let mut c = Collector::new(&p, 0);
    for site in 0..=65_536 {
        c.push(
            BakeOffMetric::ReopenRate,
            site,
            0,
            &at_site(site),
            &credit(1),
        );
    }
    // 65,536 values fit (indexes 0–65,535); the 65,537th is refused.
    assert_eq!(c.rows.len(), 65_536);
    assert_eq!(c.rows[65_535].strata[0], 65_535);
    assert_eq!(c.overflow, Some(Stratum::Site));
}

#[test]
fn a_duration_of_68_years_is_refused_naming_its_unit() {
    let p = protocol();
    let mut c = Collector::new(&p, 0);
    let longest = i64::from(i32::MAX);
    c.push(
        BakeOffMetric::FirstReplyTime,
        5,
        longest,
        &at_site(1),
        &credit(1),
    );
    assert_eq!(c.rows[0].value, i32::MAX);
    assert_eq!(c.too_long, None);
    c.push(
        BakeOffMetric::FirstReplyTime,
        6,
        longest + 1,
        &at_site(1),
        &credit(1),
    );
    c.push(
        BakeOffMetric::FirstReplyTime,
        7,
        -longest - 2,
        &at_site(1),
        &credit(2),
    );
    assert_eq!(c.rows.len(), 1);
    assert_eq!(c.too_long, Some((BakeOffMetric::FirstReplyTime, 6)));
    let mut main = Collector::new(&p, 0);
    main.absorb(c);
    assert_eq!(main.too_long, Some((BakeOffMetric::FirstReplyTime, 6)));
}

#[test]
fn absorbed_observations_keep_their_values_under_the_receivers_indexes() {
    let p = protocol();
    let mut main = Collector::new(&p, 0);
    main.push(BakeOffMetric::ReopenRate, 1, 1, &at_site(7), &credit(1));
    let mut side = Collector::new(&p, 0);
    side.push(BakeOffMetric::Csat, 10, 1, &at_site(9), &credit(2));
    side.push(BakeOffMetric::Csat, 11, 0, &at_site(7), &credit(1));
    // A row of neither cohort is not kept.
    side.push(BakeOffMetric::Csat, 12, 0, &at_site(8), &credit(3));
    main.absorb(side);
    let values = &main.interned[0].1;
    let sites: Vec<(i64, &str, bool, bool)> = main
        .rows
        .iter()
        .map(|o| (o.unit, values[usize::from(o.strata[0])].as_str(), o.a, o.b))
        .collect();
    assert_eq!(
        sites,
        vec![
            (1, "7", true, false),
            (10, "9", false, true),
            (11, "7", true, false)
        ]
    );
    assert_eq!(values, &vec!["7".to_string(), "9".to_string()]);
    assert_eq!(main.overflow, None);
}
