//! Threading: every message about a ticket refers to the ticket's thread id, so mail clients
//! group them and a customer's reply carries the ticket back in `In-Reply-To` / `References`.
//!
//! - Thread id of ticket number N: `<ticket-N@DOMAIN>` (the `Message-ID` of the "ticket
//!   received" notice, and the `In-Reply-To` / `References` of every later message).
//! - `Message-ID` of outbox message M about ticket N: `<ticket-N.M@DOMAIN>`: stable across
//!   retries (derived from the row id), unique per message.
//!
//! `DOMAIN` is `email.message_id_domain`. A reference with another domain is not ours.

/// The thread id of ticket `number`, without angle brackets: `ticket-N@DOMAIN`.
pub fn thread_id(number: i64, domain: &str) -> String {
    format!("ticket-{number}@{domain}")
}

/// The `Message-ID` of outbox message `outbox_id` about ticket `number`, without angle
/// brackets: `ticket-N.M@DOMAIN`.
pub fn message_id(number: i64, outbox_id: i64, domain: &str) -> String {
    format!("ticket-{number}.{outbox_id}@{domain}")
}

/// The ticket number a message id of ours names (`ticket-N@DOMAIN` or `ticket-N.M@DOMAIN`, with
/// or without angle brackets, domain compared case-insensitively); `None` for anything else.
pub fn ticket_number(id: &str, domain: &str) -> Option<i64> {
    let id = id.trim();
    let id = id
        .strip_prefix('<')
        .and_then(|i| i.strip_suffix('>'))
        .unwrap_or(id);
    let (local, host) = id.rsplit_once('@')?;
    if !host.eq_ignore_ascii_case(domain) {
        return None;
    }
    let rest = local.strip_prefix("ticket-")?;
    let number = rest.split_once('.').map_or(rest, |(n, m)| {
        if m.is_empty() || !m.bytes().all(|b| b.is_ascii_digit()) {
            ""
        } else {
            n
        }
    });
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    number.parse().ok().filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_to_their_ticket_number() {
        let d = "frontline.local";
        assert_eq!(thread_id(6118, d), "ticket-6118@frontline.local");
        assert_eq!(message_id(6118, 42, d), "ticket-6118.42@frontline.local");
        assert_eq!(ticket_number(&thread_id(6118, d), d), Some(6118));
        assert_eq!(
            ticket_number("<ticket-6118.42@Frontline.LOCAL>", d),
            Some(6118)
        );
    }

    #[test]
    fn foreign_or_malformed_ids_name_no_ticket() {
        let d = "frontline.local";
        for id in [
            "ticket-6118@evil.example",
            "ticket-@frontline.local",
            "ticket-12a@frontline.local",
            "ticket-12.@frontline.local",
            "ticket-12.x@frontline.local",
            "ticket-0@frontline.local",
            "ticket-99999999999999999999@frontline.local",
            "CAFdb@mail.gmail.com",
            "",
        ] {
            assert_eq!(ticket_number(id, d), None, "{id}");
        }
    }
}
