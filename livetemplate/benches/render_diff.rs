//! Criterion bench of one update's server work, by scenario: render the
//! template to a tree, diff it against the previous tree, encode the frame.
//!
//! `cargo bench -p livetemplate --bench render_diff` (a name argument
//! filters: `-- table`). Each iteration alternates between the scenario's
//! two states, so every iteration renders a real change.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use livetemplate::unstable::{self, RenderCache};
use livetemplate::Templates;
use serde_json::json;

fn render_diff(c: &mut Criterion) {
    let mut group = c.benchmark_group("render+diff+encode");
    for s in common::scenarios() {
        let big = s.name.contains("10k") || s.name.contains("50k");
        group.sample_size(if big { 20 } else { 100 });
        group.measurement_time(Duration::from_secs(if big { 6 } else { 3 }));
        let templates = Templates::from_fn(move |_| Some(s.template.to_string()));
        let mut cache = RenderCache::default();
        let states = [common::object(s.after), common::object(s.before)];
        let mut old = unstable::render_tree_cached(&templates, "page.html", &states[1], &mut cache)
            .expect("renders");
        let mut i = 0;
        group.bench_function(s.name, |b| {
            b.iter(|| {
                let mut new = unstable::render_tree_cached(
                    &templates,
                    "page.html",
                    &states[i % 2],
                    &mut cache,
                )
                .expect("renders");
                let frame = json!({ "tree": unstable::diff(&old, &mut new) }).to_string();
                old = new;
                i += 1;
                black_box(frame)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, render_diff);
criterion_main!(benches);
