//! `steppe explain`: a scenario's assumptions in plain words — every parameter with its
//! distribution and its 5/50/95 % values, every rule, driver, event and metric — and, for a
//! scenario that extends another, exactly what it changes.
//!
//! Only words live here: what a scenario changes relative to another is computed by
//! [`crate::diff`], and the items of one scenario are put into words through the same
//! by-name descriptions ([`diff::Term`], [`diff::Cells`], [`diff::Shift`], clauses).

mod changes;
mod words;

use std::fmt::Write as _;

use words::{amount, cells, correlation_lines, event_clause, row_moves, term};

use crate::diff::{self, DriverClause, EventClause};
use crate::report::format::{percent_trimmed, thousands, trimmed};
use crate::report::text::{WIDTH, wrap};
use crate::scenario::{DriverKind, MetricKind, Scenario};

/// The full explanation; with `parent`, it opens with what the scenario changes.
/// `parent`, when given, is what the scenario is explained against and how to name it (the
/// file it extends, or the file as written when `--set` overrides it).
pub fn render(scenario: &Scenario, parent: Option<(&Scenario, &str)>) -> String {
    let mut out = String::new();
    out.push_str(&wrap(&scenario.heading(), "", WIDTH));
    if !scenario.description.is_empty() {
        out.push_str(&wrap(&scenario.description, "", WIDTH));
    }
    let _ = writeln!(
        out,
        "{} → {} by {}; {} runs, seed {} (--runs, --seed override)",
        scenario.start,
        scenario.end,
        scenario.step.name(),
        thousands(scenario.runs),
        scenario.seed
    );
    if let Some((parent, from)) = parent {
        let _ = writeln!(out);
        out.push_str(&wrap(
            &format!(
                "What {} changes relative to {} ({from})",
                scenario.name, parent.name
            ),
            "",
            WIDTH,
        ));
        let changes = changes(parent, scenario);
        if changes.is_empty() {
            let _ = writeln!(out, "  nothing: it makes the same assumptions");
        }
        for change in changes {
            out.push_str(&wrap(&format!("- {change}"), "  ", WIDTH));
        }
    }
    who_where(&mut out, scenario);
    uncertain_start(&mut out, scenario);
    parameters(&mut out, scenario);
    if let Some(c) = &scenario.correlations {
        section(
            &mut out,
            "Rank correlations between parameters (Iman–Conover)",
        );
        for text in correlation_lines(&diff::correlations(scenario, c)) {
            out.push_str(&wrap(&text, "  ", WIDTH));
        }
    }
    rules(&mut out, scenario);
    drivers(&mut out, scenario);
    events(&mut out, scenario);
    metrics(&mut out, scenario);
    out
}

/// Everything `child` assumes differently from `parent` ([`diff::changes`]), a sentence each.
pub fn changes(parent: &Scenario, child: &Scenario) -> Vec<String> {
    diff::changes(parent, child)
        .iter()
        .map(changes::sentence)
        .collect()
}

fn who_where(out: &mut String, scenario: &Scenario) {
    section(out, "Who, where, through what");
    let actors: Vec<String> = scenario.actors.iter().map(|a| a.label.clone()).collect();
    out.push_str(&wrap(
        &format!(
            "Actors: {}, and each target's own autonomy",
            actors.join(", ")
        ),
        "  ",
        WIDTH,
    ));
    let weighted = |entities: &[crate::scenario::Entity]| -> String {
        entities
            .iter()
            .map(|e| {
                if e.weight_value.is_drawn() {
                    format!(
                        "{} {} (at the medians; weight {}, drawn per run)",
                        e.label,
                        percent_trimmed(e.weight),
                        drawn(scenario, e.weight_value)
                    )
                } else {
                    format!("{} {}", e.label, percent_trimmed(e.weight))
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    out.push_str(&wrap(
        &format!(
            "Targets (weight in the region): {}",
            weighted(&scenario.targets)
        ),
        "  ",
        WIDTH,
    ));
    out.push_str(&wrap(
        &format!(
            "Channels (weight in a composite): {}",
            weighted(&scenario.channels)
        ),
        "  ",
        WIDTH,
    ));
    let n = scenario.channels.len();
    for (t, target) in scenario.targets.iter().enumerate() {
        if target.channel_weights.is_empty() {
            continue;
        }
        let own: Vec<String> = target
            .channel_weights
            .iter()
            .map(|&(c, v)| format!("{} {}", scenario.channels[c].label, drawn(scenario, v)))
            .collect();
        let row: Vec<String> = scenario
            .channels
            .iter()
            .zip(&scenario.composite_weights[t * n..(t + 1) * n])
            .map(|(c, w)| format!("{} {}", c.label, percent_trimmed(*w)))
            .collect();
        out.push_str(&wrap(
            &format!(
                "In {}, its own weights: {} (as written, on the channels' scale), so that its composite weighs {} (at the medians)",
                target.label,
                own.join(", "),
                row.join(", ")
            ),
            "  ",
            WIDTH,
        ));
    }
}

/// A parameter as a number slot shows it: a named one by its name, an inline one as its
/// distribution with its 5–95 % range.
fn drawn(scenario: &Scenario, value: crate::scenario::Value) -> String {
    term(&diff::term(scenario, value))
}

/// The initial shares that are drawn per run (the others are the observed start).
fn uncertain_start(out: &mut String, scenario: &Scenario) {
    if !scenario.uncertain_start() {
        return;
    }
    section(
        out,
        "Starting shares drawn per run (autonomy takes the rest)",
    );
    for (t, target) in scenario.targets.iter().enumerate() {
        for (c, channel) in scenario.channels.iter().enumerate() {
            for (a, actor) in scenario.actors.iter().enumerate() {
                let value = scenario.initial[scenario.cell(t, c, a)];
                if value.is_drawn() {
                    out.push_str(&wrap(
                        &format!(
                            "{} in {}/{}: {}",
                            actor.label,
                            target.label,
                            channel.label,
                            drawn(scenario, value)
                        ),
                        "  ",
                        WIDTH,
                    ));
                }
            }
        }
    }
}

fn parameters(out: &mut String, scenario: &Scenario) {
    let named: Vec<_> = scenario.params.iter().filter(|p| !p.inline).collect();
    if named.is_empty() {
        return;
    }
    section(out, "Assumptions: parameters, each drawn once per run");
    for p in named {
        let d = &p.distribution;
        match d {
            crate::distribution::Distribution::Pool(experts) => {
                let _ = writeln!(out, "  {} = a pool of {} experts", p.name, experts.len());
                for e in experts.iter() {
                    let who = if e.source.is_empty() {
                        String::new()
                    } else {
                        format!(" — {}", e.source)
                    };
                    out.push_str(&wrap(
                        &format!(
                            "{} weight: {}{who}",
                            percent_trimmed(e.weight),
                            term(&diff::Term::Inline(e.distribution.clone()))
                        ),
                        "      ",
                        WIDTH,
                    ));
                }
            }
            crate::distribution::Distribution::Metalog(m) => {
                let bounds = match (m.low.is_finite(), m.high.is_finite()) {
                    (false, false) => "unbounded".to_string(),
                    (true, false) => format!("above {}", trimmed(m.low)),
                    (false, true) => format!("below {}", trimmed(m.high)),
                    (true, true) => format!("within ({}, {})", trimmed(m.low), trimmed(m.high)),
                };
                let _ = writeln!(out, "  {} = {d}", p.name);
                let _ = writeln!(
                    out,
                    "      the metalog through these quantiles ({} terms, {bounds}; Keelin 2016)",
                    m.n
                );
            }
            _ => {
                let _ = writeln!(out, "  {} = {d}", p.name);
            }
        }
        let _ = writeln!(
            out,
            "      5 %: {}   50 %: {}   95 %: {}",
            trimmed(d.quantile(0.05)),
            trimmed(d.quantile(0.5)),
            trimmed(d.quantile(0.95))
        );
        note(out, &p.description, &p.source);
    }
    let derived: Vec<_> = scenario.derived.iter().filter(|d| !d.inline).collect();
    if derived.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  computed from them, once per run (not inputs of their own):"
    );
    for d in derived {
        let _ = writeln!(out, "  {} = '{}'", d.name, d.text);
        note(out, &d.description, &d.source);
    }
}

fn rules(out: &mut String, scenario: &Scenario) {
    if scenario.rules.is_empty() {
        return;
    }
    section(out, "How strengths move (per year, in log-strength)");
    for (i, r) in scenario.rules.iter().enumerate() {
        let rule = diff::rule(scenario, r);
        let mut parts = Vec::new();
        if let Some(d) = &rule.drift {
            parts.push(format!("drift {}", term(d)));
        }
        if let Some(v) = &rule.volatility {
            parts.push(format!("volatility {}", term(v)));
        }
        if let Some((level, speed)) = &rule.reversion {
            parts.push(format!(
                "reverts to strength {} at speed {}",
                term(level),
                term(speed)
            ));
        }
        if let Some(f) = &rule.floor {
            parts.push(format!("share at least {}", term(f)));
        }
        if let Some(c) = &rule.ceiling {
            parts.push(format!("share at most {}", term(c)));
        }
        if let Some(v) = &rule.common_target {
            parts.push(format!(
                "a shock shared across the channels of each target, sd {}",
                term(v)
            ));
        }
        if let Some(v) = &rule.common_region {
            parts.push(format!("a shock shared across the region, sd {}", term(v)));
        }
        let what = if parts.is_empty() {
            "nothing set".to_string()
        } else {
            parts.join("; ")
        };
        out.push_str(&wrap(
            &format!("{}. {}: {what}", i + 1, cells(&rule.cells)),
            "  ",
            WIDTH,
        ));
        note(out, &r.note.description, &r.note.source);
    }
}

fn drivers(out: &mut String, scenario: &Scenario) {
    if scenario.drivers.is_empty() {
        return;
    }
    section(out, "Drivers");
    for driver in &scenario.drivers {
        let clauses = diff::driver_clauses(scenario, driver);
        let heading = match &driver.kind {
            DriverKind::Regime(regime) => {
                format!("regime; starts in {}", diff::starts_in(regime))
            }
            DriverKind::Factor(factor) => format!(
                "factor; AR(1) with persistence {} and sd {}, starts at {}",
                term(&diff::term(scenario, factor.persistence)),
                term(&diff::term(scenario, factor.sd)),
                trimmed(factor.initial)
            ),
        };
        let _ = writeln!(out, "  {} ({heading})", driver.name);
        note(out, &driver.description, &driver.source);
        for clause in &clauses {
            let line = match clause {
                DriverClause::Moves { from, to, rule } => {
                    format!("from {from}, a year later: {}", row_moves(to, rule, false))
                }
                DriverClause::DriftWhile { state, shift } => format!(
                    "while {state}: drift {} for {}",
                    amount(&shift.amount),
                    cells(&shift.cells)
                ),
                DriverClause::DriftPerUnit(shift) => format!(
                    "drift {} per unit of the factor for {}",
                    amount(&shift.amount),
                    cells(&shift.cells)
                ),
                // In the heading.
                DriverClause::StartsIn(_)
                | DriverClause::Persistence(_)
                | DriverClause::Sd(_)
                | DriverClause::StartsAt(_) => continue,
            };
            out.push_str(&wrap(&line, "      ", WIDTH));
        }
    }
}

fn events(out: &mut String, scenario: &Scenario) {
    if scenario.events.is_empty() {
        return;
    }
    section(out, "Events");
    for event in &scenario.events {
        let _ = writeln!(out, "  {}", event.name);
        note(out, &event.description, &event.source);
        let (effects, when): (Vec<EventClause>, Vec<EventClause>) =
            diff::event_clauses(scenario, event)
                .into_iter()
                .partition(EventClause::is_effect);
        let when: Vec<String> = when.iter().map(event_clause).collect();
        out.push_str(&wrap(&when.join(", "), "      ", WIDTH));
        for effect in &effects {
            out.push_str(&wrap(&event_clause(effect), "      ", WIDTH));
        }
    }
}

fn metrics(out: &mut String, scenario: &Scenario) {
    if scenario.metrics.is_empty() {
        return;
    }
    section(out, "Questions (metrics)");
    for metric in &scenario.metrics {
        if let Some(category) = &metric.category {
            // A leader metric, once, at its first category.
            if category.index == 0
                && let MetricKind::At { year, .. } = metric.kind
            {
                let among: Vec<&str> = scenario
                    .metrics
                    .iter()
                    .filter_map(|m| m.category.as_ref())
                    .filter(|c| c.leader == category.leader)
                    .map(|c| c.name.as_str())
                    .collect();
                out.push_str(&wrap(
                    &format!(
                        "{}: which of {} has the largest {} in {year}",
                        category.leader,
                        among.join(", "),
                        metric.expr_text
                    ),
                    "  ",
                    WIDTH,
                ));
                note(out, &metric.description, &metric.source);
            }
            continue;
        }
        let kind = match metric.kind {
            MetricKind::At {
                year,
                condition: true,
                ..
            } => format!("probability in {year} that"),
            MetricKind::At { year, .. } => format!("value in {year} of"),
            MetricKind::First => "first year that".to_string(),
            MetricKind::Ever => "probability that at some point".to_string(),
            MetricKind::Always => "probability that at every step".to_string(),
            MetricKind::Duration => "years in which".to_string(),
            MetricKind::Count { .. } => "number of".to_string(),
            MetricKind::Min => "lowest value of".to_string(),
            MetricKind::Max => "highest value of".to_string(),
        };
        out.push_str(&wrap(
            &format!("{}: {kind} {}", metric.name, metric.expr_text),
            "  ",
            WIDTH,
        ));
        note(out, &metric.description, &metric.source);
    }
}

fn section(out: &mut String, title: &str) {
    let _ = writeln!(out);
    let _ = writeln!(out, "{title}");
}

/// Why an item is as it is, under it.
fn note(out: &mut String, description: &str, source: &str) {
    let text = match (description.is_empty(), source.is_empty()) {
        (true, true) => return,
        (false, true) => description.to_string(),
        (true, false) => format!("[source: {source}]"),
        (false, false) => format!("{description} [source: {source}]"),
    };
    out.push_str(&wrap(&text, "      ", WIDTH));
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"
[scenario]
name = "s"
start = 2022
end = 2030
runs = 20000
[actors]
a = {}
[targets]
t = {}
[channels]
c = {}
[initial.t.c]
a = 0.3
"#;

    #[test]
    fn runs_read_the_same_in_the_heading_and_in_a_change() {
        let parent = crate::scenario::load("p.toml", SCENARIO).unwrap_or_else(|e| panic!("{e}"));
        let mut child = parent.clone();
        child.runs = 30_000;
        let text = render(&child, Some((&parent, "p.toml")));
        assert!(text.contains("; 30,000 runs, seed 0"), "{text}");
        assert_eq!(
            changes(&parent, &child),
            [
                "horizon and runs: 2022–2030 by year, 30,000 runs, seed 0 (was 2022–2030 by year, 20,000 runs, seed 0)"
            ]
        );
    }
}
