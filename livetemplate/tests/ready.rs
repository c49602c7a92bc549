//! Readiness: a runtime is ready while its pages' templates load.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use livetemplate::{LiveTemplate, NotReady, Templates};

use common::{Counter, COUNTER};

#[test]
fn a_page_whose_template_went_missing_is_not_ready() {
    let present = Arc::new(AtomicBool::new(true));
    let seen = present.clone();
    let templates = Templates::from_fn(move |name| {
        (name == "counter.html" && seen.load(Ordering::SeqCst)).then(|| COUNTER.to_string())
    });
    let live = LiveTemplate::new(templates);
    let _page: axum::routing::MethodRouter = live
        .page("counter.html", Counter::default())
        .build()
        .unwrap();
    assert_eq!(live.ready(), Ok(()));
    present.store(false, Ordering::SeqCst);
    let not_ready = live.ready().unwrap_err();
    assert_eq!(not_ready, NotReady::TemplateMissing("counter.html".into()));
    assert_eq!(
        not_ready.to_string(),
        "template \"counter.html\" of a live page cannot be loaded"
    );
}
