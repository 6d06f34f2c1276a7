//! The JSON Schema of the scenario format, for editors with TOML schema support (Taplo, Even
//! Better TOML): key completion, hover text, and marks on unknown keys and wrong types.
//!
//! It describes the shape only; meaning (names that exist, ranges, sums) is checked by
//! `steppe validate`. `docs/steppe.schema.json` is this output, kept equal by a test; the
//! tests below keep its keys those of `raw.rs`, table by table, both ways.

use serde_json::{Value, json};

/// The schema as pretty-printed JSON, ending in a newline.
pub fn render() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).expect("a JSON value always serialises");
    text.push('\n');
    text
}

/// The schema as a JSON value (JSON Schema draft-07).
pub fn schema() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "steppe.schema.json",
        "title": "steppe scenario",
        "description": "A Monte Carlo scenario of geopolitical influence. Reference: docs/format.md.",
        "type": "object",
        "additionalProperties": false,
        "required": ["scenario"],
        "properties": {
            "extends": {
                "type": "string",
                "description": "Path of the scenario this one builds on, relative to this file. Tables merge key by key; named items by name; [[dynamics]] rules append."
            },
            "scenario": {
                "type": "object",
                "additionalProperties": false,
                "description": "What the scenario is called and over which years it runs.",
                "properties": {
                    "name": { "type": "string", "description": "Identifier used in outputs." },
                    "title": { "type": "string", "description": "One line for humans." },
                    "description": { "type": "string", "description": "The story." },
                    "start": { "type": "integer", "description": "Year of the initial state." },
                    "end": { "type": "integer", "description": "Horizon year (after start)." },
                    "step": { "enum": ["year", "quarter", "month"], "description": "Simulation step; every rate stays per year." },
                    "runs": { "type": "integer", "minimum": 1, "description": "Number of simulated futures (--runs overrides)." },
                    "seed": { "type": "integer", "minimum": 0, "description": "Master seed (--seed overrides)." }
                }
            },
            "actors": named("Outside powers competing for influence.", entity(false)),
            "targets": named("States where influence is contested.", target()),
            "channels": named("Kinds of influence (security, economy, ...).", entity(true)),
            "initial": {
                "type": "object",
                "description": "Initial shares: [initial.TARGET.CHANNEL] actor = share; autonomy is the remainder.",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {
                            "source": { "type": "string", "description": "Where these figures come from." },
                            "concentration": { "type": "number", "exclusiveMinimum": 0, "maximum": 1000000, "description": "Makes the cell a Dirichlet around its shares (autonomy the rest): each run draws them; the larger, the closer to the shares written." }
                        },
                        "additionalProperties": {
                            "oneOf": [
                                { "type": "number", "minimum": 0, "exclusiveMaximum": 1, "description": "A share; 0 when the actor is absent here." },
                                { "type": "string", "description": "A parameter's name or a distribution whose values lie in (0, 1), e.g. \"pert(0.35, 0.45, 0.55)\"." }
                            ],
                            "description": "The actor's initial share, in (0, 1): a number, a parameter or a distribution (the actors' highest values must sum below 1; autonomy is the remainder in every run)."
                        }
                    }
                }
            },
            "params": named("Named assumptions, each drawn once per run.", param()),
            "dynamics": {
                "type": "array",
                "description": "Rules of how log-strengths move, per year. Drifts of matching rules add; other keys: last rule wins.",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "actors": selection("Actors (\"autonomy\" allowed)."),
                        "targets": selection("Targets."),
                        "channels": selection("Channels."),
                        "drift": number("Trend of ln(strength) per year."),
                        "volatility": number("Standard deviation of ln(strength) after one year of noise."),
                        "reversion": {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["level", "speed"],
                            "description": "Mean reversion of ln(strength) toward ln(level).",
                            "properties": {
                                "level": number("Strength reverted to, on the scale of the initial shares."),
                                "speed": number("Speed per year.")
                            }
                        },
                        "floor": number("Lowest share in each selected target and channel."),
                        "ceiling": number("Highest share in each selected target and channel."),
                        "common": {
                            "type": "object",
                            "additionalProperties": false,
                            "minProperties": 1,
                            "description": "Shocks shared by the selected cells of one actor: standard deviations of ln(strength) after one year, added to each cell's own volatility.",
                            "properties": {
                                "target": number("Shock an actor shares across the selected channels of one target."),
                                "region": number("Shock an actor shares across every selected target and channel.")
                            }
                        },
                        "description": { "type": "string" },
                        "source": { "type": "string" }
                    }
                }
            },
            "drivers": named("Markov regime chains and AR(1) factors that shift drifts.", driver()),
            "events": named("Discrete happenings with a yearly hazard.", event()),
            "metrics": named("The questions, computed in every run.", metric()),
            "correlations": {
                "type": "object",
                "description": "Rank (Spearman) correlations between named parameters, imposed by Iman-Conover: x = { y = 0.5 }. `repair = true` uses the nearest valid matrix if the given one is not. In an extending file: y = \"remove\" drops the inherited correlation of x and y, remove = true every inherited correlation of x.",
                "properties": { "repair": { "type": "boolean" } },
                "additionalProperties": {
                    "type": "object",
                    "properties": { "remove": { "type": "boolean" } },
                    "additionalProperties": {
                        "oneOf": [
                            { "type": "number", "minimum": -1, "maximum": 1 },
                            { "const": "remove" }
                        ]
                    }
                }
            }
        }
    })
}

fn named(description: &str, item: Value) -> Value {
    json!({ "type": "object", "description": description, "additionalProperties": item })
}

fn entity(weighted: bool) -> Value {
    let mut properties = json!({
        "label": { "type": "string" },
        "description": { "type": "string" },
        "source": { "type": "string" }
    });
    if weighted {
        properties["weight"] = json!({
            "oneOf": [
                { "type": "number", "exclusiveMinimum": 0 },
                { "type": "string", "description": "A parameter's name or a positive distribution, e.g. \"uniform(1, 3)\"." }
            ],
            "description": "Relative weight (normalised); may be uncertain: a parameter or a distribution, drawn once per run, the table's weights normalised in each run."
        });
    }
    json!({ "type": "object", "additionalProperties": false, "properties": properties })
}

/// A target: an entity with a weight, and the channels' weights in its own composite.
fn target() -> Value {
    let mut t = entity(true);
    t["properties"]["channels"] = json!({
        "type": "object",
        "description": "The weights of some channels in this target's composite, replacing theirs (as written, before normalisation) here only: e.g. { energy = 0.30 } where energy matters more. Each a number, a parameter or a distribution.",
        "additionalProperties": number("This channel's weight in this target.")
    });
    t
}

/// A number slot: a constant, a parameter's name or an inline distribution.
fn number(description: &str) -> Value {
    json!({ "type": ["number", "string"], "description": format!("{description} A number, a parameter name, or a distribution such as \"normal(0, 1)\".") })
}

fn selection(description: &str) -> Value {
    json!({
        "description": format!("{description} \"all\" (default) or a list of names."),
        "anyOf": [ { "const": "all" }, { "type": "array", "items": { "type": "string" } } ]
    })
}

fn remove() -> Value {
    json!({ "type": "boolean", "description": "In an extending scenario: drop the inherited item." })
}

fn param() -> Value {
    json!({
        "anyOf": [
            { "type": "number", "description": "A fixed value." },
            { "type": "string", "description": "A distribution such as \"normal(-0.03, 0.01)\"." },
            {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "dist": number("The distribution: fixed(v), normal(mean, sd), lognormal(mu, sigma), uniform(low, high), triangular(low, mode, high), beta(alpha, beta), pert(low, mode, high), quantiles(5% = a, 50% = b, 95% = c[, low = l][, high = h]) (a metalog through them); or an expression of other parameters such as '-param(\"x\")'."),
                    "pool": {
                        "type": "array",
                        "description": "Instead of dist: a pool of experts, a weighted mixture of their distributions.",
                        "items": {
                            "type": "object",
                            "additionalProperties": false,
                            "properties": {
                                "dist": number("This expert's distribution."),
                                "weight": { "type": "number", "exclusiveMinimum": 0, "description": "Relative weight (default 1); the weights are normalised." },
                                "source": { "type": "string", "description": "Who judged so." }
                            }
                        }
                    },
                    "description": { "type": "string" },
                    "source": { "type": "string", "description": "A claim id (C1-C19) or data source." },
                    "remove": remove()
                }
            }
        ]
    })
}

fn driver() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "type": { "enum": ["regime", "factor"] },
            "description": { "type": "string" },
            "source": { "type": "string" },
            "remove": remove(),
            "states": { "type": "array", "items": { "type": "string" }, "description": "Regime: the states." },
            "initial": {
                "oneOf": [
                    { "type": "string", "description": "Regime: the state it starts in." },
                    { "type": "number", "description": "Factor: its initial value, in standard deviations." },
                    {
                        "type": "object",
                        "description": "Regime with an uncertain start: the probability of starting in each state, summing to 1; drawn in each run.",
                        "additionalProperties": { "type": "number", "minimum": 0, "maximum": 1 }
                    }
                ]
            },
            "transitions": {
                "type": "object",
                "description": "Regime: per-year transition probabilities, a row per state, each summing to 1. An entry may be drawn (a parameter or a distribution): the row's plain numbers then make room in proportion in each run. An entry set by an extending file, --set or --vary replaces only itself, the row's other numbers scaled to keep the sum 1.",
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "concentration": { "type": "number", "exclusiveMinimum": 0, "maximum": 1000000, "description": "Makes the row a Dirichlet around its numbers (the means): each run draws its row; the larger, the closer to the means." }
                    },
                    "additionalProperties": number("The yearly probability of moving to this state.")
                }
            },
            "persistence": number("Factor: AR(1) coefficient over one year, in [0, 1)."),
            "sd": number("Factor: stationary standard deviation."),
            "effects": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "state": { "type": "string", "description": "Regime: the state in which the shift applies." },
                        "actors": selection("Actors."),
                        "targets": selection("Targets."),
                        "channels": selection("Channels."),
                        "drift": number("Drift shift per year (factor: per unit of the factor).")
                    }
                }
            }
        }
    })
}

fn event() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "description": { "type": "string" },
            "source": { "type": "string" },
            "remove": remove(),
            "hazard": number("Probability per year, in [0, 1]."),
            "window": { "type": "array", "items": { "type": "integer" }, "minItems": 2, "maxItems": 2, "description": "[first year, last year], inclusive." },
            "repeat": { "type": "boolean", "description": "May fire more than once (default false)." },
            "when": { "type": "string", "description": "Condition, e.g. regime(\"war\") == \"gains\"." },
            "effects": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "actors": selection("Actors."),
                        "targets": selection("Targets."),
                        "channels": selection("Channels."),
                        "jump": number("Added to ln(strength) once, when the event fires."),
                        "drift": number("Added to the yearly drift from then on."),
                        "driver": { "type": "string", "description": "Regime forced to `state`." },
                        "state": { "type": "string" }
                    }
                }
            }
        }
    })
}

fn metric() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "kind": { "enum": ["at", "first", "ever", "always", "duration", "count", "leader", "min", "max"] },
            "expr": { "type": "string", "description": "Expression over share(), region(), regime(), factor(), param(), fired(), start(), year (every kind but count). Kind \"leader\": a number in which the bare name `actor` stands for each category, e.g. region(actor)." },
            "year": { "type": "integer", "description": "Kinds \"at\" and \"leader\": the year (default: end)." },
            "among": { "type": "array", "items": { "type": "string" }, "minItems": 2, "uniqueItems": true, "description": "Kind \"leader\": the categories compared, actors or \"autonomy\" (default: every actor, then autonomy)." },
            "event": { "type": "string", "description": "Kind \"count\": the event whose firings are counted." },
            "description": { "type": "string" },
            "source": { "type": "string" },
            "remove": remove()
        }
    })
}

#[cfg(test)]
mod tests {
    //! The schema is written by hand, for what it tells an editor (a description on every key,
    //! the forms a number or a selection may take, which ranges are open), which a schema
    //! generated from the raw types would not say. These tests keep it from drifting from
    //! `raw.rs`: every key serde accepts is in the schema, in the right table, and every key
    //! of the schema is one serde accepts.

    use serde_json::Value;

    use super::schema;
    use crate::scenario::raw::{
        RawCommon, RawDriver, RawDriverEffect, RawEntity, RawEvent, RawEventEffect, RawExpert,
        RawHeader, RawMetric, RawParamTable, RawReversion, RawRule, RawScenario,
    };
    use crate::scenario::shape::keys_of;

    /// A table of the file and where the schema describes it.
    struct Place {
        /// The raw type it is read into, or what reads its keys.
        table: &'static str,
        /// Its keys, as serde lists them.
        keys: Vec<String>,
        /// The JSON pointer of its description in the schema.
        pointer: &'static str,
        /// Keys serde takes that the schema leaves out on purpose.
        left_out: &'static [&'static str],
    }

    fn place<T: serde::de::DeserializeOwned>(table: &'static str, pointer: &'static str) -> Place {
        Place {
            table,
            keys: keys_of::<T>(),
            pointer,
            left_out: &[],
        }
    }

    /// Every table of `raw.rs`, where the schema describes it.
    fn raw_tables() -> Vec<Place> {
        vec![
            place::<RawScenario>("RawScenario", ""),
            place::<RawHeader>("RawHeader", "/properties/scenario"),
            Place {
                // An actor takes no weight (validation says so); the schema marks it at once.
                left_out: &["weight", "channels"],
                ..place::<RawEntity>("RawEntity", "/properties/actors/additionalProperties")
            },
            place::<RawEntity>("RawEntity", "/properties/targets/additionalProperties"),
            Place {
                // Channel weights by target belong to targets (validation says so).
                left_out: &["channels"],
                ..place::<RawEntity>("RawEntity", "/properties/channels/additionalProperties")
            },
            place::<RawParamTable>(
                "RawParamTable",
                "/properties/params/additionalProperties/anyOf/2",
            ),
            place::<RawExpert>(
                "RawExpert",
                "/properties/params/additionalProperties/anyOf/2/properties/pool/items",
            ),
            place::<RawRule>("RawRule", "/properties/dynamics/items"),
            place::<RawReversion>(
                "RawReversion",
                "/properties/dynamics/items/properties/reversion",
            ),
            place::<RawCommon>("RawCommon", "/properties/dynamics/items/properties/common"),
            place::<RawDriver>("RawDriver", "/properties/drivers/additionalProperties"),
            place::<RawDriverEffect>(
                "RawDriverEffect",
                "/properties/drivers/additionalProperties/properties/effects/items",
            ),
            place::<RawEvent>("RawEvent", "/properties/events/additionalProperties"),
            place::<RawEventEffect>(
                "RawEventEffect",
                "/properties/events/additionalProperties/properties/effects/items",
            ),
            place::<RawMetric>("RawMetric", "/properties/metrics/additionalProperties"),
        ]
    }

    /// Tables whose other keys are names (of actors, of parameters), with a few fixed keys
    /// that the validator and merge read by name rather than serde as fields.
    fn named_keys() -> Vec<Place> {
        let fixed = |table, keys: &[&str], pointer| Place {
            table,
            keys: keys.iter().map(|k| k.to_string()).collect(),
            pointer,
            left_out: &[],
        };
        vec![
            fixed(
                "[initial.T.C] (validate/initial.rs)",
                &["source", crate::scenario::validate::CONCENTRATION],
                "/properties/initial/additionalProperties/additionalProperties",
            ),
            fixed(
                "[correlations] (validate/correlations.rs)",
                &["repair"],
                "/properties/correlations",
            ),
            fixed(
                "a row of [drivers.D.transitions] (validate/transitions.rs)",
                &[crate::scenario::validate::CONCENTRATION],
                "/properties/drivers/additionalProperties/properties/transitions/additionalProperties",
            ),
            fixed(
                "a row of [correlations] (merge.rs)",
                &["remove"],
                "/properties/correlations/additionalProperties",
            ),
        ]
    }

    fn described_keys(schema: &Value, place: &Place) -> Vec<String> {
        let table = schema.pointer(place.pointer).unwrap_or_else(|| {
            panic!(
                "{}: nothing at {} in the schema",
                place.table, place.pointer
            )
        });
        let mut keys: Vec<String> = table["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{}: no properties at {}", place.table, place.pointer))
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn the_schema_has_every_key_of_raw_rs_and_no_other() {
        let schema = schema();
        for place in raw_tables().iter().chain(&named_keys()) {
            let mut expected: Vec<String> = place
                .keys
                .iter()
                .filter(|k| !place.left_out.contains(&k.as_str()))
                .cloned()
                .collect();
            expected.sort();
            assert!(!expected.is_empty(), "{}: no keys found", place.table);
            assert_eq!(
                described_keys(&schema, place),
                expected,
                "{} at {}: the schema's keys (left) against raw.rs's (right)",
                place.table,
                place.pointer
            );
        }
        // serde refuses unknown keys of a raw table; the schema marks them too.
        for place in raw_tables() {
            let table = schema.pointer(place.pointer).expect("checked above");
            assert_eq!(
                table["additionalProperties"],
                Value::Bool(false),
                "{} at {}",
                place.table,
                place.pointer
            );
        }
    }

    #[test]
    fn every_table_of_raw_rs_and_of_the_schema_is_compared() {
        // Each `#[derive(Deserialize)]` struct of raw.rs has a place in the schema.
        let source = include_str!("raw.rs");
        let mut derived = false;
        let compared: Vec<&str> = raw_tables().iter().map(|p| p.table).collect();
        for line in source.lines() {
            if line.starts_with("#[derive(") {
                derived = line.contains("Deserialize");
            } else if let Some(rest) = line.strip_prefix("pub struct ") {
                let name = rest.split([' ', '<', '{']).next().unwrap();
                assert!(
                    !derived || compared.contains(&name),
                    "{name} of raw.rs has no place in the schema's test"
                );
                derived = false;
            }
        }
        // Each table the schema describes is one of them, or one whose keys are read by name.
        let mut tables = Vec::new();
        tables_of(&schema(), String::new(), &mut tables);
        let places: Vec<&str> = raw_tables()
            .iter()
            .chain(&named_keys())
            .map(|p| p.pointer)
            .collect();
        for pointer in &tables {
            assert!(
                places.contains(&pointer.as_str()),
                "the schema describes keys at {pointer}, which no table of raw.rs is compared with"
            );
        }
        assert_eq!(tables.len(), places.len(), "{tables:?}");
    }

    /// The JSON pointers of every object of `schema` that lists `properties`.
    fn tables_of(schema: &Value, pointer: String, out: &mut Vec<String>) {
        match schema {
            Value::Object(object) => {
                if object.contains_key("properties") {
                    out.push(pointer.clone());
                }
                for (key, value) in object {
                    tables_of(value, format!("{pointer}/{key}"), out);
                }
            }
            Value::Array(items) => {
                for (i, value) in items.iter().enumerate() {
                    tables_of(value, format!("{pointer}/{i}"), out);
                }
            }
            _ => {}
        }
    }
}
