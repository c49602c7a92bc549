//! The export example's kept downloads: per visitor, so a flood of form
//! posts without cookies cannot push a real visitor's file out.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use gallery::downloads::{Downloads, File};
use livetemplate::testing::TestServer;

fn csv(text: &str) -> File {
    File {
        name: "x.csv".into(),
        content_type: "text/csv",
        bytes: Arc::from(text.as_bytes()),
    }
}

async fn live_tasks(server: &TestServer) -> u64 {
    let metrics = server.request("GET", "/metrics", &[], "").await.unwrap();
    metrics
        .body
        .lines()
        .find_map(|l| l.strip_prefix("livetemplate_tasks "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the tasks gauge")
}

#[tokio::test]
async fn cookieless_form_posts_do_not_push_out_a_visitors_download() {
    let server = TestServer::start(gallery::app().unwrap().router).await;
    let mut visitor = server.browser();
    let mut tab = visitor.open("/realtime/export").await.unwrap();
    tab.click("startExport").await.unwrap();
    tab.wait_for_text("Complete").await.unwrap();
    let html = tab.html().to_string();
    let href = html
        .split("href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a download link")
        // As the browser reads the attribute (HTML-escaped).
        .replace("&#x2f;", "/");
    assert!(href.starts_with("/downloads/"), "{href}");

    let origin = server.url("");
    let form = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("origin", origin.as_str()),
    ];
    for _ in 0..1_000 {
        let answer = server
            .request("POST", "/realtime/export", &form, "startExport=")
            .await
            .unwrap();
        assert_eq!(answer.status, 303, "{}", answer.body);
    }
    // Wait for their jobs to finish (each puts a file, or is refused one).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while live_tasks(&server).await > 0 {
        assert!(tokio::time::Instant::now() < deadline, "jobs still running");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let file = server.request("GET", &href, &[], "").await.unwrap();
    assert_eq!(
        file.status, 200,
        "the visitor's download is kept: {}",
        file.body
    );
    assert!(file.body.starts_with("id,name,amount\n"));
}

/// The status `GET url` answers.
async fn status(downloads: &Downloads, url: &str) -> u16 {
    let id = url.strip_prefix("/downloads/").unwrap().to_string();
    let answer = gallery::downloads::serve(State(downloads.clone()), Path(id)).await;
    answer.status().as_u16()
}

#[tokio::test]
async fn a_visitor_keeps_its_newest_files_and_a_full_store_refuses_new_ones() {
    let downloads = Downloads::with_limits(2, 3);
    let first = downloads.put("a", csv("1")).unwrap();
    let second = downloads.put("a", csv("2")).unwrap();
    let third = downloads.put("a", csv("3")).unwrap();
    assert_eq!(
        status(&downloads, &first).await,
        404,
        "a's oldest made room"
    );
    assert_eq!(status(&downloads, &second).await, 200);
    let b = downloads.put("b", csv("4")).unwrap();
    // Three kept (a's two newest, b's one): c is refused, nobody's dropped.
    assert!(downloads.put("c", csv("5")).is_err());
    for url in [&second, &third, &b] {
        assert_eq!(status(&downloads, url).await, 200);
    }
    // a's own quota still lets a replace its oldest.
    assert!(downloads.put("a", csv("6")).is_ok());
    assert_eq!(status(&downloads, &second).await, 404);
    assert_eq!(status(&downloads, &b).await, 200);
}
