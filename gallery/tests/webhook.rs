//! The webhook takes only signed JSON of a bounded size, and says what is
//! wrong with anything else.

use gallery::examples::realtime::webhook::{signature, MAX_BODY};
use livetemplate::testing::{HttpResponse, Tab, TestServer};

/// The secret the webhook's page shows a signed-in user.
fn shown_secret(tab: &Tab) -> String {
    let after = tab.html().split(r#"class="secret">"#).nth(1);
    let secret = after.and_then(|s| s.split('<').next()).unwrap_or_default();
    assert!(secret.len() >= 32, "no secret on the page: {}", tab.html());
    secret.to_string()
}

async fn post(server: &TestServer, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    server
        .request("POST", "/webhooks/notify", headers, body)
        .await
        .unwrap()
}

#[tokio::test]
async fn only_signed_json_of_a_bounded_size_is_delivered() {
    let server = TestServer::start(gallery::app().unwrap().router).await;
    let mut browser = server.browser();
    browser
        .post_form("/auth/sign-in", "name=hook&return_to=/")
        .await
        .unwrap();
    let mut tab = browser.open("/realtime/webhook").await.unwrap();
    let secret = shown_secret(&tab);
    let json = ("content-type", "application/json");
    let signed = |body: &str| signature(&secret, body.as_bytes());

    let body = r#"{"user_id":"hook","message":"Deploy finished"}"#;
    let sig = signed(body);
    let ok = post(&server, &[json, ("x-signature", &sig)], body).await;
    assert_eq!((ok.status, ok.body.as_str()), (200, r#"{"delivered":1}"#));
    tab.wait_for_text("Deploy finished").await.unwrap();

    let nobody = r#"{"user_id":"nobody","message":"x"}"#;
    let sig = signed(nobody);
    let none = post(&server, &[json, ("x-signature", &sig)], nobody).await;
    assert_eq!(none.body, r#"{"delivered":0}"#);

    // Unsigned, signed with another key, or signed for another body: 401.
    let other_key = signature("not the secret", body.as_bytes());
    let other_body = signed(r#"{"user_id":"hook","message":"something else"}"#);
    for signature in [
        None,
        Some("sha256=zz"),
        Some(&*other_key),
        Some(&*other_body),
    ] {
        let mut headers = vec![json];
        headers.extend(signature.map(|s| ("x-signature", s)));
        let answer = post(&server, &headers, body).await;
        assert_eq!(answer.status, 401, "{signature:?}: {}", answer.body);
        assert!(answer.body.contains("X-Signature"), "{}", answer.body);
    }

    // Not JSON by its content type, even with a good signature: 415.
    let sig = signed(body);
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let headers = [("content-type", content_type), ("x-signature", &*sig)];
        let answer = post(&server, &headers, body).await;
        assert_eq!(answer.status, 415, "{}", answer.body);
        assert!(answer.body.contains("application/json"), "{}", answer.body);
    }
    let answer = post(&server, &[("x-signature", &sig)], body).await;
    assert_eq!(answer.status, 415, "no content type: {}", answer.body);

    // A body over the limit is not read: 413.
    let huge = format!(
        r#"{{"user_id":"{}","message":"x"}}"#,
        "a".repeat(1024 * 1024)
    );
    let sig = signed(&huge);
    let answer = post(&server, &[json, ("x-signature", &sig)], &huge).await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(
        answer.body.contains(&format!("over {MAX_BODY} bytes")),
        "{}",
        answer.body
    );

    // Signed but wrong inside: 400 with the reason.
    let long_id = format!(r#"{{"user_id":"{}","message":"x"}}"#, "a".repeat(100));
    for bad in [
        "",
        "[1]",
        r#"{"user_id":"hook"}"#,
        r#"{"user_id":" ","message":"x"}"#,
        r#"{"user_id":"a","message":"x","extra":1}"#,
        &long_id,
    ] {
        let sig = signed(bad);
        let answer = post(&server, &[json, ("x-signature", &sig)], bad).await;
        assert_eq!(answer.status, 400, "{bad}: {}", answer.body);
        assert!(answer.body.contains("\"error\""), "{}", answer.body);
    }
    let sig = signed(&long_id);
    let answer = post(&server, &[json, ("x-signature", &sig)], &long_id).await;
    assert!(
        answer.body.contains("user_id is over 32"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn the_page_shows_commands_that_sign_what_they_send() {
    let server = TestServer::start(gallery::app().unwrap().router).await;
    let mut browser = server.browser();
    browser
        .post_form("/auth/sign-in", "name=wes&return_to=/")
        .await
        .unwrap();
    let tab = browser.open("/realtime/webhook").await.unwrap();
    let secret = shown_secret(&tab);
    let text = tab.text();
    for part in [
        r#"BODY='{"message":"Deploy finished","user_id":"wes"}'"#,
        &format!("openssl dgst -sha256 -hmac '{secret}'"),
        "-H \"X-Signature: sha256=$SIG\" -d \"$BODY\"",
    ] {
        // The page escapes quotes; the text is what a person copies.
        let shown = text.replace("&quot;", "\"").replace("&#x27;", "'");
        assert!(shown.contains(part), "{part} not in {shown}");
    }
}
