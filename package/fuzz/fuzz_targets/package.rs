//! Untrusted bytes -> a package or a typed error, never a panic; a parsed package's module
//! lies inside the input, and nothing the parser refuses is ever verified.
#![no_main]

use fireball_package::{Package, SigningKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let key = SigningKey::from_seed(&[1; 32]).public_key();
    let parsed = Package::parse(bytes);
    let verified = Package::verify(bytes, &[key]);
    match parsed {
        Ok(p) => assert!(bytes.as_ptr_range().contains(&p.module().as_ptr()) || p.module().is_empty()),
        Err(_) => assert!(verified.is_err()),
    }
});
