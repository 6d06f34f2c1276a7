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
        let quasi = l
            .quasi_p
            .map_or(String::new(), |q| format!("   quasi-p {}", p_value(q)));
        let _ = writeln!(
            out,
            "  {:<24} {} … {}{quasi}",
            l.param,
            num(l.low),
            num(l.high)
        );
    }
    if chosen.limits.iter().any(|l| l.restricted) {
        out.push_str(&crate::report::table::wrap(
            "(quasi-p: one-sided binomial test of the box against the box without that restriction; small means the restriction matters)",
            "  ",
            80,
        ));
    }
    if chosen.p_value > crate::discover::CHANCE_LEVEL {
        out.push_str(&crate::report::table::wrap(
            &format!(
                "warning: the box is no better than chance: {} of its {} runs against {:.1}% overall could well be luck (one-sided binomial p = {}, and PRIM picked the box for its density, which flatters it); the outcome may not hang on these assumptions",
                (chosen.density * chosen.runs_in_box as f64).round(),
                chosen.runs_in_box,
                base * 100.0,
                p_value(chosen.p_value)
            ),
            "  ",
            80,
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

fn p_value(p: f64) -> String {
    if p < 1e-3 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

fn num(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1000.0 || v.abs() < 0.001) {
        format!("{v:.3e}")
    } else {
        format!("{v:.4}")
    }
}
