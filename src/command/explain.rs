//! `steppe explain` and `steppe validate`: a scenario's assumptions in words, and the check of
//! scenario files without running them.

use super::{Environment, load};
use crate::error::Error;
use crate::report;

/// The assumptions of `file` in plain words. With `overrides`, it starts with what they change
/// relative to the file as written; otherwise with what the file changes relative to the one
/// it extends (unless that one does not load on its own — an "abstract" base the child
/// completes — which is then said instead).
pub fn explain(env: &dyn Environment, file: &str, overrides: &[String]) -> Result<String, Error> {
    let scenario = load(env, file, overrides, &[])?;
    let mut note = String::new();
    let parent = if !overrides.is_empty() {
        Some((load(env, file, &[], &[])?, format!("{file} as written")))
    } else {
        match &scenario.extends {
            Some(parent) => match load(env, parent, &[], &[]) {
                Ok(p) => Some((p, parent.clone())),
                Err(e) => {
                    let first = e.to_string().lines().next().unwrap_or_default().to_string();
                    note = format!(
                        "(what it changes is not listed: {parent} does not load on its own — {first})\n\n"
                    );
                    None
                }
            },
            None => None,
        }
    };
    let text = report::explain::render(
        &scenario,
        parent.as_ref().map(|(p, from)| (p, from.as_str())),
    );
    Ok(format!("{note}{text}"))
}

/// Checks one file (with `overrides`): a line saying what it holds, or its problems.
pub fn validate(env: &dyn Environment, file: &str, overrides: &[String]) -> Result<String, Error> {
    let scenario = load(env, file, overrides, &[])?;
    let counts = [
        (scenario.actors.len(), "actor"),
        (scenario.targets.len(), "target"),
        (scenario.channels.len(), "channel"),
        (scenario.n_named_params(), "parameter"),
        (scenario.drivers.len(), "driver"),
        (scenario.events.len(), "event"),
        (scenario.metrics.len(), "metric"),
    ]
    .map(|(n, noun)| format!("{n} {noun}{}", if n == 1 { "" } else { "s" }));
    Ok(format!("{file}: ok ({})", counts.join(", ")))
}
