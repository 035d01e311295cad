//! The evidence report as GitHub-flavoured Markdown: the HTML page's sections in the same
//! order, each monthly series as a table (the SVG charts are only in the HTML). Text from the
//! document (labels, quotes, essay) is escaped: Markdown punctuation gets a backslash, line
//! breaks become spaces, so a quote cannot open a link, a table cell or raw HTML.

use super::page::{Page, Row, Table};
use std::fmt::Write;

/// Escapes `text` for a Markdown paragraph or table cell.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {}
            '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

fn table(out: &mut String, header: &[&str], right: &[bool], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let rule: Vec<&str> = right
        .iter()
        .map(|&r| if r { "--:" } else { "---" })
        .collect();
    let _ = writeln!(out, "| {} |", rule.join(" | "));
    for r in rows {
        let _ = writeln!(out, "| {} |", r.join(" | "));
    }
    out.push('\n');
}

fn label(r: &Row) -> String {
    let mut s = format!("{} (`{}`)", escape(&r.label), r.definition);
    if let Some(note) = &r.note {
        let _ = write!(s, " — *Note: {}*", escape(note));
    }
    s
}

fn figure_table(out: &mut String, t: &Table, with_group: bool) {
    for (k, v) in &t.facts {
        let _ = writeln!(out, "- **{}**: {}", escape(k), escape(v));
    }
    if !t.facts.is_empty() {
        out.push('\n');
    }
    let mut header = vec!["Figure", "Value", "n", "95 % interval", "Flags"];
    let mut right = vec![false, true, true, false, false];
    if with_group {
        header.insert(0, "Group");
        right.insert(0, false);
    }
    let rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| {
            let mut cells = vec![
                label(r),
                escape(&r.cell.text),
                r.n.clone(),
                escape(&r.interval),
                escape(&r.flags),
            ];
            if with_group {
                cells.insert(0, escape(&r.group));
            }
            cells
        })
        .collect();
    table(out, &header, &right, &rows);
}

/// A two-column table; with `code`, values without a space (names, hashes) as code spans.
fn pairs(out: &mut String, header: [&str; 2], rows: &[(String, String)], code: bool) {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|(k, v)| {
            let v = if code && !v.contains(' ') {
                format!("`{v}`")
            } else {
                escape(v)
            };
            vec![escape(k), v]
        })
        .collect();
    table(out, &header, &[false, false], &rows);
}

/// The page as Markdown.
pub(crate) fn render(p: &Page) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", escape(&p.title));
    for (k, v) in &p.facts {
        let _ = writeln!(out, "- **{}**: {}", escape(k), escape(v));
    }

    out.push_str("\n## Headline figures\n\n");
    out.push_str(
        "Each figure over the eligibility period, with its sample size, its 95 % interval and \
         the same figure over the comparison period.\n\n",
    );
    let rows: Vec<Vec<String>> = p
        .headline
        .iter()
        .map(|r| {
            vec![
                label(r),
                escape(&r.cell.text),
                r.n.clone(),
                escape(&r.interval),
                escape(&r.comparison),
                escape(&r.change),
                escape(&r.flags),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "Figure",
            "Value",
            "n",
            "95 % interval",
            "Comparison (n)",
            "Change",
            "Flags",
        ],
        &[false, true, true, false, false, false, false],
        &rows,
    );

    out.push_str("## Monthly trends\n\n");
    out.push_str(
        "Each measure by month of the eligibility period. The charts of these series are in \
         the HTML rendering of this report.\n\n",
    );
    for c in &p.charts {
        let _ = writeln!(out, "### {}\n", escape(&c.label));
        let _ = writeln!(out, "Definition `{}`.\n", c.definition);
        let rows: Vec<Vec<String>> = c
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.group.clone(),
                    escape(&r.cell.text),
                    r.n.clone(),
                    escape(&r.interval),
                    escape(&r.flags),
                ]
            })
            .collect();
        table(
            &mut out,
            &["Month", "Value", "n", "95 % interval", "Flags"],
            &[false, true, true, false, false],
            &rows,
        );
    }

    out.push_str("## Splits\n\n");
    if p.splits.is_empty() {
        out.push_str(
            "No split: the eligibility period does not hold both in-house and outsourced work, \
             nor both employed and contracted technicians.\n\n",
        );
    }
    for t in &p.splits {
        let _ = writeln!(out, "### {}\n", escape(&t.heading));
        figure_table(&mut out, t, true);
    }

    out.push_str("## Training effect\n\n");
    match &p.training {
        Some(t) => {
            let _ = writeln!(out, "{}\n", escape(&t.intro));
            for c in &t.courses {
                let _ = writeln!(out, "### {}\n", escape(&c.heading));
                figure_table(&mut out, c, false);
            }
        }
        None => out.push_str(
            "No staff of the scope completed a training course within the eligibility period.\n\n",
        ),
    }

    out.push_str("## Achievements and draft essay\n\n### Achievements\n\n");
    if p.achievements.is_empty() {
        out.push_str("No achievement was written for this report.\n\n");
    } else {
        for a in &p.achievements {
            let _ = writeln!(out, "- {}", escape(a));
        }
        out.push('\n');
    }
    out.push_str("### Draft essay\n\n");
    if p.essay.is_empty() {
        out.push_str("No essay was written for this report.\n\n");
    } else {
        for e in &p.essay {
            let _ = writeln!(out, "**{}.** {}\n", escape(&e.part), escape(&e.text));
        }
        let _ = writeln!(out, "*{}*\n", escape(&p.essay_words));
    }

    out.push_str("## Testimonials\n\n");
    if p.testimonials.is_empty() {
        out.push_str("No customer of the eligibility period consented to be quoted.\n\n");
    } else {
        out.push_str(
            "Comments of customers who consented to be quoted, with names, contact details and \
             numbers removed.\n\n",
        );
        for t in &p.testimonials {
            let _ = writeln!(
                out,
                "> {}\n>\n> — Rated {}, {}\n",
                escape(&t.quote),
                escape(&t.rating),
                escape(&t.month)
            );
        }
    }

    out.push_str("## Methodology\n\n");
    let rows: Vec<Vec<String>> = p
        .definitions
        .iter()
        .map(|d| vec![format!("`{}`", d.id), escape(&d.source), escape(&d.text)])
        .collect();
    table(
        &mut out,
        &["Id", "Defined in", "How the report applies it"],
        &[false, false, false],
        &rows,
    );
    let _ = writeln!(out, "### Calendars\n\n{}\n", escape(&p.calendars));
    out.push_str("### Filters\n\n");
    for f in &p.filters {
        let _ = writeln!(out, "- {}", escape(f));
    }
    out.push_str("\n### Exclusions\n\n");
    for e in &p.exclusions {
        let _ = writeln!(out, "- {}", escape(e));
    }
    out.push_str("\n### Sample sizes\n\n");
    pairs(&mut out, ["Rows", "Count"], &p.sample_sizes, false);
    out.push_str("### Statistics\n\n");
    pairs(&mut out, ["Setting", "Value"], &p.statistics, false);
    for m in &p.methods {
        let _ = writeln!(out, "- {}", escape(m));
    }
    out.push_str("\n### Flags\n\n");
    if p.flags.is_empty() {
        out.push_str("No figure was flagged.\n\n");
    } else {
        let rows: Vec<Vec<String>> = p
            .flags
            .iter()
            .map(|(f, l)| vec![format!("`{f}`"), escape(l)])
            .collect();
        table(&mut out, &["Figure", "Flag"], &[false, false], &rows);
    }

    out.push_str("## Integrity manifest\n\n");
    out.push_str(
        "Recompute with `frontline report verify FILE` on the JSON document: the same data \
         gives the same hashes.\n\n",
    );
    pairs(&mut out, ["Field", "Value"], &p.manifest, true);
    // One final newline.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
