//! The registry's side of a cluster: what other nodes say arrives here
//! (`FromCluster`) and is applied to this node's rooms and sessions, the
//! same way the local request would have been; which accounts have
//! sessions on which other nodes (`Peers`); heartbeats; `who` across
//! nodes. Everything here is inert on a single server.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix::prelude::*;
use serde_json::{json, Value};

use super::{OnlineUser, Registry};
use crate::actors::moderation::Reload;
use crate::actors::room::{self, AddMember, Broadcast, CatchUp, RemotePresence, Sequenced};
use crate::cluster::wire::{self, Envelope, Event, WhoConn, WhoUser};
use crate::error::Failure;
use crate::model::{username_key, AccountId};
use crate::store;

const HEARTBEAT: Duration = Duration::from_secs(1);

/// Something another node said.
#[derive(Message)]
#[rtype(result = "()")]
pub struct FromCluster(pub Envelope);

/// The NATS link went down or came back.
#[derive(Message)]
#[rtype(result = "()")]
pub struct BusState {
    pub up: bool,
}

/// This node's logged-in accounts, for another node's `who`.
#[derive(Message)]
#[rtype(result = "Vec<WhoUser>")]
pub struct WhoLocal;

impl Registry {
    /// Tells the other nodes, if this node is in a cluster.
    pub(super) fn publish(&self, event: Event) {
        if let Some(c) = &self.env.cluster {
            c.publish(event);
        }
    }

    /// Has the account a session anywhere in the cluster?
    pub(super) fn online_anywhere(&self, account: AccountId) -> bool {
        self.users.contains_key(&account) || self.peers.online(account)
    }

    /// Heartbeats, and forgetting nodes that stopped sending them.
    pub(super) fn start_heartbeat(&mut self, ctx: &mut Context<Self>) {
        if self.env.cluster.is_none() {
            return;
        }
        ctx.run_interval(HEARTBEAT, |act, _ctx| {
            act.publish(Event::Heartbeat);
            for node in act.peers.expired(Instant::now()) {
                tracing::warn!(node = %node, "node silent for 3 s: its sessions are gone");
                act.node_gone(&node);
            }
            act.env.metrics.cluster_nodes.set(act.peers.nodes() as i64);
        });
    }

    /// A node died (or restarted): its sessions are gone, and what it
    /// committed but never published is read from the chat log.
    fn node_gone(&mut self, node: &str) {
        let changes = self.peers.drop_node(node);
        self.presence_changes(changes);
        for e in self.rooms.values() {
            e.addr.do_send(CatchUp { members: false });
        }
    }

    /// Other nodes' sessions came or went: rooms show the change.
    fn presence_changes(&self, changes: Vec<(AccountId, bool)>) {
        for (account, online) in changes {
            // only the other nodes' presence changed; an account online here
            // stays online whatever they say
            for e in self.rooms.values() {
                e.addr.do_send(RemotePresence { account, online });
            }
        }
    }

    fn snapshot(&self) -> Event {
        Event::Snapshot {
            online: self.users.keys().copied().collect(),
        }
    }

    /// `who`: this node's users, merged in a cluster with the other nodes'
    /// answers.
    pub(super) fn who_everywhere(
        &self,
        with_connections: bool,
    ) -> ResponseActFuture<Self, Result<Vec<Value>, Failure>> {
        let mine = self.who_local();
        let Some(cluster) = self.env.cluster.clone() else {
            return Box::pin(fut::ready(Ok(who_json(mine, with_connections))));
        };
        let peers = self.peers.nodes();
        Box::pin(
            async move { cluster.who(peers).await }
                .into_actor(self)
                .map(move |res, _act, _ctx| {
                    let theirs = res?.into_iter().flat_map(|r| r.users);
                    Ok(who_json(mine.into_iter().chain(theirs), with_connections))
                }),
        )
    }

    fn who_local(&self) -> Vec<WhoUser> {
        self.users
            .iter()
            .map(|(id, u)| who_user(*id, u, &self.conns))
            .collect()
    }
}

/// `who`'s answer: one entry per account (an account on several nodes is
/// merged), by name; rooms sorted, connections oldest first.
fn who_json(users: impl IntoIterator<Item = WhoUser>, with_connections: bool) -> Vec<Value> {
    let mut all: HashMap<AccountId, WhoUser> = HashMap::new();
    for u in users {
        match all.get_mut(&u.id) {
            Some(seen) => {
                seen.connections.extend(u.connections);
                for r in u.rooms {
                    if !seen.rooms.contains(&r) {
                        seen.rooms.push(r);
                    }
                }
            }
            None => {
                all.insert(u.id, u);
            }
        }
    }
    let mut users: Vec<WhoUser> = all.into_values().collect();
    users.sort_by_key(|u| username_key(&u.name));
    users
        .into_iter()
        .map(|mut u| {
            u.rooms.sort();
            let mut v = json!({"name": u.name, "role": u.role.as_str(), "rooms": u.rooms});
            if with_connections {
                u.connections.sort_by_key(|c| c.since);
                v["connections"] = u
                    .connections
                    .iter()
                    .map(|c| json!({"addr": c.addr, "transport": c.transport, "since": store::fmt_time(&c.since)}))
                    .collect();
            }
            v
        })
        .collect()
}

fn who_user(
    id: AccountId,
    u: &OnlineUser,
    conns: &HashMap<crate::model::SessionId, super::Conn>,
) -> WhoUser {
    WhoUser {
        id,
        name: u.name.clone(),
        role: u.role,
        rooms: u.rooms.iter().cloned().collect(),
        connections: u
            .sessions
            .iter()
            .filter_map(|s| conns.get(s))
            .map(|c| WhoConn {
                addr: c.info.addr.clone(),
                transport: c.info.transport.to_owned(),
                since: c.info.since,
            })
            .collect(),
    }
}

impl Handler<WhoLocal> for Registry {
    type Result = Vec<WhoUser>;
    fn handle(&mut self, _: WhoLocal, _ctx: &mut Context<Self>) -> Vec<WhoUser> {
        self.who_local()
    }
}

impl Handler<BusState> for Registry {
    type Result = ();
    fn handle(&mut self, msg: BusState, ctx: &mut Context<Self>) {
        if !msg.up {
            return;
        }
        // back after an outage: say who we are, and catch up on what the
        // other nodes said meanwhile (messages from the chat log, members
        // and policy from the database)
        self.publish(Event::Hello);
        self.publish(self.snapshot());
        for e in self.rooms.values() {
            e.addr.do_send(CatchUp { members: true });
        }
        self.env.moderation.do_send(Reload);
        // rooms created, changed or deleted elsewhere meanwhile
        self.reload_rooms(ctx);
    }
}

impl Handler<FromCluster> for Registry {
    type Result = ();
    fn handle(&mut self, msg: FromCluster, ctx: &mut Context<Self>) {
        let Envelope {
            node, inc, event, ..
        } = msg.0;
        if self.peers.restarted(&node, inc) {
            tracing::warn!(node = %node, "node restarted: its earlier sessions are gone");
            self.node_gone(&node);
        }
        self.peers.seen(&node, inc);
        match event {
            Event::Hello => {
                self.publish(self.snapshot());
            }
            Event::Heartbeat => {}
            Event::Bye => {
                tracing::info!(node = %node, "node stopped");
                self.node_gone(&node);
            }
            Event::Snapshot { online } => {
                let changes = self.peers.replace(&node, online);
                self.presence_changes(changes);
            }
            Event::Online { account } => {
                let change = self.peers.set(&node, account, true);
                self.presence_changes(change.into_iter().collect());
            }
            Event::Offline { account } => {
                let change = self.peers.set(&node, account, false);
                self.presence_changes(change.into_iter().collect());
            }
            Event::Message {
                room,
                id,
                prev,
                from,
                text,
                action,
                at,
            } => {
                if let Some(e) = self.room_by_id(room) {
                    e.addr.do_send(Sequenced {
                        id,
                        prev,
                        from,
                        text,
                        action,
                        at,
                    });
                }
            }
            Event::RoomCreated {
                id,
                name,
                capacity,
                creator,
            } => {
                let room = store::rooms::Room {
                    id,
                    name,
                    capacity,
                    created_by: Some(creator.id),
                    created_at: store::now(),
                    topic: String::new(),
                    deleted_at: None,
                };
                self.room_created(&room, &creator.into());
            }
            Event::Joined {
                room,
                user,
                quiet,
                room_role,
            } => {
                let Some(name) = self.room_ids.get(&room).cloned() else {
                    return;
                };
                let user: crate::actors::UserRef = user.into();
                let Some(e) = self.rooms.get(&name) else {
                    return;
                };
                e.addr.do_send(AddMember {
                    sessions: self.sessions_of(user.id),
                    elsewhere: self.peers.online(user.id),
                    user: user.clone(),
                    requester: None,
                    stored: true,
                    quiet,
                    room_role: room_role.unwrap_or(crate::model::RoomRole::Member),
                });
                if let Some(u) = self.users.get_mut(&user.id) {
                    u.rooms.insert(name);
                }
            }
            Event::Left {
                room,
                account,
                why,
                quiet,
            } => {
                let Some(name) = self.room_ids.get(&room).cloned() else {
                    return;
                };
                let why = match why {
                    wire::Departure::Left => room::Departure::Left,
                    wire::Departure::Kicked { by } => room::Departure::Kicked { by },
                    wire::Departure::Banned { by } => room::Departure::Banned { by },
                };
                self.member_left(&name, account, why, quiet);
            }
            Event::ToUser { account, event } => {
                let frame = event.frame();
                for s in self.sessions_of(account) {
                    s.out.push(frame.clone());
                }
            }
            Event::CloseUser {
                account,
                event,
                reason,
            } => {
                let reason = close_reason(&reason);
                self.close_account(account, event.frame(), reason);
            }
            Event::KickUser { account, by, event } => {
                self.kick_here(account, by, event.frame());
            }
            Event::RoleChanged {
                account,
                name,
                role,
                by,
            } => self.role_changed_here(account, name, role, by),
            Event::Renamed {
                account,
                old,
                new,
                rooms,
            } => {
                let rooms: super::RoomSet = rooms.into_iter().collect();
                self.renamed_here(account, None, old, new, &rooms);
            }
            Event::Whisper { to, from, event } => {
                let frame = event.frame();
                for s in self
                    .sessions_of(to)
                    .into_iter()
                    .chain(self.sessions_of(from))
                {
                    s.out.push(frame.clone());
                }
            }
            Event::Announcement { event } => {
                let frame = event.frame();
                for c in self.conns.values().filter(|c| c.account.is_some()) {
                    c.handle.out.push(frame.clone());
                }
            }
            Event::RoomEvent { room, event } => {
                if let Some(e) = self.room_by_id(room) {
                    e.addr.do_send(Broadcast(event.frame()));
                }
            }
            Event::RoomRoleChanged {
                room,
                account,
                room_role,
                event,
            } => {
                if let Some(e) = self.room_by_id(room) {
                    e.addr.do_send(room::RoomRoleSet {
                        account,
                        room_role,
                        event,
                    });
                }
            }
            Event::PolicyChanged => self.env.moderation.do_send(Reload),
            Event::RoomChanged {
                room,
                topic,
                capacity,
                by,
            } => self.room_changed_here(room, topic, capacity, by, false),
            Event::RoomDeleted { room, by } => self.forget_room(room, by),
        }
        let _ = ctx;
    }
}

/// The close reasons other nodes send, as the static strings sessions log.
fn close_reason(s: &str) -> &'static str {
    match s {
        "banned" => "banned",
        "kicked" => "kicked",
        _ => "closed by another node",
    }
}
