//! The client bundle is embedded from the installed npm package; say how to
//! get it when it is missing instead of failing inside a derive macro.

fn main() {
    let bundle = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../node_modules/@livetemplate/client/dist/livetemplate-client.browser.js");
    println!("cargo:rerun-if-changed={}", bundle.display());
    if !bundle.exists() {
        panic!(
            "\n\nthe @livetemplate/client bundle is not installed ({}).\n\
             Run `npm ci` at the repository root (scripts/setup does it), then build again.\n\n",
            bundle.display()
        );
    }
}
