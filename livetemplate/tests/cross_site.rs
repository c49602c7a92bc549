//! Requests from other sites: sign-in and sign-out, redirects, the scheme
//! of an Origin, and hosts this server does not answer to (DNS rebinding).

mod common;

use livetemplate::testing::{HttpResponse, TestServer};
use livetemplate::{Builder, LiveTemplate, SignedCookieAuth};

use common::{templates, Counter};

/// The counter at `/counter`, sign-in under `/auth`, the runtime's routes,
/// and an app route of its own, behind the runtime's host check.
async fn serve(live: Builder) -> TestServer {
    let auth = SignedCookieAuth::new(b"cross-site test key");
    let live = live.authenticator(auth.clone()).build();
    let page = live
        .page("counter.html", Counter::default())
        .build()
        .unwrap();
    let app = axum::Router::new()
        .route("/counter", page)
        .route("/hello", axum::routing::get(|| async { "hello" }))
        .nest("/auth", auth.routes(&live))
        .merge(live.routes())
        .layer(live.host_check());
    TestServer::start(app).await
}

async fn plain() -> TestServer {
    serve(LiveTemplate::builder(templates())).await
}

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

async fn sign_in(server: &TestServer, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    let mut all = vec![FORM];
    all.extend_from_slice(headers);
    server
        .request("POST", "/auth/sign-in", &all, body)
        .await
        .unwrap()
}

fn signs_in(answer: &HttpResponse) -> bool {
    answer
        .header("set-cookie")
        .is_some_and(|c| c.starts_with("livetemplate-user=mallory."))
}

#[tokio::test]
async fn another_site_cannot_sign_a_visitor_in() {
    let server = plain().await;
    let own = server.url("");
    let refused = [
        &[("origin", "http://evil.example")][..],
        &[("referer", "http://evil.example/page")],
        // A form post from a page that sends neither (no-referrer, old browsers).
        &[],
        &[("sec-fetch-site", "cross-site")],
        &[("origin", "null")],
    ];
    for headers in refused {
        let answer = sign_in(&server, headers, "name=mallory").await;
        assert_eq!(answer.status, 403, "{headers:?}: {}", answer.body);
        assert!(!signs_in(&answer), "{headers:?}");
        assert!(
            answer.body.starts_with("cross-origin request refused"),
            "{}",
            answer.body
        );
    }
    let referer = format!("{own}/counter");
    for headers in [&[("origin", own.as_str())][..], &[("referer", &referer)]] {
        let answer = sign_in(&server, headers, "name=mallory").await;
        assert_eq!(answer.status, 303, "{headers:?}: {}", answer.body);
        assert!(signs_in(&answer), "{headers:?}");
    }
}

#[tokio::test]
async fn another_site_cannot_sign_a_visitor_out() {
    let server = plain().await;
    let mut browser = server.browser();
    browser
        .post_form("/auth/sign-in", "name=ana")
        .await
        .unwrap();
    let answer = browser
        .request(
            "POST",
            "/auth/sign-out",
            &[FORM, ("origin", "http://evil.example")],
            "",
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(
        browser.cookie("livetemplate-user").is_some(),
        "still signed in"
    );
    let answer = browser.post_form("/auth/sign-out", "").await.unwrap();
    assert_eq!(answer.status, 303);
    assert_eq!(browser.cookie("livetemplate-user"), None);
}

#[tokio::test]
async fn page_posts_and_sockets_need_a_provable_origin() {
    let server = plain().await;
    let action = r#"{"action":"increment"}"#;
    let json = ("content-type", "application/json");
    let post = |headers: Vec<(&'static str, &'static str)>| {
        let server = &server;
        async move {
            server
                .request("POST", "/counter", &headers, action)
                .await
                .unwrap()
        }
    };
    // curl and other clients that are not browsers: accepted.
    assert_eq!(post(vec![json]).await.status, 200);
    // A browser that does not say where it comes from: refused.
    let answer = post(vec![json, ("sec-fetch-site", "cross-site")]).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    let answer = post(vec![json, ("sec-fetch-mode", "cors")]).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(
        post(vec![json, ("sec-fetch-site", "same-origin")])
            .await
            .status,
        200
    );
    let form = server
        .request("POST", "/counter", &[FORM], "increment=")
        .await
        .unwrap();
    assert_eq!(form.status, 403, "{}", form.body);
}

#[tokio::test]
async fn an_origin_of_another_scheme_is_another_site() {
    let server = plain().await;
    let host = server.addr().to_string();
    for origin in [
        format!("https://{host}"),
        format!("made-up://{host}"),
        format!("ws://{host}"),
    ] {
        let answer = sign_in(&server, &[("origin", &origin)], "name=mallory").await;
        assert_eq!(answer.status, 403, "{origin}: {}", answer.body);
        let err = server
            .browser()
            .connect("/counter", Some(&origin))
            .await
            .expect_err("refused");
        assert!(err.to_string().contains("403"), "{origin}: {err}");
    }
    // A proxy that terminates TLS is believed only when the app says so.
    let https = format!("https://{host}");
    let proxied = [("origin", https.as_str()), ("x-forwarded-proto", "https")];
    let answer = sign_in(&server, &proxied, "name=mallory").await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(
        answer.body.contains("trust_forwarded_proto"),
        "{}",
        answer.body
    );
    let trusting = serve(LiveTemplate::builder(templates()).trust_forwarded_proto(true)).await;
    let host = trusting.addr().to_string();
    let https = format!("https://{host}");
    let proxied = [("origin", https.as_str()), ("x-forwarded-proto", "https")];
    assert_eq!(
        sign_in(&trusting, &proxied, "name=mallory").await.status,
        303
    );
}

#[tokio::test]
async fn sign_in_and_sign_out_go_back_only_to_this_site() {
    let server = plain().await;
    for trick in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "//evil.example",
        "https://evil.example",
        "/%0d%0aSet-Cookie:x",
        "/%2F%2Fevil.example",
        "\u{a0}//evil.example",
        " //evil.example",
        "javascript:alert(1)",
    ] {
        let body = format!(
            "name=ana&return_to={}",
            percent_encoding::utf8_percent_encode(trick, percent_encoding::NON_ALPHANUMERIC)
        );
        for path in ["/auth/sign-in", "/auth/sign-out"] {
            let answer = server.browser().post_form(path, &body).await.unwrap();
            assert_eq!(answer.status, 303, "{trick:?}: {}", answer.body);
            assert_eq!(answer.header("location"), Some("/"), "{path} {trick:?}");
        }
    }
    let answer = server
        .browser()
        .post_form("/auth/sign-in", "name=ana&return_to=%2Fcounter%3Fa%3D1")
        .await
        .unwrap();
    assert_eq!(answer.header("location"), Some("/counter?a=1"));
}

/// What to ask: its name, method, path, headers and body.
type Ask<'a> = (
    &'static str,
    &'a str,
    &'a str,
    &'a [(&'a str, &'a str)],
    &'a str,
);

/// Every kind of route, asked for with `host` (and an Origin naming it, as
/// a rebound page's own requests carry). A WebSocket upgrade is asked for
/// only if `upgrade` (an accepted one stays open; this client reads to the end).
async fn statuses_for_host(
    server: &TestServer,
    host: &str,
    upgrade: bool,
) -> Vec<(&'static str, u16)> {
    let origin = format!("http://{host}");
    let websocket = [
        ("host", host),
        ("origin", origin.as_str()),
        ("upgrade", "websocket"),
        ("connection", "upgrade"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    let with_host = [("host", host), ("origin", origin.as_str())];
    let json = [
        ("host", host),
        ("origin", origin.as_str()),
        ("content-type", "application/json"),
    ];
    let form = [("host", host), ("origin", origin.as_str()), FORM];
    let asks: [Ask; 7] = [
        ("page", "GET", "/counter", &with_host, ""),
        ("socket", "GET", "/counter", &websocket, ""),
        (
            "post",
            "POST",
            "/counter",
            &json,
            r#"{"action":"increment"}"#,
        ),
        ("sign-in", "POST", "/auth/sign-in", &form, "name=mallory"),
        ("handoff", "GET", "/_lvt/handoff/some-token", &with_host, ""),
        (
            "script",
            "GET",
            livetemplate::CLIENT_SCRIPT_PATH,
            &with_host,
            "",
        ),
        ("app", "GET", "/hello", &with_host, ""),
    ];
    let mut out = Vec::new();
    for (what, method, path, headers, body) in asks {
        if what == "socket" && !upgrade {
            continue;
        }
        let answer = server.request(method, path, headers, body).await.unwrap();
        out.push((what, answer.status));
    }
    out
}

#[tokio::test]
async fn a_host_nobody_allowed_is_misdirected_on_every_route() {
    let server = plain().await;
    let port = server.addr().port();
    let rebound = format!("rebound.example:{port}");
    for (what, status) in statuses_for_host(&server, &rebound, true).await {
        assert_eq!(status, 421, "{what}");
    }
    let answer = server
        .request("GET", "/counter", &[("host", &rebound)], "")
        .await
        .unwrap();
    assert!(
        answer.body.contains("Builder::allow_host"),
        "{}",
        answer.body
    );
    assert!(answer.header("set-cookie").is_none());
}

#[tokio::test]
async fn loopback_names_and_allowed_hosts_are_answered() {
    let server = serve(LiveTemplate::builder(templates()).allow_host("gallery.example")).await;
    let port = server.addr().port();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        format!("gallery.example:{port}"),
        "gallery.example".to_string(),
    ] {
        for (what, status) in statuses_for_host(&server, &host, false).await {
            let expected = match what {
                "sign-in" => 303,
                "handoff" => 410,
                _ => 200,
            };
            assert_eq!(status, expected, "{what} for {host}");
        }
    }
    assert_eq!(
        statuses_for_host(&server, "other.example", false).await[0],
        ("page", 421)
    );
}

#[tokio::test]
async fn the_address_listened_on_is_answered() {
    let lan = "192.168.1.5:8420".parse().unwrap();
    let server = serve(LiveTemplate::builder(templates()).listening_on(lan)).await;
    let page = |host: &'static str| {
        let server = &server;
        async move {
            let answer = server
                .request("GET", "/hello", &[("host", host)], "")
                .await
                .unwrap();
            answer.status
        }
    };
    assert_eq!(page("192.168.1.5:8420").await, 200);
    assert_eq!(page("192.168.1.6:8420").await, 421);
}
