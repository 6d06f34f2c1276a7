//! Rendering a PRIM [`Discovery`]: the peeling trajectory and the chosen box.

use std::fmt::Write as _;

use crate::discover::Discovery;

pub fn table(d: &Discovery) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Scenario discovery (PRIM): {}", d.outcome);
    let base = d.positives as f64 / d.runs.max(1) as f64;
    let _ = writeln!(
        out,
        "holds in {} of {} runs ({:.1}%)",
        d.positives,
        d.runs,
        base * 100.0
    );
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
        let narrowed = crate::report::table::wrap(&narrowed.join(", "), "", 34);
        let _ = write!(
            out,
            "{mark} {:>4}  {:>7.1}%  {:>6.1}%  {:>11}  {}",
            s.step,
            s.coverage * 100.0,
            s.density * 100.0,
            s.runs_in_box,
            narrowed
        );
    }
    let chosen = &d.trajectory[d.chosen];
    let _ = writeln!(out);
    out.push_str(&crate::report::table::wrap(
        &format!("* chosen box: {}", d.rule),
        "",
        80,
    ));
    let _ = writeln!(
        out,
        "  coverage {:.1}%, density {:.1}% (against {:.1}% overall), {} runs",
        chosen.coverage * 100.0,
        chosen.density * 100.0,
        base * 100.0,
        chosen.runs_in_box
    );
    for l in chosen.limits.iter().filter(|l| l.restricted) {
        let _ = writeln!(out, "  {:<24} {} … {}", l.param, num(l.low), num(l.high));
    }
    if chosen.limits.iter().all(|l| !l.restricted) {
        let _ = writeln!(
            out,
            "  (no assumption narrows the outcome's odds: the box is the whole space)"
        );
    }
    out
}

fn num(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1000.0 || v.abs() < 0.001) {
        format!("{v:.3e}")
    } else {
        format!("{v:.4}")
    }
}
