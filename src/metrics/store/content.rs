//! [`Content`]: the rows of every ticket at one snapshot, kept up to date row by row, with the
//! contact-rate flags (`fcr.v1`, `repeat_contact.v1`) recomputed for the tickets a change can move.

use super::*;

fn created_of(r: &Row) -> i64 {
    r.created
}

fn solved_of(r: &Row) -> i64 {
    r.solved
}

impl Content {
    pub(super) fn empty() -> Content {
        // The sourcings and employment types are always known, so that a filter on one is
        // resolved even before any ticket has it.
        let mut labels = Interned::new();
        for v in SOURCINGS.iter().chain(EMPLOYMENT_TYPES) {
            labels.intern(Some((*v).to_string()));
        }
        Content {
            snapshot: String::new(),
            rows: Vec::new(),
            extras: HashMap::default(),
            holds: HashMap::default(),
            ids: Interned::new(),
            strings: Interned::new(),
            customs: Interned::new(),
            sources: Interned::new(),
            labels,
            attributions: Interned::new(),
            credits: Interned::new(),
            outcome_credits: Interned::new(),
            by_created: Vec::new(),
            by_solved: Vec::new(),
            fields: Vec::new(),
            next_visit: Vec::new(),
            surveys: Surveys::default(),
        }
    }

    /// Who `r`'s figures are credited to, and its current team and assignee.
    pub(super) fn attribution(&self, r: &Row) -> &Attribution {
        self.attributions
            .values
            .get(r.attribution as usize)
            .unwrap_or(&NOBODY)
    }

    /// The position of a ticket in `rows`.
    pub(super) fn position(&self, id: i64) -> Result<usize, usize> {
        self.rows.binary_search_by_key(&id, |r| r.ticket_id)
    }

    pub(super) fn extra(&self, r: &Row) -> Option<&Extra> {
        self.extras.get(&r.ticket_id)
    }

    /// `ticket_metrics.created_at` ([`NONE`] without a projection).
    pub(super) fn metrics_created(&self, r: &Row) -> i64 {
        if r.flags & flag::HAS_METRICS == 0 {
            NONE
        } else if r.flags & flag::EXTRA_CREATED != 0 {
            self.extra(r).map_or(NONE, |e| e.metrics_created)
        } else {
            r.created
        }
    }

    /// `ticket_metrics.latest_solved_at` ([`NONE`] without a projection).
    pub(super) fn latest(&self, r: &Row) -> i64 {
        if r.flags & (flag::HAS_METRICS | flag::EXTRA_LATEST) == flag::HAS_METRICS {
            r.solved
        } else {
            latest_of(r, self.extra(r))
        }
    }

    /// `ticket_metrics.reopens` (0 without a projection).
    pub(super) fn reopens(&self, r: &Row) -> i32 {
        match r.flags >> flag::REOPENS_SHIFT {
            flag::REOPENS_IN_EXTRA => self.extra(r).map_or(0, |e| e.reopens),
            n => n as i32,
        }
    }

    /// First reply and full resolution seconds in the basis `b` (0 calendar, 1 business).
    pub(super) fn durations(&self, r: &Row, b: usize) -> (i64, i64) {
        if r.flags & flag::EXTRA_DURATIONS != 0 {
            self.extra(r)
                .map_or((NONE, NONE), |e| (e.durations[b], e.durations[2 + b]))
        } else {
            (seconds(r.first_reply[b]), seconds(r.full_resolution[b]))
        }
    }

    /// Calls `f` with each SLA outcome of the row.
    pub(super) fn outcomes(&self, r: &Row, mut f: impl FnMut(Outcome)) {
        let n = (r.flags >> flag::OUTCOMES_SHIFT) & flag::OUTCOMES_MASK;
        if n == flag::OUTCOMES_IN_EXTRA {
            if let Some(e) = self.extra(r) {
                e.outcomes.iter().for_each(|&o| f(o));
            }
            return;
        }
        let credits = self
            .outcome_credits
            .value(r.outcome_credits)
            .copied()
            .unwrap_or([0; INLINE_OUTCOMES]);
        for (i, (&at, &credit)) in r
            .outcome_at
            .iter()
            .zip(&credits)
            .enumerate()
            .take(n as usize)
        {
            f(Outcome {
                at,
                kind: OutcomeKind::from_bits(r.flags >> (flag::KIND_SHIFT + 2 * i as u32)),
                credit,
            });
        }
    }

    /// What the first-contact and repeat-contact look-ups read of a ticket (theirs and their
    /// peers'): requester, data set, category, creation, latest solve (both columns).
    pub(super) fn relation(&self, r: &Row) -> (Group, i64, i64, i64) {
        (group_of(r), r.created, r.solved, self.latest(r))
    }

    pub(super) fn key_created(&self, p: u32) -> (Group, i64, i64) {
        let r = &self.rows[p as usize];
        (group_of(r), r.created, r.ticket_id)
    }

    pub(super) fn key_solved(&self, p: u32) -> (Group, i64, i64) {
        let r = &self.rows[p as usize];
        (group_of(r), r.solved, r.ticket_id)
    }

    /// The part of `list` (`by_created` or `by_solved`) holding one look-up group.
    pub(super) fn group<'a>(&self, list: &'a [u32], group: Group) -> &'a [u32] {
        let key = |p: &u32| group_of(&self.rows[*p as usize]);
        let lo = list.partition_point(|p| key(p) < group);
        let hi = lo + list[lo..].partition_point(|p| key(p) <= group);
        &list[lo..hi]
    }

    /// A ticket's (`first_contact`, `repeat_contact`) given its group's lists.
    pub(super) fn flags_of(&self, r: &Row, created: &[u32], solved: &[u32]) -> (bool, bool) {
        let (id, s, c) = (r.ticket_id, self.latest(r), r.created);
        let rows = &self.rows;
        (
            s == NONE
                || !ids_in(
                    rows,
                    created,
                    created_of,
                    s,
                    s.saturating_add(SEVEN_DAYS),
                    true,
                )
                .any(|other| other != id),
            ids_in(
                rows,
                solved,
                solved_of,
                c.saturating_sub(SEVEN_DAYS),
                c,
                false,
            )
            .any(|other| other != id),
        )
    }

    pub(super) fn set_flags(&mut self, p: usize, (first, repeat): (bool, bool)) {
        let r = &mut self.rows[p];
        r.flags &= !(flag::FIRST_CONTACT | flag::REPEAT_CONTACT);
        if first {
            r.flags |= flag::FIRST_CONTACT;
        }
        if repeat {
            r.flags |= flag::REPEAT_CONTACT;
        }
    }

    /// Recomputes one ticket's `first_contact` and `repeat_contact`.
    pub(super) fn relate_one(&mut self, id: i64) {
        let Ok(p) = self.position(id) else { return };
        let r = self.rows[p];
        let flags = if r.requester_id == NONE {
            (true, false)
        } else {
            let group = group_of(&r);
            let created = self.group(&self.by_created, group);
            let solved = self.group(&self.by_solved, group);
            self.flags_of(&r, created, solved)
        };
        self.set_flags(p, flags);
    }

    /// Recomputes every ticket's flags (a full load): group by group, walking both lists.
    pub(super) fn relate_all(&mut self) {
        let mut flags: Vec<(usize, (bool, bool))> = Vec::new();
        let (created, solved) = (&self.by_created, &self.by_solved);
        let group_of = |p: u32| group_of(&self.rows[p as usize]);
        let (mut i, mut j) = (0, 0);
        while i < created.len() {
            let g = group_of(created[i]);
            let end = i + created[i..].partition_point(|&p| group_of(p) == g);
            while j < solved.len() && group_of(solved[j]) < g {
                j += 1;
            }
            let solved_end = j + solved[j..].partition_point(|&p| group_of(p) == g);
            for &p in &created[i..end] {
                let r = &self.rows[p as usize];
                flags.push((
                    p as usize,
                    self.flags_of(r, &created[i..end], &solved[j..solved_end]),
                ));
            }
            i = end;
            j = solved_end;
        }
        for (p, f) in flags {
            self.set_flags(p, f);
        }
    }

    /// Sorts positions by a key through a compact copy (cache-friendly on a full load).
    pub(super) fn sorted(
        &self,
        positions: Vec<u32>,
        key: fn(&Content, u32) -> (Group, i64, i64),
    ) -> Vec<u32> {
        let mut keyed: Vec<((Group, i64, i64), u32)> =
            positions.into_iter().map(|p| (key(self, p), p)).collect();
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, p)| p).collect()
    }

    /// `rows` as the whole content (a full load, ascending by id): the look-up lists are
    /// sorted once, then every ticket's flags computed.
    pub(super) fn build(&mut self, rows: Vec<Row>) {
        self.rows = rows;
        self.rows.shrink_to_fit();
        let with_requester: Vec<u32> = (0..self.rows.len())
            .filter(|&p| self.rows[p].requester_id != NONE)
            .map(|p| p as u32)
            .collect();
        let with_solve: Vec<u32> = with_requester
            .iter()
            .copied()
            .filter(|&p| self.rows[p as usize].solved != NONE)
            .collect();
        self.by_created = self.sorted(with_requester, Content::key_created);
        self.by_solved = self.sorted(with_solve, Content::key_solved);
        self.extras.shrink_to_fit();
        self.holds.shrink_to_fit();
        self.relate_all();
    }

    /// Merges `new` (positions, sorted by `key`) into `list`.
    pub(super) fn merge(
        &self,
        list: &mut Vec<u32>,
        new: Vec<u32>,
        key: fn(&Content, u32) -> (Group, i64, i64),
    ) {
        if new.is_empty() {
            return;
        }
        let new = self.sorted(new, key);
        let old = std::mem::take(list);
        let mut out = Vec::with_capacity(old.len() + new.len());
        let (mut a, mut b) = (old.into_iter().peekable(), new.into_iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(&x), Some(&y)) => {
                    if key(self, x) <= key(self, y) {
                        a.next()
                    } else {
                        b.next()
                    }
                }
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            out.extend(next);
        }
        *list = out;
    }

    /// Replaces (or adds) the tickets of `loaded` and removes `gone`, keeping the look-up lists
    /// and the contact flags.
    pub(super) fn apply(&mut self, loaded: Vec<Packed>, gone: &[i64]) {
        // What changed for the look-ups: (group, ticket, creation, solve) of the old and the new
        // version of each ticket whose relation changed.
        let mut touched: Vec<Touch> = Vec::new();
        // Positions whose list entries go (relation changed, or removed); ids whose entries
        // come (relation changed, or new).
        let mut unlink: std::collections::HashSet<u32, foldhash::fast::RandomState> =
            Default::default();
        let mut relink: Vec<i64> = Vec::new();
        let mut inserts: Vec<Packed> = Vec::new();
        for mut p in loaded {
            let id = p.row.ticket_id;
            match self.position(id) {
                Ok(i) => {
                    let old = self.rows[i];
                    if self.relation(&old) == p.relation() {
                        // Most writes (a reply, a note, an assignment) leave what the look-ups
                        // read unchanged: the flags carry over.
                        let keep = flag::FIRST_CONTACT | flag::REPEAT_CONTACT;
                        p.row.flags = (p.row.flags & !keep) | (old.flags & keep);
                    } else {
                        touched.extend([Touch::of(&p.row), Touch::of(&old)].into_iter().flatten());
                        if old.requester_id != NONE {
                            unlink.insert(i as u32);
                        }
                        if p.row.requester_id != NONE {
                            relink.push(id);
                        }
                    }
                    self.rows[i] = p.row;
                    self.set_beside(id, p.extra, p.hold);
                }
                Err(_) => {
                    touched.extend(Touch::of(&p.row));
                    if p.row.requester_id != NONE {
                        relink.push(id);
                    }
                    inserts.push(p);
                }
            }
        }
        let mut removals: Vec<usize> = Vec::new();
        for &id in gone {
            if let Ok(i) = self.position(id) {
                let old = self.rows[i];
                touched.extend(Touch::of(&old));
                if old.requester_id != NONE {
                    unlink.insert(i as u32);
                }
                removals.push(i);
                self.set_beside(id, None, None);
            }
        }
        if !unlink.is_empty() {
            self.by_created.retain(|p| !unlink.contains(p));
            self.by_solved.retain(|p| !unlink.contains(p));
        }
        inserts.sort_by_key(|p| p.row.ticket_id);
        let last = self.rows.last().map_or(i64::MIN, |r| r.ticket_id);
        if removals.is_empty() && inserts.first().is_none_or(|p| p.row.ticket_id > last) {
            // New tickets come after the others (the common case): positions stay.
            for p in inserts {
                self.set_beside(p.row.ticket_id, p.extra, p.hold);
                self.rows.push(p.row);
            }
        } else {
            // Out of id order (a transaction that committed late) or removals: merge, and move
            // the list entries to the new positions (their order is unchanged).
            removals.sort_unstable();
            let old = std::mem::take(&mut self.rows);
            let mut remap = vec![u32::MAX; old.len()];
            let mut rows = Vec::with_capacity(old.len() + inserts.len());
            let mut new = inserts.into_iter().peekable();
            let mut removed = removals.into_iter().peekable();
            for (i, r) in old.into_iter().enumerate() {
                while let Some(p) = new.next_if(|p| p.row.ticket_id < r.ticket_id) {
                    self.set_beside(p.row.ticket_id, p.extra, p.hold);
                    rows.push(p.row);
                }
                if removed.next_if_eq(&i).is_some() {
                    continue;
                }
                remap[i] = rows.len() as u32;
                rows.push(r);
            }
            for p in new {
                self.set_beside(p.row.ticket_id, p.extra, p.hold);
                rows.push(p.row);
            }
            self.rows = rows;
            for list in [&mut self.by_created, &mut self.by_solved] {
                for p in list.iter_mut() {
                    *p = remap[*p as usize];
                }
            }
        }
        let positions: Vec<u32> = relink
            .iter()
            .filter_map(|&id| self.position(id).ok())
            .map(|p| p as u32)
            .collect();
        let solved: Vec<u32> = positions
            .iter()
            .copied()
            .filter(|&p| self.rows[p as usize].solved != NONE)
            .collect();
        let mut list = std::mem::take(&mut self.by_created);
        self.merge(&mut list, positions, Content::key_created);
        self.by_created = list;
        let mut list = std::mem::take(&mut self.by_solved);
        self.merge(&mut list, solved, Content::key_solved);
        self.by_solved = list;
        // The tickets whose flags a change can move: the changed ticket itself; those whose
        // 7-day window after their latest solve holds the changed creation (latest solve in
        // `[created − 7 days, created)`); those whose window before their creation holds the
        // changed solve (creation in `(solved, solved + 7 days]`).
        let mut ids: Vec<i64> = Vec::new();
        for t in &touched {
            ids.push(t.ticket_id);
            let group = self.group(&self.by_created, t.group);
            if t.created != NONE {
                let (from, to) = (t.created.saturating_sub(SEVEN_DAYS), t.created);
                ids.extend(
                    group
                        .iter()
                        .map(|&p| &self.rows[p as usize])
                        .filter_map(|r| {
                            let l = self.latest(r);
                            (l != NONE && l >= from && l < to).then_some(r.ticket_id)
                        }),
                );
            }
            if t.solved != NONE {
                ids.extend(ids_in(
                    &self.rows,
                    group,
                    created_of,
                    t.solved,
                    t.solved.saturating_add(SEVEN_DAYS),
                    true,
                ));
            }
        }
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            self.relate_one(id);
        }
    }

    /// Sets (or clears) what a ticket keeps beside its row.
    pub(super) fn set_beside(
        &mut self,
        id: i64,
        extra: Option<Extra>,
        hold: Option<Box<[(u32, i64)]>>,
    ) {
        match extra {
            Some(e) => {
                self.extras.insert(id, e);
            }
            None => {
                self.extras.remove(&id);
            }
        }
        match hold {
            Some(h) => {
                self.holds.insert(id, h);
            }
            None => {
                self.holds.remove(&id);
            }
        }
    }

    /// Approximate bytes the content holds on the heap (rows, lists, side tables), logged at a
    /// full load and checked by the tests.
    pub(super) fn heap_bytes(&self) -> usize {
        let map = |entries: usize, entry: usize| entries * (entry + 1) * 8 / 7;
        self.rows.capacity() * std::mem::size_of::<Row>()
            + (self.by_created.capacity() + self.by_solved.capacity()) * 4
            + self.field_heap_bytes()
            + self.survey_heap_bytes()
            + map(self.extras.capacity(), std::mem::size_of::<(i64, Extra)>())
            + self
                .extras
                .values()
                .map(|e| e.outcomes.len() * 16)
                .sum::<usize>()
            + map(self.holds.capacity(), 24)
            + self.holds.values().map(|h| h.len() * 16).sum::<usize>()
            + self.ids.values.capacity() * 8
            + map(self.ids.index.capacity(), 16)
            + self
                .strings
                .values
                .iter()
                .map(|s| 24 + s.capacity() * 2)
                .sum::<usize>()
            + map(self.strings.index.capacity(), 28)
            + self
                .customs
                .values
                .iter()
                .map(|s| 24 + s.capacity() * 2)
                .sum::<usize>()
            + map(self.customs.index.capacity(), 28)
            + self.attributions.values.capacity() * std::mem::size_of::<Attribution>()
            + map(
                self.attributions.index.capacity(),
                std::mem::size_of::<Attribution>() + 4,
            )
            + self.credits.values.capacity() * std::mem::size_of::<OutcomeCredit>()
            + map(
                self.credits.index.capacity(),
                std::mem::size_of::<OutcomeCredit>() + 4,
            )
            + self.outcome_credits.values.capacity() * 16
            + map(self.outcome_credits.index.capacity(), 16 + 2)
    }
}
