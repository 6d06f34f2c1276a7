//! Rendering a PRIM [`Discovery`]: the peeling trajectory and the chosen box.

use std::fmt::Write as _;

use crate::discover::Discovery;
use crate::report::format::{decimal, p_value, percent};
use crate::report::text::{WIDTH, own_line, wrap};

/// The discovery as the terminal shows it: the peeling trajectory, then the chosen box.
pub fn table(d: &Discovery) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Scenario discovery (PRIM): {}", d.outcome);
    let base = d.positives as f64 / d.runs.max(1) as f64;
    let _ = writeln!(
        out,
        "holds in {} of {} runs ({})",
        d.positives,
        d.runs,
        percent(base, 1)
    );
    if d.positives == 0 || d.positives == d.runs {
        let _ = writeln!(out);
        out.push_str(&wrap(
            &format!(
                "Nothing to discover: the outcome holds in {} run, so no box of assumptions can make it likelier or rarer. PRIM needs an outcome that holds in some runs and not in others: loosen or tighten the condition, or look further ahead.",
                if d.positives == 0 { "no" } else { "every" }
            ),
            "",
            WIDTH,
        ));
        return out;
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "  step  coverage  density  runs in box  narrowed");
    for s in &d.trajectory {
        let narrowed: Vec<&str> = s
            .limits
            .iter()
            .filter(|l| l.restricted)
            .map(|l| l.param.as_str())
            .collect();
        let mark = if s.step == d.chosen { "*" } else { " " };
        let narrowed = wrap(&narrowed.join(", "), "", 34);
        let _ = write!(
            out,
            "{mark} {:>4}  {:>8}  {:>7}  {:>11}  {}",
            s.step,
            percent(s.coverage, 1),
            percent(s.density, 1),
            s.runs_in_box,
            narrowed
        );
    }
    let chosen = &d.trajectory[d.chosen];
    let _ = writeln!(out);
    out.push_str(&wrap(&format!("* chosen box: {}", d.rule), "", WIDTH));
    let _ = writeln!(
        out,
        "  coverage {}, density {} (against {} overall), {} runs",
        percent(chosen.coverage, 1),
        percent(chosen.density, 1),
        percent(base, 1),
        chosen.runs_in_box
    );
    for l in chosen.limits.iter().filter(|l| l.restricted) {
        let quasi = l
            .quasi_p
            .map_or(String::new(), |q| format!("   quasi-p {}", p_value(q)));
        let name = own_line(&mut out, &l.param, 24, "  ");
        let _ = writeln!(
            out,
            "  {:<24} {} … {}{quasi}",
            name,
            decimal(l.low),
            decimal(l.high)
        );
    }
    if chosen.limits.iter().any(|l| l.restricted) {
        out.push_str(&wrap(
            "(quasi-p: one-sided binomial test of the box against the box without that restriction; small means the restriction matters)",
            "  ",
            WIDTH,
        ));
    }
    if chosen.p_value > crate::discover::CHANCE_LEVEL {
        out.push_str(&wrap(
            &format!(
                "warning: the box is no better than chance: {} of its {} runs against {} overall could well be luck (one-sided binomial p = {}, and PRIM picked the box for its density, which flatters it); the outcome may not hang on these assumptions",
                (chosen.density * chosen.runs_in_box as f64).round(),
                chosen.runs_in_box,
                percent(base, 1),
                p_value(chosen.p_value)
            ),
            "  ",
            WIDTH,
        ));
    }
    if chosen.limits.iter().all(|l| !l.restricted) {
        let _ = writeln!(
            out,
            "  (no assumption narrows the outcome's odds: the box is the whole space)"
        );
    }
    out
}
