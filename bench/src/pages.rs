//! The big pages `bench-server` serves, written the way an app would:
//! typed state with ids, `data-key` on each row, one action that changes one
//! row. Their shapes follow the criterion scenarios of the runtime
//! (`livetemplate/benches/common/mod.rs`), so the end-to-end figures can be
//! read next to the server-time ones.

use livetemplate::{ActionError, Actions, Context, Controller, MountContext};
use serde::{Deserialize, Serialize};

/// Rows of the big table page (`/table`).
pub const TABLE_ROWS: usize = 10_000;
/// Rows of the list page the browser benchmark clicks (`/list`).
pub const LIST_ROWS: usize = 1_000;
/// Lines of the big document page (`/document`).
pub const DOCUMENT_LINES: usize = 50_000;

/// The table of the criterion scenario, with the button a user clicks.
pub const TABLE_TEMPLATE: &str = r#"<table>{% for row in rows %}<tr data-key="{{ row.id }}" class="{% if row.selected %}selected{% endif %}"><td>{{ row.id }}</td><td>{{ row.label }}</td><td><button name="toggle" data-id="{{ row.id }}">Select</button></td></tr>{% endfor %}</table>"#;

/// The document of the criterion scenario, with the form that edits a line.
pub const DOCUMENT_TEMPLATE: &str = r#"<form lvt-form:action="edit"><input name="id" type="number"><input name="text"><button>Save</button></form>
<article>{% for line in lines %}<p data-key="{{ line.id }}">{{ line.text }}</p>
{% endfor %}</article>"#;

/// A table of selectable rows.
pub struct Table {
    /// How many rows a new page starts with.
    pub rows: usize,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Rows {
    pub rows: Vec<Row>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Row {
    pub id: u64,
    pub label: String,
    pub selected: bool,
}

impl Rows {
    /// The state every table page starts from.
    pub fn new(n: usize) -> Rows {
        Rows {
            rows: (0..n as u64)
                .map(|id| Row {
                    id,
                    label: format!("row {id}"),
                    selected: false,
                })
                .collect(),
        }
    }
}

#[derive(Deserialize)]
struct Toggle {
    id: u64,
}

impl Controller for Table {
    type State = Rows;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("toggle", Table::toggle);
    }

    fn mount(&self, _: &MountContext) -> Result<Rows, ActionError> {
        Ok(Rows::new(self.rows))
    }
}

impl Table {
    fn toggle(&self, state: &mut Rows, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let Toggle { id } = ctx.data()?;
        // By id, as an app would: rows may be reordered or removed.
        let row = state
            .rows
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or_else(|| ActionError::msg(format!("no row {id}")))?;
        row.selected = !row.selected;
        Ok(())
    }
}

/// A long document whose lines can be edited one at a time.
pub struct Document {
    /// How many lines a new page starts with.
    pub lines: usize,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Lines {
    pub lines: Vec<Line>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Line {
    pub id: u64,
    pub text: String,
}

impl Lines {
    /// The state every document page starts from.
    pub fn new(n: usize) -> Lines {
        Lines {
            lines: (0..n as u64)
                .map(|id| Line {
                    id,
                    text: format!("Line {id} of a long document, with some words in it."),
                })
                .collect(),
        }
    }
}

#[derive(Deserialize)]
struct Edit {
    id: u64,
    text: String,
}

impl Controller for Document {
    type State = Lines;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("edit", Document::edit);
    }

    fn mount(&self, _: &MountContext) -> Result<Lines, ActionError> {
        Ok(Lines::new(self.lines))
    }
}

impl Document {
    fn edit(&self, state: &mut Lines, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let Edit { id, text } = ctx.data()?;
        let line = state
            .lines
            .iter_mut()
            .find(|l| l.id == id)
            .ok_or_else(|| ActionError::field("id", format!("no line {id}")))?;
        line.text = text;
        Ok(())
    }
}

/// The size of a page's starting state as JSON (`serde_json`), the
/// yardstick of its memory per tab; `None` for an unknown page.
pub fn state_bytes(page: &str) -> Option<usize> {
    let json = match page {
        "table" => serde_json::to_vec(&Rows::new(TABLE_ROWS)),
        "list" => serde_json::to_vec(&Rows::new(LIST_ROWS)),
        "document" => serde_json::to_vec(&Lines::new(DOCUMENT_LINES)),
        _ => return None,
    };
    json.ok().map(|j| j.len())
}
