use std::sync::Arc;

use serde::Serialize;
use serde_json::json;

use super::{fingerprint, StateText};

#[derive(Serialize)]
struct Page {
    title: String,
    rows: Vec<Row>,
    pair: (u8, String),
    empty: Vec<u8>,
    maybe: Option<Vec<u8>>,
    nested: Inner,
}

#[derive(Serialize)]
struct Row {
    id: u64,
    label: &'static str,
}

#[derive(Serialize)]
struct Inner {
    a: Vec<f64>,
}

fn page() -> Page {
    Page {
        title: "a \"quoted\" title".into(),
        rows: vec![
            Row { id: 1, label: "x" },
            Row {
                id: 2,
                label: "y,]",
            },
        ],
        pair: (7, "s".into()),
        empty: vec![],
        maybe: Some(vec![1, 2]),
        nested: Inner { a: vec![1.0, 2.5] },
    }
}

#[test]
fn every_field_reads_as_serde_json_writes_it() {
    let page = Arc::new(page());
    let expected = serde_json::to_value(&*page).unwrap();
    let text = StateText::of(&page).unwrap();
    let names: Vec<_> = text.fields().iter().map(|f| &*f.name).collect();
    assert_eq!(names, ["title", "rows", "pair", "empty", "maybe", "nested"]);
    for field in text.fields() {
        assert_eq!(
            text.value_of(field),
            expected[&*field.name],
            "{}",
            field.name
        );
    }
    let lists: Vec<_> = text
        .fields()
        .iter()
        .filter(|f| text.is_list(f))
        .map(|f| &*f.name)
        .collect();
    assert_eq!(lists, ["rows", "pair", "empty", "maybe"]);
    text.recycle();
}

#[test]
fn rows_are_written_only_when_read() {
    let page = Arc::new(page());
    let text = StateText::of(&page).unwrap();
    let rows = text.rows_of(text.field("rows").unwrap()).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows.fingerprints().len(), 2);
    rows.prepare(&[1]);
    assert_eq!(text.rows.lock().unwrap().text, br#"{"id":2,"label":"y,]"}"#);
    assert_eq!(rows.value(1).unwrap(), json!({ "id": 2, "label": "y,]" }));
    // Reading a row not prepared writes the rest of the list.
    assert_eq!(rows.value(0).unwrap(), json!({ "id": 1, "label": "x" }));
    assert_eq!(rows.value(2), None);
}

#[test]
fn maps_and_plain_values_are_states_too() {
    let map = Arc::new(json!({ "b": [1, 2], "a": "x" }));
    let text = StateText::of(&map).unwrap();
    assert_eq!(text.value_of(text.field("b").unwrap()), json!([1, 2]));
    let rows = text.rows_of(text.field("b").unwrap()).unwrap();
    assert_eq!(rows.value(1), Some(json!(2)));
    let plain = StateText::of(&Arc::new(42)).unwrap();
    assert_eq!(plain.value_of(plain.field("state").unwrap()), json!(42));
}

#[test]
fn what_json_cannot_say_is_an_error() {
    #[derive(Serialize)]
    struct WithBadMap {
        m: std::collections::HashMap<Vec<u8>, u8>,
    }
    let mut bad = std::collections::HashMap::new();
    bad.insert(vec![1], 2);
    assert!(StateText::of(&Arc::new(WithBadMap { m: bad })).is_err());
}

#[test]
fn fingerprints_match_equal_rows_and_tell_apart_what_renders_differently() {
    let row = json!({ "id": 7, "text": "a", "tags": ["x", null, true] });
    assert_eq!(fingerprint(&row), fingerprint(&row.clone()));
    let differs = [
        json!({ "id": 7, "text": "b", "tags": ["x", null, true] }),
        json!({ "id": 7.0, "text": "a", "tags": ["x", null, true] }),
        json!({ "id": 7, "text": "a", "tags": ["x", null] }),
        json!({ "id": 7, "txt": "a", "tags": ["x", null, true] }),
        json!({ "id": 7, "text": "a", "tags": ["xn", "ull", true] }),
        json!({ "id": "7", "text": "a", "tags": ["x", null, true] }),
    ];
    for other in &differs {
        assert_ne!(fingerprint(&row), fingerprint(other), "{other}");
    }
    // The same value as an integer and as a float print differently.
    assert_ne!(
        fingerprint(&json!(9_223_372_036_854_775_808u64)),
        fingerprint(&json!(9_223_372_036_854_775_808f64))
    );
    // An unsigned and a signed integer of one value write the same JSON.
    assert_eq!(fingerprint(&7u64), fingerprint(&7i32));
    // Fields of one struct type print alike when their values are alike.
    #[derive(Serialize)]
    struct Text {
        text: String,
    }
    let text = |t: &str| Text { text: t.into() };
    assert_eq!(fingerprint(&text("a")), fingerprint(&text("a")));
    assert_ne!(fingerprint(&text("a")), fingerprint(&text("b")));
}
