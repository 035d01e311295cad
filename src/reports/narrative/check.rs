//! [`check()`]: the narrative's rules checked on a document (the module documentation of
//! [`super`]), as `report verify` and the tests run it.

use super::*;

/// The byte ranges of `text` where `form` stands as a whole number: not preceded by a digit, a
/// letter, `.` or `,`, and not followed by a digit or by `.`/`,` and a digit.
fn whole_matches(text: &str, form: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    text.match_indices(form)
        .map(|(i, _)| (i, i + form.len()))
        .filter(|&(a, b)| {
            let before_ok = a == 0
                || !matches!(bytes[a - 1], b'0'..=b'9' | b'.' | b',' | b'a'..=b'z' | b'A'..=b'Z');
            let after_ok = match bytes.get(b) {
                None => true,
                Some(b'0'..=b'9') => false,
                Some(b'.' | b',') => !bytes.get(b + 1).is_some_and(u8::is_ascii_digit),
                Some(_) => true,
            };
            before_ok && after_ok
        })
        .collect()
}

/// `text` with every whole occurrence of a form blanked out (longest forms first).
fn without_forms(text: &str, forms: &[String]) -> String {
    let mut forms: Vec<&String> = forms.iter().filter(|f| !f.is_empty()).collect();
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    let mut masked = vec![false; text.len()];
    for form in forms {
        for (a, b) in whole_matches(text, form) {
            if masked[a..b].iter().all(|m| !m) {
                masked[a..b].iter_mut().for_each(|m| *m = true);
            }
        }
    }
    text.char_indices()
        .map(|(i, c)| if masked[i] { ' ' } else { c })
        .collect()
}

/// What the words claim of the cited figures that they do not show: "fell"/"rose" against the
/// direction of a headline change, "faster" from a training effect that is not negative,
/// non-overlapping intervals that overlap, an interval "below zero" that is not.
fn wording_errors(text: &str, cited: &[&Figure]) -> Vec<String> {
    let mut errors = Vec::new();
    let change = cited
        .iter()
        .find_map(|f| f.change.as_ref().map(|c| c.absolute));
    if text.contains(" fell ") && change.is_some_and(|d| d >= 0.0) {
        errors.push("says fell, but the cited figure did not fall".to_string());
    }
    if text.contains(" rose ") && change.is_some_and(|d| d <= 0.0) {
        errors.push("says rose, but the cited figure did not rise".to_string());
    }
    let did = cited.iter().find(|f| f.id.ends_with(".did"));
    if let Some(d) = did
        && text.contains("faster")
        && !d.value.is_some_and(|v| v < 0.0)
    {
        errors.push(format!("says faster, but {} is not negative", d.id));
    }
    if text.contains("below zero")
        && !did
            .and_then(|d| d.interval.as_ref())
            .and_then(|i| i.high)
            .is_some_and(|h| h < 0.0)
    {
        errors.push("says the interval lies below zero, but it does not".to_string());
    }
    if text.contains("do not overlap") {
        let apart = cited.iter().any(|f| {
            let now = f.interval.as_ref().and_then(|i| Some((i.low?, i.high?)));
            let then = f
                .comparison
                .as_ref()
                .and_then(|c| c.interval.as_ref())
                .and_then(|i| Some((i.low?, i.high?)));
            matches!((now, then), (Some((lo, hi)), Some((clo, chi))) if hi < clo || lo > chi)
        });
        if !apart {
            errors.push("says the intervals do not overlap, but they do".to_string());
        }
    }
    errors
}

/// Whether `text` holds `name` (lowercase) as whole words, in any case.
fn names(text: &str, name: &str) -> bool {
    let text = text.to_lowercase();
    let bytes = text.as_bytes();
    let word = |i: usize| {
        bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b >= 0x80)
    };
    text.match_indices(name)
        .any(|(i, m)| (i == 0 || !word(i - 1)) && !word(i + m.len()))
}

/// A phone number: a run of digits, spaces and `+ - . ( )` holding 7 digits or more.
fn has_phone(text: &str) -> bool {
    let mut digits = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            if digits >= 7 {
                return true;
            }
        } else if !matches!(c, ' ' | '+' | '-' | '.' | '(' | ')') {
            digits = 0;
        }
    }
    false
}

/// Checks the narrative of `doc` against the rules (module documentation): every cited figure
/// exists and carries no "too few to conclude"; every number in a sentence is a formatted value
/// of a figure it cites ([`stated_forms`]); "fell", "rose", "faster", "below zero" and "do not
/// overlap" agree with the cited figures' change, estimate and intervals; no email, phone number
/// or, for an agent or a technician, their name (as whole words); at most [`MAX_ACHIEVEMENTS`] bullets and [`MAX_ACHIEVEMENT_WORDS`]
/// words; the essay within `word_limit`, its paragraphs problem → action → result, and
/// `essay_words` its word count.
///
/// # Errors
/// Every rule broken, one line each, naming the sentence.
pub fn check(doc: &EvidenceDocument) -> Result<(), Vec<String>> {
    let figures: BTreeMap<&str, &Figure> = doc
        .figures()
        .into_iter()
        .map(|f| (f.id.as_str(), f))
        .collect();
    let n = &doc.narrative;
    let mut errors = Vec::new();
    let name = doc.scope.name.trim().to_lowercase();
    // A person's name: the agent's or the technician's.
    let check_name = matches!(doc.scope.kind, ScopeKind::Agent | ScopeKind::Technician)
        && name.chars().count() >= 2;
    let sentences = n
        .achievements
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("achievement {}", i + 1), c))
        .chain(n.essay.iter().flat_map(|p| {
            p.sentences
                .iter()
                .enumerate()
                .map(move |(i, c)| (format!("{} sentence {}", p.part, i + 1), c))
        }));
    for (place, c) in sentences {
        let mut forms = Vec::new();
        for id in &c.figures {
            match figures.get(id.as_str()) {
                None => errors.push(format!(
                    "{place}: cites {id}, which the report does not have"
                )),
                Some(f) if too_few(f) => {
                    errors.push(format!("{place}: cites {id}, flagged too few to conclude"))
                }
                Some(f) => forms.extend(stated_forms(f)),
            }
        }
        let cited: Vec<&Figure> = c
            .figures
            .iter()
            .filter_map(|id| figures.get(id.as_str()).copied())
            .collect();
        errors.extend(
            wording_errors(&c.text, &cited)
                .into_iter()
                .map(|e| format!("{place}: {e}")),
        );
        let rest = without_forms(&c.text, &forms);
        if rest.chars().any(|ch| ch.is_ascii_digit()) {
            errors.push(format!(
                "{place}: a number that is no cited figure's value: {:?}",
                c.text
            ));
        }
        if c.text.contains('@') {
            errors.push(format!("{place}: an email address: {:?}", c.text));
        }
        if has_phone(&c.text) {
            errors.push(format!("{place}: a phone number: {:?}", c.text));
        }
        if check_name && names(&c.text, &name) {
            errors.push(format!("{place}: names the scope"));
        }
    }
    if n.achievements.len() > MAX_ACHIEVEMENTS {
        errors.push(format!(
            "{} achievements (at most {MAX_ACHIEVEMENTS})",
            n.achievements.len()
        ));
    }
    let bullet_words: usize = n.achievements.iter().map(|c| word_count(&c.text)).sum();
    if bullet_words > MAX_ACHIEVEMENT_WORDS {
        errors.push(format!(
            "achievements have {bullet_words} words (at most {MAX_ACHIEVEMENT_WORDS})"
        ));
    }
    let words: usize = n
        .essay
        .iter()
        .flat_map(|p| &p.sentences)
        .map(|c| word_count(&c.text))
        .sum();
    if words > doc.parameters.word_limit as usize {
        errors.push(format!(
            "the essay has {words} words (limit {})",
            doc.parameters.word_limit
        ));
    }
    if words != n.essay_words as usize {
        errors.push(format!(
            "essay_words is {}, the essay has {words}",
            n.essay_words
        ));
    }
    let ranks: Vec<Option<usize>> = n
        .essay
        .iter()
        .map(|p| PARTS.iter().position(|q| *q == p.part))
        .collect();
    if ranks.iter().any(Option::is_none) || ranks.windows(2).any(|w| w[0] >= w[1]) {
        errors.push("the essay's paragraphs are not problem → action → result".to_string());
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
