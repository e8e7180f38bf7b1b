//! IRCv3 `REGISTER` (draft/account-registration): `REGISTER <account>
//! <email|*> <password>` makes an account with the same `register` request
//! a JSON client sends, then logs the connection in (`login`), before or
//! after connection registration (docs/irc.md 3.4). The account must be the
//! nick or `*` (Ergo's rule); the email is not kept.

use actix::Addr;
use serde_json::{json, Map, Value};

use super::{Flow, Gateway};
use crate::actors::session::Session;
use crate::error::{ErrorCode, Failure};
use crate::irc::control::ControlTx;
use crate::irc::line::Line;
use crate::irc::render::{Control, Out};
use crate::irc::state::{IrcState, Pending};

/// The cap's value: new accounts before connecting, and, when guests are
/// off, that one is needed.
pub fn cap_value(guests: bool) -> &'static str {
    match guests {
        true => "before-connect",
        false => "before-connect,account-required",
    }
}

/// What a REGISTER's requests were.
#[derive(Debug, Clone)]
pub enum RegReq {
    /// `register`; then `login` with the same password, unless a guest
    /// registered its own name (it is logged in already).
    Create {
        account: String,
        password: String,
        guest: bool,
    },
    /// The `login` after it.
    Login { account: String },
}

impl Gateway {
    pub(super) async fn register(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        let (Some(account), Some(_email), Some(password)) = (l.param(0), l.param(1), l.param(2))
        else {
            self.with_out(|out, _| {
                out.fail("REGISTER", "NEED_MORE_PARAMS", &[], "Not enough parameters")
            });
            return Flow::Go;
        };
        let (nick, account_now, guest) = {
            let st = super::lock(&self.state);
            (st.nick.clone(), st.account.clone(), st.guest)
        };
        // a guest registers its own name in place (Ergo: REGISTER after
        // connecting); anyone else logged in is logged in already
        let nick = match guest {
            true => account_now.clone(),
            false => nick,
        };
        if let (Some(a), false) = (account_now, guest) {
            self.with_out(|out, _| {
                out.fail(
                    "REGISTER",
                    "ALREADY_AUTHENTICATED",
                    &[&a],
                    "You are already logged in",
                )
            });
            return Flow::Go;
        }
        // the account is the nick or `*` (Ergo's registerHandler; no
        // custom-account-name)
        let account = match (account, nick) {
            (_, None) => {
                self.with_out(|out, _| {
                    out.fail("REGISTER", "NEED_NICK", &["*"], "Send NICK first")
                });
                return Flow::Go;
            }
            ("*", Some(n)) => n,
            (a, Some(n)) if !a.eq_ignore_ascii_case(&n) => {
                let a = a.to_owned();
                self.with_out(|out, _| {
                    out.fail(
                        "REGISTER",
                        "ACCOUNT_NAME_MUST_BE_NICK",
                        &[&a],
                        "The account name must be your nick",
                    )
                });
                return Flow::Go;
            }
            (a, _) => a.to_owned(),
        };
        if account.contains('.') {
            // such an account could not use IRC (docs/irc.md 3.7)
            self.with_out(|out, _| {
                out.fail(
                    "REGISTER",
                    "BAD_ACCOUNT_NAME",
                    &[&account],
                    "An account name containing '.' cannot be used over IRC",
                )
            });
            return Flow::Go;
        }
        if !self.env.config.auth.open_registration {
            self.with_out(|out, _| {
                out.fail(
                    "REGISTER",
                    "TEMPORARILY_UNAVAILABLE",
                    &[&account],
                    "Registration is closed on this server",
                )
            });
            return Flow::Go;
        }
        let pending = Pending::Register(RegReq::Create {
            account: account.clone(),
            password: password.to_owned(),
            guest,
        });
        self.request(
            session,
            "register",
            json!({"username": account, "password": password}),
            pending,
        )
        .await
    }
}

/// The lines of a REGISTER's replies; the login that follows a new account
/// is asked of the reader.
pub fn render(
    out: &mut Out<'_>,
    st: &mut IrcState,
    ctl: &ControlTx,
    req: RegReq,
    result: &Result<Map<String, Value>, Failure>,
) {
    match (req, result) {
        (
            RegReq::Create {
                account,
                guest: true,
                ..
            },
            Ok(_),
        ) => {
            // the guest's own row, taken over: the session stays, no
            // longer a guest
            st.guest = false;
            let before = st.me().to_owned();
            out.server_line(
                "REGISTER",
                &["SUCCESS", &account, "Account successfully registered"],
            );
            let mask = out.mask(&account);
            let text = format!("You are now logged in as {account}");
            out.numeric("900", &before, &[&mask, &account, &text]);
        }
        (
            RegReq::Create {
                account, password, ..
            },
            Ok(_),
        ) => {
            let _ = ctl.send(Control::Request(Box::new(
                crate::irc::render::ControlRequest {
                    ty: "login",
                    args: json!({"username": account, "password": password}),
                    pending: Pending::Register(RegReq::Login { account }),
                },
            )));
        }
        (RegReq::Create { account, .. }, Err(f)) => {
            let code = match f.code {
                ErrorCode::UsernameTaken => "ACCOUNT_EXISTS",
                // src/validate.rs: "must be at least N bytes" is too short;
                // too long (bcrypt's 72) or a NUL is not acceptable
                ErrorCode::BadRequest
                    if f.extra.get("field").and_then(Value::as_str) == Some("password") =>
                {
                    match f.message.contains("at least") {
                        true => "WEAK_PASSWORD",
                        false => "UNACCEPTABLE_PASSWORD",
                    }
                }
                ErrorCode::BadRequest => "BAD_ACCOUNT_NAME",
                _ => "TEMPORARILY_UNAVAILABLE",
            };
            out.fail("REGISTER", code, &[&account], &f.message);
        }
        (RegReq::Login { account }, Ok(fields)) => {
            let (name, rooms) = crate::irc::render::logged_in(fields);
            let name = if name.is_empty() { account } else { name };
            let before = st.me().to_owned();
            st.account = Some(name.clone());
            out.server_line(
                "REGISTER",
                &["SUCCESS", &name, "Account successfully registered"],
            );
            let mask = out.mask(&name);
            let text = format!("You are now logged in as {name}");
            out.numeric("900", &before, &[&mask, &name, &text]);
            let _ = ctl.send(Control::LoggedIn { rooms });
        }
        (RegReq::Login { account }, Err(f)) => {
            out.fail(
                "REGISTER",
                "TEMPORARILY_UNAVAILABLE",
                &[&account],
                &f.message,
            );
            if f.code == ErrorCode::Banned {
                // the name's ban (a guest's holds for the name): closed
                crate::irc::conn::closing_link(out, &f.message);
            }
            let _ = ctl.send(Control::LoginFailed { code: f.code });
        }
    }
}
