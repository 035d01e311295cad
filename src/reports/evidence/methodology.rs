//! The evidence report's methodology section (docs/REPORTS.md, "Methodology").

use super::*;

/// The methodology section of a report over `inputs` (`field`: with field work): every
/// definition used with its docs/METRICS.md source, calendars, filters, exclusions and the
/// statistics' methods; flags are filled once the figures exist.
pub(super) fn methodology(params: &EvidenceParams, inputs: &Inputs, field: bool) -> Methodology {
    let mut definitions = vec![
        Definition {
            id: "tickets_created",
            source: "docs/METRICS.md §5",
            text: "tickets created in the period (by creation instant), credited to the team at creation (no agent)",
        },
        Definition {
            id: "frt.v1",
            source: "docs/METRICS.md §4, §5",
            text: "first reply time in business seconds (on the calendar named under calendars), over the tickets whose first reply is in the period, credited to the agent who wrote the reply and their team at that instant",
        },
        Definition {
            id: "full_resolution.v1",
            source: "docs/METRICS.md §4, §10",
            text: "creation to latest solve, calendar seconds. Headline: the tickets created in the period, credited as the volume (the team at creation: an open ticket has no solve to credit), solved if their latest solve is before the period's end (an event), otherwise censored at the period's end (Kaplan–Meier); the naive median is that of the solved ones only. Monthly: the tickets whose latest solve is in the month (§5), credited to the assignee and team at that solve",
        },
        Definition {
            id: "sla_attainment",
            source: "docs/METRICS.md §6",
            text: "the ticket is the unit (shared specification, Statistics): a ticket with at least one SLA outcome in the period attains when all its outcomes in the period were achieved; a clock still running past its due instant by as_of counts as breached at that instant. Each outcome is credited to the team and assignee the ticket had at its instant (achieved, breached, or due), with that team's sourcing then (docs/METRICS.md §7): a team's or an agent's report, and each sourcing of the split, counts a ticket over the outcomes credited to it",
        },
        Definition {
            id: "reopen_rate.v1",
            source: "docs/METRICS.md §5",
            text: "tickets with at least one reopen / tickets whose latest solve is in the period, credited to the assignee and team at the latest solve (as one-touch and FCR)",
        },
        Definition {
            id: "one_touch.v1",
            source: "docs/METRICS.md §4, §5",
            text: "solved or closed with fewer than 2 replies / solved or closed tickets whose latest solve is in the period",
        },
        Definition {
            id: "fcr.v1",
            source: "docs/METRICS.md §5",
            text: "first-contact resolutions / the one-touch denominator; the 7-day look-up sees the tickets created by as_of",
        },
        Definition {
            id: "csat.v1",
            source: "docs/METRICS.md §9",
            text: "ratings of 4 or 5 / ratings, one rating per ticket (its latest answer by as_of), by answer instant",
        },
    ];
    if field {
        definitions.push(Definition {
            id: "first_time_fix.v1",
            source: "docs/METRICS.md §8",
            text: "fixed first visits / ended first visits finished in the period, N = 30 days; the look-ups see the work orders created by as_of",
        });
    }
    let scope = match params.scope_id {
        Some(id) => format!("scope: {} {id}", params.scope.as_str()),
        None => "scope: the whole company".to_string(),
    };
    let filters = vec![
        scope,
        match params.scope {
            crate::reports::params::ScopeKind::Team => "each ticket figure credited to the team when it happened (docs/METRICS.md §7): volumes and the resolution cohort by the team at creation, first replies by the replying agent's team at the reply, resolution, reopens, one-touch and FCR by the team at the latest solve, SLA outcomes by the ticket's current team; ratings of the surveys sent for its solves; work orders of its technicians (team at the finish) or of its current tickets".to_string(),
            crate::reports::params::ScopeKind::Agent => "each ticket figure credited to the agent when it happened (docs/METRICS.md §7): first replies the agent wrote, resolution, reopens, one-touch and FCR of the tickets assigned to the agent at their latest solve, SLA outcomes of the tickets assigned to the agent now; no volume or resolution cohort (they are credited to the team at creation, never to an agent); ratings of the surveys sent for the agent's solves".to_string(),
            crate::reports::params::ScopeKind::Technician => "the technician's work orders, and the tickets they were for".to_string(),
            crate::reports::params::ScopeKind::Organization | crate::reports::params::ScopeKind::Site => "the tickets and work orders of that organization or site".to_string(),
            crate::reports::params::ScopeKind::Company => "every ticket, rating and work order".to_string(),
        },
        format!(
            "eligibility [{}, {}) and comparison [{}, {}) as local dates in {}; as of {}",
            params.eligibility.from,
            params.eligibility.to,
            params.comparison.from,
            params.comparison.to,
            params.time_zone,
            params.as_of.to_rfc3339()
        ),
    ];
    let mut exclusions = vec![
        "tickets with no value for a figure (no first reply, never solved, no SLA outcome) are not in that figure's n",
        "ratings answered after as_of, and earlier answers replaced by a later one, are not counted",
        "work orders cancelled are not in first-time fix; follow-up visits are not first visits",
        "survey comments without the customer's consent to quote are never shown",
    ];
    // What the data itself lacks (an imported help-desk history has no surveys and no field
    // work): said, so that a missing figure is not read as a zero.
    if inputs.ratings.is_empty() {
        exclusions.push(
            "the data holds no satisfaction rating in either period: CSAT has no value and no testimonial can be quoted",
        );
    }
    if !field {
        exclusions.push(
            "the data holds no finished work order in either period: first-time fix is not reported",
        );
    }
    Methodology {
        definitions,
        calendars: match (params.calendar, inputs.calendar_name.as_deref()) {
            (Some(id), name) => format!(
                "first reply time in business seconds on one calendar for every ticket: {} (id {id}), from each ticket's creation to its first reply (docs/METRICS.md §7, \"Comparisons on one calendar\"); resolution times in calendar seconds, so that a ticket still open is censored at the period's end exactly",
                name.map_or_else(|| "?".to_string(), |n| format!("\"{n}\""))
            ),
            (None, _) => "first reply time in business seconds on each ticket's own calendar (its team's, as it was at each instant; docs/METRICS.md §3); resolution times in calendar seconds, so that a ticket still open is censored at the period's end exactly; no single comparison calendar was requested (the `calendar` parameter)".to_string(),
        },
        filters,
        exclusions,
        sample_sizes: SampleSizes {
            tickets: inputs.tickets.len() as u64,
            ratings: inputs.ratings.len() as u64,
            work_orders: inputs.work_orders.len() as u64,
        },
        statistics: Statistics {
            confidence: CONFIDENCE_95,
            bootstrap_seed: params.bootstrap_seed,
            bootstrap_resamples: params.bootstrap_resamples,
            ftf_days: FTF_DAYS,
            methods: vec![
                "rates: Wilson score interval (statsmodels proportion_confint method='wilson')",
                "medians: percentile bootstrap with ChaCha8 seeded by bootstrap_seed (scipy.stats.bootstrap method='percentile'); monthly medians have no interval",
                "time to resolution: Kaplan–Meier, open tickets censored at the period's end, Greenwood log(-log) interval of the median (lifelines)",
                "flags: fewer than 30 observations: too few to conclude; CSAT from fewer than 400 ratings: wider than ±5 points",
            ],
        },
        flags: Vec::new(),
    }
}
