//! `steppe explain`: a scenario's assumptions in plain words — every parameter with its
//! distribution and its 5/50/95 % values, every rule, driver, event and metric — and, for a
//! scenario that extends another, exactly what it changes.

use std::fmt::Write as _;

use crate::report::format::{exact, percent_trimmed as percent, thousands, trimmed as number};
use crate::report::text::wrap;
use crate::scenario::{DriverKind, Event, MetricKind, Scenario, Value};

/// The full explanation; with `parent`, it opens with what the scenario changes.
/// `parent`, when given, is what the scenario is explained against and how to name it (the
/// file it extends, or the file as written when `--set` overrides it).
pub fn render(scenario: &Scenario, parent: Option<(&Scenario, &str)>) -> String {
    let mut out = String::new();
    out.push_str(&wrap(&scenario.heading(), "", 80));
    if !scenario.description.is_empty() {
        out.push_str(&wrap(&scenario.description, "", 80));
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
            80,
        ));
        let changes = changes(parent, scenario);
        if changes.is_empty() {
            let _ = writeln!(out, "  nothing: it makes the same assumptions");
        }
        for change in changes {
            out.push_str(&wrap(&format!("- {change}"), "  ", 80));
        }
    }

    section(&mut out, "Who, where, through what");
    let actors: Vec<String> = scenario.actors.iter().map(|a| a.label.clone()).collect();
    out.push_str(&wrap(
        &format!(
            "Actors: {}, and each target's own autonomy",
            actors.join(", ")
        ),
        "  ",
        80,
    ));
    let targets: Vec<String> = scenario
        .targets
        .iter()
        .map(|t| format!("{} {}", t.label, percent(t.weight)))
        .collect();
    out.push_str(&wrap(
        &format!("Targets (weight in the region): {}", targets.join(", ")),
        "  ",
        80,
    ));
    let channels: Vec<String> = scenario
        .channels
        .iter()
        .map(|c| format!("{} {}", c.label, percent(c.weight)))
        .collect();
    out.push_str(&wrap(
        &format!("Channels (weight in a composite): {}", channels.join(", ")),
        "  ",
        80,
    ));

    let named: Vec<_> = scenario.params.iter().filter(|p| !p.inline).collect();
    if !named.is_empty() {
        section(&mut out, "Assumptions: parameters, each drawn once per run");
        for p in named {
            let _ = writeln!(out, "  {} = {}", p.name, p.distribution);
            let _ = writeln!(out, "      {}", quantiles(p.distribution));
            note(&mut out, &p.description, &p.source);
        }
    }

    if let Some(c) = &scenario.correlations {
        section(
            &mut out,
            "Rank correlations between parameters (Iman–Conover)",
        );
        for text in correlation_lines(scenario, c) {
            out.push_str(&wrap(&text, "  ", 80));
        }
    }

    if !scenario.rules.is_empty() {
        section(&mut out, "How strengths move (per year, in log-strength)");
        for (i, rule) in scenario.rules.iter().enumerate() {
            let mut parts = Vec::new();
            if let Some(d) = rule.drift {
                parts.push(format!("drift {}", value(scenario, d)));
            }
            if let Some(v) = rule.volatility {
                parts.push(format!("volatility {}", value(scenario, v)));
            }
            if let Some(r) = rule.reversion {
                parts.push(format!(
                    "reverts to strength {} at speed {}",
                    value(scenario, r.level),
                    value(scenario, r.speed)
                ));
            }
            if let Some(f) = rule.floor {
                parts.push(format!("share at least {}", value(scenario, f)));
            }
            if let Some(c) = rule.ceiling {
                parts.push(format!("share at most {}", value(scenario, c)));
            }
            let what = if parts.is_empty() {
                "nothing set".to_string()
            } else {
                parts.join("; ")
            };
            out.push_str(&wrap(
                &format!("{}. {}: {what}", i + 1, cells(scenario, &rule.cells)),
                "  ",
                80,
            ));
            note(&mut out, &rule.note.description, &rule.note.source);
        }
    }

    if !scenario.drivers.is_empty() {
        section(&mut out, "Drivers");
        for driver in &scenario.drivers {
            match &driver.kind {
                DriverKind::Regime(regime) => {
                    let _ = writeln!(
                        out,
                        "  {} (regime; starts in {})",
                        driver.name, regime.states[regime.initial]
                    );
                    note(&mut out, &driver.description, &driver.source);
                    for (from, row) in regime.states.iter().zip(&regime.transitions) {
                        let moves: Vec<String> = regime
                            .states
                            .iter()
                            .zip(row)
                            .filter(|(_, p)| **p > 0.0)
                            .map(|(to, p)| format!("{to} {}", percent(*p)))
                            .collect();
                        out.push_str(&wrap(
                            &format!("from {from}, a year later: {}", moves.join(", ")),
                            "      ",
                            80,
                        ));
                    }
                    for (state, shifts) in regime.states.iter().zip(&regime.shifts) {
                        for (amount, targets) in group_shifts(scenario, shifts) {
                            out.push_str(&wrap(
                                &format!("while {state}: drift {amount} for {targets}"),
                                "      ",
                                80,
                            ));
                        }
                    }
                }
                DriverKind::Factor(factor) => {
                    let _ = writeln!(
                        out,
                        "  {} (factor; AR(1) with persistence {} and sd {}, starts at {})",
                        driver.name,
                        value(scenario, factor.persistence),
                        value(scenario, factor.sd),
                        number(factor.initial)
                    );
                    note(&mut out, &driver.description, &driver.source);
                    for (amount, targets) in group_shifts(scenario, &factor.shifts) {
                        out.push_str(&wrap(
                            &format!("drift {amount} per unit of the factor for {targets}"),
                            "      ",
                            80,
                        ));
                    }
                }
            }
        }
    }

    if !scenario.events.is_empty() {
        section(&mut out, "Events");
        for event in &scenario.events {
            let _ = writeln!(out, "  {}", event.name);
            note(&mut out, &event.description, &event.source);
            let lines = event_lines(scenario, event);
            let (head, effects) =
                lines.split_at(if event.condition_text.is_some() { 4 } else { 3 });
            out.push_str(&wrap(&head.join(", "), "      ", 80));
            for line in effects {
                out.push_str(&wrap(line, "      ", 80));
            }
        }
    }

    if !scenario.metrics.is_empty() {
        section(&mut out, "Questions (metrics)");
        for metric in &scenario.metrics {
            let kind = match metric.kind {
                MetricKind::At {
                    year,
                    condition: true,
                    ..
                } => format!("probability in {year} that"),
                MetricKind::At { year, .. } => format!("value in {year} of"),
                MetricKind::First => "first year that".to_string(),
                MetricKind::Ever => "probability that at some point".to_string(),
                MetricKind::Min => "lowest value of".to_string(),
                MetricKind::Max => "highest value of".to_string(),
            };
            out.push_str(&wrap(
                &format!("{}: {kind} {}", metric.name, metric.expr_text),
                "  ",
                80,
            ));
            note(&mut out, &metric.description, &metric.source);
        }
    }
    out
}

fn section(out: &mut String, title: &str) {
    let _ = writeln!(out);
    let _ = writeln!(out, "{title}");
}

fn note(out: &mut String, description: &str, source: &str) {
    let text = match (description.is_empty(), source.is_empty()) {
        (true, true) => return,
        (false, true) => description.to_string(),
        (true, false) => format!("[source: {source}]"),
        (false, false) => format!("{description} [source: {source}]"),
    };
    out.push_str(&wrap(&text, "      ", 80));
}

fn event_lines(scenario: &Scenario, event: &Event) -> Vec<String> {
    let mut lines = vec![
        format!("probability {} per year", value(scenario, event.hazard)),
        format!("in {}–{}", event.window.0, event.window.1),
        (if event.repeat {
            "may repeat"
        } else {
            "at most once"
        })
        .to_string(),
    ];
    if let Some(when) = &event.condition_text {
        lines.push(format!("when {when}"));
    }
    for (amount, targets) in group_shifts(scenario, &event.jumps) {
        lines.push(format!("jump {amount} in log-strength for {targets}"));
    }
    for (amount, targets) in group_shifts(scenario, &event.drifts) {
        lines.push(format!("drift {amount} from then on for {targets}"));
    }
    for &(driver, state) in &event.regime_changes {
        if let DriverKind::Regime(regime) = &scenario.drivers[driver].kind {
            lines.push(format!(
                "forces {} into {}",
                scenario.drivers[driver].name, regime.states[state]
            ));
        }
    }
    lines
}

/// Shifts grouped by amount: (amount as text, the cells it applies to in words).
fn group_shifts(
    scenario: &Scenario,
    shifts: &[crate::scenario::CellShift],
) -> Vec<(String, String)> {
    // The engine adds every shift of a cell: total them per cell first (constants as a sum,
    // parameters as a sum of names), then group the cells with the same total.
    let mut per_cell: Vec<(usize, f64, usize, Vec<String>)> = Vec::new();
    for shift in shifts {
        let index = match per_cell.iter().position(|(c, ..)| *c == shift.cell) {
            Some(i) => i,
            None => {
                per_cell.push((shift.cell, 0.0, 0, Vec::new()));
                per_cell.len() - 1
            }
        };
        match shift.amount {
            crate::scenario::Value::Const(v) => {
                per_cell[index].1 += v;
                per_cell[index].2 += 1;
            }
            other => per_cell[index].3.push(value(scenario, other)),
        }
    }
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (cell, constant, constants, named) in per_cell {
        let mut terms = named;
        // One constant as written; a sum of several without float noise.
        match constants {
            0 => {}
            1 => terms.push(exact(constant)),
            _ => terms.push(number(constant)),
        }
        let amount = terms.join(" + ");
        match groups.iter_mut().find(|(a, _)| *a == amount) {
            Some((_, cells)) => cells.push(cell),
            None => groups.push((amount, vec![cell])),
        }
    }
    groups
        .into_iter()
        .map(|(amount, c)| (amount, cells(scenario, &c)))
        .collect()
}

/// The (channel, slot) pairs of one target that a set of cells covers.
type Pattern = Vec<(usize, usize)>;

fn correlation_lines(scenario: &Scenario, c: &crate::scenario::Correlations) -> Vec<String> {
    let mut lines = Vec::new();
    // What Iman–Conover imposes can differ from the (repaired) matrix: see `correlation::imposed`.
    let (_, imposed) = crate::correlation::imposed(&c.matrix);
    let mut limited = false;
    for (i, &a) in c.params.iter().enumerate() {
        for (j, &b) in c.params.iter().enumerate().skip(i + 1) {
            let (rho, used) = (c.matrix[i][j], imposed[i][j]);
            if rho == 0.0 && used.abs() < 5e-5 {
                continue;
            }
            let names = format!(
                "{} and {}",
                scenario.params[a].name, scenario.params[b].name
            );
            if (used - rho).abs() >= 5e-5 {
                limited = true;
                let how = if c.repaired.is_some() {
                    "after repair"
                } else {
                    "asked"
                };
                lines.push(format!(
                    "{names}: {} {how}, {} imposed",
                    number(rho),
                    number(used)
                ));
            } else {
                lines.push(format!("{names}: {}", number(rho)));
            }
        }
    }
    if let Some(change) = c.repaired {
        lines.push(format!("(the matrix as written was not positive definite; `repair = true` replaced it with the nearest correlation matrix in the Frobenius norm (Higham 2002), changing an entry by at most {}: the values above are the repaired ones)", number(change)));
    }
    if limited {
        lines.push("(Iman–Conover correlates normal scores, whose Pearson correlations 2·sin(π·ρ/6) were not positive definite for these ranks; their nearest correlation matrix is used, and the rank correlations it imposes are those marked \"imposed\")".to_string());
    }
    lines
}

/// A set of cells in words: "russia in all targets, all channels", or per target when the
/// set is not one block.
fn cells(scenario: &Scenario, cells: &[usize]) -> String {
    let n_slots = scenario.n_slots();
    let n_channels = scenario.channels.len();
    let mut by_target: Vec<Vec<(usize, usize)>> = vec![Vec::new(); scenario.targets.len()];
    for &cell in cells {
        let slot = cell % n_slots;
        let pair = cell / n_slots;
        by_target[pair / n_channels].push((pair % n_channels, slot));
    }
    // Group targets that have the same (channel, slot) pattern.
    // (the (channel, slot) pairs, the targets that have exactly those)
    let mut groups: Vec<(Pattern, Vec<usize>)> = Vec::new();
    for (t, mut pattern) in by_target.into_iter().enumerate() {
        if pattern.is_empty() {
            continue;
        }
        pattern.sort_unstable();
        pattern.dedup();
        match groups.iter_mut().find(|(p, _)| *p == pattern) {
            Some((_, targets)) => targets.push(t),
            None => groups.push((pattern, vec![t])),
        }
    }
    if groups.is_empty() {
        return "no cells".to_string();
    }
    let parts: Vec<String> = groups
        .into_iter()
        .map(|(pattern, targets)| {
            let target_words = names(
                &targets,
                scenario.targets.len(),
                |t| scenario.targets[t].name.clone(),
                "all targets",
            );
            let mut slots: Vec<usize> = pattern.iter().map(|(_, s)| *s).collect();
            slots.sort_unstable();
            slots.dedup();
            let mut channels: Vec<usize> = pattern.iter().map(|(c, _)| *c).collect();
            channels.sort_unstable();
            channels.dedup();
            if slots.len() * channels.len() == pattern.len() {
                let who = names(
                    &slots,
                    scenario.actors.len(),
                    |s| scenario.slot_name(s).to_string(),
                    "all actors",
                );
                let through = names(
                    &channels,
                    n_channels,
                    |c| scenario.channels[c].name.clone(),
                    "all channels",
                );
                format!("{who} in {target_words} ({through})")
            } else {
                let pairs: Vec<String> = pattern
                    .iter()
                    .map(|(c, s)| {
                        format!("{}/{}", scenario.slot_name(*s), scenario.channels[*c].name)
                    })
                    .collect();
                format!("{} in {target_words}", pairs.join(", "))
            }
        })
        .collect();
    parts.join("; ")
}

/// Names of `indices`, or `all` when they are every one of `count` (in order).
fn names(indices: &[usize], count: usize, name: impl Fn(usize) -> String, all: &str) -> String {
    if indices.len() == count && indices.iter().enumerate().all(|(i, j)| i == *j) {
        all.to_string()
    } else {
        indices
            .iter()
            .map(|&i| name(i))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A number of the scenario in words: a constant, a parameter's name, or an inline
/// distribution with its 5–95 % range.
fn value(scenario: &Scenario, v: Value) -> String {
    match v {
        // As written (shortest form that round-trips), so that any change shows.
        Value::Const(c) => exact(c),
        Value::Param(i) => {
            let p = &scenario.params[i];
            if p.inline {
                let d = p.distribution;
                format!(
                    "{d} (5–95 %: {} to {})",
                    number(d.quantile(0.05)),
                    number(d.quantile(0.95))
                )
            } else {
                p.name.clone()
            }
        }
    }
}

fn quantiles(d: crate::distribution::Distribution) -> String {
    format!(
        "5 %: {}   50 %: {}   95 %: {}",
        number(d.quantile(0.05)),
        number(d.quantile(0.5)),
        number(d.quantile(0.95))
    )
}

/// Everything `child` assumes differently from `parent`, one line each.
pub fn changes(parent: &Scenario, child: &Scenario) -> Vec<String> {
    let mut out = Vec::new();
    let header = |s: &Scenario| (s.start, s.end, s.step, s.runs, s.seed);
    if header(parent) != header(child) {
        out.push(format!(
            "horizon and runs: {}–{} by {}, {} runs, seed {} (was {}–{} by {}, {} runs, seed {})",
            child.start,
            child.end,
            child.step.name(),
            child.runs,
            child.seed,
            parent.start,
            parent.end,
            parent.step.name(),
            parent.runs,
            parent.seed
        ));
    }
    for (kind, a, b) in [
        ("actor", &parent.actors, &child.actors),
        ("target", &parent.targets, &child.targets),
        ("channel", &parent.channels, &child.channels),
    ] {
        for e in b.iter().filter(|e| !a.iter().any(|x| x.name == e.name)) {
            out.push(format!("adds {kind} {}", e.name));
        }
        for e in a.iter().filter(|e| !b.iter().any(|x| x.name == e.name)) {
            out.push(format!("removes {kind} {}", e.name));
        }
        for e in b {
            if let Some(old) = a.iter().find(|x| x.name == e.name)
                && (old.weight - e.weight).abs() > 1e-12
            {
                out.push(format!(
                    "{kind} {}: weight {} (was {})",
                    e.name,
                    percent(e.weight),
                    percent(old.weight)
                ));
            }
        }
    }
    // Initial shares, compared by names so that added entities do not shift the comparison.
    for (t, target) in child.targets.iter().enumerate() {
        let Some(pt) = parent.targets.iter().position(|x| x.name == target.name) else {
            continue;
        };
        for (c, channel) in child.channels.iter().enumerate() {
            let Some(pc) = parent.channels.iter().position(|x| x.name == channel.name) else {
                continue;
            };
            for (s, actor) in child.actors.iter().enumerate() {
                let Some(ps) = parent.actors.iter().position(|x| x.name == actor.name) else {
                    continue;
                };
                let new = child.initial_shares[child.cell(t, c, s)];
                let old = parent.initial_shares[parent.cell(pt, pc, ps)];
                if (new - old).abs() > 1e-12 {
                    out.push(format!(
                        "initial share of {} in {}/{}: {} (was {})",
                        actor.name,
                        target.name,
                        channel.name,
                        number(new),
                        number(old)
                    ));
                }
            }
        }
    }
    let params = |s: &Scenario| {
        s.params
            .iter()
            .filter(|p| !p.inline)
            .map(|p| (p.name.clone(), vec![p.distribution.to_string()]))
            .collect()
    };
    diff_named(&mut out, "parameter", params(parent), params(child));
    let correlations = |s: &Scenario| {
        s.correlations
            .as_ref()
            .map_or_else(Vec::new, |c| correlation_lines(s, c))
    };
    if correlations(parent) != correlations(child) {
        out.push(format!(
            "rank correlations: {}",
            correlations(child).join("; ")
        ));
    }
    for rule in child.rules.iter().skip(parent.rules.len()) {
        let mut what = Vec::new();
        if let Some(d) = rule.drift {
            what.push(format!("drift {}", value(child, d)));
        }
        if let Some(v) = rule.volatility {
            what.push(format!("volatility {}", value(child, v)));
        }
        if let Some(r) = rule.reversion {
            what.push(format!(
                "reversion to {} at {}",
                value(child, r.level),
                value(child, r.speed)
            ));
        }
        if let Some(f) = rule.floor {
            what.push(format!("floor {}", value(child, f)));
        }
        if let Some(c) = rule.ceiling {
            what.push(format!("ceiling {}", value(child, c)));
        }
        let why = if rule.note.description.is_empty() {
            String::new()
        } else {
            format!(" — {}", rule.note.description)
        };
        out.push(format!(
            "adds a rule for {}: {}{why}",
            cells(child, &rule.cells),
            what.join("; ")
        ));
    }
    let drivers = |s: &Scenario| {
        s.drivers
            .iter()
            .map(|d| (d.name.clone(), driver_parts(s, d)))
            .collect()
    };
    diff_named(&mut out, "driver", drivers(parent), drivers(child));
    let events = |s: &Scenario| {
        s.events
            .iter()
            .map(|e| (e.name.clone(), event_lines(s, e)))
            .collect()
    };
    diff_named(&mut out, "event", events(parent), events(child));
    let metrics = |s: &Scenario| {
        s.metrics
            .iter()
            .map(|m| {
                let year = match m.kind {
                    MetricKind::At { year, .. } => format!(" {year}"),
                    _ => String::new(),
                };
                (
                    m.name.clone(),
                    vec![format!("{}{year}: {}", m.kind.name(), m.expr_text)],
                )
            })
            .collect()
    };
    diff_named(&mut out, "metric", metrics(parent), metrics(child));
    out
}

/// A driver as clauses, for comparing two versions of it.
fn driver_parts(scenario: &Scenario, driver: &crate::scenario::Driver) -> Vec<String> {
    match &driver.kind {
        DriverKind::Regime(r) => {
            let mut parts = vec![format!("starts in {}", r.states[r.initial])];
            for (from, row) in r.states.iter().zip(&r.transitions) {
                let moves: Vec<String> = r
                    .states
                    .iter()
                    .zip(row)
                    .map(|(to, p)| format!("{to} {}", percent(*p)))
                    .collect();
                parts.push(format!("from {from} a year later: {}", moves.join(", ")));
            }
            for (state, shifts) in r.states.iter().zip(&r.shifts) {
                for (amount, targets) in group_shifts(scenario, shifts) {
                    parts.push(format!("while {state} drift {amount} for {targets}"));
                }
            }
            parts
        }
        DriverKind::Factor(f) => {
            let mut parts = vec![
                format!("persistence {}", value(scenario, f.persistence)),
                format!("sd {}", value(scenario, f.sd)),
                format!("starts at {}", number(f.initial)),
            ];
            for (amount, targets) in group_shifts(scenario, &f.shifts) {
                parts.push(format!("drift {amount} per unit for {targets}"));
            }
            parts
        }
    }
}

/// Added, removed and changed items given as (name, clauses), compared by name; a changed
/// item shows only the clauses that differ.
fn diff_named(
    out: &mut Vec<String>,
    kind: &str,
    old: Vec<(String, Vec<String>)>,
    new: Vec<(String, Vec<String>)>,
) {
    for (name, parts) in &new {
        match old.iter().find(|(o, _)| o == name) {
            None => out.push(format!("adds {kind} {name}: {}", parts.join("; "))),
            Some((_, was)) if was != parts => {
                let now: Vec<&str> = parts
                    .iter()
                    .filter(|p| !was.contains(p))
                    .map(String::as_str)
                    .collect();
                let gone: Vec<&str> = was
                    .iter()
                    .filter(|p| !parts.contains(p))
                    .map(String::as_str)
                    .collect();
                let mut line = format!("{kind} {name}:");
                if !now.is_empty() {
                    line.push_str(&format!(" now {}", now.join("; ")));
                }
                if !gone.is_empty() {
                    let joiner = if now.is_empty() { "" } else { ";" };
                    line.push_str(&format!("{joiner} was {}", gone.join("; ")));
                }
                out.push(line);
            }
            Some(_) => {}
        }
    }
    for (name, _) in old.iter().filter(|(o, _)| !new.iter().any(|(n, _)| n == o)) {
        out.push(format!("removes {kind} {name}"));
    }
}
