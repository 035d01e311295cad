//! What the store holds: its tickets and the heap bytes of each part (`tests/api/metrics_store.rs`
//! keeps them to their aims; monitoring reports them).

use super::*;

impl MetricsStore {
    /// Tickets held (0 before the first read).
    pub fn len(&self) -> usize {
        self.content.read().as_ref().map_or(0, |c| c.rows.len())
    }

    /// Approximate bytes the store holds on the heap (0 before the first read): packed rows,
    /// look-up lists and side tables, with hash tables at their capacity.
    pub fn heap_bytes(&self) -> usize {
        self.content.read().as_ref().map_or(0, Content::heap_bytes)
    }

    /// The part of [`MetricsStore::heap_bytes`] that holds work orders, and how many it holds.
    pub fn field_heap_bytes(&self) -> (usize, usize) {
        self.content
            .read()
            .as_ref()
            .map_or((0, 0), |c| (c.field_heap_bytes(), c.fields.len()))
    }

    /// The part of [`MetricsStore::heap_bytes`] that holds surveys, with the surveys (sent or
    /// answered) and the ratings it holds.
    pub fn survey_heap_bytes(&self) -> (usize, usize, usize) {
        self.content.read().as_ref().map_or((0, 0, 0), |c| {
            (
                c.survey_heap_bytes(),
                c.surveys.held.len(),
                c.surveys.ratings.len(),
            )
        })
    }

    /// Distinct attributions held (`Attribution`: one per combination of current team and
    /// assignee, the credits of creation, first reply and latest solve and those of the inline
    /// SLA outcomes), and their bytes with those of the distinct SLA outcome credits.
    pub fn attribution_heap_bytes(&self) -> (usize, usize) {
        self.content.read().as_ref().map_or((0, 0), |c| {
            (
                c.attributions.values.len(),
                c.attributions.values.capacity() * std::mem::size_of::<Attribution>()
                    + c.attributions.index.capacity()
                        * (std::mem::size_of::<Attribution>() + 5)
                        * 8
                        / 7
                    + c.credits.values.capacity() * std::mem::size_of::<OutcomeCredit>()
                    + c.credits.index.capacity() * (std::mem::size_of::<OutcomeCredit>() + 5) * 8
                        / 7
                    + c.outcome_credits.values.capacity() * 16
                    + c.outcome_credits.index.capacity() * (16 + 3) * 8 / 7,
            )
        })
    }

    /// True before the first read or when there is no ticket.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
