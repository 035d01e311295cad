//! Importers of outside history. Each goes through the same domain code as the API (the ticket
//! aggregate, the event log and the metric projection), so imported tickets obey the same rules
//! and give the same metrics as tickets made through the API.

pub mod event_log;
pub mod mapping;
