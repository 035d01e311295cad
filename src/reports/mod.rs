//! Reports built from the metrics: the award-nomination **evidence report** (issue 13; its
//! sections, figure ids and manifest are described in docs/REPORTS.md).
//!
//! ```text
//! params    EvidenceRequest → EvidenceParams (422 naming the field)
//! inputs    per-ticket, per-rating, per-work-order rows of the scope, one snapshot (SQL)
//! ticket_input  a ticket's inputs, packed, and the roles credited to the scope
//! evidence  inputs → EvidenceDocument: headline, monthly series, splits, testimonials,
//!           methodology, manifest (statistics from domain::inference only)
//! ratings   each ticket's rating as of `as_of`, with its sourcing at the solve and its quote
//! anonymise testimonials without names, emails, phone and ticket numbers, facilities
//! training  the training-effect section: completions, staff, facts → difference in differences
//! narrative the achievements list and the draft essay from the figures, and their checker
//! manifest  SHA-256 over the parameters and the canonical input lines
//! verify    recompute from the database and compare, figure by figure
//! csv       one row per figure
//! render    the HTML page (inline SVG charts) and the Markdown, from the JSON alone
//! store     the `reports` table
//! ```
//!
//! The JSON document is the source of every other format: the HTML and Markdown renderers, the
//! charts and the essay are written from it alone.

pub mod anonymise;
pub mod bakeoff;
pub mod csv;
pub mod document;
pub mod evidence;
pub mod inputs;
pub mod manifest;
pub mod narrative;
pub mod params;
pub mod ratings;
pub mod render;
pub mod sla_outcomes;
pub mod store;
pub mod ticket_input;
pub mod training;
pub mod verify;

pub use document::EvidenceDocument;
pub use evidence::{ReportError, build, generate};
pub use params::{EvidenceParams, EvidenceRequest};
