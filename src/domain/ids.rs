//! Typed ids: a ticket id cannot be passed where a user id is expected. Each wraps the table's
//! `BIGINT` primary key; serialised as the bare number.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// Wraps a primary key.
            pub const fn new(id: i64) -> Self {
                $name(id)
            }

            /// The primary key.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }
    };
}

id_type!(
    /// `tickets.id`.
    TicketId
);
id_type!(
    /// `users.id`: a staff member (agent, manager, admin, technician).
    UserId
);
id_type!(
    /// `organizations.id`: a customer institution.
    OrganizationId
);
id_type!(
    /// `sites.id`: a place technicians visit.
    SiteId
);
id_type!(
    /// `customers.id`: a requester.
    CustomerId
);
id_type!(
    /// `teams.id`.
    TeamId
);
id_type!(
    /// `assets.id`: a piece of equipment at a site.
    AssetId
);
id_type!(
    /// `work_orders.id`: a field visit.
    WorkOrderId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_serialises_as_its_number_and_round_trips() {
        let id = TicketId::new(42);
        assert_eq!(serde_json::to_string(&id).unwrap(), "42");
        assert_eq!(serde_json::from_str::<TicketId>("42").unwrap(), id);
        assert_eq!(i64::from(id), 42);
        assert_eq!(id.to_string(), "42");
    }
}
