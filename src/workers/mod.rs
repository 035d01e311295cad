//! Background work inside the service process, safe with several copies of the service running:
//! workers coordinate only through PostgreSQL row locks (`FOR UPDATE SKIP LOCKED`).

pub mod auto_close;
pub mod sla;
