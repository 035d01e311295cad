//! The report over a hand-made set of inputs, every headline value worked out by hand.

use super::*;
use crate::reports::inputs::{RatingInput, TicketInput, WorkOrderInput};
use crate::reports::params::EvidenceRequest;

const D: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const DAY: i64 = 86_400;

fn params() -> EvidenceParams {
    let r: EvidenceRequest = serde_json::from_value(serde_json::json!({
        "scope": "company", "from": "2026-01-01", "to": "2026-03-01", "comparison": "previous",
        "category": "customer_service_team", "word_limit": 400,
        "as_of": "2026-03-10T00:00:00Z"}))
    .unwrap();
    r.parse(Utc::now()).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn ticket(
    id: i64,
    created: i64,
    frt: Option<(i64, i64)>,
    solved: Option<(i64, i64)>,
    reopens: i32,
    one_touch: Option<bool>,
    fcr: Option<bool>,
    sourcing: &'static str,
    sla: Vec<(i64, bool)>,
) -> TicketInput {
    crate::reports::inputs::TicketFields {
        id,
        created,
        first_reply_at: frt.map(|f| f.0),
        first_reply_business: frt.map(|f| f.1),
        latest_solved_at: solved.map(|s| s.0),
        full_resolution: solved.map(|s| s.1),
        reopens,
        one_touch,
        fcr,
        roles: crate::reports::inputs::ALL_ROLES,
        sourcing: [crate::reports::inputs::Sourcing::parse(Some(sourcing)); 4],
        sla: sla
            .into_iter()
            .map(|(at, achieved)| {
                let sourcing = crate::reports::inputs::Sourcing::parse(Some(sourcing));
                (at, achieved, sourcing)
            })
            .collect(),
    }
    .into()
}

/// Changes fields of a packed ticket.
fn edit(t: &mut TicketInput, change: impl FnOnce(&mut crate::reports::inputs::TicketFields)) {
    let mut fields = t.fields();
    change(&mut fields);
    *t = fields.into();
}

fn inputs() -> Inputs {
    Inputs {
        tickets: vec![
            ticket(
                1,
                D + 3600,
                Some((D + 7200, 600)),
                Some((D + DAY, 82_800)),
                0,
                Some(true),
                Some(true),
                "in_house",
                vec![(D + 7200, true)],
            ),
            ticket(
                2,
                D + 10 * DAY,
                Some((D + 11 * DAY, 1200)),
                Some((D + 12 * DAY, 2 * DAY)),
                1,
                Some(false),
                Some(false),
                "in_house",
                vec![(D + 11 * DAY, false)],
            ),
            ticket(
                3,
                D + 40 * DAY,
                Some((D + 40 * DAY + 60, 1800)),
                None,
                0,
                None,
                None,
                "outsourced",
                vec![(D + 41 * DAY, true), (D + 42 * DAY, true)],
            ),
            ticket(
                4,
                D - 31 * DAY,
                Some((D - 31 * DAY + 100, 300)),
                Some((D - 30 * DAY, DAY)),
                0,
                Some(true),
                Some(true),
                "in_house",
                vec![],
            ),
            // Created long before either period, nothing in them: left out of the manifest.
            ticket(
                5,
                D - 400 * DAY,
                None,
                None,
                0,
                None,
                None,
                "in_house",
                vec![],
            ),
        ],
        ratings: vec![
            RatingInput {
                survey_id: 11,
                ticket_id: 1,
                answered_at: D + 4 * DAY,
                score: 5,
                sourcing: Some(crate::reports::inputs::Sourcing::InHouse),
                quotable: Some(" Maria Lopez at North County Jail fixed #1234 ".into()),
                customer_names: vec!["Rosa Diaz".into()],
            },
            RatingInput {
                survey_id: 12,
                ticket_id: 2,
                answered_at: D + 32 * DAY,
                score: 2,
                sourcing: Some(crate::reports::inputs::Sourcing::InHouse),
                quotable: None,
                customer_names: vec![],
            },
        ],
        work_orders: vec![
            WorkOrderInput {
                id: 21,
                ticket_id: 1,
                finished_at: D + 19 * DAY,
                status: crate::reports::inputs::WorkOrderStatus::Completed,
                first_visit: true,
                fixed: true,
                employment_type: Some(crate::reports::inputs::EmploymentType::Employee),
            },
            WorkOrderInput {
                id: 22,
                ticket_id: 2,
                finished_at: D + 33 * DAY,
                status: crate::reports::inputs::WorkOrderStatus::Completed,
                first_visit: true,
                fixed: false,
                employment_type: Some(crate::reports::inputs::EmploymentType::Contractor),
            },
            WorkOrderInput {
                id: 23,
                ticket_id: 3,
                finished_at: D + 34 * DAY,
                status: crate::reports::inputs::WorkOrderStatus::Cancelled,
                first_visit: true,
                fixed: false,
                employment_type: Some(crate::reports::inputs::EmploymentType::Contractor),
            },
        ],
        staff_names: vec!["Maria Lopez".into()],
        facility_names: vec!["North County Jail".into()],
        training: Default::default(),
        calendar_name: None,
    }
}

fn fig<'a>(doc: &'a EvidenceDocument, id: &str) -> &'a Figure {
    doc.figures()
        .into_iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("{id}"))
}

#[test]
fn headline_values_are_the_hand_worked_ones() {
    let doc = build(&params(), "company", inputs());
    let f = fig(&doc, "headline.tickets_created");
    assert_eq!((f.value, f.n), (Some(3.0), 3));
    assert_eq!(f.comparison.as_ref().unwrap().value, Some(1.0));
    assert_eq!(
        f.change,
        Some(Change {
            absolute: 2.0,
            relative: Some(2.0)
        })
    );

    let f = fig(&doc, "headline.first_reply_median");
    assert_eq!((f.value, f.n, f.definition), (Some(1200.0), 3, "frt.v1"));
    let i = f.interval.as_ref().unwrap();
    assert_eq!((i.seed, i.resamples), (Some(20_261_201), Some(1000)));
    assert!(i.low.unwrap() >= 600.0 && i.high.unwrap() <= 1800.0);
    assert_eq!(f.comparison.as_ref().unwrap().value, Some(300.0));
    assert_eq!(
        f.change,
        Some(Change {
            absolute: 900.0,
            relative: Some(3.0)
        })
    );
    assert_eq!(
        f.flags,
        vec![Caution::TooFewToConclude {
            observations: 3,
            minimum: 30
        }]
    );

    // KM: 82,800 (S = 2/3), 172,800 (S = 1/3 ≤ ½), ticket 3 censored at 19 days.
    let f = fig(&doc, "headline.resolution_median_km");
    assert_eq!((f.value, f.n), (Some(172_800.0), 3));
    let f = fig(&doc, "headline.resolution_median_naive");
    assert_eq!((f.value, f.n), (Some(127_800.0), 2));
    assert!(f.note.is_some());

    let rate = |id: &str| {
        let f = fig(&doc, id);
        (f.successes, f.n, f.value)
    };
    assert_eq!(
        rate("headline.sla_attainment"),
        (Some(2), 3, Some(0.666667))
    );
    assert_eq!(rate("headline.reopen_rate"), (Some(1), 2, Some(0.5)));
    assert_eq!(rate("headline.one_touch_rate"), (Some(1), 2, Some(0.5)));
    assert_eq!(rate("headline.fcr_rate"), (Some(1), 2, Some(0.5)));
    assert_eq!(rate("headline.csat"), (Some(1), 2, Some(0.5)));
    assert_eq!(rate("headline.first_time_fix"), (Some(1), 2, Some(0.5)));
    let csat = fig(&doc, "headline.csat");
    let i = csat.interval.as_ref().unwrap();
    // Wilson, 1 of 2: 0.5 ± 0.405469 (statsmodels: 0.094531, 0.905469).
    assert!((i.low.unwrap() - 0.094531).abs() < 1e-9, "{i:?}");
    assert!((i.high.unwrap() - 0.905469).abs() < 1e-9, "{i:?}");
    assert!(csat.flags.contains(&Caution::CsatWiderThanFivePoints {
        ratings: 2,
        minimum: 400
    }));
    // No SLA outcome in the comparison period: no value, never 0.
    let sla = fig(&doc, "headline.sla_attainment");
    assert_eq!(
        sla.comparison.as_ref().map(|c| (c.value, c.n)),
        Some((None, 0))
    );
    assert_eq!(sla.change, None);
}

#[test]
fn monthly_splits_and_testimonials() {
    let doc = build(&params(), "company", inputs());
    let months: Vec<(&str, Option<f64>, u64)> = doc.monthly[0]
        .points
        .iter()
        .map(|p| (p.id.as_str(), p.value, p.n))
        .collect();
    assert_eq!(
        months,
        vec![
            ("monthly.volume.2026-01", Some(2.0), 2),
            ("monthly.volume.2026-02", Some(1.0), 1)
        ]
    );
    assert_eq!(
        fig(&doc, "monthly.first_reply_median.2026-01").value,
        Some(900.0)
    );
    assert_eq!(
        fig(&doc, "monthly.resolution_median.2026-01").value,
        Some(127_800.0)
    );
    assert_eq!(fig(&doc, "monthly.resolution_median.2026-02").value, None);
    assert_eq!(fig(&doc, "monthly.first_time_fix.2026-02").value, Some(0.0));

    assert_eq!(
        fig(&doc, "splits.sourcing.in_house.tickets_created").value,
        Some(2.0)
    );
    assert_eq!(
        fig(&doc, "splits.sourcing.outsourced.first_reply_median").value,
        Some(1800.0)
    );
    assert_eq!(
        fig(&doc, "splits.sourcing.outsourced.sla_attainment").value,
        Some(1.0)
    );
    assert_eq!(
        fig(
            &doc,
            "splits.technician_employment_type.employee.first_time_fix"
        )
        .value,
        Some(1.0)
    );
    assert_eq!(
        fig(
            &doc,
            "splits.technician_employment_type.contractor.work_orders_completed"
        )
        .value,
        Some(1.0)
    );

    assert_eq!(
        doc.testimonials,
        vec![Testimonial {
            quote: "[name] at [facility] fixed [ticket]".into(),
            rating: 5,
            month: "2026-01".into()
        }]
    );
    assert_eq!(doc.manifest.tickets, 4, "ticket 5 counts in no figure");
    assert!(
        doc.methodology
            .flags
            .iter()
            .any(|f| f.figure == "headline.csat" && f.label == "wider than ±5 points")
    );
}

#[test]
fn the_same_inputs_give_the_same_bytes_and_a_changed_row_another_hash() {
    let a = build(&params(), "company", inputs()).to_json().unwrap();
    let b = build(&params(), "company", inputs()).to_json().unwrap();
    assert_eq!(a, b);
    let mut changed = inputs();
    edit(&mut changed.tickets[0], |t| {
        t.first_reply_business = Some(601)
    });
    let c = build(&params(), "company", changed);
    let before = build(&params(), "company", inputs());
    assert_ne!(c.manifest.inputs_sha256, before.manifest.inputs_sha256);
    assert_eq!(
        c.manifest.parameters_sha256,
        before.manifest.parameters_sha256
    );
    let old: serde_json::Value = serde_json::from_str(&a).unwrap();
    let v = crate::reports::verify::compare(&old, &c);
    assert!(!v.passed());
    assert!(
        v.changed
            .contains(&"headline.first_reply_median".to_string()),
        "{:?}",
        v.changed
    );
    assert!(
        v.changed
            .contains(&"monthly.first_reply_median.2026-01".to_string())
    );
    assert!(!v.changed.contains(&"headline.csat".to_string()));
    let same = crate::reports::verify::compare(&old, &before);
    assert!(same.passed(), "{:?}", same.lines);
}

#[test]
fn canonical_lines_are_the_documented_form() {
    let mut i = inputs();
    retain_relevant(&mut i, &params());
    anonymise_quotes(&mut i);
    let lines = crate::reports::manifest::canonical_inputs(&i);
    let first: Vec<&str> = lines.lines().take(1).collect();
    assert_eq!(
        first,
        vec![format!(
            "t\t1\t{}\t{}\t600\t{}\t82800\t0\t1\t1\tcfsa\tin_house\tin_house\tin_house\t{}:1:in_house",
            D + 3600,
            D + 7200,
            D + DAY,
            D + 7200
        )]
    );
    assert!(lines.contains("r\t11\t1\t"));
    assert!(lines.contains("\"[name] at [facility] fixed [ticket]\"\n"));
    assert!(
        lines.ends_with("w\t23\t3\t1770163200\tcancelled\t1\t0\tcontractor\n"),
        "{lines}"
    );
}

#[test]
fn each_figure_counts_where_its_credit_is_the_scopes_with_that_credits_sourcing() {
    use crate::reports::inputs::{Role, Sourcing};
    let mut i = inputs();
    // Ticket 1: only its first reply is the scope's (an outsourced agent's); ticket 2: only its
    // solve (the outsourced team's); ticket 3: its creation and SLA outcomes; ticket 4: nothing.
    edit(&mut i.tickets[0], |t| {
        t.roles = Role::FirstReply.bit();
        t.sourcing[Role::FirstReply as usize] = Some(Sourcing::Outsourced);
    });
    edit(&mut i.tickets[1], |t| {
        t.roles = Role::Solved.bit();
        t.sourcing[Role::Solved as usize] = Some(Sourcing::Outsourced);
    });
    edit(&mut i.tickets[2], |t| {
        t.roles = Role::Created.bit() | Role::Sla.bit()
    });
    edit(&mut i.tickets[3], |t| t.roles = 0);
    let p = params();
    assert!(!crate::reports::inputs::ticket_counts(&i.tickets[3], &p));
    let as_of = p.as_of.timestamp();
    let m = measure(&i, D, D + 59 * DAY, as_of, Selector::All);
    // Created: ticket 3 only; first reply: ticket 1's 600 s; solves: ticket 2 (reopened, not
    // one-touch, not FCR, 2 days); SLA: ticket 3's two achieved outcomes, one ticket.
    assert_eq!((m.created, m.km.len()), (1, 1));
    assert_eq!(m.frt, vec![600]);
    assert_eq!(m.resolution_solved, vec![2 * DAY]);
    assert_eq!((m.reopen, m.one_touch, m.fcr), ((1, 1), (0, 1), (0, 1)));
    assert_eq!(m.sla, (1, 1));
    // By sourcing: each figure with its own credit's.
    let out = measure(&i, D, D + 59 * DAY, as_of, Selector::Sourcing("outsourced"));
    assert_eq!(
        (out.created, out.frt.clone(), out.reopen, out.sla),
        (1, vec![600], (1, 1), (1, 1))
    );
    let own = measure(&i, D, D + 59 * DAY, as_of, Selector::Sourcing("in_house"));
    assert_eq!(
        (own.created, own.frt.len(), own.reopen, own.sla),
        (0, 0, (0, 0), (0, 0))
    );
}

#[test]
fn an_open_ticket_is_censored_at_as_of_when_the_period_is_not_over() {
    let m = measure(&inputs(), D, D + 59 * DAY, D + 45 * DAY, Selector::All);
    // Ticket 3, created on day 40 and still open, is followed up to day 45 (as_of), not day 59.
    assert_eq!(m.km[2], TimeToEvent::censored(5 * DAY));
    assert_eq!(m.km[0], TimeToEvent::event(82_800));
}

#[test]
fn the_built_report_has_a_narrative_that_passes_its_check_and_no_training_section() {
    let doc = build(&params(), "company", inputs());
    assert_eq!(doc.training, None, "no completions");
    assert_eq!(crate::reports::narrative::check(&doc), Ok(()));
    assert!(!doc.narrative.essay.is_empty());
    assert!(doc.narrative.essay_words <= 400);
    assert_eq!(doc.narrative, crate::reports::narrative::write(&doc));
}
