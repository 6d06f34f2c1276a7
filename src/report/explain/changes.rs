//! What a scenario changes relative to another, a sentence per [`diff::Change`].

use std::fmt::Write as _;

use super::words::{amount, cells, correlation_lines, event_clause, row_moves, term};
use crate::diff::{Change, Correlation, Correlations, DriverClause, ItemChange, MetricClause};
use crate::report::format::{percent_trimmed, thousands, trimmed};

/// One change as a sentence.
pub(super) fn sentence(change: &Change) -> String {
    match change {
        Change::Horizon { was, now } => format!(
            "horizon and runs: {}–{} by {}, {} runs, seed {} (was {}–{} by {}, {} runs, seed {})",
            now.start,
            now.end,
            now.step.name(),
            thousands(now.runs),
            now.seed,
            was.start,
            was.end,
            was.step.name(),
            thousands(was.runs),
            was.seed
        ),
        Change::Added { kind, name } => format!("adds {} {name}", kind.name()),
        Change::Removed { kind, name } => format!("removes {} {name}", kind.name()),
        Change::Weight {
            kind,
            name,
            was,
            now,
        } => format!(
            "{} {name}: weight {} (was {})",
            kind.name(),
            percent_trimmed(*now),
            percent_trimmed(*was)
        ),
        Change::InitialShare {
            actor,
            target,
            channel,
            was,
            now,
        } => format!(
            "initial share of {actor} in {target}/{channel}: {} (was {})",
            trimmed(*now),
            trimmed(*was)
        ),
        Change::Param(item) => item_change("parameter", item, |d| d.to_string()),
        Change::Correlations { was, now } => correlation_change(was, now),
        Change::RuleAdded(rule) => {
            let mut what = Vec::new();
            if let Some(d) = &rule.drift {
                what.push(format!("drift {}", term(d)));
            }
            if let Some(v) = &rule.volatility {
                what.push(format!("volatility {}", term(v)));
            }
            if let Some((level, speed)) = &rule.reversion {
                what.push(format!("reversion to {} at {}", term(level), term(speed)));
            }
            if let Some(f) = &rule.floor {
                what.push(format!("floor {}", term(f)));
            }
            if let Some(c) = &rule.ceiling {
                what.push(format!("ceiling {}", term(c)));
            }
            if let Some(v) = &rule.common_target {
                what.push(format!("shared shock in each target {}", term(v)));
            }
            if let Some(v) = &rule.common_region {
                what.push(format!("shared shock across the region {}", term(v)));
            }
            let why = if rule.description.is_empty() {
                String::new()
            } else {
                format!(" — {}", rule.description)
            };
            format!(
                "adds a rule for {}: {}{why}",
                cells(&rule.cells),
                what.join("; ")
            )
        }
        Change::Driver(item) => item_change("driver", item, driver_clause),
        Change::Event(item) => item_change("event", item, event_clause),
        Change::Metric(item) => item_change("metric", item, metric_clause),
    }
}

/// The pairs whose rank correlation differs, each with what it was; then the notes on repair
/// and on what Iman–Conover could impose, as the scenario now stands.
fn correlation_change(was: &Correlations, now: &Correlations) -> String {
    let key = |p: &Correlation| {
        if p.a <= p.b {
            (p.a.clone(), p.b.clone())
        } else {
            (p.b.clone(), p.a.clone())
        }
    };
    let find =
        |c: &Correlations, k: &(String, String)| c.pairs.iter().find(|p| key(p) == *k).cloned();
    let mut keys: Vec<(String, String)> = now.pairs.iter().chain(&was.pairs).map(key).collect();
    // Order: as the pairs now stand, then those removed, each once.
    let mut seen = std::collections::HashSet::new();
    keys.retain(|k| seen.insert(k.clone()));
    let mut parts = Vec::new();
    for k in &keys {
        let (before, after) = (find(was, k), find(now, k));
        let named = |p: &Correlation| format!("{} and {}", p.a, p.b);
        match (before, after) {
            (Some(b), Some(a)) if b.asked == a.asked && b.imposed == a.imposed => {}
            (Some(b), Some(a)) if b.asked == a.asked => parts.push(format!(
                "{}: {} asked, {} imposed (was {} imposed)",
                named(&a),
                trimmed(a.asked),
                trimmed(a.imposed),
                trimmed(b.imposed)
            )),
            (Some(b), Some(a)) => parts.push(format!(
                "{}: {} (was {})",
                named(&a),
                trimmed(a.asked),
                trimmed(b.asked)
            )),
            (None, Some(a)) => parts.push(format!("{}: {} (new)", named(&a), trimmed(a.asked))),
            (Some(b), None) => parts.push(format!(
                "{}: independent (was {})",
                named(&b),
                trimmed(b.asked)
            )),
            (None, None) => {}
        }
    }
    if parts.is_empty() {
        // Only the notes differ (a repair, or what Iman–Conover imposes).
        parts = correlation_lines(now);
    } else {
        parts.extend(
            correlation_lines(now)
                .into_iter()
                .filter(|l| l.starts_with('(')),
        );
    }
    format!("rank correlations: {}", parts.join("; "))
}

/// An added, changed or removed item; a changed one shows only the clauses that differ.
fn item_change<C>(kind: &str, change: &ItemChange<C>, clause: impl Fn(&C) -> String) -> String {
    let join = |clauses: &[C]| clauses.iter().map(&clause).collect::<Vec<_>>().join("; ");
    match change {
        ItemChange::Added { name, clauses } => format!("adds {kind} {name}: {}", join(clauses)),
        ItemChange::Changed { name, now, was } => {
            let mut line = format!("{kind} {name}:");
            if !now.is_empty() {
                let _ = write!(line, " now {}", join(now));
            }
            if !was.is_empty() {
                let joiner = if now.is_empty() { "" } else { ";" };
                let _ = write!(line, "{joiner} was {}", join(was));
            }
            line
        }
        ItemChange::Removed { name } => format!("removes {kind} {name}"),
    }
}

/// A driver's clause as a change shows it.
fn driver_clause(clause: &DriverClause) -> String {
    match clause {
        DriverClause::StartsIn(state) => format!("starts in {state}"),
        DriverClause::Moves { from, to, rule } => {
            format!("from {from} a year later: {}", row_moves(to, rule, true))
        }
        DriverClause::DriftWhile { state, shift } => format!(
            "while {state} drift {} for {}",
            amount(&shift.amount),
            cells(&shift.cells)
        ),
        DriverClause::Persistence(t) => format!("persistence {}", term(t)),
        DriverClause::Sd(t) => format!("sd {}", term(t)),
        DriverClause::StartsAt(v) => format!("starts at {}", trimmed(*v)),
        DriverClause::DriftPerUnit(shift) => format!(
            "drift {} per unit for {}",
            amount(&shift.amount),
            cells(&shift.cells)
        ),
    }
}

fn metric_clause(m: &MetricClause) -> String {
    let year = m.year.map_or(String::new(), |y| format!(" {y}"));
    format!("{}{year}: {}", m.kind, m.expr)
}
