//! The router's powers as capabilities: registering is for anyone holding a router handle,
//! changing the policy only for the one `RouterAuthority` the boot code got from
//! `Router::new`. (That a handle has no `allow`, and that the authority cannot be cloned or
//! made, are `compile_fail` doctests on `Router` and `RouterAuthority`.)

mod common;

use common::{adc_and_app, drive};
use fireball_router::{
    CallError, Method, Methods, PolicyBuilder, Record, Registration, Router, RouterConfig,
};

#[test]
fn a_component_with_a_router_handle_cannot_widen_its_own_reach() {
    let (router, authority) = Router::new(RouterConfig::default());
    let (_adc, app) = adc_and_app(&authority);
    // What a vSoC or a deployment hands out: a clone of the router handle.
    let handle = router.clone();
    let b = app.bind("hal://adc/1").unwrap();
    assert_eq!(app.may(&b, Method::Write), Err(CallError::Denied));

    // The installed policy can be read, copied and extended...
    let installed = handle.policy();
    let mut wider = PolicyBuilder::from(installed.clone());
    wider
        .allow("app", "hal://adc/{channel}", Methods::ALL)
        .unwrap();
    let wider = wider.seal();
    assert_eq!(wider.rules().len(), installed.rules().len() + 1);
    // ...but the copy is only a value: the router still enforces the sealed one.
    assert_eq!(handle.policy(), installed);
    assert_eq!(app.may(&b, Method::Write), Err(CallError::Denied));
    // Registering again under another name gets no grant either.
    let rogue = handle.register(Registration::new("rogue", &[])).unwrap();
    let stolen = rogue.bind("hal://adc/1").unwrap();
    assert_eq!(rogue.may(&stolen, Method::Read), Err(CallError::Denied));

    // Only the authority installs it.
    authority.install(wider.clone());
    assert_eq!(router.policy(), wider);
    assert_eq!(app.may(&b, Method::Write), Ok(()));
}

#[test]
fn once_the_authority_is_dropped_the_policy_is_frozen() {
    let (router, authority) = Router::new(RouterConfig::default());
    let (adc, mut app) = adc_and_app(&authority);
    let sealed = router.policy();
    drop(authority);
    // Components keep working under the sealed policy...
    let b = app.bind("hal://adc/2").unwrap();
    let read = drive(app.call(&b, Method::Read, Record::new()), || {
        if let Ok(fireball_router::Delivery::Request(r)) = adc.try_recv() {
            r.reply(Record::new().with("mv", 2u64)).unwrap();
        }
    });
    assert_eq!(read.unwrap().uint("mv"), Some(2));
    // ...and nothing left in the program can change it: a restart, a new registration
    // under the same name, a new generation all find the same rules.
    drop(app);
    let app = router.register(Registration::new("app", &[])).unwrap();
    assert_eq!(app.identity().generation(), 2);
    let b = app.bind("hal://adc/2").unwrap();
    assert_eq!(app.may(&b, Method::Read), Ok(()));
    assert_eq!(app.may(&b, Method::Write), Err(CallError::Denied));
    assert_eq!(router.policy(), sealed);
}

#[test]
fn installing_a_narrower_policy_revokes_grants_at_once() {
    let (router, authority) = Router::new(RouterConfig::default());
    let (_adc, app) = adc_and_app(&authority);
    let b = app.bind("hal://adc/1").unwrap();
    assert_eq!(app.may(&b, Method::Read), Ok(()));
    let mut narrower = PolicyBuilder::new();
    narrower.allow("app", "hal://adc/0", Methods::READ).unwrap();
    authority.install(narrower.seal());
    assert_eq!(app.may(&b, Method::Read), Err(CallError::Denied));
    let zero = app.bind("hal://adc/0").unwrap();
    assert_eq!(app.may(&zero, Method::Read), Ok(()));
    assert_eq!(router.policy().rules().len(), 1);
}
