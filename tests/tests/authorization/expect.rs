//! The security expectations that hold whatever the generated document says, and the
//! names of the callers (the tables' columns).

use super::{Matrix, Method};

pub(super) const WRITES: [&str; 2] = ["lianluo.v1.Records.Create", "lianluo.v1.Records.Act"];

/// Every violation of the expectations that hold whatever the document says.
pub(super) fn violations(api: &Matrix, fed: &Matrix) -> Vec<String> {
    let mut v = Vec::new();
    let mut never_ok =
        |m: &Matrix, caller: &str, pick: &dyn Fn(&Method, bool) -> bool, why: &str| {
            let col = m.column(caller);
            if col.is_empty() {
                v.push(format!("no column {caller:?}"));
            }
            for (method, write, outcome) in col {
                if pick(method, write) && outcome == "OK" {
                    v.push(format!("{caller} got OK on {}: {why}", method.full()));
                }
            }
        };
    let lianluo = |m: &Method, _: bool| m.service.starts_with("lianluo.v1.");
    let writes = |m: &Method, w: bool| w || WRITES.contains(&m.full().as_str());
    let any = |_: &Method, _: bool| true;
    never_ok(api, VIEWER, &writes, "a viewer may not write");
    never_ok(
        api,
        NO_ROLE,
        &lianluo,
        "a user without a role may not use the record API",
    );
    never_ok(api, OTHER_CITY, &any, "another city's user is not let in");
    never_ok(api, NODE, &any, "a node certificate is not a user");
    never_ok(
        api,
        REVOKED_USER,
        &any,
        "a revoked certificate is not let in",
    );
    never_ok(fed, FED_USER_OWN, &any, "a user certificate is not a node");
    never_ok(fed, FED_USER_PEER, &any, "a user certificate is not a node");
    let operator = |m: &Method, _: bool| !m.service.starts_with("lianluo.v1.Federation");
    let replication = |m: &Method, _: bool| m.service == "lianluo.v1.Federation";
    never_ok(fed, NON_PEER, &any, "only configured peers may replicate");
    never_ok(
        fed,
        PEER,
        &operator,
        "a peer may not back up or probe another city's node",
    );
    never_ok(
        fed,
        OWN_NODE,
        &replication,
        "a node does not replicate from itself",
    );
    never_ok(
        fed,
        REVOKED_NODE,
        &any,
        "a revoked certificate is not let in",
    );
    // Controls: the refusals above must come from who calls, not from a broken call.
    let mut must_be_ok = |m: &Matrix, rpc: &str, caller: &str| {
        let got = m.cell(rpc, caller);
        if got != Some("OK") {
            v.push(format!(
                "control: {caller} must get OK on {rpc}, got {got:?}"
            ));
        }
    };
    for rpc in WRITES {
        must_be_ok(api, rpc, COORDINATOR);
        must_be_ok(api, rpc, ADMIN);
    }
    for (m, _, _) in &api.rows {
        must_be_ok(api, &m.full(), ADMIN);
    }
    for (m, _, _) in &fed.rows {
        let caller = if m.service == "lianluo.v1.Federation" {
            PEER
        } else {
            OWN_NODE
        };
        must_be_ok(fed, &m.full(), caller);
    }
    v
}

pub(super) const VIEWER: &str = "hezhou viewer";
pub(super) const COORDINATOR: &str = "hezhou coordinator";
pub(super) const ADMIN: &str = "hezhou admin";
pub(super) const NO_ROLE: &str = "hezhou user, no role";
pub(super) const OTHER_CITY: &str = "qingyuan coordinator";
pub(super) const NODE: &str = "qingyuan node";
pub(super) const REVOKED_USER: &str = "hezhou coordinator, revoked";
pub(super) const PEER: &str = "qingyuan node (peer)";
pub(super) const OWN_NODE: &str = "hezhou node (itself)";
pub(super) const NON_PEER: &str = "guilin node (not a peer)";
pub(super) const REVOKED_NODE: &str = "qingyuan node, revoked";
pub(super) const FED_USER_OWN: &str = "hezhou admin (user)";
pub(super) const FED_USER_PEER: &str = "qingyuan coordinator (user)";
