//! `steppe report`: one self-contained HTML page to hand round — each scenario's assumptions
//! (as `explain` shows them), its summary table and charts, and, for several scenarios, their
//! comparison. Inline SVG and CSS only: no network, no JavaScript; readable on a phone and in
//! print. The markup is well-formed XML (XHTML), so tests can parse it.

use std::fmt::Write as _;

/// One scenario's part of the report, already rendered.
pub struct Section {
    /// The section's title: the scenario's name and title.
    pub heading: String,
    /// What it assumes, as `steppe explain` writes it (plain text).
    pub explain: String,
    /// Its summary table, as `steppe run` prints it (plain text).
    pub table: String,
    /// (caption, SVG)
    pub charts: Vec<(String, String)>,
}

/// The whole page: `title`, a section per scenario, and the comparison's table and charts
/// (caption, SVG) when there is one. Text is escaped; the SVG is inlined as given.
pub fn render(
    title: &str,
    sections: &[Section],
    comparison: Option<(&str, &[(String, String)])>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "<!DOCTYPE html>");
    let _ = writeln!(
        out,
        r#"<html xmlns="http://www.w3.org/1999/xhtml" lang="en">"#
    );
    let _ = writeln!(out, "<head>");
    let _ = writeln!(out, r#"<meta charset="utf-8"/>"#);
    let _ = writeln!(
        out,
        r#"<meta name="viewport" content="width=device-width, initial-scale=1"/>"#
    );
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    let _ = writeln!(out, "<style>{CSS}</style>");
    let _ = writeln!(out, "</head>");
    let _ = writeln!(out, "<body>");
    let _ = writeln!(out, "<h1>{}</h1>", escape(title));
    let _ = writeln!(out, "<nav><ul>");
    for (i, s) in sections.iter().enumerate() {
        let _ = writeln!(
            out,
            r##"<li><a href="#s{i}">{}</a></li>"##,
            escape(&s.heading)
        );
    }
    if comparison.is_some() {
        let _ = writeln!(out, r##"<li><a href="#comparison">Comparison</a></li>"##);
    }
    let _ = writeln!(out, "</ul></nav>");
    for (i, s) in sections.iter().enumerate() {
        let _ = writeln!(out, r#"<section id="s{i}">"#);
        let _ = writeln!(out, "<h2>{}</h2>", escape(&s.heading));
        let _ = writeln!(out, r#"<div class="charts">"#);
        for (caption, svg) in &s.charts {
            let _ = writeln!(
                out,
                "<figure>{}<figcaption>{}</figcaption></figure>",
                strip_prolog(svg),
                escape(caption)
            );
        }
        let _ = writeln!(out, "</div>");
        let _ = writeln!(out, "<h3>Results</h3>");
        let _ = writeln!(out, "<pre>{}</pre>", escape(&s.table));
        let _ = writeln!(out, "<h3>Assumptions</h3>");
        let _ = writeln!(out, "<pre>{}</pre>", escape(&s.explain));
        let _ = writeln!(out, "</section>");
    }
    if let Some((table, charts)) = comparison {
        let _ = writeln!(out, r#"<section id="comparison">"#);
        let _ = writeln!(out, "<h2>Comparison</h2>");
        let _ = writeln!(out, r#"<div class="charts">"#);
        for (caption, svg) in charts {
            let _ = writeln!(
                out,
                "<figure>{}<figcaption>{}</figcaption></figure>",
                strip_prolog(svg),
                escape(caption)
            );
        }
        let _ = writeln!(out, "</div>");
        let _ = writeln!(out, "<pre>{}</pre>", escape(table));
        let _ = writeln!(out, "</section>");
    }
    let _ = writeln!(
        out,
        "<footer>Made with steppe. Every number comes with its Monte Carlo error; see the tables.</footer>"
    );
    let _ = writeln!(out, "</body>");
    let _ = writeln!(out, "</html>");
    out
}

/// SVG inline in HTML scales with the page.
fn strip_prolog(svg: &str) -> String {
    svg.replacen("<svg ", r#"<svg class="chart" "#, 1)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

const CSS: &str = "
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 0 auto; padding: 1rem; color: #111; line-height: 1.4; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 1px solid #ccc; margin-top: 2.5rem; }
nav ul { padding-left: 1.2rem; }
pre { font-size: 0.8rem; background: #f6f6f6; padding: 0.75rem; overflow-x: auto; white-space: pre; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(22rem, 1fr)); gap: 1rem; }
figure { margin: 0; } figcaption { font-size: 0.85rem; color: #444; }
svg.chart { width: 100%; height: auto; }
footer { margin-top: 3rem; font-size: 0.8rem; color: #555; }
@media print { nav { display: none; } section { break-before: page; } pre { white-space: pre-wrap; background: none; } }
";
