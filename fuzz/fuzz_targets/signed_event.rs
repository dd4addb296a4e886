//! Decoding and verifying signed events as they arrive from a peer: any bytes as a
//! `SignedEvent` must verify or be refused, never panic; any bytes that decode as an
//! `EventBody`, once signed by its author's real signer, must verify to the same body, and must be
//! refused once a byte of the signed body or of the signature changes.
#![no_main]

use lianluo_proto::{EventBody, SignedEvent};
use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let keys = lianluo_fuzz::keys();
    if let Ok(event) = SignedEvent::decode(data) {
        let _ = keys.signers.verify(&event);
    }
    let Ok(mut body) = EventBody::decode(data) else {
        return;
    };
    let _ =
        lianluo_node::domain::validate_new_change(&body.change.clone().unwrap_or_default(), true);
    // Signed by its author's own signer, at a time within its certificate's validity (a
    // body claiming another author, or a time outside it, is refused by design).
    body.author_city = "hezhou".into();
    body.hlc = Some(lianluo_proto::Hlc {
        wall_ms: now_ms(),
        counter: body.hlc.map_or(0, |h| h.counter),
    });
    let Ok(signed) = keys.signer.sign(&body) else {
        return;
    };
    let verified = keys
        .signers
        .verify(&signed)
        .expect("a genuine signature verifies");
    assert_eq!(verified.body, body);
    let mut forged = signed.clone();
    if let Some(b) = forged.body.first_mut() {
        *b ^= 1;
        assert!(
            keys.signers.verify(&forged).is_err(),
            "a changed body verified"
        );
    }
    let mut forged = signed;
    if let Some(b) = forged.signature.last_mut() {
        *b ^= 0x55;
        assert!(
            keys.signers.verify(&forged).is_err(),
            "a changed signature verified"
        );
    }
});

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
