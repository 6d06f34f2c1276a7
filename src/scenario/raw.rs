//! The first stage of reading a scenario: a serde mirror of the TOML file that keeps every
//! value's byte span and rejects unknown keys. Nothing here checks meaning (names, ranges,
//! sums); `scenario::validate` does that and turns a `RawScenario` into a `Scenario`.

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use toml::Spanned;

pub type Name = Spanned<String>;
pub type Text = Option<Spanned<String>>;
/// `[initial.TARGET.CHANNEL]`: actor → share (and an optional `source`).
pub type RawInitial =
    IndexMap<Name, Spanned<IndexMap<Name, Spanned<IndexMap<Name, RawInitialValue>>>>>;
/// `[drivers.D.transitions]`: from-state → (to-state → probability, a constant, a parameter or
/// a distribution; and `concentration` for a Dirichlet row).
pub type RawTransitions = IndexMap<Name, Spanned<IndexMap<Name, Number>>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Path of the scenario this one extends, relative to this file.
    pub extends: Option<Spanned<String>>,
    pub scenario: Option<Spanned<RawHeader>>,
    #[serde(default)]
    pub actors: IndexMap<Name, Spanned<RawEntity>>,
    #[serde(default)]
    pub targets: IndexMap<Name, Spanned<RawEntity>>,
    #[serde(default)]
    pub channels: IndexMap<Name, Spanned<RawEntity>>,
    #[serde(default)]
    pub initial: RawInitial,
    #[serde(default)]
    pub params: IndexMap<Name, Spanned<RawParam>>,
    #[serde(default)]
    pub dynamics: Vec<Spanned<RawRule>>,
    #[serde(default)]
    pub drivers: IndexMap<Name, Spanned<RawDriver>>,
    #[serde(default)]
    pub events: IndexMap<Name, Spanned<RawEvent>>,
    #[serde(default)]
    pub metrics: IndexMap<Name, Spanned<RawMetric>>,
    #[serde(default)]
    pub correlations: IndexMap<Name, Spanned<RawCorrelation>>,
}

/// An entry of `[correlations]`: a parameter's row (`x = { y = 0.5 }`) or `repair = true`.
#[derive(Debug)]
pub enum RawCorrelation {
    Flag(bool),
    Row(IndexMap<Name, Spanned<RawRho>>),
}

/// A value in a row of `[correlations]`: a correlation; in an extending file or `--set`,
/// `y = "remove"` (drop the inherited correlation with `y`) or `remove = true` (drop every
/// inherited correlation of the row's parameter). Anything else is kept to be reported.
#[derive(Debug, Clone)]
pub enum RawRho {
    Number(f64),
    Flag(bool),
    Text(String),
}

impl<'de> Deserialize<'de> for RawRho {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RhoVisitor;
        impl Visitor<'_> for RhoVisitor {
            type Value = RawRho;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a rank correlation such as -0.5")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawRho, E> {
                Ok(RawRho::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawRho, E> {
                Ok(RawRho::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawRho, E> {
                Ok(RawRho::Number(v as f64))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawRho, E> {
                Ok(RawRho::Flag(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawRho, E> {
                Ok(RawRho::Text(v.to_string()))
            }
        }
        deserializer.deserialize_any(RhoVisitor)
    }
}

impl<'de> Deserialize<'de> for RawCorrelation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CorrelationVisitor;
        impl<'de> Visitor<'de> for CorrelationVisitor {
            type Value = RawCorrelation;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table of rank correlations such as { turkey_pull = -0.5 }, or `repair = true`")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawCorrelation, E> {
                Ok(RawCorrelation::Flag(v))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<RawCorrelation, A::Error> {
                IndexMap::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawCorrelation::Row)
            }
        }
        deserializer.deserialize_any(CorrelationVisitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHeader {
    pub name: Option<Name>,
    pub title: Text,
    pub description: Text,
    pub start: Option<Spanned<i64>>,
    pub end: Option<Spanned<i64>>,
    pub step: Option<Spanned<String>>,
    pub runs: Option<Spanned<i64>>,
    pub seed: Option<Spanned<i64>>,
}

/// An actor, target or channel.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEntity {
    pub label: Text,
    pub weight: Option<Number>,
    /// A target's own weights for some channels.
    pub channels: Option<Spanned<IndexMap<Name, Number>>>,
    pub description: Text,
    pub source: Text,
}

/// A value in an `[initial.T.C]` table: an actor's share, or the table's `source` text.
#[derive(Debug)]
pub enum RawInitialValue {
    Share(Spanned<f64>),
    Text(Spanned<String>),
}

/// A number as written: a constant, or a string naming a parameter or a distribution.
#[derive(Debug, Clone)]
pub enum RawNumber {
    Constant(f64),
    Text(String),
}

pub type Number = Spanned<RawNumber>;

/// A parameter: the short forms `x = 0.3` and `x = "normal(0, 1)"`, or a table.
#[derive(Debug)]
pub enum RawParam {
    Short(RawNumber),
    Full(RawParamTable),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawParamTable {
    /// In an extending scenario: drop the inherited item of this name.
    pub remove: Option<Spanned<bool>>,
    pub dist: Option<Number>,
    /// A pool of experts' distributions, instead of `dist`.
    pub pool: Option<Spanned<Vec<Spanned<RawExpert>>>>,
    pub description: Text,
    pub source: Text,
}

/// One expert of a parameter's `pool`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpert {
    pub dist: Option<Number>,
    pub weight: Option<Spanned<f64>>,
    pub source: Text,
}

/// `"all"` or a list of names.
#[derive(Debug, Clone)]
pub enum RawSelection {
    All,
    Names(Vec<Name>),
    /// A string other than "all": kept to report it.
    Other(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub actors: Option<Spanned<RawSelection>>,
    pub targets: Option<Spanned<RawSelection>>,
    pub channels: Option<Spanned<RawSelection>>,
    pub drift: Option<Number>,
    pub volatility: Option<Number>,
    pub reversion: Option<Spanned<RawReversion>>,
    pub floor: Option<Number>,
    pub ceiling: Option<Number>,
    pub common: Option<Spanned<RawCommon>>,
    pub description: Text,
    pub source: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCommon {
    pub target: Option<Number>,
    pub region: Option<Number>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReversion {
    pub level: Number,
    pub speed: Number,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDriver {
    /// In an extending scenario: drop the inherited item of this name.
    pub remove: Option<Spanned<bool>>,
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    pub description: Text,
    pub source: Text,
    // regime
    pub states: Option<Spanned<Vec<Name>>>,
    pub initial: Option<Spanned<RawNumberOrName>>,
    pub transitions: Option<Spanned<RawTransitions>>,
    // factor
    pub persistence: Option<Number>,
    pub sd: Option<Number>,
    #[serde(default)]
    pub effects: Vec<Spanned<RawDriverEffect>>,
}

/// `initial` of a driver: a state name (regime) or a number (factor), or — for a regime whose
/// start is uncertain — a table of states and their probabilities.
#[derive(Debug, Clone)]
pub enum RawNumberOrName {
    Number(f64),
    Name(String),
    Chances(IndexMap<String, Spanned<f64>>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDriverEffect {
    pub state: Option<Name>,
    pub actors: Option<Spanned<RawSelection>>,
    pub targets: Option<Spanned<RawSelection>>,
    pub channels: Option<Spanned<RawSelection>>,
    pub drift: Option<Number>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    /// In an extending scenario: drop the inherited item of this name.
    pub remove: Option<Spanned<bool>>,
    pub description: Text,
    pub source: Text,
    pub hazard: Option<Number>,
    pub window: Option<Spanned<Vec<Spanned<i64>>>>,
    pub repeat: Option<Spanned<bool>>,
    pub when: Option<Spanned<String>>,
    #[serde(default)]
    pub effects: Vec<Spanned<RawEventEffect>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEventEffect {
    pub actors: Option<Spanned<RawSelection>>,
    pub targets: Option<Spanned<RawSelection>>,
    pub channels: Option<Spanned<RawSelection>>,
    pub jump: Option<Number>,
    pub drift: Option<Number>,
    pub driver: Option<Name>,
    pub state: Option<Name>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMetric {
    /// In an extending scenario: drop the inherited item of this name.
    pub remove: Option<Spanned<bool>>,
    pub kind: Option<Spanned<String>>,
    pub expr: Option<Spanned<String>>,
    pub year: Option<Spanned<i64>>,
    pub event: Option<Name>,
    pub among: Option<Spanned<Vec<Name>>>,
    pub description: Text,
    pub source: Text,
}

impl<'de> Deserialize<'de> for RawNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberVisitor;
        impl Visitor<'_> for NumberVisitor {
            type Value = RawNumber;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number, a parameter name or a distribution such as \"normal(0, 1)\"")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawNumber, E> {
                Ok(RawNumber::Constant(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawNumber, E> {
                Ok(RawNumber::Constant(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawNumber, E> {
                Ok(RawNumber::Constant(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawNumber, E> {
                Ok(RawNumber::Text(v.to_string()))
            }
        }
        deserializer.deserialize_any(NumberVisitor)
    }
}

impl<'de> Deserialize<'de> for RawNumberOrName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InitialVisitor;
        impl<'de> Visitor<'de> for InitialVisitor {
            type Value = RawNumberOrName;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a state's name, a number (a factor), or states with their probabilities such as { setback = 0.55, stalemate = 0.45 }",
                )
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawNumberOrName, E> {
                Ok(RawNumberOrName::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawNumberOrName, E> {
                Ok(RawNumberOrName::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawNumberOrName, E> {
                Ok(RawNumberOrName::Number(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawNumberOrName, E> {
                Ok(RawNumberOrName::Name(v.to_string()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<RawNumberOrName, A::Error> {
                let chances = IndexMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawNumberOrName::Chances(chances))
            }
        }
        deserializer.deserialize_any(InitialVisitor)
    }
}

impl<'de> Deserialize<'de> for RawInitialValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Spans must be captured by `Spanned` itself, so deserialize through it.
        let spanned = Spanned::<RawNumber>::deserialize(deserializer)?;
        let span = spanned.span();
        Ok(match spanned.into_inner() {
            RawNumber::Constant(v) => RawInitialValue::Share(Spanned::new(span, v)),
            RawNumber::Text(s) => RawInitialValue::Text(Spanned::new(span, s)),
        })
    }
}

impl<'de> Deserialize<'de> for RawParam {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ParamVisitor;
        impl<'de> Visitor<'de> for ParamVisitor {
            type Value = RawParam;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a number, a distribution such as \"normal(0, 1)\", or a table with `dist`",
                )
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawParam, E> {
                Ok(RawParam::Short(RawNumber::Constant(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawParam, E> {
                Ok(RawParam::Short(RawNumber::Constant(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawParam, E> {
                Ok(RawParam::Short(RawNumber::Constant(v as f64)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawParam, E> {
                Ok(RawParam::Short(RawNumber::Text(v.to_string())))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<RawParam, A::Error> {
                RawParamTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawParam::Full)
            }
        }
        deserializer.deserialize_any(ParamVisitor)
    }
}

impl<'de> Deserialize<'de> for RawSelection {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SelectionVisitor;
        impl<'de> Visitor<'de> for SelectionVisitor {
            type Value = RawSelection;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("\"all\" or a list of names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawSelection, E> {
                Ok(if v == "all" {
                    RawSelection::All
                } else {
                    RawSelection::Other(v.to_string())
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawSelection, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<Name>()? {
                    names.push(name);
                }
                Ok(RawSelection::Names(names))
            }
        }
        deserializer.deserialize_any(SelectionVisitor)
    }
}
