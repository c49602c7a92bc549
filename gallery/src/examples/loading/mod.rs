//! Loading & Progress: slow work shown as it happens — placeholders first, progress, retry.
