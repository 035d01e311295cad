//! Customer email (issue 12): what a change tells a customer, and how it gets there.
//!
//! - [`notice`]: the [`notice::Notice`] a ticket change queues, with everything its templates
//!   need captured at the change (an outbox row's `data`).
//! - [`thread`]: `Message-ID`s, and the ticket a reply's `In-Reply-To` / `References` point to.
//! - [`links`]: signed, expiring, single-purpose tokens of survey and unsubscribe links.
//! - [`inbound`]: a customer's email, as `POST /api/v1/inbound/email` receives it, parsed.
//!
//! The ticket use cases write outbox rows in their own transaction ([`crate::tickets::notify`]);
//! the outbox worker ([`crate::workers::outbox`]) claims, renders and sends them.

pub mod inbound;
pub mod links;
pub mod notice;
pub mod render;
pub mod thread;
pub mod transport;
