//! The client bundle over HTTP: a content-hashed URL browsers keep for a
//! year, the encodings made at build time, revalidation, the old URL.

mod common;

use std::io::Read;

use common::{serve, Counter};
use livetemplate::testing::{HttpResponse, TestServer};
use livetemplate::{CLIENT_SCRIPT_PATH, UNVERSIONED_CLIENT_SCRIPT_PATH};
use sha2::{Digest, Sha256};

/// The bundle as installed by npm: what every encoding must decode to.
fn installed() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../node_modules/@livetemplate/client/dist/livetemplate-client.browser.js"
    ))
    .expect("the bundle is installed (npm ci)")
}

async fn get(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
    let response = server.request("GET", path, headers, "").await.unwrap();
    assert_eq!(response.status, 200, "GET {path} {headers:?}");
    response
}

fn brotli_decoded(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .expect("valid brotli");
    out
}

fn gzip_decoded(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

#[tokio::test]
async fn the_url_names_the_content_and_may_be_cached_forever() {
    let hash = hex::encode(Sha256::digest(installed()));
    assert_eq!(
        CLIENT_SCRIPT_PATH,
        format!("/_lvt/client-{}.js", &hash[..16])
    );
    let (server, _live) = serve(Counter::default()).await;
    let page = get(&server, "/counter", &[]).await;
    assert!(page.body.contains(CLIENT_SCRIPT_PATH), "{}", page.body);

    let script = get(&server, CLIENT_SCRIPT_PATH, &[]).await;
    assert_eq!(
        script.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let etag = script.header("etag").expect("an ETag");
    assert!(etag.contains(&hash[..16]), "{etag}");
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(script.bytes == installed());
}

#[tokio::test]
async fn each_encoding_decodes_to_exactly_the_installed_bundle() {
    let (server, _live) = serve(Counter::default()).await;
    let raw = installed();

    let br = get(&server, CLIENT_SCRIPT_PATH, &[("accept-encoding", "br")]).await;
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert_eq!(br.header("vary"), Some("accept-encoding"));
    assert!(br.bytes.len() < raw.len() / 3, "{} bytes", br.bytes.len());
    assert!(brotli_decoded(&br.bytes) == raw);

    let gzip = get(&server, CLIENT_SCRIPT_PATH, &[("accept-encoding", "gzip")]).await;
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert_eq!(gzip.header("vary"), Some("accept-encoding"));
    assert!(
        gzip.bytes.len() < raw.len() / 3,
        "{} bytes",
        gzip.bytes.len()
    );
    assert!(gzip_decoded(&gzip.bytes) == raw);
    assert_eq!(
        gzip.header("content-length"),
        Some(gzip.bytes.len().to_string().as_str())
    );

    // Chromium's header: brotli, the smaller.
    let chromium = get(
        &server,
        CLIENT_SCRIPT_PATH,
        &[("accept-encoding", "gzip, deflate, br, zstd")],
    )
    .await;
    assert_eq!(chromium.header("content-encoding"), Some("br"));
    assert!(chromium.bytes == br.bytes);
    // Weights are honoured.
    let prefers_gzip = get(
        &server,
        CLIENT_SCRIPT_PATH,
        &[("accept-encoding", "br;q=0.5, gzip")],
    )
    .await;
    assert_eq!(prefers_gzip.header("content-encoding"), Some("gzip"));

    // Each form has its own tag: a cache must not swap one for another.
    let tags = [&br, &gzip].map(|r| r.header("etag").unwrap_or_default().to_string());
    assert_ne!(tags[0], tags[1]);

    for refused in [
        None,
        Some("identity"),
        Some("deflate"),
        Some("br;q=0, gzip;q=0"),
    ] {
        let headers: Vec<(&str, &str)> = refused
            .map(|v| ("accept-encoding", v))
            .into_iter()
            .collect();
        let plain = get(&server, CLIENT_SCRIPT_PATH, &headers).await;
        assert_eq!(plain.header("content-encoding"), None, "{refused:?}");
        assert_eq!(plain.header("vary"), Some("accept-encoding"));
        assert!(plain.bytes == raw, "{refused:?}");
    }
}

#[tokio::test]
async fn a_kept_copy_is_confirmed_with_a_304() {
    let (server, _live) = serve(Counter::default()).await;
    for encoding in ["br", "gzip", "identity"] {
        let first = get(
            &server,
            CLIENT_SCRIPT_PATH,
            &[("accept-encoding", encoding)],
        )
        .await;
        let etag = first.header("etag").expect("an ETag");
        let again = server
            .request(
                "GET",
                CLIENT_SCRIPT_PATH,
                &[("accept-encoding", encoding), ("if-none-match", etag)],
                "",
            )
            .await
            .unwrap();
        assert_eq!(again.status, 304, "{encoding}");
        assert!(again.bytes.is_empty());
        assert_eq!(again.header("etag"), Some(etag));
    }
    let stale = server
        .request(
            "GET",
            CLIENT_SCRIPT_PATH,
            &[("if-none-match", "\"0000000000000000\"")],
            "",
        )
        .await
        .unwrap();
    assert_eq!(stale.status, 200);
}

#[tokio::test]
async fn head_announces_the_chosen_form_without_a_body() {
    let (server, _live) = serve(Counter::default()).await;
    let br = get(&server, CLIENT_SCRIPT_PATH, &[("accept-encoding", "br")]).await;
    let head = server
        .request("HEAD", CLIENT_SCRIPT_PATH, &[("accept-encoding", "br")], "")
        .await
        .unwrap();
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-encoding"), Some("br"));
    assert_eq!(
        head.header("content-length"),
        Some(br.bytes.len().to_string().as_str())
    );
    assert!(head.bytes.is_empty());
}

#[tokio::test]
async fn the_old_url_still_serves_the_bundle_but_is_revalidated() {
    let (server, _live) = serve(Counter::default()).await;
    let old = get(&server, UNVERSIONED_CLIENT_SCRIPT_PATH, &[]).await;
    assert!(old.bytes == installed());
    assert_eq!(old.header("cache-control"), Some("no-cache"));
    let etag = old.header("etag").expect("an ETag");
    let again = server
        .request(
            "GET",
            UNVERSIONED_CLIENT_SCRIPT_PATH,
            &[("if-none-match", etag)],
            "",
        )
        .await
        .unwrap();
    assert_eq!(again.status, 304);
    let br = get(
        &server,
        UNVERSIONED_CLIENT_SCRIPT_PATH,
        &[("accept-encoding", "br")],
    )
    .await;
    assert!(brotli_decoded(&br.bytes) == installed());
}
