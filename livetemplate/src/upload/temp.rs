//! Temporary files for uploads: random names in the upload directory,
//! written as bytes arrive, deleted when dropped.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A file being written under the upload directory. Its name is random —
/// never the client's — and dropping it deletes it (unless a handler moved
/// it away first).
#[derive(Debug)]
pub(crate) struct TempFile {
    path: PathBuf,
    file: Option<File>,
    len: u64,
}

impl TempFile {
    /// A new, empty file in `dir` (made, private to this user, if missing).
    pub(crate) fn create(dir: &Path) -> io::Result<TempFile> {
        make_dir(dir)?;
        let path = dir.join(format!("{}.part", crate::random::id()));
        let mut options = OpenOptions::new();
        // create_new: never an existing file, nor a link planted at the name.
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path)?;
        Ok(TempFile {
            path,
            file: Some(file),
            len: 0,
        })
    }

    /// Appends `bytes`.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("the file is already finished"))?;
        file.write_all(bytes)?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Closes the file: nothing more is written.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        match self.file.take() {
            Some(mut file) => file.flush(),
            None => Ok(()),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        self.file = None;
        // Already gone when a handler moved it: nothing to do then.
        let _ = std::fs::remove_file(&self.path);
    }
}

fn make_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_file_is_written_then_deleted_when_dropped() {
        let dir = std::env::temp_dir().join(format!("lvt-temp-test-{}", crate::random::id()));
        let mut file = TempFile::create(&dir).unwrap();
        file.write(b"hello ").unwrap();
        file.write(b"world").unwrap();
        file.finish().unwrap();
        assert_eq!(std::fs::read(file.path()).unwrap(), b"hello world");
        assert_eq!(file.len(), 11);
        assert!(file.write(b"more").is_err(), "finished files take no more");
        let path = file.path().to_path_buf();
        assert!(path.starts_with(&dir));
        drop(file);
        assert!(!path.exists());
        std::fs::remove_dir(&dir).unwrap();
    }
}
