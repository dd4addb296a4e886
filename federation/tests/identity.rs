//! Identity from real certificates: roles, trust domains, issuers.
#![allow(clippy::unwrap_used)]

#[path = "support/pki.rs"]
mod support;

use lianluo_certs::{Pki, SpiffeId};
use lianluo_federation::identity::{
    caller_from_cert, peer_city_from_cert, signer_city_from_cert, user_from_cert, verify_issued_by,
    Caller, IdentityError, UserIdentity,
};
use support::{der, Fixture, TD};

#[test]
fn node_certificate_is_a_peer_city_and_nothing_else() {
    let fx = Fixture::new();
    let node = der(&fx.node("hezhou").cert);
    assert_eq!(peer_city_from_cert(&node, TD).unwrap().as_str(), "hezhou");
    let err = user_from_cert(&node, TD).unwrap_err();
    assert!(
        matches!(
            err,
            IdentityError::WrongRole {
                found: "node",
                expected: "user",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "certificate identity spiffe://lianluo/city/hezhou/node is a node certificate, but a \
         user certificate is required here"
    );
    assert!(signer_city_from_cert(&node, TD).is_err());
    assert_eq!(
        caller_from_cert(&node, TD).unwrap(),
        Caller::Peer(peer_city_from_cert(&node, TD).unwrap())
    );
}

#[test]
fn user_certificate_is_a_user_and_never_a_peer() {
    let fx = Fixture::new();
    let user = der(&fx.user("qingyuan", "li.wei").cert);
    let expected = UserIdentity {
        city: "qingyuan".into(),
        name: "li.wei".into(),
    };
    assert_eq!(user_from_cert(&user, TD).unwrap(), expected);
    assert_eq!(caller_from_cert(&user, TD).unwrap(), Caller::User(expected));
    let err = peer_city_from_cert(&user, TD).unwrap_err();
    assert!(
        matches!(
            err,
            IdentityError::WrongRole {
                found: "user",
                expected: "node",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn signer_certificate_signs_but_never_calls() {
    let fx = Fixture::new();
    let signer = der(&fx.signer("yongzhou").cert);
    assert_eq!(
        signer_city_from_cert(&signer, TD).unwrap().as_str(),
        "yongzhou"
    );
    for err in [
        caller_from_cert(&signer, TD).unwrap_err(),
        peer_city_from_cert(&signer, TD).unwrap_err(),
        user_from_cert(&signer, TD).unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                IdentityError::WrongRole {
                    found: "signer",
                    ..
                }
            ),
            "{err:?}"
        );
    }
}

#[test]
fn wrong_trust_domain_is_refused_for_every_role() {
    let fx = Fixture::new();
    let other = Pki::init(&fx.dir.path().join("other"), "elsewhere").unwrap();
    other.ensure_city("hezhou", &[]).unwrap();
    let paths = other.city_paths("hezhou").unwrap();
    let node = der(&paths.node.cert);
    let err = peer_city_from_cert(&node, TD).unwrap_err();
    assert_eq!(
        err,
        IdentityError::WrongTrustDomain {
            id: "spiffe://elsewhere/city/hezhou/node".into(),
            found: "elsewhere".into(),
            expected: TD.into(),
        }
    );
    assert!(
        err.to_string()
            .contains("trust domain `elsewhere`, not `lianluo`"),
        "{err}"
    );
    assert!(signer_city_from_cert(&der(&paths.signer.cert), TD).is_err());
    // The same certificate is fine in its own trust domain.
    assert_eq!(
        peer_city_from_cert(&node, "elsewhere").unwrap().as_str(),
        "hezhou"
    );
}

#[test]
fn certificate_without_spiffe_id_is_refused() {
    let fx = Fixture::new();
    // The root CA certificate carries no SAN URI.
    let root = der(&fx.root_ca());
    let err = peer_city_from_cert(&root, TD).unwrap_err();
    assert!(matches!(err, IdentityError::Certificate(_)), "{err:?}");
    assert!(err.to_string().contains("no SAN URI"), "{err}");
    let err = peer_city_from_cert(b"not a certificate", TD).unwrap_err();
    assert!(matches!(err, IdentityError::Certificate(_)), "{err:?}");
}

#[test]
fn issuer_check_tells_user_ca_from_root_and_from_a_lookalike() {
    let fx = Fixture::new();
    let city = fx.pki.city_paths("hezhou").unwrap();
    let user_ca = der(&city.user_ca_cert);
    let user = der(&fx.user("hezhou", "ann").cert);
    verify_issued_by(&user, &user_ca, "the hezhou user CA").unwrap();
    let err = verify_issued_by(&user, &der(&fx.root_ca()), "the root CA").unwrap_err();
    assert!(matches!(err, IdentityError::WrongIssuer { .. }), "{err:?}");
    let id = SpiffeId::user(TD, "hezhou", "eve").unwrap();
    let fake = der(&fx.foreign(&id, "eve").cert);
    let err = verify_issued_by(&fake, &user_ca, "the hezhou user CA").unwrap_err();
    assert!(
        err.to_string().starts_with(
            "certificate spiffe://lianluo/city/hezhou/user/eve was not issued by the hezhou user CA"
        ),
        "{err}"
    );
}
