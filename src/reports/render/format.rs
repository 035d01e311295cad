//! Numbers and dates as a person reads them: durations as `1 h 23 min`, ratios as `87.5 %`,
//! counts with thousands separators, periods as dates. Every function is pure (no locale, no
//! clock), so a rendering is the same bytes on every machine.

use super::model::{Change, Interval};
use chrono::{Days, NaiveDate};

/// The JSON text of a value exactly as serde_json prints it (`3600.0`), or empty for `null`.
pub(crate) fn json_number(v: Option<f64>) -> String {
    v.map(|x| serde_json::Value::from(x).to_string())
        .unwrap_or_default()
}

/// `1234567` → `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A non-negative duration in seconds: `45 s`, `23 min`, `1 h 23 min`, `2 d 3 h` (rounded to
/// its smallest unit).
pub(crate) fn duration(seconds: f64) -> String {
    let s = seconds.abs();
    if s < 59.5 {
        return format!("{} s", s.round());
    }
    let minutes = (s / 60.0).round() as u64;
    if minutes < 60 {
        return format!("{minutes} min");
    }
    if minutes < 24 * 60 {
        let (h, m) = (minutes / 60, minutes % 60);
        return if m == 0 {
            format!("{h} h")
        } else {
            format!("{h} h {m} min")
        };
    }
    let hours = (s / 3600.0).round() as u64;
    let (d, h) = (hours / 24, hours % 24);
    if h == 0 {
        format!("{d} d")
    } else {
        format!("{d} d {h} h")
    }
}

/// A ratio in [0, 1] as a percentage with one decimal: `0.875` → `87.5 %`.
pub(crate) fn percent(r: f64) -> String {
    let p = r * 100.0;
    let p = if p.abs() < 0.05 { 0.0 } else { p };
    format!("{p:.1} %")
}

/// A count: `3.0` → `3`, `1234.0` → `1,234`.
pub(crate) fn count(v: f64) -> String {
    thousands(v.abs().round() as u64)
}

/// A value in its unit (`count`, `seconds`, `ratio`); `no observations` for `null`.
pub(crate) fn value(unit: &str, v: Option<f64>) -> String {
    match v {
        None => "no observations".to_string(),
        Some(x) => magnitude(unit, x),
    }
}

fn magnitude(unit: &str, x: f64) -> String {
    match unit {
        "seconds" => duration(x),
        "ratio" => percent(x),
        _ => count(x),
    }
}

/// `+` or `−` (U+2212) before a magnitude; nothing for zero.
fn signed(x: f64, text: String) -> String {
    if x > 0.0 {
        format!("+{text}")
    } else if x < 0.0 {
        format!("\u{2212}{text}")
    } else {
        text
    }
}

/// A change: `+50 min (+500.0 %)`; a ratio's absolute change in percentage points
/// (`+2.5 pp`).
pub(crate) fn change(unit: &str, c: &Change) -> String {
    let absolute = match unit {
        "seconds" => signed(c.absolute, duration(c.absolute.abs())),
        "ratio" => {
            let pp = (c.absolute * 100.0).abs();
            let pp = if pp < 0.05 { 0.0 } else { pp };
            signed(c.absolute, format!("{pp:.1} pp"))
        }
        _ => signed(c.absolute, count(c.absolute)),
    };
    match c.relative {
        Some(r) => {
            let p = (r * 100.0).abs();
            format!("{absolute} ({})", signed(r, format!("{p:.1} %")))
        }
        None => absolute,
    }
}

/// An interval's method in words.
pub(crate) fn method(m: &str) -> &str {
    match m {
        "wilson" => "Wilson score",
        "bootstrap_percentile" => "bootstrap percentile",
        "kaplan_meier_loglog" => "Kaplan–Meier, log(−log) Greenwood",
        other => other,
    }
}

/// An interval's bounds: `30 min – 2 h`; a missing bound reads `not reached`.
pub(crate) fn interval_range(unit: &str, i: &Interval) -> String {
    let bound =
        |b: Option<f64>| b.map_or_else(|| "not reached".to_string(), |x| magnitude(unit, x));
    format!("{} – {}", bound(i.low), bound(i.high))
}

/// How an interval was made: `95 %, bootstrap percentile, seed 20261201, 1,000 resamples`.
pub(crate) fn interval_method(i: &Interval) -> String {
    let mut how = format!(
        "{} %, {}",
        (i.confidence * 100.0).round(),
        method(&i.method)
    );
    if let (Some(seed), Some(resamples)) = (i.seed, i.resamples) {
        how.push_str(&format!(
            ", seed {seed}, {} resamples",
            thousands(resamples)
        ));
    }
    how
}

/// `30 min – 2 h (95 %, Wilson score)`.
pub(crate) fn interval(unit: &str, i: &Interval) -> String {
    format!("{} ({})", interval_range(unit, i), interval_method(i))
}

/// A flag's words (as in the CSV).
pub(crate) fn flag(f: &str) -> &str {
    match f {
        "too_few_to_conclude" => "too few to conclude",
        "csat_wider_than_five_points" => "wider than ±5 points",
        other => other,
    }
}

/// `2026-01-01` → `1 January 2026`.
pub(crate) fn date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// A period `[from, to)` as its first and last day: `1 January 2026 – 28 February 2026`.
pub(crate) fn period(from: NaiveDate, to: NaiveDate) -> String {
    let last = to.checked_sub_days(Days::new(1)).unwrap_or(to);
    format!("{} – {}", date(from), date(last))
}

/// `customer_service_team` → `Customer service team`: snake_case words, the first capitalised.
pub(crate) fn words(snake: &str) -> String {
    let text = snake.replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// A monthly value on a chart's y axis: hours for seconds, percent for ratios.
pub(crate) fn chart_value(unit: &str, x: f64) -> f64 {
    match unit {
        "seconds" => x / 3600.0,
        "ratio" => x * 100.0,
        _ => x,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(duration(45.0), "45 s");
        assert_eq!(duration(600.0), "10 min");
        assert_eq!(duration(3600.0), "1 h");
        assert_eq!(duration(4980.0), "1 h 23 min");
        assert_eq!(duration(86_400.0), "1 d");
        assert_eq!(duration(129_600.0), "1 d 12 h");
    }

    #[test]
    fn rates_counts_and_changes() {
        assert_eq!(percent(0.875), "87.5 %");
        assert_eq!(percent(1.0), "100.0 %");
        assert_eq!(count(1234.0), "1,234");
        assert_eq!(json_number(Some(3600.0)), "3600.0");
        assert_eq!(json_number(Some(0.333333)), "0.333333");
        assert_eq!(json_number(None), "");
        let c = Change {
            absolute: 3000.0,
            relative: Some(5.0),
        };
        assert_eq!(change("seconds", &c), "+50 min (+500.0 %)");
        let c = Change {
            absolute: -0.025,
            relative: None,
        };
        assert_eq!(change("ratio", &c), "\u{2212}2.5 pp");
        assert_eq!(
            period(
                NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
            ),
            "1 January 2026 – 28 February 2026"
        );
    }
}
