//! The reference workload of MISSION.md, read from `benches/w1.toml`: 5 targets × 4 actors
//! (+ autonomy) × 5 channels, 13 yearly steps, one 4-state regime driver, 8 events, 100,000
//! runs, per-step distributions of every composite share. Beside it, a hand-written loop doing
//! the same arithmetic with the same generator and streams and no scenario machinery.
//!
//! `cargo bench --bench w1` times both, side by side in one process, `REPEATS` times each on
//! 1 and 2 threads, prints the medians, the engine/hand-written ratio (the target: within
//! 1.5×) and the speed-up of 2 threads over 1 — and checks that both produce the *same*
//! aggregates, bit for bit, so the comparison is of equal work.

use std::time::Instant;

use rayon::prelude::*;
use steppe::engine::{RunConfig, SeriesAccumulator, simulate};
use steppe::rng::{self, ComponentKey};

const REPEATS: usize = 5;
const RUNS: u64 = 100_000;
const T: usize = 5;
const A: usize = 4;
const C: usize = 5;
const S: usize = A + 1;
const STEPS: usize = 13;
const BINS: usize = 2000;

/// The same numbers as benches/w1.toml, written out.
struct Workload {
    initial_x: Vec<f64>,
    drift: Vec<f64>,
    sigma: Vec<f64>,
    channel_weights: [f64; C],
    target_weights: [f64; T],
    noise_keys: Vec<ComponentKey>,
    /// Cumulative yearly transition rows of the war.
    rows: [[f64; 4]; 4],
    /// Drift shift of actor a1's cells per war state.
    war_shift: [f64; 4],
    hazards: [f64; 8],
    /// (target, actor, jump) of each event, over all channels.
    events: [(usize, usize, f64); 8],
}

fn workload() -> Workload {
    let cell = |t: usize, c: usize, s: usize| (t * C + c) * S + s;
    let mut initial_x = vec![0.0; T * C * S];
    let mut drift = vec![0.0; T * C * S];
    let mut sigma = vec![0.0; T * C * S];
    let mut noise_keys = Vec::new();
    for t in 0..T {
        for c in 0..C {
            let mut total = 0.0;
            for a in 0..A {
                let share = [0.08, 0.12, 0.16, 0.20, 0.24][(t + 2 * c + 3 * a) % 5];
                initial_x[cell(t, c, a)] = f64::ln(share);
                total += share;
                drift[cell(t, c, a)] = [-0.04, 0.03, 0.01, 0.0][a];
                sigma[cell(t, c, a)] = 0.1;
            }
            initial_x[cell(t, c, A)] = f64::ln(1.0 - total);
            sigma[cell(t, c, A)] = 0.05;
            for s in 0..S {
                let actor = if s < A {
                    format!("a{}", s + 1)
                } else {
                    "autonomy".to_string()
                };
                noise_keys.push(ComponentKey::new(&format!(
                    "noise/t{}/c{}/{actor}",
                    t + 1,
                    c + 1
                )));
            }
        }
    }
    // Weights 1..5 normalised as the engine does: by the largest first, then the total.
    let normalise = |n: usize| {
        let raw: Vec<f64> = (1..=n).map(|w| w as f64).collect();
        let largest = raw[n - 1];
        let total: f64 = raw.iter().map(|w| w / largest).sum();
        raw.iter()
            .map(|w| w / largest / total)
            .collect::<Vec<f64>>()
    };
    let (cw, tw) = (normalise(C), normalise(T));
    let cumulative = |row: [f64; 4]| {
        let mut sum = 0.0;
        row.map(|p| {
            sum += p;
            sum
        })
    };
    Workload {
        initial_x,
        drift,
        sigma,
        channel_weights: [cw[0], cw[1], cw[2], cw[3], cw[4]],
        target_weights: [tw[0], tw[1], tw[2], tw[3], tw[4]],
        noise_keys,
        rows: [
            cumulative([0.7, 0.1, 0.1, 0.1]),
            cumulative([0.2, 0.6, 0.1, 0.1]),
            cumulative([0.2, 0.1, 0.6, 0.1]),
            cumulative([0.05, 0.05, 0.1, 0.8]),
        ],
        war_shift: [0.0, -0.05, 0.03, 0.0],
        hazards: [0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.11, 0.12],
        events: std::array::from_fn(|e| (e % 5, e % 4, if e % 2 == 0 { 0.1 } else { -0.1 })),
    }
}

/// One run, straight-line: the engine's order of operations without its plan and worker.
fn hand_run(w: &Workload, seed: u64, run: u64, noise: &mut [f64], out: &mut SeriesAccumulator) {
    let n = T * C * S;
    for (cell, key) in w.noise_keys.iter().enumerate() {
        let mut stream = rng::stream(seed, run, *key);
        for k in 0..STEPS {
            noise[k * n + cell] = rng::standard_normal(&mut stream);
        }
    }
    let mut war_stream = rng::stream(seed, run, ComponentKey::new("driver/war"));
    let mut event_streams: Vec<_> = (0..8)
        .map(|e| rng::stream(seed, run, ComponentKey::new(&format!("event/e{e}"))))
        .collect();
    let mut fired = [false; 8];
    let mut war = 0usize;
    let mut x = w.initial_x.clone();
    let mut aggregates = [0.0; (T + 1) * S];
    let observe = |x: &mut [f64], aggregates: &mut [f64; (T + 1) * S]| {
        let mut shares = [0.0; T * C * S];
        for pair in 0..T * C {
            let xs = &mut x[pair * S..(pair + 1) * S];
            let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let mut e = [0.0; S];
            let mut sum = 0.0;
            for (ei, xi) in e.iter_mut().zip(xs.iter_mut()) {
                *xi = xi.max(max - 600.0);
                *ei = (*xi - max).exp();
                sum += *ei;
            }
            let inverse = 1.0 / sum;
            for s in 0..S {
                shares[pair * S + s] = e[s] * inverse;
            }
        }
        let (composites, region) = aggregates.split_at_mut(T * S);
        region.fill(0.0);
        for t in 0..T {
            let composite = &mut composites[t * S..(t + 1) * S];
            composite.fill(0.0);
            for c in 0..C {
                for s in 0..S {
                    composite[s] += w.channel_weights[c] * shares[(t * C + c) * S + s];
                }
            }
            for s in 0..S {
                region[s] += w.target_weights[t] * composite[s];
            }
        }
    };
    observe(&mut x, &mut aggregates);
    out.record(0, &aggregates);
    for k in 0..STEPS {
        let u = rng::uniform(&mut war_stream);
        war = w.rows[war].iter().position(|c| u < *c).unwrap_or(3);
        for e in 0..8 {
            let u = rng::uniform(&mut event_streams[e]);
            if !fired[e] && u < w.hazards[e] {
                fired[e] = true;
                let (t, a, jump) = w.events[e];
                for c in 0..C {
                    x[(t * C + c) * S + a] += jump;
                }
            }
        }
        for cell in 0..n {
            let shift = if cell % S == 0 { w.war_shift[war] } else { 0.0 };
            x[cell] = (x[cell] + (w.drift[cell] + shift)) + w.sigma[cell] * noise[k * n + cell];
        }
        observe(&mut x, &mut aggregates);
        out.record(k + 1, &aggregates);
    }
    out.finish_run();
}

fn hand_written(w: &Workload, runs: u64, seed: u64) -> SeriesAccumulator {
    (0..runs as usize)
        .into_par_iter()
        .with_min_len(256)
        .fold(
            || {
                (
                    SeriesAccumulator::new(STEPS + 1, (T + 1) * S, BINS),
                    vec![0.0; STEPS * T * C * S],
                )
            },
            |(mut acc, mut noise): (SeriesAccumulator, Vec<f64>), run| {
                hand_run(w, seed, run as u64, &mut noise, &mut acc);
                (acc, noise)
            },
        )
        .map(|(acc, _)| acc)
        .reduce_with(|mut a, b| {
            a.merge(&b);
            a
        })
        .expect("at least one run")
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/w1.toml");
    let text = std::fs::read_to_string(path).expect("benches/w1.toml");
    let scenario = steppe::scenario::load(path, &text).expect("a valid workload");
    let config = RunConfig {
        runs: RUNS,
        ..RunConfig::from_scenario(&scenario)
    };
    let w = workload();

    // Equal work: the same aggregates, bit for bit.
    let engine = simulate(&scenario, &config);
    let hand = hand_written(&w, RUNS, config.seed);
    assert!(
        engine.series == hand,
        "the hand-written loop does not compute what the engine computes"
    );
    println!("engine and hand-written loop agree on every aggregate of {RUNS} runs");

    println!(
        "{:>8} {:>14} {:>14} {:>8} {:>12}",
        "threads", "engine s", "hand s", "ratio", "engine runs/s"
    );
    let mut engine_medians = Vec::new();
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let (mut e, mut h) = (Vec::new(), Vec::new());
        for _ in 0..REPEATS {
            // Alternate, so drifts in the machine's load hit both alike.
            let started = Instant::now();
            std::hint::black_box(pool.install(|| simulate(&scenario, &config)));
            e.push(started.elapsed().as_secs_f64());
            let started = Instant::now();
            std::hint::black_box(pool.install(|| hand_written(&w, RUNS, config.seed)));
            h.push(started.elapsed().as_secs_f64());
        }
        let (e, h) = (median(e), median(h));
        engine_medians.push(e);
        println!(
            "{threads:>8} {e:>14.3} {h:>14.3} {:>7.2}× {:>12.0}",
            e / h,
            RUNS as f64 / e
        );
    }
    println!(
        "speed-up of the engine on 2 threads over 1: {:.2}×",
        engine_medians[0] / engine_medians[1]
    );
}
