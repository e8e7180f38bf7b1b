//! The IRC driver against a stand-in IRC server (just enough of RFC 2812:
//! NICK/USER, JOIN with its end of names, PRIVMSG relayed to the other
//! members, one PING per client), so the suite never needs ngircd. Checks
//! the reports' shape, zero loss and that the PINGs are answered; speed is
//! never asserted.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use modchat_bench::{fanout, idle, Proto};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

type Channels = Arc<Mutex<HashMap<String, Vec<(u64, UnboundedSender<String>)>>>>;

/// Starts the stand-in on a free port; returns its address and the count
/// of PONGs it got.
async fn fake_irc() -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let pongs = Arc::new(AtomicU64::new(0));
    let channels: Channels = Arc::default();
    let p = pongs.clone();
    tokio::spawn(async move {
        let mut next_id = 0;
        while let Ok((s, _)) = listener.accept().await {
            next_id += 1;
            tokio::spawn(client(s, next_id, channels.clone(), p.clone()));
        }
    });
    (addr, pongs)
}

async fn client(s: tokio::net::TcpStream, id: u64, channels: Channels, pongs: Arc<AtomicU64>) {
    let (rd, mut wr) = s.into_split();
    let (tx, mut rx) = unbounded_channel::<String>();
    tokio::spawn(async move {
        while let Some(l) = rx.recv().await {
            if wr.write_all(l.as_bytes()).await.is_err() {
                break;
            }
        }
    });
    let mut lines = BufReader::new(rd).lines();
    let mut nick = String::new();
    while let Ok(Some(line)) = lines.next_line().await {
        let (cmd, rest) = line.split_once(' ').unwrap_or((&line, ""));
        match cmd {
            "NICK" => nick = rest.to_owned(),
            "USER" => {
                let _ = tx.send(format!(":fake 001 {nick} :Welcome\r\n"));
                let _ = tx.send(format!(":fake 422 {nick} :MOTD File is missing\r\n"));
            }
            "JOIN" => {
                channels
                    .lock()
                    .expect("lock")
                    .entry(rest.to_owned())
                    .or_default()
                    .push((id, tx.clone()));
                let _ = tx.send(format!(
                    ":{nick}!u@h JOIN {rest}\r\n:fake 353 {nick} = {rest} :{nick}\r\n:fake 366 {nick} {rest} :End of NAMES list\r\n"
                ));
                let _ = tx.send("PING :fake\r\n".into());
            }
            "PRIVMSG" => {
                let (chan, _) = rest.split_once(' ').unwrap_or((rest, ""));
                let out = format!(":{nick}!u@h {line}\r\n");
                if let Some(members) = channels.lock().expect("lock").get(chan) {
                    for (m, t) in members {
                        if *m != id {
                            let _ = t.send(out.clone());
                        }
                    }
                }
            }
            "PONG" => {
                pongs.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
    for members in channels.lock().expect("lock").values_mut() {
        members.retain(|(m, _)| *m != id);
    }
}

#[test]
fn fanout_and_idle_over_irc() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let (addr, pongs) = fake_irc().await;
        let t0 = std::time::Instant::now();
        let report = fanout::run(fanout::Fanout {
            proto: Proto::Irc,
            servers: vec![addr],
            rooms: 2,
            members: 3,
            senders: 1,
            rate: 50.0,
            seconds: 0.5,
            password: String::new(),
            prefix: "irc".into(),
            server_pids: vec![std::process::id()],
            irc_accounts: None,
        })
        .await
        .expect("fanout");
        assert!(t0.elapsed().as_secs() < 30, "the run stops by itself");
        assert_eq!(report["proto"], "irc", "{report}");
        let sent = report["sent"].as_u64().expect("sent");
        assert!(sent >= 10, "2 rooms x 1 sender x ~50/s for 0.5 s: {report}");
        assert_eq!(report["acked"], sent, "IRC: sent counts as acked: {report}");
        assert_eq!(report["expected_deliveries"], sent * 2, "{report}");
        assert_eq!(report["delivered"], sent * 2, "{report}");
        assert_eq!(report["lost"], 0, "{report}");
        assert_eq!(report["duplicates"], 0, "{report}");
        assert_eq!(report["reordered"], 0, "{report}");
        assert!(report["latency_ms"]["p99"].as_f64().is_some(), "{report}");
        // every receiver answered its PING
        assert!(pongs.load(Ordering::Relaxed) >= 6, "{report}");

        let report = idle::run(idle::Idle {
            proto: Proto::Irc,
            server: addr,
            connections: 10,
            room_size: 5,
            source_ips: 2,
            password: String::new(),
            prefix: "idle".into(),
            server_pid: Some(std::process::id()),
            irc_accounts: None,
        })
        .await
        .expect("idle");
        assert_eq!(report["connections"], 10, "{report}");
        assert!(
            report["server_bytes_per_connection"].as_f64().is_some(),
            "{report}"
        );
    });
}
