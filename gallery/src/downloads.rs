//! Files that examples produce for download (the export job's CSV), served
//! at `/downloads/{id}`. Kept in memory for [`KEEP_FOR`], at most
//! [`PER_GROUP`] per session group (a group's newest) and [`TOTAL`] in all.
//! When all are taken, a new file is refused rather than another visitor's
//! dropped: a visitor without a cookie is a new group each time, so one
//! client could otherwise push everyone's files out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// How long a file is kept.
pub const KEEP_FOR: Duration = Duration::from_secs(15 * 60);
/// How many files one session group keeps; a new one replaces its oldest.
pub const PER_GROUP: usize = 3;
/// How many files are kept in all.
pub const TOTAL: usize = 200;

/// A generated file.
#[derive(Clone)]
pub struct File {
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Arc<[u8]>,
}

/// Every slot is taken by a file younger than [`KEEP_FOR`].
#[derive(Debug, thiserror::Error)]
#[error("the server keeps too many downloads right now; try again in a few minutes")]
pub struct Full;

struct Kept {
    group: String,
    file: File,
    made: Instant,
}

/// The files, by id.
#[derive(Clone)]
pub struct Downloads {
    files: Arc<Mutex<HashMap<String, Kept>>>,
    per_group: usize,
    total: usize,
}

impl Default for Downloads {
    fn default() -> Downloads {
        Downloads::with_limits(PER_GROUP, TOTAL)
    }
}

impl Downloads {
    /// Keeps at most `per_group` files per session group, `total` in all.
    pub fn with_limits(per_group: usize, total: usize) -> Downloads {
        Downloads {
            files: Arc::default(),
            per_group: per_group.max(1),
            total,
        }
    }

    /// Keeps `file` for session group `group`; returns the URL it is served at.
    pub fn put(&self, group: &str, file: File) -> Result<String, Full> {
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        files.retain(|_, kept| kept.made.elapsed() < KEEP_FOR);
        let mut own: Vec<(&String, Instant)> = files
            .iter()
            .filter(|(_, kept)| kept.group == group)
            .map(|(id, kept)| (id, kept.made))
            .collect();
        own.sort_by_key(|(_, made)| *made);
        let over = (own.len() + 1).saturating_sub(self.per_group);
        let dropped: Vec<String> = own.iter().take(over).map(|(id, _)| (*id).clone()).collect();
        for id in dropped {
            files.remove(&id);
        }
        if files.len() >= self.total {
            return Err(Full);
        }
        let mut id = [0u8; 12];
        // Unguessable, so one visitor cannot fetch another's export: no id
        // at all rather than a guessable one.
        getrandom::fill(&mut id).expect("the operating system's random source failed");
        let id = hex::encode(id);
        let kept = Kept {
            group: group.to_string(),
            file,
            made: Instant::now(),
        };
        files.insert(id.clone(), kept);
        Ok(format!("/downloads/{id}"))
    }

    fn get(&self, id: &str) -> Option<File> {
        let files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        let kept = files.get(id).filter(|k| k.made.elapsed() < KEEP_FOR)?;
        Some(kept.file.clone())
    }
}

/// `GET /downloads/{id}`.
pub async fn serve(State(downloads): State<Downloads>, Path(id): Path<String>) -> Response {
    match downloads.get(&id) {
        Some(file) => (
            [
                (header::CONTENT_TYPE, file.content_type.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", file.name.replace('"', "")),
                ),
            ],
            file.bytes.to_vec(),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "this download is gone (files are kept 15 minutes, 3 per visitor); run the export again",
        )
            .into_response(),
    }
}
