//! Uploads over the socket: chunks, progress, refusals, and cleanup.

use super::*;

#[tokio::test]
async fn a_file_arrives_in_chunks_with_progress_and_the_handler_keeps_it() {
    let (server, root, uploads, keep) = serve().await;
    let mut tab = server.browser().open("/").await.unwrap();
    let bytes = png(242); // 250 bytes: three chunks of 100, 100, 50
    let entries = start(&mut tab, one_png("cat.png", bytes.len())).await;
    assert_eq!(entries[0]["valid"], true, "{entries:?}");
    assert_eq!(entries[0]["client_name"], "cat.png");
    let id = entries[0]["entry_id"].as_str().unwrap().to_string();
    let mut seen = Vec::new();
    for (i, part) in bytes.chunks(100).enumerate() {
        chunk(&mut tab, &id, part, i * 100, bytes.len()).await;
        let progress = upload_frame(&mut tab).await;
        assert_eq!(progress["type"], "upload_progress");
        seen.push(progress["progress"].as_u64().unwrap());
    }
    assert_eq!(seen, [40, 80, 100]);
    let reply = complete(&mut tab, &id).await;
    assert_eq!(reply["success"], true, "{reply}");
    wait_shown(&mut tab, "[cat.png 250 image/png]").await;
    assert_eq!(std::fs::read(keep.join("0.png")).unwrap(), bytes);
    // Taken: gone from the page and from the upload directory.
    assert!(!tab.text().contains("cat.png 100%"), "{}", tab.text());
    assert!(files_in(&uploads).is_empty(), "{:?}", files_in(&uploads));
    assert_eq!(tree(&root), ["kept", "kept/0.png", "uploads"]);
}

#[tokio::test]
async fn hostile_names_too_many_files_and_wrong_types_are_refused_one_by_one() {
    let (server, root, _uploads, _) = serve().await;
    let mut tab = server.browser().open("/").await.unwrap();
    let long = "a".repeat(4096);
    let files = json!([
        { "name": "../../etc/passwd.png", "type": "image/png", "size": 10 },
        { "name": "..\\boot.png", "type": "image/png", "size": 10 },
        { "name": "nul\u{0}.png", "type": "image/png", "size": 10 },
        { "name": long, "type": "image/png", "size": 10 },
        { "name": "big.png", "type": "image/png", "size": 1001 },
        { "name": "notes.txt", "type": "text/plain", "size": 10 },
        { "name": "ok1.png", "type": "image/png", "size": 10 },
        { "name": "ok2.png", "type": "image/png", "size": 10 },
        { "name": "three.png", "type": "image/png", "size": 10 },
    ]);
    let entries = start(&mut tab, files).await;
    let verdict = |i: usize| entries[i]["error"].as_str().unwrap_or("ok").to_string();
    assert_eq!(verdict(0), "the file name must not contain / or \\");
    assert_eq!(verdict(1), "the file name must not contain / or \\");
    assert_eq!(
        verdict(2),
        "the file name must not contain control characters"
    );
    assert_eq!(
        verdict(3),
        "the file name is 4096 bytes long; at most 255 are taken"
    );
    assert_eq!(verdict(4), "1001 bytes is over the limit of 1000 bytes");
    assert_eq!(
        verdict(5),
        "text/plain files are not accepted here (accepted: image/png)"
    );
    assert_eq!(verdict(6), "ok");
    assert_eq!(verdict(7), "ok");
    assert_eq!(verdict(8), "too many files: at most 2 at a time");
    assert_eq!(
        entries[3]["client_name"],
        long.as_str(),
        "the client finds its file by name"
    );
    wait_shown(
        &mut tab,
        "three.png 0% refused: too many files: at most 2 at a time",
    )
    .await;
    // A name that is only odd is taken, and shown as text.
    let entries = start(&mut tab, one_png("<img src=x onerror=alert(1)>.png", 10)).await;
    assert_eq!(entries[0]["error"], "too many files: at most 2 at a time");
    wait_shown(&mut tab, "<img src=x onerror=alert(1)>.png 0% refused").await;
    assert!(
        tab.html()
            .contains("&lt;img src=x onerror=alert(1)&gt;.png"),
        "escaped"
    );
    tab.ping().await.unwrap();
    // Nothing was written for any of them.
    assert_eq!(tree(&root), ["kept"]);
}

#[tokio::test]
async fn content_that_is_not_what_it_claims_is_refused_and_deleted() {
    let (server, _root, uploads, _) = serve().await;
    let mut tab = server.browser().open("/").await.unwrap();
    let mut program = b"MZ\x90\0\x03\0\0\0".to_vec();
    program.resize(150, 0);
    let entries = start(&mut tab, one_png("cat.png", program.len())).await;
    let id = entries[0]["entry_id"].as_str().unwrap().to_string();
    chunk(&mut tab, &id, &program[..100], 0, program.len()).await;
    wait_shown(
        &mut tab,
        "refused: the content is application/x-msdownload, which is not accepted here (accepted: image/png)",
    )
    .await;
    // Later chunks of the refused file are dropped quietly.
    chunk(&mut tab, &id, &program[100..], 100, program.len()).await;
    tab.expect_no_update().await.unwrap();
    assert!(files_in(&uploads).is_empty());
}

/// Starts one 250-byte PNG and sends its first chunk: (tab, entry id, bytes).
async fn started(server: &TestServer) -> (Tab, String, Vec<u8>) {
    let mut tab = server.browser().open("/").await.unwrap();
    let bytes = png(242);
    let entries = start(&mut tab, one_png("cat.png", bytes.len())).await;
    let id = entries[0]["entry_id"].as_str().unwrap().to_string();
    chunk(&mut tab, &id, &bytes[..100], 0, bytes.len()).await;
    upload_frame(&mut tab).await;
    (tab, id, bytes)
}

#[tokio::test]
async fn chunks_that_lie_are_refused_with_their_reason_and_the_connection_goes_on() {
    let (server, _root, uploads, _) = serve().await;
    type Bad = fn(&str, &[u8]) -> Value;
    let cases: [(Bad, &str); 6] = [
        (
            |id, b| json!({"action":"upload_chunk","entry_id":id,"chunk_base64":b64(&b[100..200]),"offset":100,"total":900}),
            "the chunk says the file is 900 bytes, but the upload started as 250 bytes",
        ),
        (
            |id, b| json!({"action":"upload_chunk","entry_id":id,"chunk_base64":b64(&b[150..200]),"offset":150,"total":250}),
            "a chunk at byte 150 arrived where byte 100 was due",
        ),
        (
            |id, b| json!({"action":"upload_chunk","entry_id":id,"chunk_base64":b64(&b[50..150]),"offset":50,"total":250}),
            "a chunk at byte 50 arrived where byte 100 was due",
        ),
        (
            |id, _| {
                json!({"action":"upload_chunk","entry_id":id,"chunk_base64":b64(&[1u8; 100]),"offset":100,"total":250})
                .to_string()
                .replace("AQEB", "A*E!")
                .parse()
                .unwrap()
            },
            "a chunk is not valid base64",
        ),
        (
            |id, _| json!({"action":"upload_chunk","entry_id":id,"chunk_base64":b64(&[1u8; 150]),"offset":100,"total":250}),
            "a chunk of 150 bytes is over the chunk limit of 100",
        ),
        (
            |id, _| json!({"action":"upload_complete","upload_name":"photos","entry_ids":[id]}),
            "the upload ended after 100 of 250 bytes",
        ),
    ];
    for (bad, reason) in cases {
        let (mut tab, id, bytes) = started(&server).await;
        tab.send_text(&bad(&id, &bytes).to_string()).await.unwrap();
        wait_shown(&mut tab, &format!("refused: {reason}")).await;
        until_empty(&uploads).await;
        tab.ping().await.unwrap();
    }
    // Past the end: the whole file, then one byte more.
    let (mut tab, id, bytes) = started(&server).await;
    for at in [100, 200] {
        chunk(
            &mut tab,
            &id,
            &bytes[at..(at + 100).min(250)],
            at,
            bytes.len(),
        )
        .await;
        upload_frame(&mut tab).await;
    }
    chunk(&mut tab, &id, b"x", 250, bytes.len()).await;
    wait_shown(
        &mut tab,
        "refused: a chunk goes past the end of the file (251 of 250 bytes)",
    )
    .await;
    until_empty(&uploads).await;
}

#[tokio::test]
async fn a_frame_that_is_not_an_upload_message_gets_an_error_and_nothing_else() {
    let (server, _root, _uploads, _) = serve().await;
    let mut tab = server.browser().open("/").await.unwrap();
    tab.send_text(r#"{"action":"upload_chunk","entry_id":"x","offset":-1}"#)
        .await
        .unwrap();
    let (code, _) = error_frame(&mut tab).await;
    assert_eq!(code, "malformed_message");
    tab.send_text(r#"{"action":"upload_start","upload_name":"docs","files":[{"name":"a.pdf","type":"application/pdf","size":3}]}"#)
        .await
        .unwrap();
    let reply = upload_frame(&mut tab).await;
    assert_eq!(
        reply["entries"][0]["error"],
        "this page takes no upload named \"docs\""
    );
    // A frame bigger than any chunk (and than an action) is refused unread.
    let huge = json!({"action":"upload_chunk","entry_id":"x","chunk_base64":"A".repeat(70 * 1024),"offset":0,"total":1});
    tab.send_text(&huge.to_string()).await.unwrap();
    let (code, _) = error_frame(&mut tab).await;
    assert_eq!(code, "message_too_large");
    tab.ping().await.unwrap();
}

#[tokio::test]
async fn an_entry_of_another_connection_is_not_found_here() {
    let (server, _root, uploads, _) = serve().await;
    let (mut owner, id, bytes) = started(&server).await;
    // Even the same browser's other tab.
    let mut thief = server.browser().open("/").await.unwrap();
    chunk(&mut thief, &id, &bytes[100..200], 100, bytes.len()).await;
    let (code, message) = error_frame(&mut thief).await;
    assert_eq!(code, "upload_unknown_entry");
    assert!(message.contains(&id), "{message}");
    let cancel = json!({"action": "cancel_upload", "entry_id": id});
    thief.send_text(&cancel.to_string()).await.unwrap();
    assert_eq!(error_frame(&mut thief).await.0, "upload_unknown_entry");
    // The owner's upload goes on untouched.
    chunk(&mut owner, &id, &bytes[100..200], 100, bytes.len()).await;
    assert_eq!(upload_frame(&mut owner).await["bytes_recv"], 200);
    chunk(&mut owner, &id, &bytes[200..], 200, bytes.len()).await;
    assert_eq!(upload_frame(&mut owner).await["bytes_recv"], 250);
    assert_eq!(complete(&mut owner, &id).await["success"], true);
    wait_shown(&mut owner, "[cat.png 250 image/png]").await;
    until_empty(&uploads).await;
}

#[tokio::test]
async fn a_cancelled_upload_and_a_closed_tab_leave_no_file() {
    let (server, _root, uploads, _) = serve().await;
    let (mut tab, id, _) = started(&server).await;
    assert_eq!(files_in(&uploads).len(), 1, "the first chunk is on disk");
    // As a template's cancel button sends it.
    tab.act("cancel_upload", json!({ "value": id })).await.ok();
    until_empty(&uploads).await;
    assert!(!tab.text().contains("cat.png"), "{}", tab.text());

    let (tab, _, _) = started(&server).await;
    assert_eq!(files_in(&uploads).len(), 1);
    tab.close().await;
    until_empty(&uploads).await;
}

#[tokio::test]
async fn a_finished_file_no_handler_took_is_deleted_with_its_connection() {
    // The same page without an `upload_photos_complete` handler: the file
    // waits for one, then goes when the tab does.
    struct Waiting;
    impl Controller for Waiting {
        type State = Photos;
        fn actions(actions: &mut Actions<Self>) {
            actions.on("upload_photos_complete", |_, _, _| Ok(()));
            actions.on("save", |_, photos, ctx| {
                photos.kept = ctx
                    .uploads("photos")
                    .iter()
                    .map(|f| f.name().to_string())
                    .collect();
                Ok(())
            });
        }
        fn uploads(uploads: &mut Uploads) {
            uploads.allow("photos", Upload::new().accept(["image/png"]).max_files(2));
        }
    }
    let dir = std::env::temp_dir().join(format!("lvt-uploads-wait-{}", rand_id()));
    let templates = Templates::from_fn(|name| (name == "album.html").then(|| PAGE.into()));
    let live = LiveTemplate::builder(templates).upload_dir(&dir).build();
    let router = axum::Router::new().route("/", live.page("album.html", Waiting).build().unwrap());
    let server = TestServer::start(router).await;
    let mut tab = server.browser().open("/").await.unwrap();
    let bytes = png(20);
    let entries = start(&mut tab, one_png("dog.png", bytes.len())).await;
    let id = entries[0]["entry_id"].as_str().unwrap().to_string();
    chunk(&mut tab, &id, &bytes, 0, bytes.len()).await;
    upload_frame(&mut tab).await;
    assert_eq!(complete(&mut tab, &id).await["success"], true);
    wait_shown(&mut tab, "dog.png 100% done").await;
    assert_eq!(files_in(&dir).len(), 1);
    tab.close().await;
    until_empty(&dir).await;
    let _ = Arc::new(());
}
