//! What a tab in its grace period holds, counted by the allocator: the
//! server's heap with many dropped tabs kept, against before them, and
//! after their grace ended.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use common::{serve_with, templates, until, Counter};
use livetemplate::LiveTemplate;

/// The system allocator, counting the bytes allocated now.
struct Counting;

static HEAP: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HEAP.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HEAP.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        HEAP.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const TABS: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_in_its_grace_period_holds_a_few_kilobytes_and_nothing_after() {
    let live = LiveTemplate::builder(templates())
        .resume_grace(Duration::from_secs(2))
        .build();
    let (server, live) = serve_with(live, Counter::default()).await;
    let metrics = live.metrics().clone();
    let origin = format!("http://{}", server.addr());
    let mut browser = server.browser();
    let mut open_and_drop = async |n: usize| {
        for _ in 0..n {
            let page = browser
                .request("GET", "/counter", &[("accept", "text/html")], "")
                .await
                .unwrap();
            let at = page.body.find(r#""lvt_tab",""#).unwrap() + r#""lvt_tab",""#.len();
            let path = format!("/counter?lvt_tab={}", &page.body[at..at + 32]);
            let mut tab = browser.connect(&path, Some(&origin)).await.unwrap();
            tab.next_frame().await.unwrap();
            tab.click("increment").await.unwrap();
            drop(tab);
        }
    };
    // Warm up (first-use caches, the registry's tables), then let the grace end.
    open_and_drop(TABS).await;
    until(|| metrics.parked() == TABS as i64, "kept").await;
    until(
        || metrics.parked() == 0 && metrics.connections() == 0,
        "ended",
    )
    .await;
    let before = HEAP.load(Ordering::Relaxed);

    open_and_drop(TABS).await;
    until(
        || metrics.parked() == TABS as i64 && metrics.connections() == 0,
        "kept",
    )
    .await;
    let kept = HEAP.load(Ordering::Relaxed);
    let per_tab = (kept - before) / TABS as isize;
    let counted = metrics.parked_bytes() / TABS as i64;

    until(|| metrics.parked() == 0, "the grace ends").await;
    let after = HEAP.load(Ordering::Relaxed);
    eprintln!(
        "resume memory: {per_tab} bytes of heap per tab in its grace period \
         ({counted} counted against max_resumable); after the grace {} bytes per tab remain",
        (after - before) / TABS as isize
    );
    assert!(per_tab < 16 * 1024, "{per_tab} bytes per kept tab");
    // What the budget counts is near what is held.
    let off = (per_tab as f64 - counted as f64).abs() / per_tab as f64;
    assert!(off < 0.5, "counted {counted} bytes, held {per_tab}");
    assert!(
        (after - before) / (TABS as isize) < 512,
        "what kept tabs held is let go of: {} bytes per tab remain",
        (after - before) / TABS as isize
    );
}
