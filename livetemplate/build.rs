//! Prepares the stock client bundle, once per build, so no request pays for it:
//! its content hash (for a URL that can be cached forever) and its gzip and
//! brotli forms at the best levels (they are made once, so slow is fine).
//!
//! Writes `livetemplate-client.js{,.gz,.br}` to `OUT_DIR` and sets
//! `LVT_CLIENT_HASH` (16 hex digits of its SHA-256) for `server/assets.rs`.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn main() {
    let bundle = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../node_modules/@livetemplate/client/dist/livetemplate-client.browser.js");
    println!("cargo:rerun-if-changed={}", bundle.display());
    println!("cargo:rerun-if-changed=build.rs");
    // Say how to get the bundle when it is missing instead of failing later
    // on a file that is not there.
    let js = std::fs::read(&bundle).unwrap_or_else(|e| {
        panic!(
            "\n\nthe @livetemplate/client bundle is not installed ({}: {e}).\n\
             Run `npm ci` at the repository root (scripts/setup does it), then build again.\n\n",
            bundle.display()
        )
    });
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    let hash = hex::encode(Sha256::digest(&js));
    println!("cargo:rustc-env=LVT_CLIENT_HASH={}", &hash[..16]);

    write(&out.join("livetemplate-client.js"), &js);
    write(&out.join("livetemplate-client.js.gz"), &gzip(&js));
    write(&out.join("livetemplate-client.js.br"), &brotli(&js));
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("gzip into memory");
    encoder.finish().expect("gzip into memory")
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        // Text: lets the encoder use its UTF-8 context modelling.
        mode: brotli::enc::backward_references::BrotliEncoderMode::BROTLI_MODE_TEXT,
        size_hint: data.len(),
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).expect("brotli into memory");
    out
}

fn write(path: &Path, data: &[u8]) {
    std::fs::write(path, data).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}
