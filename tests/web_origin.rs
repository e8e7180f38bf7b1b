//! docs/protocol.md "HTTP rules": the web client talks only to the server
//! it was loaded from. A page opened as `/?server=ELSEWHERE` (once a way to
//! point it at another host, which then received the typed password) logs
//! in to its own server, and its Content-Security-Policy stops a WebSocket
//! to any other address; the other address never sees a connection.

mod common;

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::webdriver::Driver;
use common::{Backend, TestServer};

both_backends!(the_web_client_talks_only_to_its_own_server);

fn the_web_client_talks_only_to_its_own_server(b: Backend) {
    let s = TestServer::start(b);
    let http = s.http.expect("http listener");

    // a decoy that counts whoever connects to it
    let decoy = TcpListener::bind("127.0.0.1:0").expect("decoy");
    let decoy_addr = decoy.local_addr().expect("decoy addr");
    let knocks = Arc::new(AtomicUsize::new(0));
    let counted = knocks.clone();
    std::thread::spawn(move || {
        for conn in decoy.incoming() {
            if conn.is_ok() {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        }
    });

    let driver = Driver::start();
    let page = driver.session(1024, 768);
    page.go(&format!("http://{http}/?server={decoy_addr}"));
    page.type_into(&page.wait("[data-test=login-username]"), "olga");
    page.type_into(
        &page.wait("[data-test=login-password]"),
        common::server::PASSWORD,
    );
    page.click_on("[data-test=register-submit]");
    page.wait_until("olga logged in to the server the page came from", || {
        page.find("[data-test=me-name]")
            .filter(|e| page.text(e) == "olga")
    });
    assert_eq!(
        page.js("return document.getElementById('server-name').textContent;"),
        http.to_string()
    );

    // a script on the page cannot reach another server either: the
    // policy refuses it (the violation event proves the check ran)
    page.js(&format!(
        "window.__blocked = [];
         document.addEventListener('securitypolicyviolation',
           (e) => window.__blocked.push(e.violatedDirective + ' ' + e.blockedURI));
         try {{ new WebSocket('ws://{decoy_addr}/ws'); }}
         catch (e) {{ window.__blocked.push('thrown ' + e.name); }}
         return true;"
    ));
    let blocked = page.wait_until("the policy to refuse the other server", || {
        let v = page.js("return window.__blocked.join('; ');");
        v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
    });
    assert!(
        blocked.contains("connect-src") || blocked.contains("thrown"),
        "{blocked}"
    );
    assert_eq!(
        knocks.load(Ordering::SeqCst),
        0,
        "the page connected to another server"
    );
}
