//! Opening a page in the system browser.

use std::process::{Command, Stdio};

/// Why the system browser could not be started.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("cannot start the browser command {command:?}: {source}")]
    Command {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no system browser found: {0}")]
    System(#[source] std::io::Error),
}

/// Opens `url` in the user's browser: the `BROWSER` command if set (the
/// Unix convention, `:`-separated, first one that starts wins), else the
/// desktop's default handler (`xdg-open` and friends).
pub fn open(url: &str) -> Result<(), BrowserError> {
    match std::env::var("BROWSER") {
        Ok(list) if !list.trim().is_empty() => {
            let mut last = None;
            for command in list.split(':').filter(|c| !c.trim().is_empty()) {
                match spawn(command, url) {
                    Ok(()) => return Ok(()),
                    Err(e) => last = Some(e),
                }
            }
            Err(last.unwrap_or_else(|| BrowserError::Command {
                command: list.clone(),
                source: std::io::Error::other("empty"),
            }))
        }
        _ => open::that_detached(url).map_err(BrowserError::System),
    }
}

/// Runs one `BROWSER` entry: `%s` is replaced by the URL, else the URL is
/// the last argument. The child is not waited for (it may be the browser).
fn spawn(command: &str, url: &str) -> Result<(), BrowserError> {
    let mut words = command.split_whitespace().map(str::to_string);
    let program = words.next().unwrap_or_default();
    let mut args: Vec<String> = words.collect();
    if args.iter().any(|a| a.contains("%s")) {
        args.iter_mut().for_each(|a| *a = a.replace("%s", url));
    } else {
        args.push(url.to_string());
    }
    Command::new(&program)
        .args(&args)
        .stdin(Stdio::null())
        .spawn()
        // Reap it whenever it ends, so it does not linger as a zombie.
        .map(|mut child| drop(std::thread::spawn(move || child.wait())))
        .map_err(|source| BrowserError::Command {
            command: command.to_string(),
            source,
        })
}
