//! Files that examples produce for download (the export job's CSV), served
//! at `/downloads/{id}`. Kept in memory, the newest [`KEEP`] only.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// How many files are kept; older ones are forgotten.
pub const KEEP: usize = 50;

/// A generated file.
#[derive(Clone)]
pub struct File {
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Arc<[u8]>,
}

/// The files, newest last.
#[derive(Clone, Default)]
pub struct Downloads {
    files: Arc<Mutex<VecDeque<(String, File)>>>,
}

impl Downloads {
    /// Keeps `file` and returns the URL it is served at.
    pub fn put(&self, file: File) -> String {
        let mut id = [0u8; 12];
        // Unguessable, so one visitor cannot fetch another's export: no id
        // at all rather than a guessable one.
        getrandom::fill(&mut id).expect("the operating system's random source failed");
        let id = hex::encode(id);
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        if files.len() >= KEEP {
            files.pop_front();
        }
        files.push_back((id.clone(), file));
        format!("/downloads/{id}")
    }

    fn get(&self, id: &str) -> Option<File> {
        let files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        files.iter().find(|(k, _)| k == id).map(|(_, f)| f.clone())
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
            "this download is gone (the newest 50 are kept); run the export again",
        )
            .into_response(),
    }
}
