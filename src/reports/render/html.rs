//! The evidence report as one self-contained HTML page (templates/reports/evidence.html):
//! inline style, inline SVG charts, no script and no external asset, printable (`@media print`
//! starts each section on a new page). Every figure's value cell carries
//! `data-figure="<id>"` and `data-value="<the JSON number>"` (empty for `null`).

use super::page::Page;
use askama::Template;

#[derive(Template)]
#[template(path = "reports/evidence.html")]
struct EvidenceHtml<'a> {
    p: &'a Page,
}

/// The page's HTML.
pub(crate) fn render(page: &Page) -> Result<String, askama::Error> {
    EvidenceHtml { p: page }.render()
}
