//! Packing and unpacking a ticket's store row (fixed 120 bytes, rare values in side tables),
//! the per-requester contact look-ups, and the interning of dimension values.

use super::*;

impl OutcomeKind {
    pub(super) fn from_bits(bits: u32) -> OutcomeKind {
        match bits & 3 {
            1 => OutcomeKind::Achieved,
            2 => OutcomeKind::Breached,
            _ => OutcomeKind::BreachedIfDue,
        }
    }
}

impl Packed {
    pub(super) fn of(u: Unpacked) -> Packed {
        let small = |v: i64| {
            if v == NONE {
                Some(NO_SECONDS)
            } else {
                i32::try_from(v).ok().filter(|&s| s != NO_SECONDS)
            }
        };
        let durations = [
            u.first_reply[0],
            u.first_reply[1],
            u.full_resolution[0],
            u.full_resolution[1],
        ];
        let packed: Option<Vec<i32>> = durations.iter().map(|&d| small(d)).collect();
        let mut extra = Extra::default();
        let mut needs_extra = false;
        let mut flags = 0;
        let mut set = |bit: u32, on: bool| {
            if on {
                flags |= bit;
            }
        };
        set(flag::HAS_METRICS, u.has_metrics);
        set(flag::REOPENED, u.reopens > 0);
        set(flag::ONE_TOUCH_SET, u.one_touch.is_some());
        set(flag::ONE_TOUCH, u.one_touch == Some(true));
        set(flag::STRICT_SET, u.one_touch_strict.is_some());
        set(flag::STRICT, u.one_touch_strict == Some(true));
        set(flag::FCR_CANDIDATE, u.fcr_candidate);
        set(flag::FIRST_CONTACT, true);
        set(flag::HOLD, !u.on_hold.is_empty());
        match u32::try_from(u.reopens) {
            Ok(n) if n < flag::REOPENS_IN_EXTRA => flags |= n << flag::REOPENS_SHIFT,
            _ => {
                flags |= flag::REOPENS_IN_EXTRA << flag::REOPENS_SHIFT;
                extra.reopens = u.reopens;
                needs_extra = true;
            }
        }
        if u.has_metrics && u.metrics_created != u.created {
            flags |= flag::EXTRA_CREATED;
            extra.metrics_created = u.metrics_created;
            needs_extra = true;
        }
        if u.has_metrics && u.latest_solved != u.solved {
            flags |= flag::EXTRA_LATEST;
            extra.latest_solved = u.latest_solved;
            needs_extra = true;
        }
        let [a, b, c, d] = match packed.as_deref() {
            Some(&[a, b, c, d]) => [a, b, c, d],
            _ => {
                flags |= flag::EXTRA_DURATIONS;
                extra.durations = durations;
                needs_extra = true;
                [NO_SECONDS; 4]
            }
        };
        let mut outcome_at = [NONE; INLINE_OUTCOMES];
        let outcome_credits = u.outcome_credits.unwrap_or(0);
        if u.outcomes.len() > INLINE_OUTCOMES || u.outcome_credits.is_none() {
            flags |= flag::OUTCOMES_IN_EXTRA << flag::OUTCOMES_SHIFT;
            extra.outcomes = u.outcomes.into_boxed_slice();
            needs_extra = true;
        } else {
            flags |= (u.outcomes.len() as u32) << flag::OUTCOMES_SHIFT;
            for (i, o) in u.outcomes.iter().enumerate() {
                outcome_at[i] = o.at;
                flags |= (o.kind as u32) << (flag::KIND_SHIFT + 2 * i as u32);
            }
        }
        Packed {
            row: Row {
                ticket_id: u.ticket_id,
                requester_id: u.requester_id,
                created: u.created,
                solved: u.solved,
                first_reply_at: if u.has_metrics {
                    u.first_reply_at
                } else {
                    NONE
                },
                outcome_at,
                first_reply: [a, b],
                full_resolution: [c, d],
                attribution: u.attribution,
                organization: u.organization,
                site: u.site,
                source: u.source,
                category: u.category,
                flags,
                channel: u.channel,
                priority: u.priority,
                custom: u.custom,
                outcome_credits,
            },
            extra: needs_extra.then_some(extra),
            hold: (!u.on_hold.is_empty()).then_some(u.on_hold),
        }
    }

    /// What the look-ups read of this ticket (see [`Content::relation`]).
    pub(super) fn relation(&self) -> (Group, i64, i64, i64) {
        let r = &self.row;
        (
            group_of(r),
            r.created,
            r.solved,
            latest_of(r, self.extra.as_ref()),
        )
    }
}

/// `ticket_metrics.latest_solved_at` of a row whose extra is `extra`.
pub(super) fn latest_of(r: &Row, extra: Option<&Extra>) -> i64 {
    if r.flags & flag::HAS_METRICS == 0 {
        NONE
    } else if r.flags & flag::EXTRA_LATEST != 0 {
        extra.map_or(NONE, |e| e.latest_solved)
    } else {
        r.solved
    }
}

pub(super) fn seconds(v: i32) -> i64 {
    if v == NO_SECONDS { NONE } else { i64::from(v) }
}

impl Touch {
    pub(super) fn of(r: &Row) -> Option<Touch> {
        (r.requester_id != NONE).then_some(Touch {
            group: group_of(r),
            ticket_id: r.ticket_id,
            created: r.created,
            solved: r.solved,
        })
    }
}

/// The ticket ids of `list` (positions in `rows`, ascending by `at` then id) with an instant in
/// `(after, until]` when `open_start`, else `[after, until)`.
pub(super) fn ids_in<'a>(
    rows: &'a [Row],
    list: &'a [u32],
    at: fn(&Row) -> i64,
    after: i64,
    until: i64,
    open_start: bool,
) -> impl Iterator<Item = i64> + 'a {
    let of = move |p: &u32| at(&rows[*p as usize]);
    let start = if open_start {
        list.partition_point(|p| of(p) <= after)
    } else {
        list.partition_point(|p| of(p) < after)
    };
    list[start..]
        .iter()
        .take_while(move |p| {
            if open_start {
                of(p) <= until
            } else {
                of(p) < until
            }
        })
        .map(|p| rows[*p as usize].ticket_id)
}

impl<T: std::hash::Hash + Eq + Clone + Default, I: Copy + TryFrom<usize> + Into<u32> + From<u8>>
    Interned<T, I>
{
    pub(super) fn new() -> Self {
        Interned {
            values: vec![T::default()],
            index: HashMap::default(),
        }
    }

    /// The index of `v` (0 for `None`), added when new. A full table (past 255 channels or
    /// priorities, enums of five and four values) would give 0.
    pub(super) fn intern(&mut self, v: Option<T>) -> I {
        let zero = I::from(0);
        let Some(v) = v else {
            return zero;
        };
        if let Some(&i) = self.index.get(&v) {
            return i;
        }
        match I::try_from(self.values.len()) {
            Ok(i) => {
                self.values.push(v.clone());
                self.index.insert(v, i);
                i
            }
            Err(_) => zero,
        }
    }

    pub(super) fn get(&self, v: &T) -> Option<I> {
        self.index.get(v).copied()
    }

    pub(super) fn value(&self, i: I) -> Option<&T> {
        let i: u32 = i.into();
        (i != 0).then(|| &self.values[i as usize])
    }
}
