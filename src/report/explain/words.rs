//! The words for the by-name descriptions of [`crate::diff`] — numbers, sets of cells, shifts,
//! event clauses, correlations — shared by the explanation of a scenario and by the sentences
//! of what it changes.

use crate::diff::{
    self, Amount, CellGroup, Cells, Correlations, EventClause, Names, RowRule, Term,
};
use crate::report::format::{exact, percent_trimmed, trimmed};

pub(super) fn event_clause(clause: &EventClause) -> String {
    match clause {
        EventClause::Hazard(t) => format!("probability {} per year", term(t)),
        EventClause::Window(from, to) => format!("in {from}–{to}"),
        EventClause::Repeats(true) => "may repeat".to_string(),
        EventClause::Repeats(false) => "at most once".to_string(),
        EventClause::When(condition) => format!("when {condition}"),
        EventClause::Jump(s) => format!(
            "jump {} in log-strength for {}",
            amount(&s.amount),
            cells(&s.cells)
        ),
        EventClause::Drift(s) => format!(
            "drift {} from then on for {}",
            amount(&s.amount),
            cells(&s.cells)
        ),
        EventClause::Forces { driver, state } => format!("forces {driver} into {state}"),
    }
}

/// The correlations, a pair a line, with notes on repair and on what could not be imposed.
pub(super) fn correlation_lines(c: &Correlations) -> Vec<String> {
    let how = if c.repaired.is_some() {
        "after repair"
    } else {
        "asked"
    };
    let mut lines: Vec<String> = c
        .pairs
        .iter()
        .map(|p| {
            if p.is_limited() {
                format!(
                    "{} and {}: {} {how}, {} imposed",
                    p.a,
                    p.b,
                    trimmed(p.asked),
                    trimmed(p.imposed)
                )
            } else {
                format!("{} and {}: {}", p.a, p.b, trimmed(p.asked))
            }
        })
        .collect();
    if let Some(change) = c.repaired {
        lines.push(format!("(the matrix as written was not positive definite; `repair = true` replaced it with the nearest correlation matrix in the Frobenius norm (Higham 2002), changing an entry by at most {}: the values above are the repaired ones)", trimmed(change)));
    }
    if c.pairs.iter().any(diff::Correlation::is_limited) {
        lines.push("(Iman–Conover correlates normal scores, whose Pearson correlations 2·sin(π·ρ/6) were not positive definite for these ranks; their nearest correlation matrix is used, and the rank correlations it imposes are those marked \"imposed\")".to_string());
    }
    lines
}

/// A number of the scenario in words: a constant as written, a parameter's name, or an inline
/// distribution with its 5–95 % range.
pub(super) fn term(t: &Term) -> String {
    match t {
        Term::Const(c) => exact(*c),
        Term::Param(name) => name.clone(),
        Term::Expression(text) => format!("'{text}'"),
        Term::Inline(d) => format!(
            "{d} (5–95 %: {} to {})",
            trimmed(d.quantile(0.05)),
            trimmed(d.quantile(0.95))
        ),
    }
}

/// A transition row in words: each move with its probability (or what it is drawn from), and
/// how each run's row comes to sum to 1. With `all`, zero entries are shown too.
pub(super) fn row_moves(to: &[(String, Term)], rule: &RowRule, all: bool) -> String {
    let moves: Vec<String> = to
        .iter()
        .filter(|(_, t)| all || *t != Term::Const(0.0))
        .map(|(to, t)| match t {
            Term::Const(p) => format!("{to} {}", percent_trimmed(*p)),
            t => format!("{to} {}", term(t)),
        })
        .collect();
    let moves = moves.join(", ");
    match rule {
        RowRule::Fixed => moves,
        RowRule::Scaled(names) => format!(
            "{moves}; in each run {} scaled in proportion so that the row sums to 1",
            names.join(", ")
        ),
        RowRule::Normalised => format!("{moves}; in each run the row divided by its sum"),
        RowRule::Dirichlet(c) => format!(
            "{moves} on average: each run draws its row from a Dirichlet of concentration {} around these",
            trimmed(*c)
        ),
    }
}

/// A cell's total shift: its parameters, then its constants — one as written, a sum of
/// several without float noise.
pub(super) fn amount(a: &Amount) -> String {
    let mut terms: Vec<String> = a.terms.iter().map(term).collect();
    match a.constant {
        None => {}
        Some(c) if c.count == 1 => terms.push(exact(c.total)),
        Some(c) => terms.push(trimmed(c.total)),
    }
    terms.join(" + ")
}

/// A set of cells in words: "russia in all targets (all channels)", or per group of targets
/// when the set is not one block.
pub(super) fn cells(cells: &Cells) -> String {
    if cells.0.is_empty() {
        return "no cells".to_string();
    }
    let parts: Vec<String> = cells
        .0
        .iter()
        .map(|group| match group {
            CellGroup::Block {
                slots,
                targets,
                channels,
            } => format!(
                "{} in {} ({})",
                names(slots, "all actors"),
                names(targets, "all targets"),
                names(channels, "all channels")
            ),
            CellGroup::Pairs { pairs, targets } => {
                let pairs: Vec<String> = pairs.iter().map(|(s, c)| format!("{s}/{c}")).collect();
                format!("{} in {}", pairs.join(", "), names(targets, "all targets"))
            }
        })
        .collect();
    parts.join("; ")
}

fn names(names: &Names, all: &str) -> String {
    match names {
        Names::All => all.to_string(),
        Names::Some(names) => names.join(", "),
    }
}
