//! Testimonials without the people in them (docs/METRICS.md §9, shared specification: quotes
//! "without names, emails or ticket numbers"): a consented survey comment with emails, phone
//! numbers, ticket numbers, and the names of staff, customers, organizations and sites (facilities)
//! known to the database replaced by a bracketed word.
//!
//! | what | rule | replaced by |
//! |---|---|---|
//! | email | a word with letters or digits on both sides of an `@` and a dot after it | `[email]` |
//! | phone number | a run of digits, spaces, `+ - . ( )` that starts and ends with a digit and holds at least 7 digits | `[phone]` |
//! | ticket number | `#` followed by digits | `[ticket]` |
//! | any other number of 4 or more digits | a run of 4+ digits | `[number]` |
//! | a facility's name | the whole name, any case, as a whole word | `[facility]` |
//! | a person's name | the whole name, then each word of it of 3 or more letters, any case, as whole words | `[name]` |
//!
//! Over-removal is accepted (a staff member called "Will" removes the word "will"): a quote that
//! loses a word is still a quote; one that keeps a name is a breach.

/// Removes emails, phone numbers, ticket numbers, long numbers, `facilities` and `people` from
/// `text` (see the module's table). Pure; the same inputs give the same output.
pub fn anonymise(text: &str, people: &[String], facilities: &[String]) -> String {
    Anonymiser::new(people, facilities).anonymise(text, &[])
}

/// The names to remove, prepared once for many quotes: phrases folded to lower case, longest
/// first, indexed by their first character.
pub struct Anonymiser {
    phrases: Vec<(Vec<char>, &'static str)>,
    by_first: std::collections::BTreeMap<char, Vec<usize>>,
}

fn phrases_of(people: &[String], facilities: &[String]) -> Vec<(Vec<char>, &'static str)> {
    let mut phrases = Vec::new();
    for f in facilities {
        push_phrase(&mut phrases, f, "[facility]");
    }
    for p in people {
        push_phrase(&mut phrases, p, "[name]");
    }
    let named = people
        .iter()
        .map(|p| (p, "[name]"))
        .chain(facilities.iter().map(|f| (f, "[facility]")));
    for (p, label) in named {
        let words = p
            .split_whitespace()
            .chain(p.split(|c: char| !c.is_alphanumeric()));
        for word in words {
            if word.chars().filter(|c| c.is_alphanumeric()).count() >= 3 {
                push_phrase(&mut phrases, word, label);
            }
        }
    }
    // Longest first, so that a full name goes before its parts.
    phrases.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    phrases.dedup_by(|a, b| a.0 == b.0);
    phrases
}

impl Anonymiser {
    /// Prepares the names of `people` (`[name]`) and `facilities` (`[facility]`).
    pub fn new(people: &[String], facilities: &[String]) -> Anonymiser {
        let phrases = phrases_of(people, facilities);
        let mut by_first: std::collections::BTreeMap<char, Vec<usize>> = Default::default();
        for (i, (p, _)) in phrases.iter().enumerate() {
            if let Some(c) = p.first() {
                by_first.entry(*c).or_default().push(i);
            }
        }
        Anonymiser { phrases, by_first }
    }

    /// `text` without emails, phone and ticket numbers, long numbers, and the prepared names and
    /// `more_people` (the customer's own names).
    pub fn anonymise(&self, text: &str, more_people: &[String]) -> String {
        let text = emails(text);
        let text = numbers(&text);
        let extra = phrases_of(more_people, &[]);
        self.replace(&text, &extra)
    }

    fn replace(&self, text: &str, extra: &[(Vec<char>, &'static str)]) -> String {
        let chars: Vec<char> = text.chars().collect();
        let folded: Vec<char> = chars.iter().copied().map(fold).collect();
        let matches = |i: usize, phrase: &[char]| {
            let end = i + phrase.len();
            end <= folded.len()
                && folded[i..end] == *phrase
                && (end == chars.len() || !chars[end].is_alphanumeric())
        };
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < chars.len() {
            if i == 0 || !chars[i - 1].is_alphanumeric() {
                // The longest phrase matching here, from either list (each is longest first).
                let prepared = self
                    .by_first
                    .get(&folded[i])
                    .into_iter()
                    .flatten()
                    .map(|&k| &self.phrases[k])
                    .find(|(p, _)| matches(i, p));
                let own = extra.iter().find(|(p, _)| matches(i, p));
                let best = match (prepared, own) {
                    (Some(a), Some(b)) => Some(if b.0.len() > a.0.len() { b } else { a }),
                    (a, b) => a.or(b),
                };
                if let Some((phrase, label)) = best {
                    out.push_str(label);
                    i += phrase.len();
                    continue;
                }
            }
            out.push(chars[i]);
            i += 1;
        }
        out
    }
}

fn fold(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

fn push_phrase(out: &mut Vec<(Vec<char>, &'static str)>, phrase: &str, label: &'static str) {
    let chars: Vec<char> = phrase.trim().chars().map(fold).collect();
    if chars.iter().any(|c| c.is_alphanumeric()) {
        out.push((chars, label));
    }
}

fn emails(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (n, piece) in text.split(' ').enumerate() {
        if n > 0 {
            out.push(' ');
        }
        out.push_str(&email_in_word(piece));
    }
    out
}

fn email_in_word(word: &str) -> String {
    let is_part = |c: char| c.is_alphanumeric() || "._%+-@".contains(c);
    let Some(at) = word.find('@') else {
        return word.to_string();
    };
    let start = word[..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_part(*c))
        .last()
        .map_or(at, |(i, _)| i);
    let end = word[at..]
        .char_indices()
        .skip(1)
        .take_while(|(_, c)| is_part(*c) && *c != '@')
        .last()
        .map_or(at + 1, |(i, c)| at + i + c.len_utf8());
    // Trailing dots belong to the sentence.
    let core = word[start..end].trim_end_matches('.');
    let end = start + core.len();
    let (local, domain) = core.split_at(at - start);
    let domain = &domain[1..];
    if local.chars().any(char::is_alphanumeric)
        && domain.contains('.')
        && domain.split('.').all(|p| !p.is_empty())
    {
        format!("{}[email]{}", &word[..start], email_in_word(&word[end..]))
    } else {
        word.to_string()
    }
}

fn numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '#' && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
            let mut j = i + 1;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            out.push_str("[ticket]");
            i = j;
            continue;
        }
        let starts_run = c.is_ascii_digit()
            || ((c == '+' || c == '(') && chars.get(i + 1).is_some_and(char::is_ascii_digit));
        if starts_run && (i == 0 || !chars[i - 1].is_alphanumeric()) {
            // The longest run of phone characters that ends with a digit.
            let mut j = i;
            let mut last_digit = i;
            while j < chars.len() && (chars[j].is_ascii_digit() || " +-.()".contains(chars[j])) {
                if chars[j].is_ascii_digit() {
                    last_digit = j;
                }
                j += 1;
            }
            let run = &chars[i..=last_digit];
            let digits = run.iter().filter(|c| c.is_ascii_digit()).count();
            let glued = last_digit + 1 < chars.len() && chars[last_digit + 1].is_alphanumeric();
            if digits >= 7 && !glued {
                out.push_str("[phone]");
            } else {
                out.push_str(&long_numbers(run));
            }
            i = last_digit + 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// `run` with each group of 4 or more digits replaced by `[number]`.
fn long_numbers(run: &[char]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < run.len() {
        if run[i].is_ascii_digit() {
            let mut j = i;
            while j < run.len() && run[j].is_ascii_digit() {
                j += 1;
            }
            if j - i >= 4 {
                out.push_str("[number]");
            } else {
                out.extend(&run[i..j]);
            }
            i = j;
        } else {
            out.push(run[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::anonymise;

    fn people() -> Vec<String> {
        vec!["Maria Lopez".into(), "Dave O'Neil".into()]
    }

    fn facilities() -> Vec<String> {
        vec!["North County Jail".into(), "Acme Corrections".into()]
    }

    #[test]
    fn hand_written_comments_lose_every_identifier() {
        let cases = [
            (
                "Maria Lopez fixed it in an hour, thanks Maria!",
                "[name] fixed it in an hour, thanks [name]!",
            ),
            (
                "Email me at rosa.p+cc@example.org. Or call +1 (555) 010-2345.",
                "Email me at [email]. Or call [phone].",
            ),
            (
                "Ticket #40213 and 1234567 were both slow at north county jail.",
                "Ticket [ticket] and [phone] were both slow at [facility].",
            ),
            (
                "Order 98765 arrived; 3 of 12 units ok",
                "Order [number] arrived; 3 of 12 units ok",
            ),
            ("DAVE was great, O'Neil too", "[name] was great, [name] too"),
            ("Acme Corrections' kiosk", "[facility]' kiosk"),
            (
                "Mariachi music on hold, 5 stars",
                "Mariachi music on hold, 5 stars",
            ),
            ("call 555-1234 ext 12", "call [phone] ext 12"),
            ("<bob@mail.example.com>", "<[email]>"),
            ("not an email: a@b and @home", "not an email: a@b and @home"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                anonymise(input, &people(), &facilities()),
                expected,
                "{input}"
            );
        }
    }
}
