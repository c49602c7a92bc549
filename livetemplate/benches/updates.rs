//! Bytes and server time per update, by scenario: the figures of issue 3.
//!
//! `cargo bench -p livetemplate --bench updates` prints a table. Server time
//! is what one action costs after its handler ran and its state became JSON:
//! render the template to a tree (with the page's render cache, as a live
//! page does), diff it against the previous tree, encode the frame. Each scenario
//! alternates between two states so every iteration does the real work.

use std::hint::black_box;
use std::time::{Duration, Instant};

mod common;

use common::scenarios;
use std::sync::Arc;

use livetemplate::unstable::{self, RenderCache};
use livetemplate::Templates;
use serde_json::{json, Map, Value};

/// Median and 99th percentile of `samples`.
fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

fn main() {
    // `cargo bench` passes `--bench`; a name argument filters scenarios.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    println!("| scenario | update bytes | frame bytes | server time p50 | p99 | iterations |");
    println!("|---|---:|---:|---:|---:|---:|");
    for s in scenarios() {
        if filter.as_deref().is_some_and(|f| !s.name.contains(f)) {
            continue;
        }
        let templates = Templates::from_fn(move |_| Some(s.template.to_string()));
        let mut cache = RenderCache::default();
        let mut render = |state: &Arc<Map<String, Value>>| {
            unstable::render_tree_cached(&templates, "page.html", state, &mut cache)
                .expect("renders")
        };
        let states = [common::object(s.after), common::object(s.before)];
        let mut old = render(&states[1]);
        let update = unstable::diff(&old, &mut render(&states[0]));
        old = render(&states[1]);
        let update_bytes = update.to_string().len();
        let frame_bytes = json!({ "tree": update }).to_string().len();

        // Warm up, then sample until both enough iterations and enough time.
        let mut samples = Vec::new();
        let started = Instant::now();
        let mut i = 0;
        while samples.len() < 20
            || (started.elapsed() < Duration::from_secs(3) && samples.len() < 10_000)
        {
            let state = &states[i % 2];
            let t = Instant::now();
            let mut new = render(state);
            let update = unstable::diff(&old, &mut new);
            let frame = json!({ "tree": update }).to_string();
            let took = t.elapsed();
            black_box(frame);
            old = new;
            if i >= 3 {
                samples.push(took);
            }
            i += 1;
        }
        let n = samples.len();
        let (p50, p99) = percentiles(samples);
        println!(
            "| {} | {update_bytes} | {frame_bytes} | {:.1} µs | {:.1} µs | {n} |",
            s.name,
            p50.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e6,
        );
    }
}
