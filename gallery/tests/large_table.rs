//! What the 10,000-row table sends for each change, in bytes, and that each
//! is the one list operation it should be. Prints the figures of
//! BENCHMARKS.md ("Lists & Data: the 10,000-row table"):
//!
//! ```sh
//! cargo test -p gallery --test large_table -- --nocapture
//! ```

use livetemplate::testing::{Frame, Tab, TestServer};
use serde_json::{json, Value};

/// The list operations in an update's tree, wherever its loops are.
fn list_ops(tree: &Value) -> Vec<Value> {
    match tree {
        Value::Array(ops) if ops.iter().all(|op| op[0].is_string()) => ops.clone(),
        Value::Object(map) => map.values().flat_map(list_ops).collect(),
        _ => Vec::new(),
    }
}

/// One measured change.
struct Figure {
    change: &'static str,
    ops: Vec<Value>,
    tree_bytes: usize,
    frame_bytes: usize,
}

async fn measure(tab: &mut Tab, change: &'static str, action: &str, data: Value) -> Figure {
    let frame = tab.act(action, data).await.unwrap();
    let Frame::Update { tree, meta, bytes } = frame else {
        panic!("{change}: not an update: {frame:?}");
    };
    assert_eq!(meta["success"], true, "{change}: {meta}");
    Figure {
        change,
        ops: list_ops(&tree),
        tree_bytes: tree.to_string().len(),
        frame_bytes: bytes,
    }
}

fn kinds(figure: &Figure) -> Vec<&str> {
    figure
        .ops
        .iter()
        .map(|op| op[0].as_str().unwrap_or("?"))
        .collect()
}

#[tokio::test]
async fn each_change_to_the_10000_row_table_is_one_list_operation() {
    let gallery = gallery::app().expect("the gallery builds");
    let server = TestServer::start(gallery.router).await;
    let mut tab = server.browser().open("/lists/large-table").await.unwrap();
    assert!(tab.has_text("Showing 10000 of 10000 rows."));

    let figures = [
        measure(&mut tab, "delete a row", "delete", json!({ "value": 9998 })).await,
        measure(
            &mut tab,
            "open a row's rename form",
            "edit",
            json!({ "value": 10 }),
        )
        .await,
        measure(
            &mut tab,
            "rename a row",
            "rename",
            json!({ "value": 10, "name": "Zed Quist" }),
        )
        .await,
        measure(
            &mut tab,
            "add a row (at the top)",
            "add",
            json!({ "name": "Newt", "email": "newt@example.com" }),
        )
        .await,
        measure(
            &mut tab,
            "sort by score",
            "sort",
            json!({ "value": "score" }),
        )
        .await,
        measure(
            &mut tab,
            "reverse the sort",
            "sort",
            json!({ "value": "score" }),
        )
        .await,
        measure(
            &mut tab,
            "filter to 1 row",
            "change",
            json!({ "filter": "zed" }),
        )
        .await,
        measure(
            &mut tab,
            "clear the filter",
            "change",
            json!({ "filter": "" }),
        )
        .await,
    ];

    println!("| change | list operations | tree | frame |");
    println!("|---|---|---:|---:|");
    for f in &figures {
        let mut ops = kinds(f);
        ops.dedup();
        let ops = match f.ops.len() {
            0 => "none: the list whole".to_string(),
            1 => format!("`{}`", ops[0]),
            n if ops.len() == 1 => format!("{n} × `{}`", ops[0]),
            _ => format!("`{}`", ops.join("`, `")),
        };
        println!(
            "| {} | {ops} | {} B | {} B |",
            f.change, f.tree_bytes, f.frame_bytes
        );
    }

    let [delete, edit, rename, add, sort, reverse, ..] = &figures;
    assert_eq!(delete.ops, [json!(["r", "9998"])]);
    assert!(delete.tree_bytes <= 64, "{} B", delete.tree_bytes);
    assert_eq!(kinds(edit), ["u"]);
    assert_eq!(kinds(rename), ["u"]);
    assert!(rename.tree_bytes <= 200, "{} B", rename.tree_bytes);
    assert_eq!(kinds(add), ["p"]);
    assert_eq!(kinds(sort), ["o"]);
    assert_eq!(kinds(reverse), ["o"]);
    assert!(
        figures[6].tree_bytes < 2_000,
        "a filter keeping one row sends that row, not 9,999 removals"
    );
    assert!(tab.has_text("Showing 10000 of 10000 rows."));
}
