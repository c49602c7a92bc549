//! Large Table: 10,000 rows to filter, sort, add to, rename and delete.
//! Every row has a key, so each change travels as list operations — a
//! delete is one `r`, a rename one `u`, an added row one `p` — and the
//! stock client applies them to the rows they name. The rows are `Arc`s:
//! every tab starts from one shared set, and the copy of the state each
//! action makes copies pointers, not 10,000 strings.

use std::sync::{Arc, LazyLock};

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

const ROWS: u64 = 10_000;

/// The rows every tab starts from, made once.
static SEED: LazyLock<Vec<Arc<Row>>> =
    LazyLock::new(|| (1..=ROWS).map(|id| Arc::new(Row::made_up(id))).collect());

pub struct LargeTable;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct LargeTableState {
    /// Every row, in the order added. The template shows `rows` only, so
    /// this stays out of what the render reads.
    #[serde(skip)]
    pub table: Vec<Arc<Row>>,
    /// What the table shows: `table` filtered and sorted ([`show`](Self::show)).
    pub rows: Vec<Arc<Row>>,
    pub filter: String,
    /// `id`, `name` or `score`.
    pub sort: String,
    pub descending: bool,
    /// Counts kept beside the list: reading `rows|length` would make the
    /// render read every row.
    pub shown: usize,
    pub total: usize,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Row {
    pub id: u64,
    pub name: String,
    pub email: String,
    pub score: u32,
    /// Whether the row shows its rename form. Kept on the row rather than
    /// as an id beside the list, so the loop's body reads only its row and
    /// opening the form re-renders one row, not 10,000.
    pub editing: bool,
}

impl Row {
    fn made_up(id: u64) -> Row {
        const FIRST: &[&str] = &[
            "Ada", "Ben", "Chloé", "Dev", "Eun-ji", "Femi", "Gus", "Hana",
        ];
        const LAST: &[&str] = &[
            "Okafor",
            "Lindqvist",
            "Moreau",
            "Tanaka",
            "Silva",
            "Novak",
            "Reyes",
        ];
        let (first, last) = (FIRST[id as usize % 8], LAST[id as usize / 8 % 7]);
        Row {
            id,
            name: format!("{first} {last}"),
            email: format!(
                "{}.{}{id}@example.com",
                first.to_lowercase(),
                last.to_lowercase()
            ),
            score: (id * 37 % 1000) as u32,
            editing: false,
        }
    }
}

impl LargeTableState {
    /// Rebuilds `rows` from `table`: every handler changes `table`, then calls this.
    fn show(&mut self) {
        let filter = self.filter.trim().to_lowercase();
        self.rows = self
            .table
            .iter()
            .filter(|r| {
                filter.is_empty()
                    || r.name.to_lowercase().contains(&filter)
                    || r.email.contains(&filter)
            })
            .cloned()
            .collect();
        match self.sort.as_str() {
            "name" => self.rows.sort_by(|a, b| a.name.cmp(&b.name)),
            "score" => self.rows.sort_by_key(|r| r.score),
            _ => {} // `table` is in id order already
        }
        if self.descending {
            self.rows.reverse();
        }
        self.shown = self.rows.len();
        self.total = self.table.len();
    }

    /// The row with this id, to change (copied first if another state shares it).
    fn row(&mut self, id: Option<i64>) -> Result<&mut Row, ActionError> {
        let row = self.table.iter_mut().find(|r| Some(r.id as i64) == id);
        Ok(Arc::make_mut(
            row.ok_or(ActionError::msg("that row is gone"))?,
        ))
    }
}

impl Controller for LargeTable {
    type State = LargeTableState;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("change", |_, state, ctx| {
                // The filter box, as the person types (other fields are ignored).
                if let Some(filter) = ctx.get_string("filter") {
                    state.filter = filter;
                    state.show();
                }
                Ok(())
            })
            .on("sort", |_, state, ctx| {
                let column = ctx.get_string("value").unwrap_or_default();
                state.descending = state.sort == column && !state.descending;
                state.sort = column;
                state.show();
                Ok(())
            })
            .on("add", LargeTable::add)
            .on("edit", |_, state, ctx| {
                for row in state.table.iter_mut().filter(|r| r.editing) {
                    Arc::make_mut(row).editing = false;
                }
                state.row(ctx.get_int("value"))?.editing = true;
                state.show();
                Ok(())
            })
            .on("rename", LargeTable::rename)
            .on("cancel", |_, state, ctx| {
                state.row(ctx.get_int("value"))?.editing = false;
                state.show();
                Ok(())
            })
            .on("delete", |_, state, ctx| {
                let id = ctx.get_int("value");
                state.table.retain(|r| Some(r.id as i64) != id);
                state.show();
                Ok(())
            });
    }

    fn mount(&self, _: &MountContext) -> Result<LargeTableState, ActionError> {
        let mut state = LargeTableState {
            table: SEED.clone(),
            sort: "id".into(),
            descending: true,
            ..LargeTableState::default()
        };
        state.show();
        Ok(state)
    }
}

#[derive(Deserialize)]
struct NewRow {
    name: String,
    email: String,
}

impl LargeTable {
    /// A new row, with the next id: newest first, it goes in at the top.
    fn add(&self, state: &mut LargeTableState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        // `required` and `type="email"` in the template are checked before this runs.
        let NewRow { name, email } = ctx.data()?;
        let id = state.table.iter().map(|r| r.id).max().unwrap_or(0) + 1;
        let row = Row {
            id,
            name: name.trim().to_string(),
            email,
            score: 0,
            editing: false,
        };
        state.table.push(Arc::new(row));
        state.show();
        Ok(())
    }

    fn rename(
        &self,
        state: &mut LargeTableState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        let name = ctx
            .get_string("name")
            .unwrap_or_default()
            .trim()
            .to_string();
        if name.is_empty() {
            return Err(ActionError::field("name", "a row needs a name"));
        }
        let row = state.row(ctx.get_int("value"))?;
        row.name = name;
        row.editing = false;
        state.show();
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Lists,
    slug: "large-table",
    title: "Large Table",
    summary: "10,000 keyed rows. Deleting one sends [\"r\", key] (a few dozen bytes), renaming one sends [\"u\", key, {changed cells}], \
              an added row goes in with [\"p\", row], a sort sends [\"o\", keys]; the stock client applies each to the rows it names, \
              so the page answers as fast with 10,000 rows as with ten.",
    try_it: "Delete row 9,998: it goes at once and the count says 9,999. Click Rename on a row, type a name, press Enter. \
             Add a row with your name: it appears at the top. Sort by Score (click again to reverse), then type \"ada\" in the filter.",
    template: "lists/large-table.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/lists/large-table`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, LargeTable))
}
