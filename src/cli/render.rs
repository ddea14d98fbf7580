//! Rendering diagnostics for people, with miette: `file:line:col`, the source line and
//! labels. The only place that knows about miette.

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource, Report,
};

use crate::diag::{Diagnostic, Severity};

/// Renders one diagnostic against its source text. `color` adds ANSI colors.
pub fn render(d: &Diagnostic, file_name: &str, src: &str, color: bool) -> String {
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        (!d.primary.message.is_empty()).then(|| d.primary.message.clone()),
        clamp(d.primary.span.range(), src),
    )];
    for l in &d.secondary {
        labels.push(LabeledSpan::new_with_span(
            Some(l.message.clone()),
            clamp(l.span.range(), src),
        ));
    }
    let mut md = MietteDiagnostic::new(d.message.clone())
        .with_code(d.code)
        .with_severity(match d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
        .with_labels(labels);
    if let Some(h) = &d.help {
        md = md.with_help(h.clone());
    }
    let report = Report::new(md).with_source_code(NamedSource::new(file_name, src.to_owned()));
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        out = format!("{file_name}: {d}\n");
    }
    out
}

/// Keeps a span inside the text (miette needs it) and on char boundaries.
fn clamp(r: std::ops::Range<usize>, src: &str) -> std::ops::Range<usize> {
    let mut start = r.start.min(src.len());
    while !src.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = r.end.clamp(start, src.len());
    while !src.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// Whether diagnostics on stderr are colored (`--color`, see [`crate::ui::color`]).
pub fn stderr_color() -> bool {
    crate::ui::color()
}

/// Prints every diagnostic of a file to stderr (at most `limit`; a count of the rest)
/// and returns (errors, warnings).
pub fn print_all(diags: &[Diagnostic], file_name: &str, src: &str, limit: usize) -> (usize, usize) {
    let color = stderr_color();
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let mut text = String::new();
    for d in diags.iter().take(limit) {
        text.push_str(&render(d, file_name, src, color));
        text.push('\n');
    }
    if diags.len() > limit {
        text.push_str(&format!(
            "... and {} more diagnostics in {file_name}\n",
            diags.len() - limit
        ));
    }
    eprint!("{text}");
    (errors, warnings)
}
