//! `[actors]`, `[targets]`, `[channels]`: the names every other section resolves against, and
//! the weights of targets and channels, normalised to sum 1.

use indexmap::IndexMap;
use toml::Spanned;

use super::{Declared, Validator, text};
use crate::scenario::raw::{Name, RawEntity};
use crate::scenario::{AUTONOMY, Entity};

/// The actors, targets and channels as checked, in file order.
pub(super) struct Entities {
    pub(super) actors: Vec<Entity>,
    pub(super) targets: Vec<Entity>,
    pub(super) channels: Vec<Entity>,
}

impl Entities {
    /// Their names, for resolving selections.
    pub(super) fn declared(&self) -> Declared {
        let names = |list: &[Entity]| list.iter().map(|e| e.name.clone()).collect();
        Declared {
            actors: names(&self.actors),
            targets: names(&self.targets),
            channels: names(&self.channels),
        }
    }
}

type RawEntities = IndexMap<Name, Spanned<RawEntity>>;

impl Validator<'_> {
    pub(super) fn entities(
        &mut self,
        actors: RawEntities,
        targets: RawEntities,
        channels: RawEntities,
    ) -> Entities {
        let actors = self.entity_table(actors, "actor", false);
        let targets = self.entity_table(targets, "target", true);
        let channels = self.entity_table(channels, "channel", true);
        for (list, kind) in [
            (&actors, "actors"),
            (&targets, "targets"),
            (&channels, "channels"),
        ] {
            if list.is_empty() {
                self.error_hint(
                    0..0,
                    format!("the scenario declares no {kind}"),
                    format!("add a [{kind}] table"),
                );
            }
        }
        Entities {
            actors,
            targets,
            channels,
        }
    }

    /// One table of entities of `kind`; `weighted` for targets and channels.
    fn entity_table(&mut self, map: RawEntities, kind: &str, weighted: bool) -> Vec<Entity> {
        let mut entities = Vec::new();
        for (name, entity) in map {
            self.identifier(&name);
            let reserved = name.get_ref() == AUTONOMY
                || (kind == "actor" && name.get_ref() == "source")
                || (kind == "target" && name.get_ref() == "region");
            if reserved {
                self.error_hint(
                    name.span(),
                    format!("`{}` is reserved and cannot be the name of {} {kind}", name.get_ref(), if kind == "actor" { "an" } else { "a" }),
                    "`autonomy` is the target's own share, `region` the aggregate of the targets in results, `source` cites a row of initial shares",
                );
            }
            let entity = entity.into_inner();
            let weight = self.weight(entity.weight, kind, weighted);
            let name = name.into_inner();
            entities.push(Entity {
                label: entity
                    .label
                    .map_or_else(|| name.clone(), Spanned::into_inner),
                name,
                weight,
                description: text(entity.description),
                source: text(entity.source),
            });
        }
        normalise_weights(&mut entities);
        entities
    }

    /// An entity's weight as written (1 when absent or wrong), before normalisation.
    fn weight(&mut self, weight: Option<Spanned<f64>>, kind: &str, weighted: bool) -> f64 {
        match weight {
            None => 1.0,
            Some(w) if !weighted => {
                self.error_hint(
                    w.span(),
                    format!("an {kind} has no weight"),
                    "weights belong to targets and channels",
                );
                1.0
            }
            Some(w) if *w.get_ref() > 0.0 && w.get_ref().is_finite() => *w.get_ref(),
            Some(w) => {
                self.error(
                    w.span(),
                    format!("a {kind}'s weight must be > 0, got {}", w.get_ref()),
                );
                1.0
            }
        }
    }
}

/// Scales the weights to sum 1.
fn normalise_weights(entities: &mut [Entity]) {
    // Divide by the largest first, so that huge weights cannot overflow the sum.
    let largest = entities.iter().map(|e| e.weight).fold(0.0, f64::max);
    let total: f64 = entities.iter().map(|e| e.weight / largest).sum();
    for entity in entities {
        entity.weight = entity.weight / largest / total;
    }
}
