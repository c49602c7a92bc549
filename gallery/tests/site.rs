//! The gallery site, in process: every example builds, pages render, and the
//! Server Push example pushes ticks.

use livetemplate::testing::TestServer;

async fn server() -> TestServer {
    let gallery = gallery::app().expect("every example page builds");
    TestServer::start(gallery.router).await
}

#[tokio::test]
async fn index_lists_categories_and_examples() {
    let server = server().await;
    let index = server.request("GET", "/", &[], "").await.unwrap();
    assert_eq!(index.status, 200);
    assert!(index.body.contains("Real-Time &amp; Multi-User"));
    assert!(
        index
            .body
            .contains(r#"href="&#x2f;realtime&#x2f;server-push""#),
        "{}",
        index.body
    );
    let json = server
        .request("GET", "/api/index.json", &[], "")
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    // Categories in LiveTemplate's order: Forms & Editing first.
    assert_eq!(v["categories"][0]["name"], "Forms & Editing");
    let realtime = v["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Real-Time & Multi-User")
        .unwrap();
    assert_eq!(realtime["examples"][0]["path"], "/realtime/server-push");
}

#[tokio::test]
async fn server_push_page_matches_the_seed_and_shows_its_sources() {
    let server = server().await;
    let page = server
        .request("GET", "/realtime/server-push", &[], "")
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    for text in [
        "<h3>Server Push</h3>",
        r#"<button name="startTimer">Start Timer</button>"#,
        "Click Start and watch the counter tick up once per second.",
        "fn start_timer",
    ] {
        assert!(page.body.contains(text), "missing {text:?}");
    }
    assert!(
        !page.body.contains("<p><small>Last completed"),
        "nothing completed yet"
    );
}

#[tokio::test]
async fn every_example_page_shows_the_whole_program_behind_it() {
    let server = server().await;
    let shows = |path: &'static str, texts: &'static [&'static str]| {
        let server = &server;
        async move {
            let page = server.request("GET", path, &[], "").await.unwrap();
            assert_eq!(page.status, 200, "{path}");
            for text in texts {
                assert!(page.body.contains(text), "{path} does not show {text:?}");
            }
        }
    };
    // Each page shows how it is mounted, from the example's own file.
    for example in gallery::catalog::EXAMPLES {
        let page = server
            .request("GET", &example.path(), &[], "")
            .await
            .unwrap();
        assert!(
            page.body.contains("fn routes(gallery: &amp;Gallery)"),
            "{} does not show how it is mounted",
            example.path()
        );
        // minijinja escapes '/' in text.
        let shown_path = example.source.path.replace('/', "&#x2f;");
        assert!(page.body.contains(&shown_path), "{}", example.path());
    }
    // The routes an example relies on, and the partials it includes.
    shows(
        "/realtime/webhook",
        &[
            "pub async fn notify(",
            "fn signed(secret: &amp;str, headers: &amp;HeaderMap, body: &amp;[u8]) -&gt; bool",
            "templates&#x2f;partials&#x2f;sign-in.html",
            "Sign in as",
        ],
    )
    .await;
    shows(
        "/realtime/export",
        &["gallery&#x2f;src&#x2f;downloads.rs", "pub async fn serve("],
    )
    .await;
}

#[tokio::test]
async fn start_timer_shows_the_running_view_and_ticks_arrive() {
    let server = server().await;
    let mut tab = server
        .browser()
        .open("/realtime/server-push")
        .await
        .unwrap();
    tab.click("startTimer").await.unwrap();
    assert!(
        tab.html()
            .contains(r#"<p aria-busy="true">Timer running: <strong>0</strong> / 10s</p>"#),
        "{}",
        tab.html()
    );
    assert!(!tab.html().contains("Start Timer"));
    tab.wait_for_text("Timer running: 1 / 10s").await.unwrap();
}

#[tokio::test]
async fn metrics_expose_connections_and_tasks() {
    let server = server().await;
    let metrics = server.request("GET", "/metrics", &[], "").await.unwrap();
    assert!(
        metrics.body.contains("\nlivetemplate_connections 0\n"),
        "{}",
        metrics.body
    );
    assert!(metrics.body.contains("\nlivetemplate_tasks 0\n"));
}

#[tokio::test]
async fn signing_in_with_a_bad_name_is_a_clear_400() {
    let server = server().await;
    let mut browser = server.browser();
    let answer = browser
        .post_form("/auth/sign-in", "name=%3Cscript%3E&return_to=/")
        .await
        .unwrap();
    assert_eq!(answer.status, 400);
    assert!(
        answer.body.contains("a user name is 1 to 32 letters"),
        "{}",
        answer.body
    );
    assert_eq!(browser.cookie("livetemplate-user"), None);
}

fn brotli_decoded(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .expect("valid brotli");
    out
}

fn gzip_decoded(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

#[tokio::test]
async fn pages_and_assets_are_compressed_when_the_browser_asks() {
    let server = server().await;
    let plain = server
        .request("GET", "/realtime/server-push", &[], "")
        .await
        .unwrap();
    assert_eq!(plain.header("content-encoding"), None);
    let chromium = [("accept-encoding", "gzip, deflate, br, zstd")];
    let br = server
        .request("GET", "/realtime/server-push", &chromium, "")
        .await
        .unwrap();
    assert_eq!(br.status, 200);
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert!(br
        .header("vary")
        .is_some_and(|v| v.contains("accept-encoding")));
    let html = String::from_utf8(brotli_decoded(&br.bytes)).unwrap();
    assert!(html.contains("<h3>Server Push</h3>"), "{html}");
    assert!(br.bytes.len() < html.len() / 2, "{} bytes", br.bytes.len());

    let gzip = server
        .request("GET", "/", &[("accept-encoding", "gzip")], "")
        .await
        .unwrap();
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    let index = String::from_utf8(gzip_decoded(&gzip.bytes)).unwrap();
    assert!(index.contains("Real-Time &amp; Multi-User"));

    for asset in ["/assets/gallery.css", "/assets/highlight/highlight.min.js"] {
        let compressed = server.request("GET", asset, &chromium, "").await.unwrap();
        assert_eq!(compressed.header("content-encoding"), Some("br"), "{asset}");
        let raw = server.request("GET", asset, &[], "").await.unwrap();
        assert!(brotli_decoded(&compressed.bytes) == raw.bytes, "{asset}");
    }
}

#[tokio::test]
async fn the_client_bundle_goes_through_the_layer_untouched() {
    let server = server().await;
    let installed = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../node_modules/@livetemplate/client/dist/livetemplate-client.browser.js"
    ))
    .unwrap();
    let script = server
        .request(
            "GET",
            livetemplate::CLIENT_SCRIPT_PATH,
            &[("accept-encoding", "gzip, deflate, br, zstd")],
            "",
        )
        .await
        .unwrap();
    assert_eq!(script.status, 200);
    // Compressed once, at build time: one encoding, a known length.
    let encodings: Vec<_> = script
        .headers
        .iter()
        .filter(|(k, _)| k == "content-encoding")
        .collect();
    assert_eq!(encodings.len(), 1, "{:?}", script.headers);
    assert_eq!(script.header("content-encoding"), Some("br"));
    assert_eq!(
        script.header("content-length"),
        Some(script.bytes.len().to_string().as_str())
    );
    assert!(brotli_decoded(&script.bytes) == installed);
    assert_eq!(
        script.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
}

#[tokio::test]
async fn assets_carry_a_content_tag_and_an_hour_of_cache() {
    let server = server().await;
    let css = server
        .request("GET", "/assets/gallery.css", &[], "")
        .await
        .unwrap();
    assert_eq!(css.status, 200);
    assert_eq!(css.header("cache-control"), Some("public, max-age=3600"));
    let etag = css.header("etag").expect("an ETag").to_string();
    let again = server
        .request(
            "GET",
            "/assets/gallery.css",
            &[
                ("if-none-match", &etag),
                ("accept-encoding", "gzip, deflate, br, zstd"),
            ],
            "",
        )
        .await
        .unwrap();
    assert_eq!(again.status, 304);
    assert!(again.bytes.is_empty());
    let other = server
        .request("GET", "/assets/handoff.js", &[], "")
        .await
        .unwrap();
    assert_ne!(other.header("etag"), Some(etag.as_str()));
}

/// Browsers send `Accept-Encoding` on the WebSocket handshake too; the
/// compression layer must leave the `101` alone.
#[tokio::test]
async fn websocket_upgrades_are_not_compressed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = server().await;
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let request = format!(
        "GET /realtime/server-push HTTP/1.1\r\nhost: {addr}\r\norigin: http://{addr}\r\n\
         connection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\n\
         sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         accept-encoding: gzip, deflate, br, zstd\r\n\r\n",
        addr = server.addr()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(!head.contains("content-encoding"), "{head}");

    // And a whole tab still works through the layer.
    let mut tab = server
        .browser()
        .open("/realtime/server-push")
        .await
        .unwrap();
    tab.click("startTimer").await.unwrap();
}
