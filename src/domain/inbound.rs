//! Rules of inbound email (issue 12) on plain text, with no MIME in sight: the customer's own
//! words once quoted history and signature are gone ([`reply_text`]), the ticket number a subject
//! quotes ([`subject_ticket_number`]) and whether a message was sent by a machine
//! ([`machine_sent`]: a bounce, an auto-reply or a mailing list). `crate::notify::inbound` applies them to a parsed message.

/// Longest text kept from a message, characters: the limit of a comment (`POST
/// /tickets/{id}/comments`). A longer text is cut by [`clip_text`].
pub const MAX_TEXT: usize = 65_536;

/// What ends a text [`clip_text`] cut.
pub const TRUNCATED: &str = "\n\n[… message truncated]";

/// `text` as a comment stores it: line endings `\n`, no-break spaces as spaces (mail clients put
/// them in reply headers), no NUL or other control characters but tab and newline (PostgreSQL
/// text cannot hold NUL).
pub fn clean_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .map(|c| if c == '\u{a0}' { ' ' } else { c })
        .filter(|c| *c == '\n' || *c == '\t' || !c.is_control())
        .collect()
}

/// `text` cut to at most [`MAX_TEXT`] characters, ending with [`TRUNCATED`] when it was longer.
pub fn clip_text(text: String) -> String {
    if text.chars().count() <= MAX_TEXT {
        return text;
    }
    let keep = MAX_TEXT - TRUNCATED.chars().count();
    let mut cut: String = text.chars().take(keep).collect();
    cut.push_str(TRUNCATED);
    cut
}

/// The reply's own words in `text` (a message's text, already [`clean_text`]ed).
///
/// The text is cut at the first line that starts the quoted history or the signature:
/// - a reply header: `On <date>, <name> wrote:` (Gmail, Apple Mail, Thunderbird; also wrapped
///   onto a second line, as Gmail does with long names), and the same in French (`Le … a
///   écrit :`), German (`Am … schrieb …:`) and Spanish (`El … escribió:`);
/// - `-----Original Message-----` (Outlook, any number of dashes, any case);
/// - Outlook's header block: a line `From: …` followed within four lines by `Sent: …` or
///   `Date: …` (with the `_____` rule and blank lines just above it);
/// - a signature delimiter: the line `-- ` (RFC 3676), also `--` whose trailing space a client
///   dropped.
///
/// Then every line starting with `>` (quoted text) is removed — an answer written between
/// quoted lines stays — runs of blank lines become one blank line and the ends are trimmed.
/// When nothing is left (say, a message that is all quotation), the whole `text`, trimmed, is
/// the reply: stripping never turns a message into an empty comment.
pub fn reply_text(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let cut = (0..lines.len())
        .find(|&i| starts_history(&lines, i))
        .unwrap_or(lines.len());
    let mut end = cut;
    while end > 0 && is_rule_or_blank(lines[end - 1]) {
        end -= 1;
    }
    let mut kept = String::new();
    let mut blank_run = 0;
    for line in lines[..end]
        .iter()
        .filter(|l| !l.trim_start().starts_with('>'))
    {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    let kept = kept.trim();
    if kept.is_empty() {
        text.trim().to_string()
    } else {
        kept.to_string()
    }
}

/// Whether line `i` of `lines` starts the quoted history or the signature.
fn starts_history(lines: &[&str], i: usize) -> bool {
    let raw = lines[i];
    let line = raw.trim();
    if raw == "-- " || raw.trim_end() == "--" {
        return true;
    }
    if line.starts_with("--")
        && line.ends_with("--")
        && line
            .trim_matches('-')
            .trim()
            .eq_ignore_ascii_case("original message")
    {
        return true;
    }
    if opens_reply_header(line) {
        if closes_reply_header(line) {
            return true;
        }
        // Gmail wraps a long header: "On Tue, … Rosa Díaz <" / "rosa@example.com> wrote:".
        if lines
            .get(i + 1)
            .is_some_and(|next| closes_reply_header(next.trim()))
        {
            return true;
        }
    }
    if starts_with_ignore_case(line, "from:") {
        return lines.iter().skip(i + 1).take(4).any(|next| {
            let next = next.trim();
            starts_with_ignore_case(next, "sent:") || starts_with_ignore_case(next, "date:")
        });
    }
    false
}

/// `On …`, `Le …`, `Am …`, `El …`: how reply headers begin.
fn opens_reply_header(line: &str) -> bool {
    ["On ", "Le ", "Am ", "El "]
        .iter()
        .any(|p| line.starts_with(p))
}

/// `… wrote:`, `… a écrit :`, `… schrieb …:`, `… escribió:`: how reply headers end.
fn closes_reply_header(line: &str) -> bool {
    line.ends_with("wrote:")
        || line.ends_with("a écrit :")
        || line.ends_with("a écrit:")
        || (line.ends_with(':') && line.contains(" schrieb "))
        || line.ends_with("escribió:")
}

/// A blank line or a horizontal rule of underscores (Outlook draws one above its header block).
fn is_rule_or_blank(line: &str) -> bool {
    let line = line.trim();
    line.is_empty() || (line.len() >= 8 && line.chars().all(|c| c == '_'))
}

fn starts_with_ignore_case(line: &str, prefix: &str) -> bool {
    line.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// The ticket number a subject quotes: `[#N]` anywhere (how our messages' subjects carry it);
/// otherwise `#N` opening the subject after any reply or forward prefixes (`Re:`, `RE[2]:`,
/// `Fwd:`, `FW:`, `AW:`, `WG:`, `SV:`, `TR:`, `RV:`, `Antw:`), or `Ticket #N` anywhere (any
/// case). `None` when there is none, or N is not a whole number from 1 to 999,999,999,999,999,999.
pub fn subject_ticket_number(subject: &str) -> Option<i64> {
    let mut rest = subject;
    while let Some(at) = rest.find("[#") {
        rest = &rest[at + 2..];
        let digits = leading_digits(rest);
        if rest[digits.len()..].starts_with(']')
            && let Some(n) = number(digits)
        {
            return Some(n);
        }
    }
    if let Some(after) = strip_reply_prefixes(subject).strip_prefix('#')
        && let Some(n) = number_ending_a_word(after)
    {
        return Some(n);
    }
    // ASCII lower case keeps byte offsets.
    let lower = subject.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("ticket #") {
        let start = from + at;
        let word_start = lower[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after = &subject[start + "ticket #".len()..];
        if word_start && let Some(n) = number_ending_a_word(after) {
            return Some(n);
        }
        from = start + "ticket #".len();
    }
    None
}

/// `subject` without its leading reply and forward prefixes.
fn strip_reply_prefixes(subject: &str) -> &str {
    const PREFIXES: [&str; 10] = [
        "re", "fw", "fwd", "aw", "wg", "sv", "vs", "tr", "rv", "antw",
    ];
    let mut rest = subject.trim_start();
    while let Some(colon) = rest.find(':').filter(|c| *c <= 10) {
        let word = rest[..colon].trim_end();
        // "RE[2]" / "Re(2)": a counter some clients add.
        let word = word
            .split_once(['[', '('])
            .filter(|(_, counter)| {
                counter
                    .trim_end_matches([']', ')'])
                    .bytes()
                    .all(|b| b.is_ascii_digit())
            })
            .map_or(word, |(w, _)| w);
        if PREFIXES.iter().any(|p| word.eq_ignore_ascii_case(p)) {
            rest = rest[colon + 1..].trim_start();
        } else {
            break;
        }
    }
    rest
}

fn leading_digits(s: &str) -> &str {
    let end = s.bytes().take_while(u8::is_ascii_digit).count();
    &s[..end]
}

/// The number opening `s` when a non-alphanumeric character (or the end) follows it.
fn number_ending_a_word(s: &str) -> Option<i64> {
    let digits = leading_digits(s);
    let ends_word = s[digits.len()..]
        .chars()
        .next()
        .is_none_or(|c| !c.is_alphanumeric());
    if ends_word { number(digits) } else { None }
}

fn number(digits: &str) -> Option<i64> {
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    digits.parse::<i64>().ok().filter(|n| *n > 0)
}

/// Why a message counts as sent by a machine ([`machine_sent`]); the API's `ignored` reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineSent {
    /// A delivery-status notification: a bounce or a delay warning.
    Bounce,
    /// An automatic answer (out of office, vacation, read receipt) or mail from an address that
    /// takes no replies.
    AutoReply,
    /// Mail sent to a list: a mailing list, a newsletter, bulk mail.
    MailingList,
}

impl MachineSent {
    /// The API's name of the reason: `bounce`, `auto_reply` or `mailing_list`.
    pub fn as_str(self) -> &'static str {
        match self {
            MachineSent::Bounce => "bounce",
            MachineSent::AutoReply => "auto_reply",
            MachineSent::MailingList => "mailing_list",
        }
    }
}

/// Local parts of addresses that send bounces.
const BOUNCE_SENDERS: [&str; 2] = ["mailer-daemon", "postmaster"];

/// Local parts of addresses that take no replies.
const NO_REPLY_SENDERS: [&str; 4] = ["no-reply", "noreply", "do-not-reply", "donotreply"];

/// Headers autoresponders add (whatever their value, except for
/// `X-Auto-Response-Suppress: none`).
const AUTORESPONDER_HEADERS: [&str; 4] = [
    "X-Autoreply",
    "X-Autorespond",
    "X-Auto-Reply",
    "X-Auto-Response-Suppress",
];

/// Whether a message was sent by a machine, and why; `None` for a person's message. Such a
/// message is never written to a ticket: answering it (a "ticket received" notice) would start a
/// mail loop. `header(name)` is the raw value of the message's top-level header `name` (names
/// compare case-insensitively); `sender` is the `From` address. Values compare
/// case-insensitively, parameters after `;` ignored. In this order:
///
/// 1. [`MachineSent::Bounce`]: an empty `Return-Path: <>` (the null sender of delivery reports,
///    RFC 5321 §4.5.5); a sender whose local part is `mailer-daemon` or `postmaster`; a
///    `Content-Type: multipart/report` other than `report-type=disposition-notification`.
/// 2. [`MachineSent::AutoReply`]: `Auto-Submitted` other than `no` (RFC 3834); `Precedence:
///    junk` or `auto_reply`; any of `X-Autoreply`, `X-Autorespond`, `X-Auto-Reply`, or
///    `X-Auto-Response-Suppress` other than `none`; a read receipt (`multipart/report;
///    report-type=disposition-notification`); a sender whose local part (before any `+tag`) is
///    `no-reply`, `noreply`, `do-not-reply` or `donotreply`.
/// 3. [`MachineSent::MailingList`]: a `List-Id` or `List-Unsubscribe` header (RFC 2919, 2369);
///    `Precedence: bulk` or `list`.
pub fn machine_sent<'a>(
    header: impl Fn(&str) -> Option<&'a str>,
    sender: &str,
) -> Option<MachineSent> {
    let local = sender.rsplit_once('@').map_or(sender, |(l, _)| l);
    let local = local.split('+').next().unwrap_or_default();
    let precedence = header("Precedence").map(first_value);
    let report_type = header("Content-Type").and_then(|v| {
        (first_value(v) == "multipart/report").then(|| {
            parameter(v, "report-type")
                .unwrap_or_default()
                .to_ascii_lowercase()
        })
    });
    let null_return_path = header("Return-Path")
        .is_some_and(|v| v.chars().filter(|c| !c.is_whitespace()).collect::<String>() == "<>");
    if null_return_path
        || BOUNCE_SENDERS.iter().any(|s| local.eq_ignore_ascii_case(s))
        || report_type
            .as_deref()
            .is_some_and(|t| t != "disposition-notification")
    {
        return Some(MachineSent::Bounce);
    }
    let auto_submitted = header("Auto-Submitted")
        .map(first_value)
        .is_some_and(|v| !v.is_empty() && v != "no");
    let autoresponder = AUTORESPONDER_HEADERS.iter().any(|name| {
        header(name).is_some_and(|v| {
            !(name.eq_ignore_ascii_case("X-Auto-Response-Suppress")
                && matches!(first_value(v).as_str(), "" | "none"))
        })
    });
    if auto_submitted
        || autoresponder
        || matches!(precedence.as_deref(), Some("junk" | "auto_reply"))
        || report_type.is_some()
        || NO_REPLY_SENDERS
            .iter()
            .any(|s| local.eq_ignore_ascii_case(s))
    {
        return Some(MachineSent::AutoReply);
    }
    if header("List-Id").is_some()
        || header("List-Unsubscribe").is_some()
        || matches!(precedence.as_deref(), Some("bulk" | "list"))
    {
        return Some(MachineSent::MailingList);
    }
    None
}

/// A header value's first item (before any `;`), trimmed and in lower case.
fn first_value(v: &str) -> String {
    v.split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The value of parameter `name` (any case) of a header value `v` such as
/// `multipart/report; report-type="delivery-status"`, without quotes.
fn parameter<'v>(v: &'v str, name: &str) -> Option<&'v str> {
    v.split(';').skip(1).find_map(|p| {
        let (key, value) = p.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().trim_matches('"'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(text: &str) -> String {
        reply_text(&clean_text(text))
    }

    #[test]
    fn a_gmail_reply_keeps_only_the_new_text() {
        let text = "Thanks, the kiosk works again.\r\n\r\nRosa\r\n\r\nOn Tue, Dec 1, 2026 at 9:14\u{a0}AM Frontline Support <support@frontline.local> wrote:\r\n\r\n> Hello Rosa,\r\n>\r\n> We restarted the kiosk.\r\n";
        assert_eq!(reply(text), "Thanks, the kiosk works again.\n\nRosa");
    }

    #[test]
    fn a_wrapped_gmail_header_is_recognised() {
        let text = "Still broken.\n\nOn Tue, Dec 1, 2026 at 9:14 AM Frontline Support Desk of the County <\nsupport@frontline.local> wrote:\n> We restarted the kiosk.\n";
        assert_eq!(reply(text), "Still broken.");
    }

    #[test]
    fn apple_mail_and_thunderbird_headers_are_recognised() {
        let apple = "Yes, Tuesday is fine.\n\nSent from my iPhone\n\nOn Dec 1, 2026, at 09:14, Frontline Support <support@frontline.local> wrote:\n\n> Can the technician come on Tuesday?\n";
        assert_eq!(reply(apple), "Yes, Tuesday is fine.\n\nSent from my iPhone");
        let thunderbird = "It happened again at 10:05.\n\nOn 01/12/2026 09:14, Frontline Support wrote:\n> Please tell us when it happens.\n";
        assert_eq!(reply(thunderbird), "It happened again at 10:05.");
    }

    #[test]
    fn outlook_blocks_are_cut_with_their_rule() {
        let original = "Please close it.\r\n\r\n-----Original Message-----\r\nFrom: Frontline Support\r\nSent: Tuesday, December 1, 2026 9:14 AM\r\nSubject: [#12] Kiosk down\r\n\r\nHello Rosa,\r\n";
        assert_eq!(reply(original), "Please close it.");
        let block = "The part arrived.\n\n________________________________\nFrom: Frontline Support <support@frontline.local>\nSent: Tuesday, December 1, 2026 9:14 AM\nTo: Rosa Díaz <rosa@example.com>\nSubject: [#12] Kiosk down\n\nHello Rosa,\n";
        assert_eq!(reply(block), "The part arrived.");
        let mac = "Thanks!\n\nFrom: Frontline Support <support@frontline.local>\nDate: Tuesday, 1 December 2026 at 09:14\nTo: Rosa\n";
        assert_eq!(reply(mac), "Thanks!");
    }

    #[test]
    fn a_from_line_without_a_header_block_is_the_customers_text() {
        let text = "From: the north wing, phone 3 is dead.\nIt has been since Monday.\n\nThanks";
        assert_eq!(reply(text), text);
    }

    #[test]
    fn the_signature_is_dropped() {
        let text = "Works now.\n\n-- \nRosa Díaz\nCounty Jail, North\n";
        assert_eq!(reply(text), "Works now.");
        let trimmed = "Works now.\n--\nRosa";
        assert_eq!(reply(trimmed), "Works now.");
    }

    #[test]
    fn inline_answers_between_quoted_lines_stay() {
        let text = "> Is the screen on?\nNo, it is black.\n\n\n> Does the handset work?\nYes.\n";
        assert_eq!(reply(text), "No, it is black.\n\nYes.");
    }

    #[test]
    fn other_languages_reply_headers_are_recognised() {
        for header in [
            "Le mar. 1 déc. 2026 à 09:14, Frontline Support <support@frontline.local> a écrit :",
            "Am Di., 1. Dez. 2026 um 09:14 Uhr schrieb Frontline Support <support@frontline.local>:",
            "El mar, 1 dic 2026 a las 9:14, Frontline Support (<support@frontline.local>) escribió:",
        ] {
            let text = format!("Merci.\n\n{header}\n> Bonjour\n");
            assert_eq!(reply(&text), "Merci.", "{header}");
        }
    }

    #[test]
    fn a_message_that_is_all_quotation_keeps_its_text() {
        let text = "> Hello Rosa,\n> We restarted the kiosk.\n";
        assert_eq!(reply(text), "> Hello Rosa,\n> We restarted the kiosk.");
        let header_only =
            "On Tue, Dec 1, 2026 at 9:14 AM Frontline <support@frontline.local> wrote:\n> Hi\n";
        assert_eq!(reply(header_only), header_only.trim());
    }

    #[test]
    fn control_characters_and_line_endings_are_cleaned() {
        assert_eq!(clean_text("a\r\nb\rc\0d\u{7}\te"), "a\nb\ncd\te");
    }

    #[test]
    fn long_texts_are_clipped_to_a_comment() {
        let long = "é".repeat(MAX_TEXT + 10);
        let clipped = clip_text(long);
        assert_eq!(clipped.chars().count(), MAX_TEXT);
        assert!(clipped.ends_with(TRUNCATED));
        assert_eq!(clip_text("short".into()), "short");
    }

    #[test]
    fn subjects_name_their_ticket() {
        for (subject, number) in [
            ("Re: [#6118] Kiosk down", Some(6118)),
            ("[#7] Kiosk down", Some(7)),
            ("Kiosk down [#7]", Some(7)),
            ("Re: [#x] Kiosk [#42]", Some(42)),
            ("RE: Re: #6118 Kiosk down", Some(6118)),
            ("RE[2]: #15: still down", Some(15)),
            ("AW: WG: #15", Some(15)),
            ("#15", Some(15)),
            ("Ticket #15 is still open", Some(15)),
            ("Fwd: about ticket #15.", Some(15)),
            ("Re: Kiosk down", None),
            ("Room #15 phone is dead", None),
            ("Re: #15abc", None),
            ("Re: [#0] Kiosk", None),
            ("[#99999999999999999999] Kiosk", None),
            ("myticket #15", None),
            ("", None),
        ] {
            assert_eq!(subject_ticket_number(subject), number, "{subject:?}");
        }
    }

    /// [`machine_sent`] on headers given as `(name, value)` pairs.
    fn classify(headers: &[(&str, &str)], sender: &str) -> Option<&'static str> {
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        };
        machine_sent(header, sender).map(MachineSent::as_str)
    }

    #[test]
    fn auto_submitted_and_precedence_are_recognised() {
        let rosa = "rosa@example.com";
        for (headers, expected) in [
            (
                &[("Auto-Submitted", " auto-replied\r\n")][..],
                Some("auto_reply"),
            ),
            (
                &[("auto-submitted", "auto-generated; type=oof")],
                Some("auto_reply"),
            ),
            (&[("Auto-Submitted", "no")], None),
            (&[("Auto-Submitted", " No ")], None),
            (&[("Precedence", "bulk")], Some("mailing_list")),
            (&[("Precedence", "Auto_Reply")], Some("auto_reply")),
            (&[("Precedence", "junk")], Some("auto_reply")),
            (&[("Precedence", "list")], Some("mailing_list")),
            (&[("Precedence", "first-class")], None),
            (&[], None),
        ] {
            assert_eq!(classify(headers, rosa), expected, "{headers:?}");
        }
    }

    #[test]
    fn bounces_are_recognised() {
        let rosa = "rosa@example.com";
        assert_eq!(
            classify(&[("Return-Path", " <>\r\n")], rosa),
            Some("bounce")
        );
        assert_eq!(classify(&[("Return-Path", " < >")], rosa), Some("bounce"));
        assert_eq!(
            classify(&[("Return-Path", " <rosa@example.com>")], rosa),
            None
        );
        assert_eq!(
            classify(&[], "mailer-daemon@mx.example.org"),
            Some("bounce")
        );
        assert_eq!(
            classify(&[], "MAILER-DAEMON@mx.example.org"),
            Some("bounce")
        );
        assert_eq!(classify(&[], "postmaster@example.org"), Some("bounce"));
        let dsn = " multipart/report; report-type=delivery-status;\r\n\tboundary=\"b1\"";
        assert_eq!(classify(&[("Content-Type", dsn)], rosa), Some("bounce"));
        let quoted = "Multipart/Report; Report-Type=\"delivery-status\"";
        assert_eq!(classify(&[("Content-Type", quoted)], rosa), Some("bounce"));
        let mdn = "multipart/report; report-type=disposition-notification";
        assert_eq!(classify(&[("Content-Type", mdn)], rosa), Some("auto_reply"));
        assert_eq!(
            classify(&[("Content-Type", "multipart/mixed; boundary=b")], rosa),
            None
        );
    }

    #[test]
    fn autoresponder_headers_and_no_reply_senders_are_recognised() {
        let rosa = "rosa@example.com";
        for name in ["X-Autoreply", "x-autorespond", "X-Auto-Reply"] {
            assert_eq!(
                classify(&[(name, " yes")], rosa),
                Some("auto_reply"),
                "{name}"
            );
        }
        assert_eq!(
            classify(&[("X-Auto-Response-Suppress", " All")], rosa),
            Some("auto_reply")
        );
        assert_eq!(
            classify(&[("X-Auto-Response-Suppress", "OOF, AutoReply")], rosa),
            Some("auto_reply")
        );
        assert_eq!(
            classify(&[("X-Auto-Response-Suppress", " None")], rosa),
            None
        );
        for sender in [
            "noreply@shop.example",
            "No-Reply@shop.example",
            "do-not-reply@shop.example",
            "donotreply@shop.example",
            "noreply+orders@shop.example",
        ] {
            assert_eq!(classify(&[], sender), Some("auto_reply"), "{sender}");
        }
        assert_eq!(classify(&[], "noreplyer@example.com"), None);
        assert_eq!(classify(&[], "reply@example.com"), None);
    }

    #[test]
    fn mailing_lists_are_recognised() {
        let ann = "ann@example.com";
        assert_eq!(
            classify(
                &[("List-Id", " Kiosk users <kiosk.lists.example.org>")],
                ann
            ),
            Some("mailing_list")
        );
        assert_eq!(
            classify(
                &[("List-Unsubscribe", " <mailto:leave@lists.example.org>")],
                ann
            ),
            Some("mailing_list")
        );
    }
}
