//! The expression language: parse, then resolve names and type-check against fixed names.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use steppe::expr::{Context, Names, Span};

fn names() -> &'static Names {
    static NAMES: OnceLock<Names> = OnceLock::new();
    NAMES.get_or_init(|| {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        Names {
            targets: s(&["kazakhstan", "uzbekistan"]),
            actors: s(&["russia", "china", "west"]),
            channels: s(&["security", "economy", "diplomacy"]),
            drivers: vec![
                (
                    "war".to_string(),
                    Some(s(&["stalemate", "setback", "gains", "ceasefire"])),
                ),
                ("oil".to_string(), None),
            ],
            params: s(&["threshold"]),
            derived: s(&["doubled"]),
            events: s(&["coercion"]),
        }
    })
}

/// A fixed state sized to [`names`]: indexing panics if compilation produced an index out of
/// range. It never changes, so its start is itself: `start(x)` evaluates `x` in it.
struct State<'a> {
    starts: &'a [steppe::expr::Expr],
}

impl Context for State<'_> {
    fn share(&self, target: usize, channel: usize, slot: usize) -> f64 {
        [[[0.4, 0.3, 0.2, 0.1]; 3]; 2][target][channel][slot]
    }
    fn composite(&self, target: usize, slot: usize) -> f64 {
        [[0.4, 0.3, 0.2, 0.1]; 2][target][slot]
    }
    fn region(&self, slot: usize) -> f64 {
        [0.4, 0.3, 0.2, 0.1][slot]
    }
    fn regime(&self, driver: usize) -> usize {
        [2, 0][driver]
    }
    fn factor(&self, driver: usize) -> f64 {
        [0.0, 1.5][driver]
    }
    fn param(&self, param: usize) -> f64 {
        [0.25][param]
    }
    fn derived(&self, derived: usize) -> f64 {
        [0.5][derived]
    }
    fn fired(&self, event: usize) -> bool {
        [true][event]
    }
    fn year(&self) -> f64 {
        2030.0
    }
    fn start(&self, slot: usize) -> f64 {
        self.starts[slot].eval(self)
    }
}

/// Spans are byte ranges into the expression text.
fn check(span: Span, text: &str) {
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "span {span:?} outside the text ({} bytes)",
        text.len()
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match steppe::expr::parse::parse(text) {
        Ok(ast) => {
            let mut history = steppe::expr::History::default();
            match steppe::expr::compile(&ast, names(), &mut history) {
                Ok((expr, _ty)) => {
                    let _ = expr.depends_on_state();
                    let _ = expr.eval(&State {
                        starts: &history.starts,
                    });
                }
                Err(errors) => {
                    assert!(!errors.is_empty(), "compile failed without an error");
                    for e in errors {
                        check(e.span, text);
                        let _ = format!("{} {:?}", e.message, e.hint);
                    }
                }
            }
        }
        Err(e) => {
            check(e.span, text);
            let _ = format!("{}", e.message);
        }
    }
});
