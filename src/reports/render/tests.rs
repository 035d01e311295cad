//! The renderings of documents built here from hand-made inputs: what the HTML must and must
//! not hold, the same bytes twice, the training and narrative sections, the Markdown of a small
//! document word for word, and a chart's gap.

use super::*;
use crate::reports::document::{
    Claim, EssayParagraph, Figure, Narrative, TrainingCourse, TrainingSection, Unit,
};
use crate::reports::evidence::build;
use crate::reports::inputs::{Inputs, RatingInput, TicketInput};
use crate::reports::params::{EvidenceParams, EvidenceRequest};
use chrono::Utc;

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

fn ticket(id: i64, created: i64, frt: i64, solved_after: Option<i64>) -> TicketInput {
    crate::reports::inputs::TicketFields {
        id,
        created,
        first_reply_at: Some(created + frt),
        first_reply_business: Some(frt),
        latest_solved_at: solved_after.map(|s| created + s),
        full_resolution: solved_after,
        reopens: 0,
        one_touch: solved_after.map(|_| true),
        fcr: solved_after.map(|_| true),
        roles: crate::reports::inputs::ALL_ROLES,
        sourcing: [Some(crate::reports::inputs::Sourcing::InHouse); 4],
        sla: vec![(
            created + frt,
            frt <= 3600,
            Some(crate::reports::inputs::Sourcing::InHouse),
        )]
        .into(),
    }
    .into()
}

/// Three January tickets and one February one, one in the comparison period; one rating.
fn document() -> EvidenceDocument {
    let inputs = Inputs {
        tickets: vec![
            ticket(1, D - 20 * DAY, 600, Some(3600)),
            ticket(2, D + 3600, 1800, Some(DAY)),
            ticket(3, D + 5 * DAY, 4980, Some(2 * DAY)),
            ticket(4, D + 6 * DAY, 900, None),
            ticket(5, D + 40 * DAY, 3600, Some(DAY / 2)),
        ],
        ratings: vec![RatingInput {
            survey_id: 1,
            ticket_id: 2,
            answered_at: D + 2 * DAY,
            score: 5,
            sourcing: Some(crate::reports::inputs::Sourcing::InHouse),
            quotable: Some("Quick <b>and</b> kind | 10/10 *really*".into()),
            customer_names: vec![],
        }],
        work_orders: vec![],
        staff_names: vec![],
        facility_names: vec![],
        training: Default::default(),
        calendar_name: None,
    };
    build(&params(), "Frontline", inputs)
}

fn figure(id: &str, unit: Unit, value: Option<f64>, n: u64) -> Figure {
    Figure {
        id: id.into(),
        label: format!("Label of {id}"),
        definition: "training_effect.v1",
        unit,
        value,
        n,
        successes: None,
        interval: None,
        comparison: None,
        change: None,
        flags: vec![],
        note: None,
    }
}

fn with_training_and_narrative() -> EvidenceDocument {
    let mut doc = document();
    doc.training = Some(TrainingSection {
        weeks: 8,
        courses: vec![TrainingCourse {
            course_id: 7,
            course: "De-escalation <advanced>".into(),
            trained_staff: 4,
            untrained_staff: 11,
            figures: vec![figure(
                "training.7.first_reply_median.did",
                Unit::Seconds,
                Some(-720.0),
                96,
            )],
        }],
    });
    doc.narrative = Narrative {
        achievements: vec![Claim {
            text: "First replies in a median of 30 min <fast> & steady.".into(),
            figures: vec!["headline.first_reply_median".into()],
        }],
        essay: vec![EssayParagraph {
            part: "result",
            sentences: vec![
                Claim {
                    text: "Customers rated us 100.0 %.".into(),
                    figures: vec!["headline.csat".into()],
                },
                Claim {
                    text: "Every \"ticket\" counted.".into(),
                    figures: vec![],
                },
            ],
        }],
        essay_words: 7,
    };
    doc
}

fn json_text(v: Option<f64>) -> String {
    v.map(|x| serde_json::to_string(&x).unwrap())
        .unwrap_or_default()
}

#[test]
fn the_html_is_self_contained_and_every_figure_has_its_json_value() {
    let doc = document();
    let html = html(&doc).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(!html.to_ascii_lowercase().contains("<script"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no URL at all"
    );
    for attr in ["src=", "href=", "url(", "@import"] {
        assert!(!html.contains(attr), "{attr}");
    }
    assert_eq!(html.matches("<h1").count(), 1);
    let figures = doc.figures();
    assert!(figures.len() > 15, "{}", figures.len());
    for f in figures {
        let cell = format!(
            "data-figure=\"{}\" data-value=\"{}\"",
            f.id,
            json_text(f.value)
        );
        assert_eq!(html.matches(&cell).count(), 1, "{cell}");
    }
    // Values as people read them.
    let first_reply = doc
        .headline
        .iter()
        .find(|f| f.id == "headline.first_reply_median")
        .unwrap();
    // First replies 1,800, 4,980, 900 and 3,600 s: the median is 2,700 s.
    assert_eq!(first_reply.value, Some(2700.0));
    assert!(
        html.contains(
            "data-figure=\"headline.first_reply_median\" data-value=\"2700.0\">45 min</td>"
        )
    );
    assert!(html.contains("data-figure=\"headline.csat\" data-value=\"1.0\">100.0 %</td>"));
    assert!(html.contains("data-figure=\"headline.tickets_created\" data-value=\"4.0\">4</td>"));
    // The naive median's note is printed beside it; the bootstrap's seed with its interval.
    assert!(html.contains("<span class=\"note\">Note: naive: median of the tickets solved"));
    assert!(html.contains("bootstrap percentile, seed 20261201, 1,000 resamples"));
    // One inline chart per series, each with an accessible name.
    assert_eq!(html.matches("<svg ").count(), doc.monthly.len());
    assert_eq!(html.matches("role=\"img\"").count(), doc.monthly.len());
    assert!(html.contains("<title id=\"chart-volume-title\">Tickets created per month</title>"));
    // The quote is escaped, not markup.
    assert!(
        html.contains("Quick &#60;b&#62;and&#60;/b&#62; kind | 10/10 *really*"),
        "{html}"
    );
    assert!(html.contains(&doc.manifest.sha256));
}

#[test]
fn the_same_document_renders_to_the_same_bytes_from_the_document_or_its_json() {
    let doc = with_training_and_narrative();
    let json = doc.to_json().unwrap();
    let (a, b) = (html(&doc).unwrap(), html(&doc).unwrap());
    assert_eq!(a, b);
    assert_eq!(a, html_from_json(&json).unwrap());
    let (a, b) = (markdown(&doc).unwrap(), markdown(&doc).unwrap());
    assert_eq!(a, b);
    assert_eq!(a, markdown_from_json(&json).unwrap());
    assert!(matches!(
        html_from_json("{\"format\": 1}"),
        Err(RenderError::Json(_))
    ));
}

#[test]
fn the_training_and_narrative_sections_are_rendered_escaped_when_present() {
    let mut empty = document();
    empty.narrative = Default::default();
    let empty = html(&empty).unwrap();
    assert!(empty.contains("No staff of the scope completed a training course"));
    assert!(empty.contains("No achievement was written for this report."));

    let doc = with_training_and_narrative();
    let html = html(&doc).unwrap();
    assert!(
        html.contains("<h3>De-escalation &#60;advanced&#62;</h3>"),
        "{html}"
    );
    assert!(html.contains("<dt>Trained staff</dt><dd>4</dd>"));
    assert!(html.contains(
        "data-figure=\"training.7.first_reply_median.did\" data-value=\"-720.0\">12 min</td>"
    ));
    assert!(
        html.contains("<li>First replies in a median of 30 min &#60;fast&#62; &#38; steady.</li>")
    );
    assert!(html.contains(
        "<p data-part=\"Result\"><span class=\"part\">Result.</span> Customers rated us \
         100.0 %. Every &#34;ticket&#34; counted.</p>"
    ));
    assert!(!html.contains("<fast>") && !html.contains("<advanced>"));

    let md = markdown(&doc).unwrap();
    assert!(
        md.contains("### De\\-escalation \\<advanced\\>\n")
            || md.contains("### De-escalation \\<advanced\\>\n"),
        "{md}"
    );
    assert!(md.contains("- First replies in a median of 30 min \\<fast\\> \\& steady.\n"));
    assert!(md.contains("**Result.** Customers rated us 100.0 %. Every \"ticket\" counted.\n"));
}

#[test]
fn a_month_without_a_value_is_a_gap_in_its_chart() {
    let doc = document();
    let mut series = model_of(&doc).unwrap().monthly[0].clone();
    let mut point = series.points[0].clone();
    let values = [Some(2.0), None, Some(3.0), Some(4.0), Some(1.0)];
    series.points = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            point.id = format!("monthly.volume.2026-0{}", i + 1);
            point.value = *v;
            point.clone()
        })
        .collect();
    let svg = charts::svg(&series).unwrap();
    // A marker per month with a value; one line through the last three; none across the gap.
    assert_eq!(svg.matches("<circle").count(), 4, "{svg}");
    assert_eq!(charts::runs(&series).len(), 2);
    let lines: Vec<&str> = svg
        .lines()
        .filter(|l| l.starts_with("<polyline") && l.contains("stroke-width=\"2\""))
        .collect();
    assert_eq!(lines.len(), 1, "{svg}");
    assert!(svg.contains("<desc id=\"chart-volume-desc\">Tickets created per month: 2026-01 2; 2026-02 no observations; 2026-03 3; 2026-04 4; 2026-05 1.</desc>"));
    // Black on white; labels are text, not paths.
    assert!(svg.contains("\n2026-02\n</text>"), "{svg}");
    for colour in svg
        .match_indices("stroke=\"#")
        .map(|(i, _)| &svg[i + 9..i + 15])
    {
        assert!(["000000", "C8C8C8"].contains(&colour), "{colour}");
    }
}

/// A document of two headline figures, one series, one testimonial, one of each methodology
/// entry.
fn small_document() -> EvidenceDocument {
    let mut doc = document();
    doc.headline.truncate(2);
    doc.monthly.truncate(1);
    doc.splits.clear();
    // The renderer's empty-state wording (the narrative's own text is tested in
    // reports::narrative).
    doc.narrative = Default::default();
    let m = &mut doc.methodology;
    m.definitions.truncate(1);
    m.filters.truncate(1);
    m.exclusions.truncate(1);
    m.statistics.methods.truncate(1);
    m.flags.truncate(1);
    m.calendars = "calendar seconds | business seconds".into();
    let mf = &mut doc.manifest;
    mf.parameters_sha256 = "a".repeat(64);
    mf.inputs_sha256 = "b".repeat(64);
    mf.sha256 = "c".repeat(64);
    doc
}

#[test]
fn the_markdown_of_a_small_document_is_exactly_this() {
    let md = markdown(&small_document()).unwrap();
    // 4 tickets created against 1; first replies 1,800, 4,980, 900 and 3,600 s (median
    // 2,700 s = 45 min) against 600 s. The quote's markup is escaped.
    let expected = r#"# Evidence report: Frontline

- **Scope**: The whole company
- **Award category**: Customer service team
- **Eligibility period**: 1 January 2026 – 28 February 2026
- **Comparison period**: 3 November 2025 – 31 December 2025 (the same number of days just before)
- **Time zone**: UTC
- **Figures as of**: 2026-03-10T00:00:00Z

## Headline figures

Each figure over the eligibility period, with its sample size, its 95 % interval and the same figure over the comparison period.

| Figure | Value | n | 95 % interval | Comparison (n) | Change | Flags |
| --- | --: | --: | --- | --- | --- | --- |
| Tickets created (`tickets_created`) | 4 | 4 | — | 1 (n = 1) | +3 (+300.0 %) | — |
| Median first reply time (business seconds) (`frt.v1`) | 45 min | 4 | 15 min – 1 h 23 min (95 %, bootstrap percentile, seed 20261201, 1,000 resamples) | 10 min (n = 1) | +35 min (+350.0 %) | too few to conclude |

## Monthly trends

Each measure by month of the eligibility period. The charts of these series are in the HTML rendering of this report.

### Tickets created per month

Definition `tickets_created`.

| Month | Value | n | 95 % interval | Flags |
| --- | --: | --: | --- | --- |
| 2026-01 | 3 | 3 | — | — |
| 2026-02 | 1 | 1 | — | — |

## Splits

No split: the eligibility period does not hold both in-house and outsourced work, nor both employed and contracted technicians.

## Training effect

No staff of the scope completed a training course within the eligibility period.

## Achievements and draft essay

### Achievements

No achievement was written for this report.

### Draft essay

No essay was written for this report.

## Testimonials

Comments of customers who consented to be quoted, with names, contact details and numbers removed.

> Quick \<b\>and\</b\> kind \| 10/10 \*really\*
>
> — Rated 5 of 5, 2026-01

## Methodology

| Id | Defined in | How the report applies it |
| --- | --- | --- |
| `tickets_created` | docs/METRICS.md §5 | tickets created in the period (by creation instant), credited to the team at creation (no agent) |

### Calendars

calendar seconds \| business seconds

### Filters

- scope: the whole company

### Exclusions

- tickets with no value for a figure (no first reply, never solved, no SLA outcome) are not in that figure's n

### Sample sizes

| Rows | Count |
| --- | --- |
| Tickets | 5 |
| Ratings | 1 |
| Work orders | 0 |

### Statistics

| Setting | Value |
| --- | --- |
| Confidence | 95 % |
| Bootstrap seed | 20261201 |
| Bootstrap resamples | 1,000 |
| First-time fix window | 30 days |

- rates: Wilson score interval (statsmodels proportion\_confint method='wilson')

### Flags

| Figure | Flag |
| --- | --- |
| `headline.first_reply_median` | too few to conclude |

## Integrity manifest

Recompute with `frontline report verify FILE` on the JSON document: the same data gives the same hashes.

| Field | Value |
| --- | --- |
| Algorithm | `SHA-256` |
| Canonical form | `frontline.evidence.inputs.v4` |
| Parameters SHA-256 | `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` |
| Inputs SHA-256 | `bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb` |
| Report SHA-256 | `cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc` |
| Canonical lines | tickets 5, ratings 1, work orders 0 |
"#;
    assert_eq!(md, expected, "{md}");
}
