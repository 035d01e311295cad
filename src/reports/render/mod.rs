//! The evidence report's HTML and Markdown renderings, written from its JSON document alone.
//!
//! ```text
//! model     the document read back from its JSON (owned types)
//! format    numbers and dates for people: 1 h 23 min, 87.5 %, 1,234, 1 January 2026
//! charts    one SVG line chart per monthly series (plotters' SVG backend); the dashboard's
//!           daily trend charts too
//! page      what both renderings print, in order, already formatted
//! html      templates/reports/evidence.html: one self-contained, printable page
//! markdown  GitHub-flavoured Markdown, the monthly series as tables
//! ```
//!
//! Both renderings are pure functions of the document: no clock, no map, no locale; the same
//! document gives the same bytes. [`html`] and [`html_from_json`] (the stored bytes) give the
//! same page, as do [`markdown`] and [`markdown_from_json`].

pub mod charts;
pub(crate) mod format;
mod html;
mod markdown;
pub(crate) mod model;
mod page;

use super::document::EvidenceDocument;

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The JSON is not an evidence document (`frontline.evidence.v1`).
    #[error("not an evidence report: {0}")]
    Json(#[from] serde_json::Error),
    /// The HTML template failed (not expected).
    #[error("template: {0}")]
    Template(#[from] askama::Error),
    /// A chart could not be drawn (not expected).
    #[error(transparent)]
    Chart(#[from] charts::ChartError),
}

fn model_of(doc: &EvidenceDocument) -> Result<model::Doc, RenderError> {
    Ok(serde_json::from_value(serde_json::to_value(doc)?)?)
}

/// The report as one self-contained HTML page (UTF-8).
///
/// # Errors
/// [`RenderError`]: not expected for a document this crate built.
pub fn html(doc: &EvidenceDocument) -> Result<String, RenderError> {
    let page = page::page(&model_of(doc)?, true)?;
    Ok(html::render(&page)?)
}

/// The HTML page of a report's JSON (a stored report's bytes).
///
/// # Errors
/// [`RenderError::Json`] when `json` is not an evidence document.
pub fn html_from_json(json: &str) -> Result<String, RenderError> {
    let page = page::page(&serde_json::from_str(json)?, true)?;
    Ok(html::render(&page)?)
}

/// The report as GitHub-flavoured Markdown (UTF-8).
///
/// # Errors
/// [`RenderError`]: not expected for a document this crate built.
pub fn markdown(doc: &EvidenceDocument) -> Result<String, RenderError> {
    Ok(markdown::render(&page::page(&model_of(doc)?, false)?))
}

/// The Markdown of a report's JSON (a stored report's bytes).
///
/// # Errors
/// [`RenderError::Json`] when `json` is not an evidence document.
pub fn markdown_from_json(json: &str) -> Result<String, RenderError> {
    Ok(markdown::render(&page::page(
        &serde_json::from_str(json)?,
        false,
    )?))
}

#[cfg(test)]
mod tests;
