//! Multi-User Refresh: one person's change refreshes everyone's list.
//!
//! The team's to-do list lives once on the server, shared by every visitor.
//! Each tab subscribes to the topic `board:team` when it connects (the
//! gallery's topic rules let anyone use `board:` topics); a change to the
//! list publishes `refresh`, and every subscribed tab — any browser, any
//! session group — reads the list again and renders it. The acting tab
//! shows its change at once in its own reply. (The checkbox uses
//! `lvt-on:click`, which makes the server's `checked` win over the box's
//! own state in the stock client.) The list is bounded, every
//! text is escaped by the template, and the page says who changed it last.

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalog::{Category, Example, Gallery};
use crate::clock::Stamp;

const TOPIC: &str = "board:team";
const MAX_TASKS: usize = 12;
const MAX_LENGTH: usize = 80;

pub struct TeamBoard {
    board: Mutex<Board>,
}

/// What everyone shares.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Board {
    pub tasks: Vec<Task>,
    pub last: Option<Change>,
    next_id: u64,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Task {
    pub id: u64,
    pub text: String,
    pub done: bool,
}

/// Who changed the list last, and how.
#[derive(Clone, Serialize, Deserialize)]
pub struct Change {
    pub who: String,
    pub what: String,
    pub at: Stamp,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct BoardState {
    /// This visitor's name on the board.
    pub me: String,
    pub board: Board,
}

impl Board {
    fn seeded() -> Board {
        let mut board = Board::default();
        for text in ["Write the release notes", "Review the diff of #42"] {
            board.add(text.to_string());
        }
        board
    }

    fn add(&mut self, text: String) {
        self.next_id += 1;
        let id = self.next_id;
        self.tasks.push(Task {
            id,
            text,
            done: false,
        });
    }
}

/// A signed-in user's id, else a short name made from the session group
/// (a hash of it: the group id itself stays secret).
fn name_of(user: Option<&str>, group: &str) -> String {
    match user {
        Some(user) => user.to_string(),
        None => format!("guest-{}", &hex::encode(Sha256::digest(group))[..4]),
    }
}

impl Controller for TeamBoard {
    type State = BoardState;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("add", TeamBoard::add)
            .on("toggle", |board, state, ctx| {
                let id = task_id(ctx)?;
                board.change(state, ctx, |b| {
                    let task = b.tasks.iter_mut().find(|t| t.id == id).ok_or_else(gone)?;
                    task.done = !task.done;
                    let verb = if task.done { "checked" } else { "unchecked" };
                    Ok(format!("{verb} “{}”", task.text))
                })
            })
            .on("remove", |board, state, ctx| {
                let id = task_id(ctx)?;
                board.change(state, ctx, |b| {
                    let at = b.tasks.iter().position(|t| t.id == id).ok_or_else(gone)?;
                    Ok(format!("removed “{}”", b.tasks.remove(at).text))
                })
            })
            .on("reset", |board, state, ctx| {
                board.change(state, ctx, |b| {
                    *b = Board::seeded();
                    Ok("reset the list".to_string())
                })
            })
            // Someone changed the list: read it again.
            .on_server("refresh", |board, state, _| {
                state.board = board.board.lock().clone();
                Ok(())
            });
    }

    fn mount(&self, ctx: &MountContext) -> Result<BoardState, ActionError> {
        Ok(BoardState {
            me: name_of(ctx.user_id(), ctx.group()),
            board: self.board.lock().clone(),
        })
    }

    fn on_connect(
        &self,
        state: &mut BoardState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        ctx.subscribe(TOPIC)?;
        // What changed between the page and its connection.
        state.board = self.board.lock().clone();
        Ok(())
    }
}

/// Someone else removed the task first.
fn gone() -> ActionError {
    ActionError::msg("that task is gone: someone removed it")
}

fn task_id(ctx: &Context<TeamBoard>) -> Result<u64, ActionError> {
    ctx.get_string("id")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ActionError::msg("which task?"))
}

impl TeamBoard {
    fn add(&self, state: &mut BoardState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let text = ctx
            .get_string("text")
            .unwrap_or_default()
            .trim()
            .to_string();
        if text.is_empty() {
            return Err(ActionError::field("text", "write a task"));
        }
        if text.chars().count() > MAX_LENGTH {
            return Err(ActionError::field(
                "text",
                format!("at most {MAX_LENGTH} characters"),
            ));
        }
        self.change(state, ctx, |b| {
            if b.tasks.len() >= MAX_TASKS {
                let full = format!("the list holds {MAX_TASKS} tasks: remove one first");
                return Err(ActionError::field("text", full));
            }
            let what = format!("added “{text}”");
            b.add(text);
            Ok(what)
        })
    }

    /// Applies `edit` to the shared list; if it changed it (and says how),
    /// records who did it and tells every tab to refresh.
    fn change(
        &self,
        state: &mut BoardState,
        ctx: &mut Context<Self>,
        edit: impl FnOnce(&mut Board) -> Result<String, ActionError>,
    ) -> Result<(), ActionError> {
        let mut board = self.board.lock();
        let what = edit(&mut board)?;
        board.last = Some(Change {
            who: state.me.clone(),
            what,
            at: Stamp::now(),
        });
        state.board = board.clone();
        drop(board);
        ctx.publish(TOPIC, "refresh", ())?;
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::RealTime,
    slug: "multi-user-refresh",
    title: "Multi-User Refresh",
    summary: "A to-do list the whole team shares: when anyone changes it, every open tab shows the new list at once, with who changed it last.",
    try_it: "Open the page in a second browser (or a private window). Add, check or remove a task in one: the other shows the new list at once, and your guest name as the last change.",
    template: "realtime/multi-user-refresh.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/realtime/multi-user-refresh`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    let board = TeamBoard {
        board: Mutex::new(Board::seeded()),
    };
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, board))
}
