//! `[actors]`, `[targets]`, `[channels]`: the names every other section resolves against, and
//! the weights of targets and channels, normalised to sum 1.

use indexmap::IndexMap;
use toml::Spanned;

use super::number::{POSITIVE, Place};
use super::{Declared, Validator, text};
use crate::scenario::raw::{Name, Number, RawEntity, RawNumber};
use crate::scenario::{AUTONOMY, Entity, Value};

/// The actors, targets and channels as checked, in file order.
pub(super) struct Entities {
    pub(super) actors: Vec<Entity>,
    pub(super) targets: Vec<Entity>,
    pub(super) channels: Vec<Entity>,
    /// The weights of targets and channels as written, resolved by [`Validator::weights`]
    /// once the parameters are known.
    weights: [Vec<Option<Number>>; 2],
    /// Each target's own channel weights as written, resolved with the others.
    target_channels: Vec<Option<OwnWeights>>,
    /// See [`crate::scenario::Scenario::composite_weights`].
    pub(super) composite_weights: Vec<f64>,
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

/// A target's `channels = { … }` as written.
type OwnWeights = Spanned<IndexMap<Name, Number>>;

impl Validator<'_> {
    pub(super) fn entities(
        &mut self,
        actors: RawEntities,
        targets: RawEntities,
        channels: RawEntities,
    ) -> Entities {
        let (actors, _, _) = self.entity_table(actors, "actor", false);
        let (targets, target_weights, target_channels) = self.entity_table(targets, "target", true);
        let (channels, channel_weights, _) = self.entity_table(channels, "channel", true);
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
            weights: [target_weights, channel_weights],
            target_channels,
            composite_weights: Vec::new(),
        }
    }

    /// Resolves the weights of targets and channels (constants, parameters or inline
    /// distributions, all positive) and normalises them; after the named parameters.
    pub(super) fn weights(&mut self, entities: &mut Entities) {
        let weights = std::mem::take(&mut entities.weights);
        // The channels' weights as written (at their medians), before normalisation: a
        // target's own weights replace them on that scale.
        let mut written = Vec::new();
        for ((list, kind), raw) in [
            (&mut entities.targets, "targets"),
            (&mut entities.channels, "channels"),
        ]
        .into_iter()
        .zip(weights)
        {
            for (entity, weight) in list.iter_mut().zip(raw) {
                // Unnormalised again: 1 unless given.
                entity.weight = 1.0;
                let Some(weight) = weight else {
                    continue;
                };
                let place = Place::at(&format!("{kind}.{}", entity.name), "weight");
                if let RawNumber::Constant(w) = weight.get_ref()
                    && !(*w > 0.0 && w.is_finite())
                {
                    let what = kind.trim_end_matches('s');
                    self.error(
                        weight.span(),
                        format!("a {what}'s weight must be > 0, got {w}"),
                    );
                    continue;
                }
                if let Some(value) = self.number(&weight, &place, POSITIVE) {
                    entity.weight_value = value;
                    entity.weight = self.spread(value).1;
                }
            }
            if kind == "channels" {
                written = list.iter().map(|e| e.weight).collect();
            }
            normalise_weights(list);
        }
        let target_channels = std::mem::take(&mut entities.target_channels);
        for (t, own) in target_channels.into_iter().enumerate() {
            let Some(own) = own else {
                // The channels' own normalised weights, to the bit.
                entities
                    .composite_weights
                    .extend(entities.channels.iter().map(|c| c.weight));
                continue;
            };
            let mut row = written.clone();
            {
                for (channel, weight) in own.get_ref() {
                    let names: Vec<String> =
                        entities.channels.iter().map(|c| c.name.clone()).collect();
                    let Some(c) = self.lookup(channel, "channel", &names) else {
                        continue;
                    };
                    let place = Place::at(
                        &format!("targets.{}.channels", entities.targets[t].name),
                        channel.get_ref(),
                    );
                    if let RawNumber::Constant(w) = weight.get_ref()
                        && !(*w > 0.0 && w.is_finite())
                    {
                        self.error(
                            weight.span(),
                            format!("a channel's weight must be > 0, got {w}"),
                        );
                        continue;
                    }
                    if let Some(value) = self.number(weight, &place, POSITIVE) {
                        row[c] = self.spread(value).1;
                        entities.targets[t].channel_weights.push((c, value));
                    }
                }
            }
            let total: f64 = row.iter().sum();
            entities
                .composite_weights
                .extend(row.iter().map(|w| w / total));
        }
    }

    /// One table of entities of `kind`, and their weights as written; `weighted` for targets
    /// and channels (whose weights [`Validator::weights`] resolves later).
    fn entity_table(
        &mut self,
        map: RawEntities,
        kind: &str,
        weighted: bool,
    ) -> (Vec<Entity>, Vec<Option<Number>>, Vec<Option<OwnWeights>>) {
        let mut entities = Vec::new();
        let mut weights = Vec::new();
        let mut own_channels = Vec::new();
        for (name, entity) in map {
            self.identifier(&name);
            let reserved = name.get_ref() == AUTONOMY
                || (kind == "actor"
                    && (name.get_ref() == "source" || name.get_ref() == "concentration"))
                || (kind == "target" && name.get_ref() == "region");
            if reserved {
                self.error_hint(
                    name.span(),
                    format!("`{}` is reserved and cannot be the name of {} {kind}", name.get_ref(), if kind == "actor" { "an" } else { "a" }),
                    "`autonomy` is the target's own share, `region` the aggregate of the targets in results, `source` cites a row of initial shares and `concentration` makes it a Dirichlet",
                );
            }
            let entity = entity.into_inner();
            if let Some(w) = &entity.weight
                && !weighted
            {
                self.error_hint(
                    w.span(),
                    format!("an {kind} has no weight"),
                    "weights belong to targets and channels",
                );
            }
            weights.push(entity.weight.filter(|_| weighted));
            if let Some(c) = &entity.channels
                && kind != "target"
            {
                self.error_hint(
                    c.span(),
                    format!("{} {kind} has no channel weights", if kind == "actor" { "an" } else { "a" }),
                    "a target's `channels = { energy = 0.3 }` gives the channels' weights in that target's composite",
                );
            }
            own_channels.push(entity.channels.filter(|_| kind == "target"));
            let name = name.into_inner();
            entities.push(Entity {
                label: entity
                    .label
                    .map_or_else(|| name.clone(), Spanned::into_inner),
                name,
                weight: 1.0,
                weight_value: Value::Const(1.0),
                channel_weights: Vec::new(),
                description: text(entity.description),
                source: text(entity.source),
            });
        }
        normalise_weights(&mut entities);
        (entities, weights, own_channels)
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
