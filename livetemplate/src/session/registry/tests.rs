use serde_json::Map;

use super::*;

/// A registry with pages "p1" and "p2" that handle `ping`, and "quiet"
/// that handles nothing.
fn registry() -> Arc<Registry> {
    let r = Arc::new(Registry::new("test".into()));
    assert_eq!(&*r.add_page("p1", Arc::new(|a| a == "ping")), "p1");
    assert_eq!(&*r.add_page("p2", Arc::new(|a| a == "ping")), "p2");
    assert_eq!(&*r.add_page("quiet", Arc::new(|_| false)), "quiet");
    r
}

fn info(page: &str, group: &str, user: Option<&str>) -> ConnInfo {
    ConnInfo {
        page: Arc::from(page),
        group: Arc::from(group),
        user: user.map(Arc::from),
    }
}

#[test]
fn targets_reach_the_right_connections() {
    let r = registry();
    let (a, mut a_rx) = r.register(info("p1", "g", Some("ana")));
    let (_b, _b_rx) = r.register(info("quiet", "g", Some("ana")));
    let (_c, _c_rx) = r.register(info("p2", "g", None));
    let (_d, _d_rx) = r.register(info("p1", "h", Some("ben")));
    let (_e, _e_rx) = r.register(info("p1", "g", None));
    let data = Map::new();
    let page_g = Target::Page {
        page: Arc::from("p1"),
        group: Arc::from("g"),
    };
    assert_eq!(
        r.deliver(&page_g, "ping", &data, None),
        2,
        "every tab of the page"
    );
    assert_eq!(
        r.deliver(&page_g, "ping", &data, Some(a.id)),
        1,
        "but the sender"
    );
    assert_eq!(
        r.deliver(&Target::Group("g".into()), "ping", &data, None),
        3,
        "handlers only"
    );
    assert_eq!(
        r.deliver(&Target::User("ana".into()), "ping", &data, None),
        1
    );
    r.subscribe(a.id, "room");
    assert_eq!(
        r.deliver(&Target::Topic("room".into()), "ping", &data, None),
        1
    );
    assert!(matches!(a_rx.try_recv(), Ok(Push::Action { .. })));
    drop(a);
    assert_eq!(
        r.count(&Target::Topic("room".into())),
        0,
        "leaving unsubscribes"
    );
    assert_eq!(r.count(&Target::User("ana".into())), 1);
}

#[test]
fn a_second_page_on_one_template_gets_its_own_name() {
    let r = registry();
    assert_eq!(&*r.add_page("p1", Arc::new(|_| true)), "p1#2");
    assert_eq!(&*r.add_page("p1", Arc::new(|_| true)), "p1#3");
}

#[test]
fn presence_counts_follow_connections_and_topics() {
    let r = registry();
    let count = |page: &str, scope: Scope| {
        let key = Presence {
            page: page.into(),
            scope,
        };
        r.presence()
            .into_iter()
            .find(|(k, _)| *k == key)
            .map_or(0, |(_, n)| n)
    };
    let (a, _a_rx) = r.register(info("p1", "g", Some("ana")));
    let (b, _b_rx) = r.register(info("p1", "g", None));
    r.subscribe(a.id, "room");
    r.subscribe(a.id, "room");
    assert_eq!(count("p1", Scope::Group("g".into())), 2);
    assert_eq!(count("p1", Scope::User("ana".into())), 1);
    assert_eq!(
        count("p1", Scope::Topic("room".into())),
        1,
        "once per connection"
    );
    drop(a);
    assert_eq!(count("p1", Scope::Group("g".into())), 1);
    assert_eq!(count("p1", Scope::Topic("room".into())), 0);
    drop(b);
    assert!(r.presence().is_empty(), "nothing left behind");
}

#[test]
fn group_tasks_end_with_the_groups_last_connection_to_their_page() {
    let r = registry();
    assert!(
        r.group_token("p1", "g").is_none(),
        "no connection, no group task"
    );
    let (a, _a_rx) = r.register(info("p1", "g", None));
    let (b, _b_rx) = r.register(info("p1", "g", None));
    let (_c, _c_rx) = r.register(info("p2", "g", None));
    let token = r.group_token("p1", "g").unwrap();
    drop(a);
    assert!(!token.is_cancelled(), "a tab of the group is still on p1");
    drop(b);
    assert!(
        token.is_cancelled(),
        "a tab of the group on p2 does not keep p1's tasks"
    );
}

#[test]
fn a_page_gone_to_another_ends_its_group_tasks_whichever_comes_first() {
    // The stock client leaves a page by closing its socket and opening one
    // on the next page; the server may see the new one first.
    let r = registry();
    let (a, _a_rx) = r.register(info("p1", "g", None));
    let token = r.group_token("p1", "g").unwrap();
    let (_b, _b_rx) = r.register(info("p2", "g", None));
    drop(a);
    assert!(token.is_cancelled());
}

#[test]
fn a_named_group_task_runs_once_per_page_and_group_until_it_ends() {
    let r = registry();
    assert!(
        r.claim_group_task("p1", "g", "timer").is_none(),
        "no connection, no claim"
    );
    let (_a, _a_rx) = r.register(info("p1", "g", None));
    let (_b, _b_rx) = r.register(info("p1", "h", None));
    let (_c, _c_rx) = r.register(info("p2", "g", None));
    let claim = r
        .claim_group_task("p1", "g", "timer")
        .expect("the first claim");
    assert!(
        r.claim_group_task("p1", "g", "timer").is_none(),
        "taken while it runs"
    );
    assert!(
        r.claim_group_task("p1", "g", "other").is_some(),
        "another name"
    );
    assert!(
        r.claim_group_task("p1", "h", "timer").is_some(),
        "another group"
    );
    assert!(
        r.claim_group_task("p2", "g", "timer").is_some(),
        "another page"
    );
    drop(claim);
    assert!(
        r.claim_group_task("p1", "g", "timer").is_some(),
        "free once it ended"
    );
}

#[test]
fn cancelling_a_named_group_task_frees_its_name_at_once() {
    let r = registry();
    let (_a, _a_rx) = r.register(info("p1", "g", None));
    assert!(
        !r.cancel_group_task("p1", "g", "timer"),
        "nothing to cancel"
    );
    let first = r
        .claim_group_task("p1", "g", "timer")
        .expect("the first claim");
    assert!(r.cancel_group_task("p1", "g", "timer"));
    assert!(first.token.is_cancelled(), "the task is told to stop");
    // The cancelled task may still be on its way out: its name is free.
    let second = r.claim_group_task("p1", "g", "timer").expect("a new claim");
    drop(first);
    assert!(
        r.claim_group_task("p1", "g", "timer").is_none(),
        "the old claim's end leaves the new one's name alone"
    );
    drop(second);
    assert!(r.claim_group_task("p1", "g", "timer").is_some());
}
