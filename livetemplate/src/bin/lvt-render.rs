//! `lvt-render`: renders a template over a sequence of states and prints, for
//! each, what the socket would send and the full HTML of the live part.
//!
//! ```text
//! lvt-render --templates DIR --name FILE --states FILE.jsonl
//! ```
//!
//! Each line of the states file is one JSON object, the template's context.
//! Each output line is `{"update": <tree update>, "html": <full render>}`;
//! the first update is the full tree. For debugging templates, and for
//! replaying our updates through other renderers (the conformance tests).

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use livetemplate::{unstable, Templates};
use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("usage: lvt-render --templates DIR --name FILE --states FILE.jsonl ({0})")]
    Usage(String),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a JSON object: {detail}")]
    BadState {
        path: PathBuf,
        line: usize,
        detail: String,
    },
    #[error("{path}:{line}: {source}")]
    Render {
        path: PathBuf,
        line: usize,
        source: livetemplate::TemplateError,
    },
    #[error("template {0:?} not found under the templates directory")]
    NotFound(String),
}

struct Args {
    templates: PathBuf,
    name: String,
    states: PathBuf,
}

fn parse_args() -> Result<Args, CliError> {
    let mut args = std::env::args().skip(1);
    let (mut templates, mut name, mut states) = (None, None, None);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| CliError::Usage(format!("{flag} needs a value")))?;
        match flag.as_str() {
            "--templates" => templates = Some(PathBuf::from(value)),
            "--name" => name = Some(value),
            "--states" => states = Some(PathBuf::from(value)),
            other => return Err(CliError::Usage(format!("unknown flag {other}"))),
        }
    }
    Ok(Args {
        templates: templates.ok_or_else(|| CliError::Usage("--templates is required".into()))?,
        name: name.ok_or_else(|| CliError::Usage("--name is required".into()))?,
        states: states.ok_or_else(|| CliError::Usage("--states is required".into()))?,
    })
}

fn run() -> Result<(), CliError> {
    let args = parse_args()?;
    let templates = Templates::from_dir(&args.templates);
    if templates.source(&args.name).is_none() {
        return Err(CliError::NotFound(args.name));
    }
    let file = std::fs::File::open(&args.states).map_err(|source| CliError::Read {
        path: args.states.clone(),
        source,
    })?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut previous = None;
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| CliError::Read {
            path: args.states.clone(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |detail: String| CliError::BadState {
            path: args.states.clone(),
            line: i + 1,
            detail,
        };
        let state: Value = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
        if !state.is_object() {
            return Err(bad(format!("got {state}")));
        }
        let mut tree = unstable::render_tree(&templates, &args.name, &state).map_err(|source| {
            CliError::Render {
                path: args.states.clone(),
                line: i + 1,
                source,
            }
        })?;
        let update = match &previous {
            Some(old) => unstable::diff(old, &mut tree),
            None => unstable::full(&tree),
        };
        let row = json!({ "update": update, "html": tree.to_html() });
        // A closed stdout (piped into `head`) is not an error worth a message.
        if writeln!(out, "{row}").is_err() {
            return Ok(());
        }
        previous = Some(tree);
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lvt-render: {e}");
            ExitCode::FAILURE
        }
    }
}
