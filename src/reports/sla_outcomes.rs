//! A ticket's SLA outcomes as an evidence report reads them ([`SlaOutcomes`]), packed: eight
//! bytes each, four inline, so that a million tickets' outcomes are neither a million
//! allocations nor 72 bytes a ticket.

use super::inputs::Sourcing;
use smallvec::SmallVec;

/// A ticket's SLA outcomes credited to the scope, each `(instant, achieved, sourcing)`: whole
/// seconds since the epoch (UTC), whether the clock was achieved, and the sourcing of the team
/// credited at the instant (docs/METRICS.md §7). Kept in the order given.
///
/// Each is one `i64`: the instant shifted left by three bits, then `achieved` and the sourcing
/// (two bits). PostgreSQL's instants (years 4713 BC to 294276 AD, about 2^43 seconds) fit with
/// room to spare.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SlaOutcomes(SmallVec<[i64; 4]>);

fn pack((at, achieved, sourcing): (i64, bool, Option<Sourcing>)) -> i64 {
    let sourcing = match sourcing {
        None => 0,
        Some(Sourcing::InHouse) => 1,
        Some(Sourcing::Outsourced) => 2,
    };
    (at << 3) | (i64::from(achieved) << 2) | sourcing
}

fn unpack(v: i64) -> (i64, bool, Option<Sourcing>) {
    let sourcing = match v & 3 {
        1 => Some(Sourcing::InHouse),
        2 => Some(Sourcing::Outsourced),
        _ => None,
    };
    // An arithmetic shift: instants before 1970 come back negative.
    (v >> 3, v & 4 != 0, sourcing)
}

impl SlaOutcomes {
    /// The outcomes, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (i64, bool, Option<Sourcing>)> + Clone {
        self.0.iter().map(|v| unpack(*v))
    }

    /// No outcome.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The outcomes as a list.
    pub fn to_vec(&self) -> Vec<(i64, bool, Option<Sourcing>)> {
        self.iter().collect()
    }
}

impl FromIterator<(i64, bool, Option<Sourcing>)> for SlaOutcomes {
    fn from_iter<I: IntoIterator<Item = (i64, bool, Option<Sourcing>)>>(iter: I) -> Self {
        SlaOutcomes(iter.into_iter().map(pack).collect())
    }
}

impl From<Vec<(i64, bool, Option<Sourcing>)>> for SlaOutcomes {
    fn from(v: Vec<(i64, bool, Option<Sourcing>)>) -> Self {
        v.into_iter().collect()
    }
}

impl std::fmt::Debug for SlaOutcomes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_come_back_as_given_before_1970_and_far_ahead_too() {
        let given = vec![
            (-86_400 * 365 * 100 - 1, true, Some(Sourcing::InHouse)),
            (0, false, None),
            (1_767_225_600, true, Some(Sourcing::Outsourced)),
            // 294276 AD, PostgreSQL's last instant.
            (9_224_318_015_999, false, Some(Sourcing::InHouse)),
            (1_767_225_601, true, None),
        ];
        let packed: SlaOutcomes = given.clone().into();
        assert_eq!(packed.len(), 5);
        assert_eq!(packed.to_vec(), given);
        assert!(SlaOutcomes::default().is_empty());
        assert_eq!(
            format!("{:?}", SlaOutcomes::from(vec![(5, true, None)])),
            "[(5, true, None)]"
        );
        assert_eq!(std::mem::size_of::<SlaOutcomes>(), 40);
    }
}
