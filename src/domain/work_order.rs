//! Work orders and assets: the statuses, the state machine of a field visit and the pure rules
//! of scheduling (docs/METRICS.md §8, "Field service").
//!
//! ```text
//! scheduled ──dispatch──▶ dispatched ──▶ en_route ──▶ on_site ──▶ completed
//!     │                     │  ▲ (re-dispatch)  │          └──────▶ cannot_complete
//!     └──────────── cancelled ◀─────────────────┴── (from any open status)
//! ```
//!
//! A transition carries the instant it happened on the technician's device (`occurred_at`,
//! which may be earlier than its receipt when the phone was offline) and is accepted only when
//! that instant is not in the future and not before the work order's previous transition.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Defines a closed set of snake_case values with `as_str`, `parse` and `ALL`.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and serialised name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses a stored or serialised name.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The accepted names, comma-separated (for error messages).
            pub fn expected() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// Status of a work order.
    WorkOrderStatus {
        /// Created, not yet given to a technician.
        Scheduled => "scheduled",
        /// A technician and an arrival window are set.
        Dispatched => "dispatched",
        /// The technician is travelling to the site.
        EnRoute => "en_route",
        /// The technician arrived.
        OnSite => "on_site",
        /// The visit ended with the work done.
        Completed => "completed",
        /// The visit ended without the work done (a reason is recorded).
        CannotComplete => "cannot_complete",
        /// Called off before the visit ended.
        Cancelled => "cancelled",
    }
);

text_enum!(
    /// What kind of equipment an asset is.
    AssetKind {
        /// A phone in a housing unit.
        InmatePhone => "inmate_phone",
        /// A kiosk that takes payments for calls and commissary.
        PaymentKiosk => "payment_kiosk",
        /// A video-visitation terminal.
        VideoVisitationTerminal => "video_visitation_terminal",
        /// A tablet.
        Tablet => "tablet",
        /// Switches, routers, access points.
        NetworkGear => "network_gear",
        /// Anything else.
        Other => "other",
    }
);

text_enum!(
    /// Whether an asset is in use.
    AssetStatus {
        /// Installed and in use.
        InService => "in_service",
        /// Installed, not working or taken out of use.
        OutOfService => "out_of_service",
        /// Removed for good.
        Retired => "retired",
    }
);

text_enum!(
    /// Why a visit ended without the work done.
    CannotCompleteReason {
        /// The technician could not get into the facility or unit.
        NoAccess => "no_access",
        /// Parts are needed that the technician did not carry.
        PartsNeeded => "parts_needed",
        /// Nobody from the customer was there.
        CustomerAbsent => "customer_absent",
        /// Another reason (described in the notes).
        Other => "other",
    }
);

impl WorkOrderStatus {
    /// Not yet ended: `scheduled`, `dispatched`, `en_route` or `on_site`.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            WorkOrderStatus::Scheduled
                | WorkOrderStatus::Dispatched
                | WorkOrderStatus::EnRoute
                | WorkOrderStatus::OnSite
        )
    }

    /// The open statuses (for queries).
    pub const OPEN: [WorkOrderStatus; 4] = [
        WorkOrderStatus::Scheduled,
        WorkOrderStatus::Dispatched,
        WorkOrderStatus::EnRoute,
        WorkOrderStatus::OnSite,
    ];

    /// Whether the state machine allows `self → to`. Dispatch is allowed again from
    /// `dispatched` (a new technician or window before the technician sets off).
    pub fn allows(self, to: WorkOrderStatus) -> bool {
        use WorkOrderStatus::*;
        matches!(
            (self, to),
            (Scheduled | Dispatched, Dispatched)
                | (Dispatched, EnRoute)
                | (EnRoute, OnSite)
                | (OnSite, Completed | CannotComplete)
                | (Scheduled | Dispatched | EnRoute | OnSite, Cancelled)
        )
    }
}

/// A refused work-order transition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The state machine has no arrow `from → to`.
    #[error("a {from} work order cannot become {to}")]
    NotAllowed {
        /// Current status.
        from: WorkOrderStatus,
        /// Requested status.
        to: WorkOrderStatus,
    },
    /// The device instant is later than the receipt.
    #[error("is in the future (received at {now})")]
    InFuture {
        /// Receipt instant.
        now: DateTime<Utc>,
    },
    /// The device instant is before the previous transition.
    #[error("is before the work order's previous transition at {previous}")]
    BeforePrevious {
        /// Instant of the previous transition.
        previous: DateTime<Utc>,
    },
}

/// Checks a transition `from → to` reported at device instant `occurred_at` and received at
/// `now`, the previous transition having happened at `previous`. Equal instants are accepted.
///
/// # Errors
/// [`TransitionError`] naming what is refused.
pub fn check_transition(
    from: WorkOrderStatus,
    to: WorkOrderStatus,
    occurred_at: DateTime<Utc>,
    previous: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), TransitionError> {
    if !from.allows(to) {
        return Err(TransitionError::NotAllowed { from, to });
    }
    if occurred_at > now {
        return Err(TransitionError::InFuture { now });
    }
    if occurred_at < previous {
        return Err(TransitionError::BeforePrevious { previous });
    }
    Ok(())
}

/// The body of the internal note a `cannot_complete` of work order `id` leaves on its ticket.
pub fn cannot_complete_note(id: i64, reason: CannotCompleteReason, notes: Option<&str>) -> String {
    match notes {
        Some(n) => format!("Work order {id} could not be completed ({reason}): {n}"),
        None => format!("Work order {id} could not be completed ({reason})."),
    }
}

/// Whether two half-open intervals `[a_start, a_end)` and `[b_start, b_end)` overlap (touching
/// intervals do not).
pub fn overlaps(
    a_start: DateTime<Utc>,
    a_end: DateTime<Utc>,
    b_start: DateTime<Utc>,
    b_end: DateTime<Utc>,
) -> bool {
    a_start < b_end && b_start < a_end
}

#[cfg(test)]
mod tests {
    use super::*;
    use WorkOrderStatus::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_state_machine_has_exactly_its_arrows() {
        let allowed: Vec<(WorkOrderStatus, WorkOrderStatus)> = WorkOrderStatus::ALL
            .iter()
            .flat_map(|f| WorkOrderStatus::ALL.iter().map(move |t| (*f, *t)))
            .filter(|(f, t)| f.allows(*t))
            .collect();
        assert_eq!(
            allowed,
            vec![
                (Scheduled, Dispatched),
                (Scheduled, Cancelled),
                (Dispatched, Dispatched),
                (Dispatched, EnRoute),
                (Dispatched, Cancelled),
                (EnRoute, OnSite),
                (EnRoute, Cancelled),
                (OnSite, Completed),
                (OnSite, CannotComplete),
                (OnSite, Cancelled),
            ]
        );
        for ended in [Completed, CannotComplete, Cancelled] {
            assert!(!ended.is_open());
            assert!(WorkOrderStatus::ALL.iter().all(|t| !ended.allows(*t)));
        }
    }

    #[test]
    fn a_device_instant_is_accepted_from_the_previous_transition_to_now() {
        let previous = at("2026-03-02T10:00:00Z");
        let now = at("2026-03-02T12:00:00Z");
        assert_eq!(
            check_transition(Dispatched, EnRoute, previous, previous, now),
            Ok(())
        );
        assert_eq!(
            check_transition(Dispatched, EnRoute, now, previous, now),
            Ok(())
        );
        assert_eq!(
            check_transition(
                Dispatched,
                EnRoute,
                at("2026-03-02T09:59:59Z"),
                previous,
                now
            ),
            Err(TransitionError::BeforePrevious { previous })
        );
        assert_eq!(
            check_transition(
                Dispatched,
                EnRoute,
                at("2026-03-02T12:00:01Z"),
                previous,
                now
            ),
            Err(TransitionError::InFuture { now })
        );
        assert_eq!(
            check_transition(Scheduled, OnSite, now, previous, now),
            Err(TransitionError::NotAllowed {
                from: Scheduled,
                to: OnSite
            })
        );
    }

    #[test]
    fn touching_windows_do_not_overlap_and_a_window_inside_another_does() {
        let h = |hour: u32| at(&format!("2026-03-02T{hour:02}:00:00Z"));
        assert!(!overlaps(h(8), h(10), h(10), h(12)));
        assert!(!overlaps(h(10), h(12), h(8), h(10)));
        assert!(overlaps(h(8), h(12), h(9), h(10)));
        assert!(overlaps(h(9), h(10), h(8), h(12)));
        assert!(overlaps(h(8), h(11), h(10), h(12)));
    }

    #[test]
    fn names_round_trip() {
        for s in WorkOrderStatus::ALL {
            assert_eq!(WorkOrderStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(
            AssetKind::parse("inmate_phone"),
            Some(AssetKind::InmatePhone)
        );
        assert_eq!(AssetKind::parse("phone"), None);
        assert!(CannotCompleteReason::expected().contains("customer_absent"));
    }
}
