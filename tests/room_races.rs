//! docs/protocol.md `create_room` and `join`: many users creating the same
//! room at once. One creates it; the others get `room_exists`, and a `join`
//! right after that always works, even before the new room's actor has
//! started (it is looked up in the store).

mod common;

use common::{Backend, TestServer};
use serde_json::json;

both_backends!(create_or_join_at_once);

fn create_or_join_at_once(b: Backend) {
    let s = TestServer::start(b);
    let clients: Vec<_> = (0..40).map(|i| s.user(&format!("racer{i}"))).collect();
    let threads: Vec<_> = clients
        .into_iter()
        .map(|mut c| {
            std::thread::spawn(move || {
                let r = c.request(json!({"type": "create_room", "room": "arena"}));
                let created = r["type"] == "ok";
                if !created {
                    assert_eq!(r["code"], "room_exists", "{r}");
                    c.ok(json!({"type": "join", "room": "arena"}));
                }
                (created, c)
            })
        })
        .collect();
    let mut created = 0;
    let mut clients = Vec::new();
    for t in threads {
        let (c, client) = t.join().expect("thread");
        created += usize::from(c);
        clients.push(client);
    }
    assert_eq!(created, 1, "exactly one creates the room");
    let members = clients[0].ok(json!({"type": "members", "room": "arena"}));
    assert_eq!(
        members["members"].as_array().map(Vec::len),
        Some(40),
        "{members}"
    );
    let said = clients[5].ok(json!({"type": "say", "room": "arena", "text": "all here?"}));
    assert!(said["id"].is_i64());
    assert_eq!(clients[0].event("message")["text"], "all here?");
}
