//! What a `[[dynamics]]` rule or an effect selects: `actors`, `targets` and `channels`, each
//! `"all"` (the default) or a list of names, resolved to the cells they cover — and the same
//! selection as written, which names the inline distributions the rule or effect holds.

use toml::Spanned;

use super::{Declared, Validator};
use crate::scenario::AUTONOMY;
use crate::scenario::raw::RawSelection;

impl Validator<'_> {
    /// Resolves a selection to indices; `None` (absent) means all.
    fn selection(
        &mut self,
        selection: &Option<Spanned<RawSelection>>,
        kind: &str,
        declared: &[String],
        autonomy: bool,
    ) -> Option<Vec<usize>> {
        let Some(selection) = selection else {
            return Some((0..declared.len()).collect());
        };
        match selection.get_ref() {
            RawSelection::All => Some((0..declared.len()).collect()),
            RawSelection::Other(s) => {
                let hint = if declared.contains(s) {
                    format!("write [\"{s}\"] (a list) to select one")
                } else {
                    "write \"all\" or a list of names".to_string()
                };
                self.error_hint(
                    selection.span(),
                    format!("a selection must be \"all\" or a list of {kind}s, got \"{s}\""),
                    hint,
                );
                None
            }
            RawSelection::Names(names) => {
                if names.is_empty() {
                    self.error_hint(
                        selection.span(),
                        format!("empty list of {kind}s"),
                        "remove the key to select all, or name at least one",
                    );
                    return None;
                }
                let mut indices = Vec::new();
                let mut ok = true;
                for name in names {
                    if autonomy && name.get_ref() == AUTONOMY {
                        indices.push(declared.len());
                        continue;
                    }
                    match self.lookup(name, kind, declared) {
                        Some(i) if !indices.contains(&i) => indices.push(i),
                        Some(_) => self.error(
                            name.span(),
                            format!("{kind} `{}` is listed twice", name.get_ref()),
                        ),
                        None => ok = false,
                    }
                }
                ok.then_some(indices)
            }
        }
    }

    /// Cells selected by an actors/targets/channels triple.
    pub(super) fn cells(
        &mut self,
        actors: &Option<Spanned<RawSelection>>,
        targets: &Option<Spanned<RawSelection>>,
        channels: &Option<Spanned<RawSelection>>,
        declared: &Declared,
    ) -> Option<Vec<usize>> {
        let actors = self.selection(actors, "actor", &declared.actors, true);
        let targets = self.selection(targets, "target", &declared.targets, false);
        let channels = self.selection(channels, "channel", &declared.channels, false);
        let (actors, targets, channels) = (actors?, targets?, channels?);
        let n_slots = declared.actors.len() + 1;
        let mut cells = Vec::with_capacity(actors.len() * targets.len() * channels.len());
        for &t in &targets {
            for &c in &channels {
                for &a in &actors {
                    cells.push((t * declared.channels.len() + c) * n_slots + a);
                }
            }
        }
        Some(cells)
    }
}

/// What a rule or an effect selects, as written: `ACTORS;TARGETS;CHANNELS`, each `all` or the
/// names joined by commas (`russia;kazakhstan;security,energy`). Part of the names of inline
/// distributions, so it depends on nothing but the selection.
pub(super) fn selection_key(
    actors: &Option<Spanned<RawSelection>>,
    targets: &Option<Spanned<RawSelection>>,
    channels: &Option<Spanned<RawSelection>>,
) -> String {
    [actors, targets, channels]
        .map(|selection| match selection.as_ref().map(Spanned::get_ref) {
            None | Some(RawSelection::All) => "all".to_string(),
            Some(RawSelection::Other(s)) => s.clone(),
            Some(RawSelection::Names(names)) => names
                .iter()
                .map(|n| n.get_ref().as_str())
                .collect::<Vec<_>>()
                .join(","),
        })
        .join(";")
}
