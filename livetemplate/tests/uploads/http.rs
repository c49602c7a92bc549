//! Uploads without the socket: multipart form posts and the client's
//! HTTP fallbacks.

use super::*;

/// A multipart body: text fields, then files as (field, name, type, bytes).
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----lvt-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(format!("--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes());
    }
    for (field, name, mime, bytes) in files {
        body.extend(format!("--{boundary}\r\ncontent-disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\ncontent-type: {mime}\r\n\r\n").bytes());
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn a_plain_form_posts_its_files_without_javascript() {
    let (server, root, uploads, keep) = serve().await;
    let mut browser = server.browser();
    browser
        .request("GET", "/", &[("accept", "text/html")], "")
        .await
        .unwrap();
    let origin = server.url("");
    let bytes = png(300);
    let (content_type, body) = multipart(
        &[("caption", "Holiday"), ("upload_photos_complete", "")],
        &[("photos", "beach.png", "image/png", &bytes)],
    );
    let headers = [
        ("content-type", content_type.as_str()),
        ("origin", origin.as_str()),
        ("accept", "text/html"),
    ];
    let posted = browser.request("POST", "/", &headers, &body).await.unwrap();
    assert_eq!(posted.status, 303, "{}", posted.body);
    let page = browser
        .request("GET", "/", &[("accept", "text/html")], "")
        .await
        .unwrap();
    let body = unescape(&page.body);
    assert!(body.contains("[beach.png 308 image/png]"), "{body}");
    assert!(page.body.contains("value=\"Holiday\""));
    assert_eq!(std::fs::read(keep.join("0.png")).unwrap(), bytes);
    assert!(files_in(&uploads).is_empty());

    // A refused file fails the post: its reason comes back after the redirect.
    let (content_type, body) = multipart(
        &[("upload_photos_complete", "")],
        &[
            (
                "photos",
                "fake.png",
                "image/png",
                b"MZ\x90\0 a program, really",
            ),
            ("photos", "../up.png", "image/png", &bytes),
        ],
    );
    let headers = [
        ("content-type", content_type.as_str()),
        ("origin", origin.as_str()),
        ("accept", "text/html"),
    ];
    let posted = browser.request("POST", "/", &headers, &body).await.unwrap();
    assert_eq!(posted.status, 303);
    let page = browser
        .request("GET", "/", &[("accept", "text/html")], "")
        .await
        .unwrap();
    let body = unescape(&page.body);
    assert!(
        body.contains(
            "fake.png: the content is application/x-msdownload, which is not accepted here"
        ),
        "{body}"
    );
    assert!(
        body.contains("../up.png: the file name must not contain / or \\"),
        "{body}"
    );
    assert!(files_in(&uploads).is_empty());
    assert_eq!(tree(&root), ["kept", "kept/0.png", "uploads"]);
}

#[tokio::test]
async fn the_client_fallbacks_over_http_answer_as_it_expects() {
    let (server, _root, uploads, keep) = serve().await;
    let mut browser = server.browser();
    browser
        .request("GET", "/", &[("accept", "text/html")], "")
        .await
        .unwrap();
    let origin = server.url("");
    let start = json!({"action":"upload_start","upload_name":"photos","files":[
        {"name":"a.png","type":"image/png","size":5},{"name":"b.gif","type":"image/gif","size":5}]});
    let headers = [
        ("content-type", "application/json"),
        ("origin", origin.as_str()),
        ("x-lvt-upload", "start"),
    ];
    let reply = browser
        .request("POST", "/", &headers, start.to_string())
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(reply["upload_name"], "photos");
    assert_eq!(reply["entries"][0]["valid"], true);
    assert_eq!(reply["entries"][0]["mode"], "volume");
    assert_eq!(reply["entries"][1]["valid"], false);

    // The one-request upload the client makes when its socket is down.
    let bytes = png(40);
    let (content_type, body) = multipart(
        &[("lvt-action", "upload_photos_complete")],
        &[("photos", "a.png", "image/png", &bytes)],
    );
    let headers = [
        ("content-type", content_type.as_str()),
        ("origin", origin.as_str()),
        ("accept", "application/json"),
        ("x-lvt-upload", "proxied"),
    ];
    let reply = browser.request("POST", "/", &headers, &body).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(reply["meta"]["success"], true, "{reply}");
    assert_eq!(std::fs::read(keep.join("0.png")).unwrap(), bytes);

    let headers = [
        ("content-type", "application/json"),
        ("origin", origin.as_str()),
        ("x-lvt-upload", "complete"),
    ];
    let reply = browser.request("POST", "/", &headers, "{}").await.unwrap();
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("upload_not_direct"));

    // A cross-site post with files is refused before a byte is read.
    let (content_type, body) = multipart(&[], &[("photos", "a.png", "image/png", &bytes)]);
    let headers = [
        ("content-type", content_type.as_str()),
        ("origin", "https://evil.example"),
    ];
    let reply = browser.request("POST", "/", &headers, &body).await.unwrap();
    assert_eq!(reply.status, 403);
    assert!(files_in(&uploads).is_empty());
}
