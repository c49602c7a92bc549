//! The app's life: start the server, open the first window, and when the
//! last window closes (or the process is told to stop) stop the server
//! cleanly before exiting.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tauri::{AppHandle, Manager, RunEvent, Url};

use crate::bridge::{self, Bridge};
use crate::server::{self, Leftovers, Server, ServerError};
use crate::smoke::Smoke;
use crate::windows::{WindowError, Windows};
use crate::Args;

/// The page script every desktop window runs (see its comments).
const PAGE_SCRIPT: &str = include_str!("desktop.js");

/// How long closing may take before the leftovers are reported.
const STOP_WITHIN: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error("the server's address is unusable: {0}")]
    Address(String),
    #[error(transparent)]
    Window(#[from] WindowError),
    #[error("no random source for the bridge token: {0}")]
    Random(String),
    #[error("the desktop shell failed: {0}")]
    Tauri(#[from] tauri::Error),
}

/// Runs the app until its last window closes; returns the exit code.
pub fn run(args: Args) -> Result<ExitCode, ShellError> {
    let listener = tauri::async_runtime::block_on(server::bind(args.addr.as_deref()))?;
    let local = listener
        .local_addr()
        .map_err(|e| ShellError::Address(e.to_string()))?;
    // Answers to loopback names, the address it listens on, and the names
    // in LVT_ALLOWED_HOSTS; other hosts get 421 (DNS rebinding).
    let config = gallery::Config {
        listening_on: Some(local),
        ..gallery::Config::default()
    };
    let gallery =
        tauri::async_runtime::block_on(gallery::app_for(&config)).map_err(ServerError::from)?;
    let origin =
        Url::parse(&format!("http://{local}/")).map_err(|e| ShellError::Address(e.to_string()))?;

    let token: Arc<str> = random_token()?.into();
    let smoke = args.smoke.then(|| Arc::new(Smoke::default()));
    let script = page_script(&origin, &token, smoke.is_some());
    let running: Arc<Mutex<Option<Server>>> = Arc::default();
    let verdict: Arc<Mutex<Option<Result<String, String>>>> = Arc::default();

    let app = {
        let running = running.clone();
        let verdict = verdict.clone();
        let smoke = smoke.clone();
        tauri::Builder::default()
            .setup(move |app| {
                let windows = Windows::new(app.handle().clone(), origin.clone(), script);
                let router = gallery
                    .router
                    .merge(bridge::routes(Bridge {
                        windows: windows.clone(),
                        token,
                        smoke: smoke.clone(),
                    }))
                    // The gallery's router checks hosts itself; this covers the bridge.
                    .layer(gallery.live.host_check());
                let server = tauri::async_runtime::block_on(async {
                    Server::start(listener, router, gallery.live.clone())
                })?;
                println!("listening on {}", server.url);
                *running.lock().unwrap_or_else(|p| p.into_inner()) = Some(server);
                windows.open(&args.page)?;
                stop_on_signal(app.handle().clone());
                if let Some(smoke) = smoke {
                    let handle = app.handle().clone();
                    let deadline = Duration::from_secs(args.smoke_deadline);
                    tauri::async_runtime::spawn(check(
                        handle,
                        smoke,
                        deadline,
                        args.screenshot,
                        verdict,
                    ));
                }
                Ok(())
            })
            .build(tauri::generate_context!())?
    };

    let smoking = smoke.is_some();
    app.run(move |_, event| {
        if let RunEvent::Exit = event {
            let code = exit(&running, smoking, &verdict);
            // Tauri would exit with 0; the code is ours to decide.
            std::process::exit(code);
        }
    });
    Ok(ExitCode::SUCCESS)
}

/// Stops the server and decides the exit code.
fn exit(
    running: &Mutex<Option<Server>>,
    smoking: bool,
    verdict: &Mutex<Option<Result<String, String>>>,
) -> i32 {
    let left = match running.lock().unwrap_or_else(|p| p.into_inner()).take() {
        Some(server) => tauri::async_runtime::block_on(server.stop(STOP_WITHIN)),
        None => Leftovers {
            connections: 0,
            tasks: 0,
        },
    };
    let clean = left
        == Leftovers {
            connections: 0,
            tasks: 0,
        };
    if clean {
        eprintln!("gallery-desktop: server stopped cleanly (0 connections, 0 tasks left)");
    } else {
        eprintln!(
            "gallery-desktop: server stopped with {} connections and {} tasks still open after {} s",
            left.connections,
            left.tasks,
            STOP_WITHIN.as_secs()
        );
    }
    if !smoking {
        return 0;
    }
    match verdict.lock().unwrap_or_else(|p| p.into_inner()).take() {
        Some(Ok(_)) if clean => {
            eprintln!("smoke: passed");
            0
        }
        Some(Ok(_)) => {
            eprintln!("smoke: FAILED: closing the window did not stop the server cleanly");
            1
        }
        Some(Err(reason)) => {
            eprintln!("smoke: FAILED: {reason}");
            1
        }
        None => {
            eprintln!("smoke: FAILED: the app was closed before the check finished");
            1
        }
    }
}

/// The smoke check's driver on the app side: wait for the page's verdict,
/// take the screenshot, then close the window like a person would.
async fn check(
    app: AppHandle,
    smoke: Arc<Smoke>,
    deadline: Duration,
    screenshot: Option<std::path::PathBuf>,
    verdict: Arc<Mutex<Option<Result<String, String>>>>,
) {
    let mut result = smoke.verdict(deadline).await;
    if let (Ok(_), Some(path)) = (&result, screenshot) {
        if let Err(reason) = tokio::task::spawn_blocking(move || take_screenshot(&path))
            .await
            .unwrap_or_else(|_| Err("the screenshot task panicked".into()))
        {
            result = Err(reason);
        }
    }
    let passed = result.is_ok();
    match &result {
        Ok(what) => eprintln!("smoke: {what}; closing the window"),
        Err(reason) => eprintln!("smoke: failing: {reason}"),
    }
    *verdict.lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
    if passed {
        // The same path as a person closing the last window.
        for window in app.webview_windows().values() {
            let _ = window.close();
        }
    } else {
        app.exit(1);
    }
}

/// Saves the X screen the window is on as a PNG (ImageMagick's `import`),
/// creating the folder first: a clean checkout has no `target/artifacts/`.
fn take_screenshot(path: &std::path::Path) -> Result<(), String> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .map_err(|e| format!("cannot create {} for the screenshot: {e}", folder.display()))?;
    }
    let status = std::process::Command::new("import")
        .args(["-window", "root"])
        .arg(path)
        .status()
        .map_err(|e| format!("cannot run ImageMagick's `import` for the screenshot: {e}"))?;
    if status.success() {
        eprintln!("smoke: screenshot saved to {}", path.display());
        Ok(())
    } else {
        Err(format!("`import` could not save the screenshot ({status})"))
    }
}

/// Ctrl-C or SIGTERM closes the app the same way as its last window.
fn stop_on_signal(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
        app.exit(0);
    });
}

/// `desktop.js` with its settings: the gallery's origin, the bridge token,
/// and whether to run the self-check.
fn page_script(origin: &Url, token: &str, smoke: bool) -> String {
    let settings = json!({
        "origin": origin.origin().ascii_serialization(),
        "token": token,
        "smoke": smoke,
        "tokenHeader": bridge::TOKEN_HEADER,
    });
    // desktop.js is one function expression; call it with the settings.
    format!("{PAGE_SCRIPT}({settings});\n")
}

/// Without an OS random source there is no safe token: refuse to start
/// rather than run the bridge with a guessable one.
fn random_token() -> Result<String, ShellError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| ShellError::Random(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
