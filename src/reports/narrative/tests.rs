//! The narrative over hand-built documents (exact text), and properties over generated ones.

use super::*;
use crate::reports::document::{
    Change, Comparison, Interval, Testimonial, TrainingCourse, TrainingSection,
};
use crate::reports::evidence::build;
use crate::reports::inputs::Inputs;
use crate::reports::params::{EvidenceParams, EvidenceRequest};
use chrono::Utc;
use proptest::prelude::*;

fn params(category: &str, scope: &str, words: u32) -> EvidenceParams {
    let mut body = serde_json::json!({
        "scope": scope, "from": "2026-01-01", "to": "2026-03-01", "comparison": "previous",
        "category": category, "word_limit": words, "as_of": "2026-03-10T00:00:00Z"});
    if scope != "company" {
        body["scope_id"] = serde_json::json!(7);
    }
    let r: EvidenceRequest = serde_json::from_value(body).unwrap();
    r.parse(Utc::now()).unwrap()
}

/// An empty report of `params` (every headline figure without a value), named `name`.
fn empty(params: &EvidenceParams, name: &str) -> EvidenceDocument {
    build(params, name, Inputs::default())
}

fn interval(low: f64, high: f64) -> Interval {
    Interval {
        method: "bootstrap_percentile",
        confidence: 0.95,
        low: Some(low),
        high: Some(high),
        seed: Some(1),
        resamples: Some(1000),
    }
}

#[allow(clippy::too_many_arguments)]
fn headline(
    key: &str,
    unit: Unit,
    value: Option<f64>,
    n: u64,
    iv: Option<Interval>,
    comparison: Option<(Option<f64>, u64, Option<Interval>)>,
) -> Figure {
    let change = match (value, comparison.as_ref().and_then(|c| c.0)) {
        (Some(v), Some(c)) => Some(Change {
            absolute: v - c,
            relative: (c != 0.0).then(|| (v - c) / c),
        }),
        _ => None,
    };
    Figure {
        id: format!("headline.{key}"),
        label: key.to_string(),
        definition: "test",
        unit,
        value,
        n,
        successes: None,
        interval: iv,
        comparison: comparison.map(|(value, n, interval)| Comparison { value, n, interval }),
        change,
        flags: if unit == Unit::Count {
            Vec::new()
        } else {
            Caution::too_few(n as usize).into_iter().collect()
        },
        note: None,
    }
}

fn texts(claims: &[Claim]) -> Vec<&str> {
    claims.iter().map(|c| c.text.as_str()).collect()
}

fn hand_built(category: &str, words: u32) -> EvidenceDocument {
    let p = params(category, "company", words);
    let mut doc = empty(&p, "company");
    doc.headline = vec![
        headline(
            "tickets_created",
            Unit::Count,
            Some(1234.0),
            1234,
            None,
            Some((Some(1100.0), 1100, None)),
        ),
        headline(
            "first_reply_median",
            Unit::Seconds,
            Some(3900.0),
            412,
            Some(interval(3600.0, 4200.0)),
            Some((Some(7800.0), 380, Some(interval(7200.0, 8400.0)))),
        ),
        // Too few ratings: never claimed.
        headline(
            "csat",
            Unit::Ratio,
            Some(0.9),
            20,
            Some(interval(0.7, 0.97)),
            Some((Some(0.5), 40, None)),
        ),
        // Worse than before: stated as its value, never as an improvement.
        headline(
            "reopen_rate",
            Unit::Ratio,
            Some(0.08),
            500,
            Some(interval(0.06, 0.1)),
            Some((Some(0.06), 450, Some(interval(0.04, 0.08)))),
        ),
    ];
    doc.testimonials = vec![
        Testimonial {
            quote: "[name] fixed it within 10 minutes".into(),
            rating: 5,
            month: "2026-01".into(),
        },
        Testimonial {
            quote: "Quick, friendly and clear.".into(),
            rating: 5,
            month: "2026-02".into(),
        },
    ];
    doc.narrative = write(&doc);
    doc
}

#[test]
fn the_hand_built_report_gives_the_exact_achievements_and_essay() {
    let doc = hand_built("contact_center_of_the_year", 500);
    let n = &doc.narrative;
    assert_eq!(
        texts(&n.achievements),
        [
            "Median first reply time fell from 2 h 10 min to 1 h 05 min (n = 412 tickets).",
            "1,234 tickets received in the eligibility period.",
        ]
    );
    assert_eq!(
        n.achievements[0].figures,
        vec!["headline.first_reply_median".to_string()]
    );
    let parts: Vec<(&str, Vec<&str>)> = n
        .essay
        .iter()
        .map(|p| (p.part, texts(&p.sentences)))
        .collect();
    assert_eq!(
        parts,
        vec![
            (
                "problem",
                vec![
                    "This nomination for Contact Center of the Year compares the work of our contact center in the eligibility period with the comparison period, using only the figures of the attached evidence report.",
                    "In the comparison period, the median first reply time was 2 h 10 min (n = 380 tickets).",
                ]
            ),
            (
                "action",
                vec![
                    "In the eligibility period, 1,234 tickets were created, against 1,100 in the comparison period.",
                    "Every figure is measured with the definitions in the report's methodology and can be recomputed from its manifest.",
                ]
            ),
            (
                "result",
                vec![
                    "The median first reply time fell from 2 h 10 min to 1 h 05 min, 50% faster (n = 412 tickets), and the two periods' confidence intervals do not overlap.",
                    "In the eligibility period, the reopen rate was 8% (n = 500 solved tickets).",
                    "One customer wrote: “Quick, friendly and clear.”",
                ]
            ),
        ]
    );
    let words: usize = n
        .essay
        .iter()
        .flat_map(|p| &p.sentences)
        .map(|c| word_count(&c.text))
        .sum();
    assert_eq!(n.essay_words as usize, words);
    assert_eq!(check(&doc), Ok(()));
}

#[test]
fn a_small_limit_keeps_the_most_important_sentences_and_never_exceeds_it() {
    let doc = hand_built("contact_center_of_the_year", 50);
    let n = &doc.narrative;
    assert!(n.essay_words <= 50, "{n:?}");
    // The first reply result (29 words) comes first; then what still fits.
    assert_eq!(n.essay.last().unwrap().part, "result");
    assert!(
        n.essay.last().unwrap().sentences[0]
            .text
            .starts_with("The median first reply time fell")
    );
    assert_eq!(check(&doc), Ok(()));
}

#[test]
fn formats_are_one_per_unit() {
    assert_eq!(format_duration(45.4), "45 s");
    assert_eq!(format_duration(-90.0), "2 min");
    assert_eq!(format_duration(3900.0), "1 h 05 min");
    assert_eq!(format_duration(7800.0), "2 h 10 min");
    assert_eq!(format_duration(3599.0), "1 h 00 min");
    assert_eq!(format_duration(86_400.0 + 4.0 * 3600.0), "1 d 4 h");
    assert_eq!(format_percent(0.125), "12.5%");
    assert_eq!(format_percent(-0.4), "40%");
    assert_eq!(format_percent(0.0), "0%");
    assert_eq!(format_count(1_234_567.0), "1,234,567");
    assert_eq!(format_count(12.0), "12");
}

#[test]
fn the_checker_finds_foreign_numbers_flags_names_contacts_and_lengths() {
    let mut doc = hand_built("contact_center_of_the_year", 500);
    let frt = "headline.first_reply_median".to_string();
    let csat = "headline.csat".to_string();
    doc.narrative.achievements = vec![
        // 3 h is no value of the figure.
        Claim {
            text: "Median first reply time fell to 3 h 00 min.".into(),
            figures: vec![frt.clone()],
        },
        // 12 is a part of 412, not a value.
        Claim {
            text: "It took 12 tickets.".into(),
            figures: vec![frt.clone()],
        },
        Claim {
            text: "CSAT reached 90%.".into(),
            figures: vec![csat],
        },
        Claim {
            text: "Write to help@example.com or call +1 555 010 9999.".into(),
            figures: vec![],
        },
        Claim {
            text: "A fine year.".into(),
            figures: vec!["headline.nothing".into()],
        },
        // The reopen rate rose (6% → 8%), and its intervals overlap.
        Claim {
            text: "The reopen rate fell from 6% to 8%, and the two periods' confidence intervals do not overlap.".into(),
            figures: vec!["headline.reopen_rate".into()],
        },
    ];
    doc.narrative.essay_words += 1;
    let errors = check(&doc).unwrap_err();
    let has = |s: &str| errors.iter().any(|e| e.contains(s));
    assert!(has("achievement 1: a number"), "{errors:?}");
    assert!(has("achievement 2: a number"), "{errors:?}");
    assert!(has("achievement 3: cites headline.csat, flagged too few"));
    assert!(has("achievement 4: an email"));
    assert!(has("achievement 4: a phone"));
    assert!(has("achievement 5: cites headline.nothing"));
    assert!(has("achievement 6: says fell"), "{errors:?}");
    assert!(has("achievement 6: says the intervals do not overlap"));
    assert!(!has("achievement 6: a number"));
    assert!(has("essay_words"));

    // The scope's name (an agent's, a person's) is never written.
    let p = params("front_line_professional", "agent", 500);
    let mut doc = empty(&p, "Ann Lee");
    doc.narrative = write(&doc);
    assert_eq!(check(&doc), Ok(()));
    assert!(
        doc.narrative.essay[0].sentences[0]
            .text
            .contains("the work of the agent")
    );
    doc.narrative.essay[0].sentences[0].text = "ANN LEE answers fast.".into();
    assert!(check(&doc).unwrap_err()[0].contains("names the scope"));
    // Whole words only: an agent called Sam is not in "the same weeks".
    let mut doc = empty(&params("front_line_professional", "agent", 500), "Sam");
    doc.narrative = write(&doc);
    let bullet = |text: &str| {
        vec![Claim {
            text: text.into(),
            figures: vec![],
        }]
    };
    doc.narrative.achievements = bullet("Over the same weeks.");
    assert_eq!(check(&doc), Ok(()));
    doc.narrative.achievements = bullet("Thanks to Sam.");
    assert!(check(&doc).unwrap_err()[0].contains("names the scope"));
}

fn training_course(did: f64, low: f64, high: f64, cells: [f64; 4], n: u64) -> TrainingCourse {
    let mut figures = Vec::new();
    for (metric, unit, scale) in [
        ("first_reply_time", Unit::Seconds, 1.0),
        ("reopen_rate", Unit::Ratio, 0.0001),
    ] {
        let flags: Vec<Caution> = Caution::too_few(n as usize).into_iter().collect();
        figures.push(Figure {
            id: format!("training.3.{metric}.did"),
            label: "did".into(),
            definition: "frt.v1",
            unit,
            value: Some(did * scale),
            n: 4 * n,
            successes: None,
            interval: Some(Interval {
                method: "cluster_bootstrap_percentile",
                confidence: 0.95,
                low: Some(low * scale),
                high: Some(high * scale),
                seed: Some(1),
                resamples: Some(2000),
            }),
            comparison: None,
            change: None,
            flags: flags.clone(),
            note: None,
        });
        for (cell, v) in [
            "trained_before",
            "trained_after",
            "untrained_before",
            "untrained_after",
        ]
        .iter()
        .zip(cells)
        {
            figures.push(Figure {
                id: format!("training.3.{metric}.{cell}"),
                label: "cell".into(),
                definition: "frt.v1",
                unit,
                value: Some(v * scale),
                n,
                successes: None,
                interval: None,
                comparison: None,
                change: None,
                flags: flags.clone(),
                note: None,
            });
        }
    }
    TrainingCourse {
        course_id: 3,
        course: "Customer service excellence 2026".into(),
        trained_staff: 12,
        untrained_staff: 12,
        figures,
    }
}

#[test]
fn the_training_category_leads_with_the_training_effect() {
    let p = params("training_innovation", "company", 500);
    let mut doc = empty(&p, "company");
    doc.training = Some(TrainingSection {
        weeks: 4,
        courses: vec![training_course(
            -1800.0,
            -2400.0,
            -1200.0,
            [3600.0, 1800.0, 3500.0, 3500.0],
            200,
        )],
    });
    doc.narrative = write(&doc);
    let n = &doc.narrative;
    assert_eq!(
        texts(&n.achievements)[..2],
        [
            "After training, first replies became 30 min faster than untrained colleagues' over the same weeks (n = 800 observations).",
            "Reopen rate of trained staff went from 36% to 18% after training, against 35% to 35% for untrained colleagues.",
        ]
    );
    assert_eq!(n.essay[0].part, "problem");
    assert!(
        n.essay[0].sentences[0]
            .text
            .starts_with("This nomination for Training or Innovation in Customer Service shows what changed after staff completed training")
    );
    let result = &n.essay[2];
    assert_eq!(
        result.sentences[0].text,
        "Against colleagues without the course over the same calendar weeks, trained staff's first replies became 30 min faster (n = 800 observations); the confidence interval of this effect lies entirely below zero."
    );
    assert_eq!(
        result.sentences[0].figures,
        vec!["training.3.first_reply_time.did".to_string()]
    );
    // The course's name (with a year in it) is never written.
    assert!(
        !n.essay
            .iter()
            .flat_map(|p| &p.sentences)
            .any(|c| c.text.contains("excellence"))
    );
    assert_eq!(check(&doc), Ok(()));

    // Too few observations: the effect is never claimed; a positive one neither.
    for course in [
        training_course(
            -1800.0,
            -2400.0,
            -1200.0,
            [3600.0, 1800.0, 3500.0, 3500.0],
            20,
        ),
        training_course(600.0, 100.0, 900.0, [3600.0, 4200.0, 3500.0, 3500.0], 200),
    ] {
        doc.training = Some(TrainingSection {
            weeks: 4,
            courses: vec![course],
        });
        doc.narrative = write(&doc);
        assert!(
            doc.narrative
                .achievements
                .iter()
                .chain(doc.narrative.essay.iter().flat_map(|p| &p.sentences))
                .all(|c| c.figures.iter().all(|id| !id.starts_with("training."))),
            "{:?}",
            doc.narrative
        );
        assert_eq!(check(&doc), Ok(()));
    }
}

const KEYS: [(&str, Unit); 10] = [
    ("tickets_created", Unit::Count),
    ("first_reply_median", Unit::Seconds),
    ("resolution_median_km", Unit::Seconds),
    ("resolution_median_naive", Unit::Seconds),
    ("sla_attainment", Unit::Ratio),
    ("reopen_rate", Unit::Ratio),
    ("one_touch_rate", Unit::Ratio),
    ("fcr_rate", Unit::Ratio),
    ("csat", Unit::Ratio),
    ("first_time_fix", Unit::Ratio),
];

const CATEGORIES: [&str; 5] = [
    "contact_center_of_the_year",
    "customer_service_team",
    "front_line_professional",
    "field_service_team",
    "training_innovation",
];

const SCOPES: [&str; 4] = ["company", "team", "agent", "site"];

const QUOTES: [&str; 4] = [
    "Quick, friendly and clear.",
    "[name] called back at 9",
    "Solved it in 2 minutes, thanks",
    "Very patient and kind: they explained every step of the repair and checked it worked.",
];

/// A generated figure: `(value 0–1, n, comparison (value 0–1 or none, n) or none, interval)`.
type Gen = (Option<f64>, u64, Option<(Option<f64>, u64)>, bool);

fn gen_figure() -> impl Strategy<Value = Gen> {
    (
        prop::option::of(0.0f64..1.0),
        prop_oneof![0u64..40, 0u64..5000],
        prop::option::of((
            prop::option::of(0.0f64..1.0),
            prop_oneof![0u64..40, 0u64..5000],
        )),
        any::<bool>(),
    )
}

fn scale(unit: Unit, x: f64) -> f64 {
    match unit {
        Unit::Seconds => (x * 400_000.0).round(),
        Unit::Count => (x * 100_000.0).round(),
        Unit::Ratio => (x * 1e6).round() / 1e6,
    }
}

fn generated(
    category: usize,
    scope: usize,
    words: u32,
    figures: &[Gen],
    training: Option<(f64, f64, [f64; 4], u64)>,
    quotes: &[usize],
) -> EvidenceDocument {
    let p = params(CATEGORIES[category], SCOPES[scope], words);
    let mut doc = empty(&p, "Ann Lee");
    doc.headline = KEYS
        .iter()
        .zip(figures)
        .map(|((key, unit), (value, n, comparison, with_interval))| {
            let value = value.map(|v| scale(*unit, v));
            let iv = |v: Option<f64>| {
                v.filter(|_| *with_interval && *unit != Unit::Count)
                    .map(|v| interval(v * 0.9, v * 1.1))
            };
            let comparison = comparison.map(|(cv, cn)| {
                let cv = cv.map(|c| scale(*unit, c));
                (cv, cn, iv(cv))
            });
            headline(key, *unit, value, *n, iv(value), comparison)
        })
        .collect();
    doc.training = training.map(|(did, width, cells, n)| TrainingSection {
        weeks: 4,
        courses: vec![training_course(
            (did - 0.5) * 7200.0,
            (did - 0.5 - width) * 7200.0,
            (did - 0.5 + width) * 7200.0,
            cells.map(|c| (c * 7200.0).round()),
            n,
        )],
    });
    doc.testimonials = quotes
        .iter()
        .map(|q| Testimonial {
            quote: QUOTES[*q].to_string(),
            rating: 5,
            month: "2026-01".into(),
        })
        .collect();
    doc.narrative = write(&doc);
    doc
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_narrative_of_any_report_keeps_its_limits_and_passes_the_check(
        category in 0usize..5,
        scope in 0usize..4,
        words in 50u32..=5000,
        figures in prop::collection::vec(gen_figure(), 10),
        training in prop::option::of((0.0f64..1.0, 0.0f64..0.5, [0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0], prop_oneof![0u64..40, 0u64..3000])),
        quotes in prop::collection::vec(0usize..4, 0..3),
    ) {
        let doc = generated(category, scope, words, &figures, training, &quotes);
        let n = &doc.narrative;
        prop_assert!(n.essay_words <= words);
        prop_assert!(n.achievements.len() <= MAX_ACHIEVEMENTS);
        prop_assert!(n.achievements.iter().map(|c| word_count(&c.text)).sum::<usize>() <= MAX_ACHIEVEMENT_WORDS);
        prop_assert_eq!(check(&doc), Ok(()));
        // Written from the document alone: the same document, the same narrative.
        prop_assert_eq!(&write(&doc), n);
    }

    #[test]
    fn every_word_limit_is_kept_over_the_hand_built_report(words in 50u32..=5000) {
        let doc = hand_built("customer_service_team", words);
        prop_assert!(doc.narrative.essay_words <= words);
        prop_assert_eq!(check(&doc), Ok(()));
    }
}
