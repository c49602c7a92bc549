use gallery::catalog::Example;
use livetemplate::testing::TestServer;

/// Runs `example`'s script if it is one of this category's (a new example
/// adds an arm: `"slug" => { …; true }`).
pub async fn script(example: &Example, server: &TestServer) -> bool {
    let _ = (example, server);
    false
}
