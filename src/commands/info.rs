//! who, ping, version.

use super::{Ctx, Outcome, Reply};
use crate::actors::registry::Who;
use crate::fields;
use crate::model::Role;
use crate::protocol::{Args, PROTOCOL_VERSION};
use crate::store;

pub async fn who(ctx: Ctx, _args: Args) -> Outcome {
    let with_connections = ctx.user()?.role >= Role::Moderator;
    let users = ctx
        .env
        .registry
        .send(Who { with_connections })
        .await
        .map_err(super::internal)??;
    Reply::fields(fields!("users" => users))
}

pub async fn ping(_ctx: Ctx, args: Args) -> Outcome {
    let t = args.0.get("t").cloned().unwrap_or(serde_json::Value::Null);
    Reply::fields(fields!("t" => t, "server_time" => store::fmt_time(&store::now())))
}

pub async fn version(_ctx: Ctx, _args: Args) -> Outcome {
    Reply::fields(fields!(
        "server" => format!("modchat {}", env!("CARGO_PKG_VERSION")),
        "protocol" => PROTOCOL_VERSION,
    ))
}
