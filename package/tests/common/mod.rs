//! A package to test with.

use std::sync::LazyLock;

use fireball_package::{Contents, Methods, PublicKey, Reach, SigningKey, Version, sign};

pub const MODULE: &[u8] = b"\0asm\x01\0\0\0 a module's bytes stand-in";

pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_seed(&[seed; 32])
}

pub fn package(key: &SigningKey) -> Vec<u8> {
    let reach = [
        Reach {
            route: "log://",
            methods: Methods::WRITE,
        },
        Reach {
            route: "hal://adc/{channel}",
            methods: Methods::READ | Methods::SUBSCRIBE,
        },
    ];
    let contents = Contents {
        name: "filter",
        version: Version {
            major: 1,
            minor: 2,
            patch: 3,
        },
        routes: &["svc://filter/{op}", "svc://filter/stats"],
        reach: &reach,
    };
    sign(&contents, MODULE, key).unwrap()
}

/// Key 1's public key and package, computed once (ed25519 is slow in a debug build).
#[allow(dead_code)]
pub static BOARD: LazyLock<(PublicKey, Vec<u8>)> =
    LazyLock::new(|| (key(1).public_key(), package(&key(1))));
