//! `gallery-desktop`: the LiveTemplate gallery in a desktop window.
//!
//! The app starts the gallery server inside its own process, on `127.0.0.1`,
//! and shows it in a Tauri webview. The same server stays reachable from
//! ordinary browsers, so a desktop window and browser tabs can sit side by
//! side and follow each other in the cross-tab demos.
//!
//! ```text
//! scripts/desktop                          # or: cargo run -p gallery-desktop
//! scripts/desktop --addr 127.0.0.1:9000    # same --addr as the web gallery
//! gallery-desktop --smoke --screenshot shot.png   # self-check, exit 0 or 1
//! ```

mod bridge;
mod browser;
mod server;
mod shell;
mod smoke;
mod windows;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// The default address; when it is taken (another gallery runs), the app
/// takes a free port instead, since a desktop user did not ask for this one.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8420";

/// The LiveTemplate gallery in a desktop window.
#[derive(Parser, Debug)]
#[command(version, about)]
pub struct Args {
    /// Address the gallery server listens on; port 0 picks a free port.
    /// Without it, 127.0.0.1:8420, or a free port if that one is taken.
    #[arg(long)]
    pub addr: Option<String>,

    /// Page to open first (a path on the gallery, e.g. /realtime/cross-tab).
    #[arg(long, default_value = "/")]
    pub page: String,

    /// Self-check: load the gallery, open Server Push, start the timer, and
    /// exit 0 once two ticks show in the window (1, with the reason, if not
    /// within 60 s).
    #[arg(long)]
    pub smoke: bool,

    /// With --smoke: save a PNG of the screen (X11, ImageMagick's `import`)
    /// once the ticks show.
    #[arg(long, requires = "smoke")]
    pub screenshot: Option<PathBuf>,

    /// With --smoke: seconds the check may take (tests of the failure path
    /// shorten it).
    #[arg(long, requires = "smoke", default_value_t = 60, hide = true)]
    pub smoke_deadline: u64,
}

fn main() -> ExitCode {
    gallery::log_to_stderr();
    let args = Args::parse();
    if !args.page.starts_with('/') || args.page.starts_with("//") {
        eprintln!(
            "gallery-desktop: --page must be a path on the gallery, like /realtime/cross-tab"
        );
        return ExitCode::FAILURE;
    }
    match shell::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("gallery-desktop: {e}");
            ExitCode::FAILURE
        }
    }
}
