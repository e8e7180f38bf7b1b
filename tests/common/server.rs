//! An in-process server on pre-bound `127.0.0.1:0` listeners over a fresh
//! database, in its own thread with its own actix system; stopped on drop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use modchat::auth::Passwords;
use modchat::config::Config;
use modchat::model::{AccountId, Role};
use modchat::server::{self, Listeners};
use modchat::store::{accounts, Db};

use super::client::TestClient;
use super::db::{Backend, TestDb};

pub const PASSWORD: &str = "password1";

pub struct TestServer {
    pub db: TestDb,
    pub config: Config,
    pub addr: SocketAddr,
    pub http: Option<SocketAddr>,
    /// The IRC gateway, when the test's config sets `[irc] listen`.
    pub irc: Option<SocketAddr>,
    running: Option<(tokio::sync::oneshot::Sender<()>, JoinHandle<()>)>,
    store: Option<Db>,
}

impl TestServer {
    pub fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, |_| {})
    }

    /// Starts with the test defaults (bcrypt cost 4, port 0) adjusted by `f`.
    pub fn start_with(backend: Backend, f: impl FnOnce(&mut Config)) -> TestServer {
        let db = TestDb::new(backend);
        let mut config = Config::default();
        config.server.listen = "127.0.0.1:0".into();
        config.server.http_listen = "127.0.0.1:0".into();
        config.database.url = db.url.clone();
        config.auth.bcrypt_cost = 4;
        // flood control off unless a test turns it on: tests send fast
        config.limits.say_burst = 1_000_000;
        config.limits.say_per_s = 1_000_000.0;
        // every test connects from 127.0.0.1, many at once; the cap's own
        // tests (tests/connections.rs) set it
        config.limits.max_connections_per_address = 0;
        // joins, registrations and logins of many test users from one
        // address; the limits' own tests (tests/limits.rs) set them
        config.limits.action_burst = 1_000_000;
        config.limits.action_per_s = 1_000_000.0;
        config.limits.registrations_per_address_per_hour = 1_000_000;
        f(&mut config);
        config.validate().expect("test config");
        let mut s = TestServer {
            db,
            config,
            addr: "127.0.0.1:0".parse().expect("addr"),
            http: None,
            irc: None,
            running: None,
            store: None,
        };
        s.boot();
        s
    }

    fn boot(&mut self) {
        let config = Arc::new(self.config.clone());
        let url = modchat::store::DatabaseUrl::parse(&config.database.url).expect("url");
        let db = Db::open(&url, &config.pool_options()).expect("open database");
        let passwords = Passwords::new(config.auth.bcrypt_cost, 2).expect("passwords");
        let listeners = Listeners::bind(&config).expect("bind");
        self.addr = listeners.tcp_addr().expect("tcp addr");
        self.http = listeners.http_addr();
        self.irc = listeners.irc_addr();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            actix_rt::System::new()
                .block_on(server::run(config, db, passwords, listeners, async {
                    let _ = rx.await;
                }))
                .expect("server run");
        });
        self.running = Some((tx, thread));
    }

    /// Graceful stop, as SIGTERM does; waits for the server to finish.
    pub fn stop(&mut self) {
        if let Some((tx, thread)) = self.running.take() {
            let _ = tx.send(());
            thread.join().expect("server thread");
        }
    }

    /// Stops and starts again on the same database (new ports).
    pub fn restart(&mut self) {
        self.stop();
        self.boot();
    }

    /// A direct handle on the database, for checks in SQL.
    pub fn store(&mut self) -> Db {
        self.store.get_or_insert_with(|| self.db.open()).clone()
    }

    pub fn connect(&self) -> TestClient {
        TestClient::connect(self.addr)
    }

    /// Registers `name` (password [`PASSWORD`]) and returns a logged-in client.
    pub fn user(&self, name: &str) -> TestClient {
        let mut c = self.connect();
        c.ok(serde_json::json!({"type": "register", "username": name, "password": PASSWORD}));
        c.login(name);
        c
    }

    /// Creates an account with a role straight in the database, as
    /// modchat-admin does, and returns a logged-in client.
    pub fn account(&mut self, name: &str, role: Role) -> TestClient {
        let db = self.store();
        let hash = modchat::auth::hash_password(PASSWORD, 4).expect("hash");
        accounts::create(&mut db.conn().expect("conn"), name, &hash, role).expect("create account");
        let mut c = self.connect();
        c.login(name);
        c
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

impl TestServer {
    /// Every `moderation_actions` row, oldest first.
    pub fn actions(&mut self) -> Vec<modchat::store::moderation::ActionRow> {
        use diesel::prelude::*;
        use modchat::store::schema::moderation_actions as m;
        let db = self.store();
        let mut c = db.conn().expect("conn");
        m::table
            .order(m::id)
            .select(modchat::store::moderation::ActionRow::as_select())
            .load(&mut c)
            .expect("actions")
    }

    /// The stored id of an account.
    pub fn account_id(&mut self, name: &str) -> AccountId {
        let db = self.store();
        let mut c = db.conn().expect("conn");
        accounts::find_by_name(&mut c, name)
            .expect("query")
            .expect("account")
            .id
    }
}
