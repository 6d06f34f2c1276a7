//! `steppe merge` on damaged, edited and mismatched partials: refused with what is wrong (exit
//! 2, nothing written), never a panic, never a silently different result.

use crate::common::steppe_in;
use std::path::Path;

use steppe::command::{Request, run::RunRequest};
use steppe::engine::{RunConfig, simulate};
use steppe::shard::{self, Partial, PartialOutcome};

fn scenario_file() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/data/two_targets.toml")
        .display()
        .to_string()
}

/// Three shards of `run` (with runs.csv) in `dir`/p0..p2, from a copy of the scenario.
fn three_shards(dir: &Path, seed: &str) {
    std::fs::copy(scenario_file(), dir.join("s.toml")).unwrap();
    for k in 0..3 {
        let out = steppe_in(
            dir,
            &[
                "run",
                "s.toml",
                "--runs",
                "300",
                "--seed",
                seed,
                "--shard",
                &format!("{k}/3"),
                "--out",
                &format!("p{k}"),
                "--quiet",
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn read(dir: &Path, k: usize) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join(format!("p{k}/partial.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn write(dir: &Path, k: usize, partial: &serde_json::Value) {
    std::fs::write(
        dir.join(format!("p{k}/partial.json")),
        serde_json::to_string(partial).unwrap(),
    )
    .unwrap();
}

/// Merges p0..p2 into `out`: the exit code and stderr.
fn merge(dir: &Path) -> (Option<i32>, String) {
    let out = steppe_in(dir, &["merge", "p0", "p1", "p2", "--out", "out", "--quiet"]);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The merge is refused with `needle` in its message, and nothing is written.
fn refused(dir: &Path, needle: &str) {
    let (code, said) = merge(dir);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains(needle), "expected {needle:?} in: {said}");
    assert!(!dir.join("out").exists());
}

/// The data of simulation 1 of a partial, parsed out of its raw text; and back, with its
/// checksum recomputed (as a buggy writer, or a forger, would leave it).
fn data(partial: &serde_json::Value) -> serde_json::Value {
    partial["simulations"].clone()
}

fn set_data(partial: &mut serde_json::Value, simulations: serde_json::Value) {
    let text = serde_json::to_string(&simulations).unwrap();
    partial["checksum"] = shard::sha256(text.as_bytes()).into();
    partial["simulations"] = simulations;
}

#[test]
fn a_flipped_digit_in_the_data_is_caught_by_the_checksum() {
    let dir = tempfile::tempdir().unwrap();
    three_shards(dir.path(), "1");
    let path = dir.path().join("p1/partial.json");
    let text = std::fs::read_to_string(&path).unwrap();
    // A digit inside the series counts, changed by one.
    let at = text.find("\"counts\":[").unwrap() + 10;
    let digit = text[at..].find(|c: char| c.is_ascii_digit()).unwrap() + at;
    let mut bytes = text.into_bytes();
    bytes[digit] = if bytes[digit] == b'9' {
        b'8'
    } else {
        bytes[digit] + 1
    };
    std::fs::write(&path, bytes).unwrap();
    refused(
        dir.path(),
        "p1/partial.json: its simulation data do not match their checksum: the file was edited or damaged; run shard 1 again",
    );
}

#[test]
fn an_edited_scenario_or_argument_is_caught_by_the_recomputed_hash() {
    let dir = tempfile::tempdir().unwrap();
    three_shards(dir.path(), "1");
    let original = read(dir.path(), 0);
    // The scenario text shard 0 carries (from which the merge builds the result), edited.
    let mut edited = original.clone();
    let text = edited["sources"][0][1]
        .as_str()
        .unwrap()
        .replace("0.6", "0.7");
    edited["sources"][0][1] = text.into();
    write(dir.path(), 0, &edited);
    refused(
        dir.path(),
        "p0/partial.json: its command, arguments or scenario files do not match its hash",
    );
    // An argument of shard 2, edited.
    write(dir.path(), 0, &original);
    let mut edited = read(dir.path(), 2);
    edited["work"]["request"]["simulation"]["runs"] = 301.into();
    write(dir.path(), 2, &edited);
    refused(dir.path(), "p2/partial.json: its command, arguments");
}

#[test]
fn partials_of_different_work_say_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    three_shards(dir.path(), "1");
    let other = tempfile::tempdir().unwrap();
    three_shards(other.path(), "2");
    std::fs::remove_dir_all(dir.path().join("p2")).unwrap();
    std::fs::rename(other.path().join("p2"), dir.path().join("p2")).unwrap();
    refused(
        dir.path(),
        "p2/partial.json (shard 2 of 3) does not belong with p0/partial.json (shard 0 of 3): `seed` is 1 in one, 2 in the other",
    );
    // Another scenario text, with a consistent hash: the file is named, and the line.
    let dir = tempfile::tempdir().unwrap();
    three_shards(dir.path(), "1");
    let mut edited = read(dir.path(), 1);
    let text = edited["sources"][0][1]
        .as_str()
        .unwrap()
        .replace("0.6", "0.7");
    let line = text.lines().position(|l| l.contains("0.7")).unwrap() + 1;
    edited["sources"][0][1] = text.into();
    let sources: Vec<(String, String)> = serde_json::from_value(edited["sources"].clone()).unwrap();
    edited["hash"] = shard::work_hash(&edited["work"], &sources).into();
    write(dir.path(), 1, &edited);
    refused(
        dir.path(),
        &format!("their copies of s.toml differ (from line {line})"),
    );
}

#[test]
fn shortened_arrays_are_refused_even_with_a_recomputed_checksum() {
    let dir = tempfile::tempdir().unwrap();
    three_shards(dir.path(), "1");
    let original = read(dir.path(), 1);
    type Edit = fn(&mut serde_json::Value);
    let cases: [(Edit, &str); 5] = [
        (
            |d| {
                d[0]["series"]["counts"].as_array_mut().unwrap().pop();
            },
            "p1/partial.json: simulation 1: its series arrays are not of its shape",
        ),
        (
            |d| {
                d[0]["series"]["mins"].as_array_mut().unwrap().pop();
            },
            "its series arrays are not of its shape",
        ),
        (
            |d| {
                d[0]["metrics"][0].as_array_mut().unwrap().pop();
            },
            "a column of per-run metric values holds 99 values, not its 100 runs",
        ),
        (
            |d| {
                d[0]["runs"] = 7.into();
            },
            "its series count 100 runs, not 7",
        ),
        (
            |d| {
                d[0]["metrics"].as_array_mut().unwrap().pop();
            },
            "differ in seed, design, run count or shape",
        ),
    ];
    for (edit, needle) in cases {
        let mut partial = original.clone();
        let mut simulations = data(&partial);
        edit(&mut simulations);
        set_data(&mut partial, simulations);
        write(dir.path(), 1, &partial);
        refused(dir.path(), needle);
    }
    // The untouched partials still merge.
    write(dir.path(), 1, &original);
    assert_eq!(merge(dir.path()).0, Some(0));
}

/// Parts of a small simulation made through the library, as `--shard K/3` would.
fn library_parts() -> (steppe::Scenario, RunConfig, Vec<Partial>) {
    let text = std::fs::read_to_string(scenario_file()).unwrap();
    let scenario = steppe::scenario::load("s.toml", &text).unwrap();
    let config = RunConfig {
        runs: 60,
        bins: 16,
        ..RunConfig::from_scenario(&scenario)
    };
    let parts = (0..3)
        .map(|k| {
            let part = shard::share(&config, k, 3);
            let outcome = simulate(&scenario, &part);
            let first = shard::range(k, 3, config.runs).0;
            Partial::new(
                &Request::Run(RunRequest::new("s.toml")),
                vec![("s.toml".to_string(), text.clone())],
                (k, 3),
                &[PartialOutcome::new(config.runs, first, &outcome)],
            )
        })
        .collect();
    (scenario, config, parts)
}

#[test]
fn any_flipped_byte_is_refused_or_harmless_and_never_panics() {
    let (scenario, config, parts) = library_parts();
    let texts: Vec<String> = parts
        .iter()
        .map(|p| serde_json::to_string(p).unwrap())
        .collect();
    let whole = |parts: Vec<(String, Partial)>| shard::merge(parts).map(|m| m.outcomes);
    let reference = whole(parts.iter().map(|p| ("p".to_string(), p.clone())).collect()).unwrap();
    let reference = steppe::summary::summarize(&scenario, "s.toml", &reference[0]);
    let mut state: u64 = 0x5eed;
    let mut next = |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    let (mut refused, mut harmless) = (0, 0);
    for trial in 0..600 {
        let victim = trial % 3;
        let mut bytes = texts[victim].clone().into_bytes();
        let at = next(bytes.len());
        bytes[at] ^= 1 << next(7);
        // Half the trials also recompute the data's checksum, as a buggy writer would: the
        // shape checks must then catch what the checksum no longer does.
        let mut parsed: Result<Partial, _> = serde_json::from_slice(&bytes);
        if let (1, Ok(p)) = (trial % 2, &mut parsed) {
            p.checksum = shard::sha256(p.simulations.get().as_bytes());
        }
        let Ok(tampered) = parsed else {
            refused += 1;
            continue;
        };
        let mut set: Vec<(String, Partial)> =
            parts.iter().map(|p| ("p".to_string(), p.clone())).collect();
        set[victim] = ("p".to_string(), tampered);
        let result = std::panic::catch_unwind(|| {
            whole(set).and_then(|outcomes| {
                shard::check_outcome(&outcomes[0], &scenario, &config)?;
                Ok(steppe::summary::summarize(
                    &scenario,
                    "s.toml",
                    &outcomes[0],
                ))
            })
        });
        match result {
            Err(_) => panic!("trial {trial}: a flipped bit at byte {at} made the merge panic"),
            Ok(Err(_)) => refused += 1,
            Ok(Ok(summary)) => {
                harmless += 1;
                if trial % 2 == 0 {
                    // With the checksum intact, what merges is the result itself.
                    assert_eq!(
                        serde_json::to_string(&summary).unwrap(),
                        serde_json::to_string(&reference).unwrap(),
                        "trial {trial}: byte {at} changed the result silently"
                    );
                }
            }
        }
    }
    assert!(refused > 500, "{refused} refused, {harmless} merged");
}
