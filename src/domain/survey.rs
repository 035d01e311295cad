//! CSAT/NPS survey answers (docs/METRICS.md, Satisfaction): the values a customer may give,
//! parsed from the survey form, and the rule that marks an answer `pre_reopen`.
//!
//! Pure: no HTTP, no database, no clock.

use super::ticket::TicketStatus;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Longest survey comment, characters (after line endings are normalised to `\n`).
pub const MAX_COMMENT_CHARS: usize = 5_000;

/// A CSAT rating, 1 (very dissatisfied) to 5 (very satisfied) (`csat.v1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CsatScore(i16);

impl CsatScore {
    /// The words shown beside each rating, from 1 to 5.
    pub const LABELS: [&'static str; 5] = [
        "Very dissatisfied",
        "Dissatisfied",
        "Neither satisfied nor dissatisfied",
        "Satisfied",
        "Very satisfied",
    ];

    /// `value` when it is 1–5.
    ///
    /// # Errors
    /// The message shown next to the rating.
    pub fn new(value: i64) -> Result<CsatScore, String> {
        match i16::try_from(value) {
            Ok(v) if (1..=5).contains(&v) => Ok(CsatScore(v)),
            _ => Err("Please choose a rating from 1 to 5.".into()),
        }
    }

    /// The rating, 1–5.
    pub fn get(self) -> i16 {
        self.0
    }
}

/// An answer to "how likely are you to recommend us", 0–10 (`nps.v1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NpsScore(i16);

impl NpsScore {
    /// `value` when it is 0–10.
    ///
    /// # Errors
    /// The message shown next to the question.
    pub fn new(value: i64) -> Result<NpsScore, String> {
        match i16::try_from(value) {
            Ok(v) if (0..=10).contains(&v) => Ok(NpsScore(v)),
            _ => Err("Please choose a number from 0 to 10, or leave this question blank.".into()),
        }
    }

    /// The answer, 0–10.
    pub fn get(self) -> i16 {
        self.0
    }
}

/// A survey answer, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyAnswer {
    /// The rating.
    pub score: CsatScore,
    /// Likelihood to recommend, when answered.
    pub nps: Option<NpsScore>,
    /// The comment: line endings normalised to `\n`, trimmed, `None` when blank; at most
    /// [`MAX_COMMENT_CHARS`] characters.
    pub comment: Option<String>,
    /// The customer ticked "You may quote my comment anonymously".
    pub consent_to_quote: bool,
}

/// The survey form's fields as sent (`application/x-www-form-urlencoded`), before parsing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SurveyForm {
    /// `score`: "1"–"5".
    pub score: Option<String>,
    /// `nps`: "0"–"10", or empty.
    pub nps: Option<String>,
    /// `comment`.
    pub comment: Option<String>,
    /// `consent`: present (any value but empty) when the box is ticked.
    pub consent: bool,
}

/// Field (`score`, `nps`, `comment`) → the message shown next to it.
pub type FormErrors = BTreeMap<&'static str, String>;

impl SurveyForm {
    /// Parses the form: every failing field with its message, or the answer.
    ///
    /// # Errors
    /// [`FormErrors`] naming `score` (missing, not 1–5), `nps` (not 0–10) or `comment` (longer
    /// than [`MAX_COMMENT_CHARS`]).
    pub fn parse(&self) -> Result<SurveyAnswer, FormErrors> {
        let mut errors = FormErrors::new();
        let score = match self.score.as_deref().map(str::trim) {
            None | Some("") => Err("Please choose a rating from 1 to 5.".to_string()),
            Some(s) => s
                .parse::<i64>()
                .map_err(|_| "Please choose a rating from 1 to 5.".to_string())
                .and_then(CsatScore::new),
        };
        let nps = match self.nps.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) => s
                .parse::<i64>()
                .map_err(|_| {
                    "Please choose a number from 0 to 10, or leave this question blank.".to_string()
                })
                .and_then(NpsScore::new)
                .map(Some),
        };
        let comment = normalise_comment(self.comment.as_deref().unwrap_or(""));
        let length = comment.chars().count();
        if length > MAX_COMMENT_CHARS {
            errors.insert(
                "comment",
                format!(
                    "Your comment is {} characters long; please shorten it to at most 5,000.",
                    group_thousands(length)
                ),
            );
        }
        if let Err(e) = &score {
            errors.insert("score", e.clone());
        }
        if let Err(e) = &nps {
            errors.insert("nps", e.clone());
        }
        match (score, nps) {
            (Ok(score), Ok(nps)) if errors.is_empty() => Ok(SurveyAnswer {
                score,
                nps,
                comment: (!comment.is_empty()).then_some(comment),
                consent_to_quote: self.consent,
            }),
            _ => Err(errors),
        }
    }
}

/// `\r\n` and lone `\r` become `\n` (browsers send a textarea's line breaks as `\r\n`), then
/// surrounding whitespace is trimmed.
fn normalise_comment(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .trim()
        .to_string()
}

/// `12345` → `"12,345"`.
fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Whether an answer given now to the survey of the solve at `survey_solved_at` is a rating
/// "given before a reopen" (`pre_reopen`): the ticket is no longer solved or closed (it was
/// reopened after that solve), or its latest solve (`ticket_solved_at`) is later than the
/// survey's (it was reopened and solved again since).
pub fn is_pre_reopen(
    status: TicketStatus,
    ticket_solved_at: Option<DateTime<Utc>>,
    survey_solved_at: DateTime<Utc>,
) -> bool {
    let resolved = matches!(status, TicketStatus::Solved | TicketStatus::Closed);
    !resolved || ticket_solved_at.is_some_and(|latest| latest > survey_solved_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn form(score: &str, nps: &str, comment: &str, consent: bool) -> SurveyForm {
        SurveyForm {
            score: Some(score.into()),
            nps: Some(nps.into()),
            comment: Some(comment.into()),
            consent,
        }
    }

    #[test]
    fn a_full_answer_parses_with_its_comment_normalised() {
        let answer = form("4", "9", "  Fast fix.\r\nThanks!  ", true)
            .parse()
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(answer.score.get(), 4);
        assert_eq!(answer.nps.map(NpsScore::get), Some(9));
        assert_eq!(answer.comment.as_deref(), Some("Fast fix.\nThanks!"));
        assert!(answer.consent_to_quote);
    }

    #[test]
    fn nps_and_comment_are_optional() {
        let answer = form("1", "", "   ", false)
            .parse()
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(answer.score.get(), 1);
        assert_eq!(answer.nps, None);
        assert_eq!(answer.comment, None);
        assert!(!answer.consent_to_quote);
    }

    #[test]
    fn every_bad_field_is_named() {
        let errors = form("6", "11", &"x".repeat(5_001), false)
            .parse()
            .err()
            .unwrap_or_default();
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            ["comment", "nps", "score"]
        );
        assert_eq!(
            errors["comment"],
            "Your comment is 5,001 characters long; please shorten it to at most 5,000."
        );
        for (score, nps) in [("", "11"), ("0", "-1"), ("three", "ten"), ("4.5", "1e1")] {
            let errors = form(score, nps, "", false)
                .parse()
                .err()
                .unwrap_or_default();
            assert_eq!(errors.len(), 2, "{score:?} {nps:?}");
        }
        let missing = SurveyForm::default().parse().err().unwrap_or_default();
        assert_eq!(
            missing.get("score").map(String::as_str),
            Some("Please choose a rating from 1 to 5.")
        );
    }

    #[test]
    fn a_comment_of_exactly_5000_characters_with_crlf_line_breaks_fits() {
        // 2,500 × "é\r\n" is 7,500 characters sent, 5,000 once normalised ("é\n" each);
        // trimming drops the last "\n": 4,999.
        let text = "é\r\n".repeat(2_500);
        let answer = form("5", "", &text, false)
            .parse()
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(answer.comment.map(|c| c.chars().count()), Some(4_999));
        let exact = "ü".repeat(5_000);
        assert!(form("5", "", &exact, false).parse().is_ok());
    }

    #[test]
    fn an_answer_is_pre_reopen_when_the_ticket_was_reopened_after_the_surveyed_solve() {
        let at = |h| Utc.with_ymd_and_hms(2026, 3, 2, h, 0, 0).unwrap();
        // Still solved (or closed) since that solve.
        assert!(!is_pre_reopen(TicketStatus::Solved, Some(at(9)), at(9)));
        assert!(!is_pre_reopen(TicketStatus::Closed, Some(at(9)), at(9)));
        // Reopened, not solved again.
        assert!(is_pre_reopen(TicketStatus::Open, Some(at(9)), at(9)));
        assert!(is_pre_reopen(TicketStatus::Pending, Some(at(9)), at(9)));
        // Reopened and solved again later: the answer is about the earlier solve.
        assert!(is_pre_reopen(TicketStatus::Solved, Some(at(11)), at(9)));
    }
}
