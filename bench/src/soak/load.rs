//! The soak's load loops (see the module doc of `soak`). Every loop ends
//! by itself when the soak stops; a connection that breaks is counted and
//! opened again, and a request refused with `unavailable` (the database is
//! being restarted) is counted and tried again later.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::task::JoinHandle;

use super::conn::{Conn, Transport};
use super::Shared;

/// Source addresses: the server's per-address rules (failed logins,
/// connections) see each part of the load as a client of its own, as
/// they would be on a real network.
pub(super) fn local(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}
const CHATTERS: u8 = 1;
const STORM: u8 = 2;
pub(super) const NON_READERS: u8 = 3;
const MODERATOR: u8 = 4;
/// Victim v connects from 127.0.0.(10 + v).
const VICTIMS: u8 = 10;

/// Texts of the flood that fills the non-readers' queues.
const FLOOD_TEXT_CHARS: usize = 1900;
const FLOOD_PER_S: f64 = 200.0;
/// The flood goes on until the wave's non-readers are all offline (the
/// room's `members`, asked every 2 s), at most this long.
const FLOOD_MAX_SECONDS: f64 = 45.0;

/// Starts every loop; they run until the soak stops. Non-reader waves come
/// at the start of every period but the last, so the last period shows the
/// server once they are all gone.
pub(super) async fn start(
    sh: &Arc<Shared>,
    epoch: Instant,
    duration: Duration,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let transports = sh.cfg.endpoints.transports();
    let mut tasks = Vec::new();
    for &t in &transports {
        for k in 0..sh.cfg.chatters {
            tasks.push(tokio::spawn(chatter(sh.clone(), t, k)));
        }
        tasks.push(tokio::spawn(slow_reader(sh.clone(), t)));
    }
    if sh.cfg.storm > 0 {
        tasks.push(tokio::spawn(storms(sh.clone())));
    }
    let period = Duration::from_secs_f64(sh.cfg.period_s);
    let periods = (duration.as_secs_f64() / sh.cfg.period_s).ceil() as u32;
    if sh.cfg.non_readers > 0 && periods > 1 {
        tasks.push(tokio::spawn(waves(sh.clone(), epoch, period, periods - 1)));
    }
    if sh.cfg.victims > 0 {
        tasks.push(tokio::spawn(moderator(sh.clone())));
        for v in 0..sh.cfg.victims {
            for t in [Transport::Tcp, Transport::Ws] {
                tasks.push(tokio::spawn(victim(sh.clone(), v, t)));
            }
        }
    }
    Ok(tasks)
}

/// A room of the server `t` reaches: the TLS server is another process,
/// whose rooms are its own until it restarts.
fn room(sh: &Shared, t: Transport, base: &str) -> String {
    let tls = if t.is_tls() { "t" } else { "" };
    format!("{}{tls}{base}", sh.cfg.prefix)
}

fn is(v: &Value, ty: &str) -> bool {
    v["type"] == ty
}

fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or("")
}

/// Connects and logs in as `name` (registering it first, once); counted.
async fn session(
    sh: &Shared,
    t: Transport,
    from: IpAddr,
    name: &str,
    registered: &mut bool,
    small_rcvbuf: bool,
) -> Option<Conn> {
    let what = t.name();
    let mut c = match Conn::open(&sh.cfg.endpoints, t, from, small_rcvbuf).await {
        Ok(c) => c,
        Err(e) => {
            sh.error(format!("connect {what}: {e:#}"));
            return None;
        }
    };
    let pw = &sh.cfg.password;
    if !*registered {
        match c
            .call(json!({"type": "register", "username": name, "password": pw}))
            .await
        {
            Ok(v) if is(&v, "ok") || code(&v) == "username_taken" => *registered = true,
            Ok(v) => {
                sh.refusal("register", &v);
                return None;
            }
            Err(e) => {
                sh.error(format!("register {what}: {e:#}"));
                return None;
            }
        }
    }
    match c
        .call(json!({"type": "login", "username": name, "password": pw}))
        .await
    {
        Ok(v) if is(&v, "ok") => {
            sh.c.logins.fetch_add(1, Ordering::Relaxed);
            Some(c)
        }
        Ok(v) => {
            sh.refusal("login", &v);
            None
        }
        Err(e) => {
            sh.error(format!("login {what}: {e:#}"));
            None
        }
    }
}

/// Joins `room`, creating it when there is none yet.
async fn enter(sh: &Shared, c: &mut Conn, room: &str) -> bool {
    let steps = async {
        let v = c.call(json!({"type": "join", "room": room})).await?;
        if is(&v, "ok") {
            return anyhow::Ok(None);
        }
        if code(&v) != "no_such_room" {
            return Ok(Some(v));
        }
        let v = c.call(json!({"type": "create_room", "room": room})).await?;
        if is(&v, "ok") {
            return Ok(None);
        }
        let v = c.call(json!({"type": "join", "room": room})).await?;
        Ok((!is(&v, "ok")).then_some(v))
    };
    match steps.await {
        Ok(None) => true,
        Ok(Some(v)) => {
            sh.refusal("join", &v);
            false
        }
        Err(e) => {
            sh.error(format!("join: {e:#}"));
            false
        }
    }
}

/// Says `text` in `room` and waits for the reply; the `ok` is kept as
/// acknowledged. Err when the connection broke.
async fn say(
    sh: &Shared,
    c: &mut Conn,
    name: &str,
    room: &str,
    text: &str,
    timed: Option<Transport>,
) -> anyhow::Result<bool> {
    sh.c.says.fetch_add(1, Ordering::Relaxed);
    let t0 = Instant::now();
    let id = c
        .send(json!({"type": "say", "room": room, "text": text}))
        .await?;
    let v = c.reply_with(id, |_| Ok(())).await?;
    if is(&v, "ok") {
        let us = t0.elapsed().as_micros() as u64;
        sh.ack(&v, name, timed.map(|t| (t, us)));
        Ok(true)
    } else {
        // who was refused, unless the database was away
        let who = if code(&v) == "unavailable" {
            String::new()
        } else {
            format!(" by {name}")
        };
        sh.refusal(&format!("say{who}"), &v);
        Ok(false)
    }
}

/// A member of a shared room saying at a fixed rate, one `say` in flight.
async fn chatter(sh: Arc<Shared>, t: Transport, k: usize) {
    let name = format!("{}c{}{k}", sh.cfg.prefix, t.name());
    let room = room(&sh, t, &format!("chat{}", k % 2));
    let (mut registered, mut seq) = (false, 0u64);
    let every = Duration::from_secs_f64(1.0 / sh.cfg.rate);
    while !sh.stopped() {
        let Some(mut c) = session(&sh, t, local(CHATTERS), &name, &mut registered, false).await
        else {
            sh.sleep(Duration::from_secs(1)).await;
            continue;
        };
        if !enter(&sh, &mut c, &room).await {
            sh.sleep(Duration::from_secs(1)).await;
            continue;
        }
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut stop = sh.stop.clone();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => return,
            }
            let text = format!("{name} {seq}");
            seq += 1;
            if let Err(e) = say(&sh, &mut c, &name, &room, &text, Some(t)).await {
                sh.c.disconnects.fetch_add(1, Ordering::Relaxed);
                sh.error(format!("chatter {}: {e:#}", t.name()));
                break;
            }
        }
    }
}

/// A member of the busiest room and of the flooded one that reads at most
/// about a thousand frames a second and stops reading for 2 s every 10 s:
/// its queue grows and shrinks, staying under the server's cap.
async fn slow_reader(sh: Arc<Shared>, t: Transport) {
    let name = format!("{}slow{}", sh.cfg.prefix, t.name());
    let rooms = [room(&sh, t, "chat0"), room(&sh, t, "flood")];
    let mut registered = false;
    while !sh.stopped() {
        let Some(mut c) = session(&sh, t, local(CHATTERS), &name, &mut registered, false).await
        else {
            sh.sleep(Duration::from_secs(1)).await;
            continue;
        };
        let mut ok = true;
        for r in &rooms {
            ok = ok && enter(&sh, &mut c, r).await;
        }
        if !ok {
            sh.sleep(Duration::from_secs(1)).await;
            continue;
        }
        let (mut paused, mut read) = (Instant::now(), 0u64);
        loop {
            if paused.elapsed() >= Duration::from_secs(10) {
                // a ping now and then: the idle timeout counts what a
                // client sends, not what it reads
                if c.send(json!({"type": "ping"})).await.is_err() {
                    sh.c.slow_dropped.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                if !sh.sleep(Duration::from_secs(2)).await {
                    return;
                }
                paused = Instant::now();
            }
            match tokio::time::timeout(Duration::from_secs(1), c.next_line()).await {
                Ok(Ok(Some(_))) | Err(_) => {}
                Ok(_) => {
                    sh.c.slow_dropped.fetch_add(1, Ordering::Relaxed);
                    sh.error(format!("slow reader {} dropped", t.name()));
                    break;
                }
            }
            if sh.stopped() {
                return;
            }
            read += 1;
            if read % 20 == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// Reconnect storms: every `storm_every_s`, `storm` accounts reconnect at
/// once (32 in flight), with `resume` when the last storm left them a
/// token, else `login`; each says one line and leaves.
async fn storms(sh: Arc<Shared>) {
    let n = sh.cfg.storm;
    let transports = sh.cfg.endpoints.transports();
    let tokens: Arc<Vec<std::sync::Mutex<Option<String>>>> =
        Arc::new((0..n).map(|_| std::sync::Mutex::new(None)).collect());
    let joined: Arc<Vec<AtomicBool>> = Arc::new((0..n).map(|_| AtomicBool::new(false)).collect());
    let limit = Arc::new(tokio::sync::Semaphore::new(32));
    let mut round = 0u64;
    while sh
        .sleep(Duration::from_secs_f64(sh.cfg.storm_every_s))
        .await
    {
        let mut crowd = Vec::new();
        for i in 0..n {
            let (sh, tokens, joined, limit) =
                (sh.clone(), tokens.clone(), joined.clone(), limit.clone());
            let t = transports[i % transports.len()];
            crowd.push(tokio::spawn(async move {
                let Ok(_permit) = limit.acquire().await else {
                    return;
                };
                let ok = reconnect(&sh, t, i, round, &tokens[i], &joined[i]).await;
                let c = if ok {
                    &sh.c.storm_ok
                } else {
                    &sh.c.storm_failed
                };
                c.fetch_add(1, Ordering::Relaxed);
            }));
        }
        for c in crowd {
            let _ = c.await;
        }
        round += 1;
    }
}

/// One account of a storm: reconnect, say a line, leave.
async fn reconnect(
    sh: &Shared,
    t: Transport,
    i: usize,
    round: u64,
    token: &std::sync::Mutex<Option<String>>,
    joined: &AtomicBool,
) -> bool {
    let name = format!("{}st{i}", sh.cfg.prefix);
    let room = room(sh, t, "storm");
    let mut c = match Conn::open(&sh.cfg.endpoints, t, local(STORM), false).await {
        Ok(c) => c,
        Err(e) => {
            sh.error(format!("connect {}: {e:#}", t.name()));
            return false;
        }
    };
    let held = token.lock().ok().and_then(|t| t.clone());
    let mut v = Value::Null;
    if let Some(tok) = held {
        match c.call(json!({"type": "resume", "token": tok})).await {
            Ok(r) if is(&r, "ok") => {
                sh.c.resumes.fetch_add(1, Ordering::Relaxed);
                v = r;
            }
            Ok(r) => sh.refusal("resume", &r),
            Err(e) => {
                sh.error(format!("resume {}: {e:#}", t.name()));
                return false;
            }
        }
    }
    if !is(&v, "ok") {
        let mut registered = round > 0 || joined.load(Ordering::Relaxed);
        if !registered {
            match c
                .call(json!({"type": "register", "username": name, "password": sh.cfg.password}))
                .await
            {
                Ok(r) if is(&r, "ok") || code(&r) == "username_taken" => registered = true,
                Ok(r) => sh.refusal("register", &r),
                Err(e) => sh.error(format!("register {}: {e:#}", t.name())),
            }
        }
        if !registered {
            return false;
        }
        match c
            .call(json!({"type": "login", "username": name, "password": sh.cfg.password}))
            .await
        {
            Ok(r) if is(&r, "ok") => {
                sh.c.logins.fetch_add(1, Ordering::Relaxed);
                v = r;
            }
            Ok(r) => {
                sh.refusal("login", &r);
                return false;
            }
            Err(e) => {
                sh.error(format!("login {}: {e:#}", t.name()));
                return false;
            }
        }
    }
    if let (Some(t), Ok(mut slot)) = (v["token"].as_str(), token.lock()) {
        *slot = Some(t.to_owned());
    }
    if !joined.load(Ordering::Relaxed) {
        if !enter(sh, &mut c, &room).await {
            return false;
        }
        joined.store(true, Ordering::Relaxed);
    }
    matches!(
        say(sh, &mut c, &name, &room, &format!("{name} {round}"), None).await,
        Ok(true)
    )
}

/// Non-reader waves, each followed by a flood of their room.
async fn waves(sh: Arc<Shared>, epoch: Instant, period: Duration, count: u32) {
    let servers: Vec<Transport> = sh
        .cfg
        .endpoints
        .transports()
        .into_iter()
        .filter(|t| matches!(t, Transport::Tcp | Transport::Tls))
        .collect();
    let mut flooders: Vec<(Transport, Option<Conn>, bool)> =
        servers.iter().map(|&t| (t, None, false)).collect();
    for w in 0..count {
        let at = epoch + period * w + Duration::from_secs(5);
        let wait = at.saturating_duration_since(Instant::now());
        if !sh.sleep(wait).await {
            return;
        }
        let mut joining = Vec::new();
        for t in sh.cfg.endpoints.transports() {
            for k in 0..sh.cfg.non_readers {
                let sh = sh.clone();
                joining.push(tokio::spawn(async move {
                    let name = format!("{}n{w}{}{k}", sh.cfg.prefix, t.name());
                    let mut registered = false;
                    let mut c =
                        session(&sh, t, local(NON_READERS), &name, &mut registered, true).await?;
                    if !enter(&sh, &mut c, &room(&sh, t, "flood")).await {
                        return None;
                    }
                    Some((t, c))
                }));
            }
        }
        for j in joining {
            if let Ok(Some(c)) = j.await {
                sh.c.non_readers.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut h) = sh.held.lock() {
                    h.push(c);
                }
            }
        }
        // flood every server's room at once
        let floods: Vec<_> = flooders
            .drain(..)
            .map(|(t, c, reg)| {
                let sh = sh.clone();
                let wave = format!("{}n{w}", sh.cfg.prefix);
                tokio::spawn(async move { flood(&sh, t, c, reg, &wave).await })
            })
            .collect();
        for f in floods {
            if let Ok(back) = f.await {
                flooders.push(back);
            }
        }
    }
}

/// Long texts into the flood room at `FLOOD_PER_S` until no member whose
/// name starts with `wave` is online (or `FLOOD_MAX_SECONDS`); returns
/// the connection for the next wave.
async fn flood(
    sh: &Shared,
    t: Transport,
    conn: Option<Conn>,
    mut registered: bool,
    wave: &str,
) -> (Transport, Option<Conn>, bool) {
    let name = format!("{}flood{}", sh.cfg.prefix, t.name());
    let room = room(sh, t, "flood");
    let mut c = match conn {
        Some(c) => c,
        None => {
            let Some(mut c) = session(sh, t, local(CHATTERS), &name, &mut registered, false).await
            else {
                return (t, None, registered);
            };
            if !enter(sh, &mut c, &room).await {
                return (t, None, registered);
            }
            c
        }
    };
    let filler = "f".repeat(FLOOD_TEXT_CHARS);
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(FLOOD_MAX_SECONDS);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / FLOOD_PER_S));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seq = 0u64;
    let mut asked = Instant::now();
    loop {
        if sh.stopped() {
            break;
        }
        if Instant::now() >= end {
            sh.error(format!(
                "flood {}: non-readers still online after {FLOOD_MAX_SECONDS} s",
                t.name()
            ));
            sh.c.flood_timeouts.fetch_add(1, Ordering::Relaxed);
            break;
        }
        if asked.elapsed() >= Duration::from_secs(2) {
            asked = Instant::now();
            match c.call(json!({"type": "members", "room": room})).await {
                Ok(v) if is(&v, "ok") => {
                    let online = v["members"].as_array().into_iter().flatten().any(|m| {
                        m["online"] == true
                            && m["name"].as_str().is_some_and(|n| n.starts_with(wave))
                    });
                    if !online {
                        let ms = start.elapsed().as_millis() as u64;
                        sh.c.flood_ms.fetch_add(ms, Ordering::Relaxed);
                        break;
                    }
                }
                Ok(v) => sh.refusal("members", &v),
                Err(e) => {
                    sh.error(format!("flooder {}: {e:#}", t.name()));
                    return (t, None, registered);
                }
            }
        }
        tick.tick().await;
        let text = format!("{name} {seq} {filler}");
        seq += 1;
        match say(sh, &mut c, &name, &room, &text, None).await {
            Ok(true) => {
                sh.c.flood_acked.fetch_add(1, Ordering::Relaxed);
            }
            Ok(false) => {}
            Err(e) => {
                sh.c.disconnects.fetch_add(1, Ordering::Relaxed);
                sh.error(format!("flooder {}: {e:#}", t.name()));
                return (t, None, registered);
            }
        }
    }
    (t, Some(c), registered)
}

fn victim_name(sh: &Shared, v: usize) -> String {
    format!("{}v{v}", sh.cfg.prefix)
}

/// Is `name` among the users `who` lists?
async fn listed(c: &mut Conn, name: &str) -> anyhow::Result<Option<bool>> {
    let v = c.call(json!({"type": "who"})).await?;
    if !is(&v, "ok") {
        return Ok(None);
    }
    Ok(Some(v["users"].as_array().into_iter().flatten().any(|u| {
        u["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })))
}

/// The moderator: ban a victim, check `who` at once and 300 ms later,
/// unban, kick, next victim; about one ban a second and a half.
async fn moderator(sh: Arc<Shared>) {
    let (name, pw) = (&sh.cfg.moderator, &sh.cfg.moderator_password);
    let mut v = 0usize;
    // a victim banned whose unban is not yet acknowledged
    // the victims register first
    if !sh.sleep(Duration::from_secs(2)).await {
        return;
    }
    let mut unban_owed: Option<usize> = None;
    let mut kick_owed: Option<usize> = None;
    'connect: while !sh.stopped() {
        let mut c =
            match Conn::open(&sh.cfg.endpoints, Transport::Tcp, local(MODERATOR), false).await {
                Ok(c) => c,
                Err(e) => {
                    sh.error(format!("moderator connect: {e:#}"));
                    sh.sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
        match c
            .call(json!({"type": "login", "username": name, "password": pw}))
            .await
        {
            Ok(r) if is(&r, "ok") => {}
            Ok(r) => {
                sh.refusal("moderator login", &r);
                sh.sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(e) => {
                sh.error(format!("moderator login: {e:#}"));
                sh.sleep(Duration::from_secs(1)).await;
                continue;
            }
        }
        loop {
            if let Some(u) = unban_owed {
                let who = victim_name(&sh, u);
                match c.call(json!({"type": "unban", "user": who})).await {
                    Ok(r) if is(&r, "ok") || code(&r) == "not_banned" => unban_owed = None,
                    Ok(r) => {
                        sh.refusal("unban", &r);
                        if !sh.sleep(Duration::from_secs(1)).await {
                            return;
                        }
                        continue;
                    }
                    Err(e) => {
                        sh.error(format!("moderator: {e:#}"));
                        continue 'connect;
                    }
                }
            }
            if sh.stopped() {
                return;
            }
            if let Some(k) = kick_owed {
                // after the unban: a kick, then the next victim
                tokio::time::sleep(Duration::from_millis(300)).await;
                let who = victim_name(&sh, k);
                match c
                    .call(json!({"type": "kick", "user": who, "reason": "soak"}))
                    .await
                {
                    Ok(r) if is(&r, "ok") => {
                        sh.c.kicks.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) if code(&r) == "user_offline" => {}
                    Ok(r) => sh.refusal("kick", &r),
                    Err(e) => {
                        sh.error(format!("moderator: {e:#}"));
                        continue 'connect;
                    }
                }
                kick_owed = None;
                v = (k + 1) % sh.cfg.victims;
                tokio::time::sleep(Duration::from_millis(300)).await;
                continue;
            }
            let who = victim_name(&sh, v);
            let phase = &sh.ban_gen[v];
            match c
                .call(json!({"type": "ban", "user": who, "reason": "soak"}))
                .await
            {
                Ok(r) if is(&r, "ok") => {
                    phase.fetch_add(1, Ordering::SeqCst);
                    sh.c.bans.fetch_add(1, Ordering::Relaxed);
                    unban_owed = Some(v);
                    kick_owed = Some(v);
                    for (when, wait) in [("at once", 0u64), ("300 ms", 300)] {
                        tokio::time::sleep(Duration::from_millis(wait)).await;
                        match listed(&mut c, &who).await {
                            // sessions told to close, not yet gone
                            Ok(Some(true)) if wait == 0 => {
                                sh.c.who_closing.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok(Some(true)) => sh.violation(format!(
                                "{who} listed by who {when} after the ban's ok"
                            )),
                            Ok(_) => {}
                            Err(e) => {
                                phase.fetch_add(1, Ordering::SeqCst);
                                sh.error(format!("moderator: {e:#}"));
                                continue 'connect;
                            }
                        }
                    }
                    // the ban ends here for the victims' check, before
                    // the unban is sent
                    phase.fetch_add(1, Ordering::SeqCst);
                }
                Ok(r) => {
                    sh.refusal("ban", &r);
                    if !sh.sleep(Duration::from_secs(1)).await {
                        return;
                    }
                }
                Err(e) => {
                    sh.error(format!("moderator: {e:#}"));
                    continue 'connect;
                }
            }
        }
    }
}

/// A victim reconnecting in a loop: `resume` with its token (`login` when
/// it has none), a line said, a short stay, gone; again.
async fn victim(sh: Arc<Shared>, v: usize, t: Transport) {
    let name = victim_name(&sh, v);
    let room = format!("{}victims", sh.cfg.prefix);
    let phase = &sh.ban_gen[v];
    let (mut registered, mut joined, mut token) = (false, false, None::<String>);
    let mut n = 0u64;
    while !sh.stopped() {
        n += 1;
        let Ok(mut c) = Conn::open(&sh.cfg.endpoints, t, local(VICTIMS + v as u8), false).await
        else {
            sh.error(format!("victim connect {}", t.name()));
            sh.sleep(Duration::from_millis(200)).await;
            continue;
        };
        if !registered {
            match c
                .call(json!({"type": "register", "username": name, "password": sh.cfg.password}))
                .await
            {
                Ok(r) if is(&r, "ok") || code(&r) == "username_taken" => registered = true,
                _ => {
                    sh.sleep(Duration::from_millis(500)).await;
                    continue;
                }
            }
        }
        let (what, req) = match &token {
            Some(tok) => ("resume", json!({"type": "resume", "token": tok})),
            None => (
                "login",
                json!({"type": "login", "username": name, "password": sh.cfg.password}),
            ),
        };
        let before = phase.load(Ordering::SeqCst);
        // an event before the reply says why a connection closed
        let mut event = None;
        let r = match c.send(req).await {
            Ok(id) => {
                c.reply_with(id, |v| {
                    event = v["type"].as_str().map(str::to_owned);
                    Ok(())
                })
                .await
            }
            Err(e) => Err(e),
        };
        let after = phase.load(Ordering::SeqCst);
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                let after_event = event.map_or(String::new(), |e| format!(" after a {e} event"));
                sh.error(format!("victim {what}: {e:#}{after_event}"));
                continue;
            }
        };
        if !is(&r, "ok") {
            match code(&r) {
                "banned" => {
                    sh.c.banned_refusals.fetch_add(1, Ordering::Relaxed);
                }
                "bad_token" => token = None,
                _ => sh.refusal(&format!("victim {what}"), &r),
            }
            sh.sleep(Duration::from_millis(100)).await;
            continue;
        }
        if before % 2 == 1 && before == after {
            sh.violation(format!(
                "{name}: a {what} sent after the ban's ok was accepted while the ban was in force"
            ));
        }
        let c_ok = if what == "resume" {
            &sh.c.resumes
        } else {
            &sh.c.logins
        };
        c_ok.fetch_add(1, Ordering::Relaxed);
        token = r["token"].as_str().map(str::to_owned).or(token);
        if !joined {
            joined = enter(&sh, &mut c, &room).await;
        }
        let _ = say(&sh, &mut c, &name, &room, &format!("{name} {n}"), None).await;
        c.drain_for(Duration::from_millis(50 + (n * 37) % 250))
            .await;
    }
}
