//! Publish/subscribe: subscriptions need `subscribe`; only a route's owner publishes on it;
//! a subscriber whose inbox is full misses the publication and the publisher is told.

mod common;

use common::traced_router;
use fireball_router::{CallError, Delivery, Methods, Record, Registration};

#[test]
fn publications_reach_matching_subscribers() {
    let (router, authority) = traced_router();
    let temp = router
        .register(Registration::new("sensor.temp", &["sensor://temp/{zone}"]))
        .unwrap();
    let one = router.register(Registration::new("ui", &[])).unwrap();
    let all = router.register(Registration::new("logger", &[])).unwrap();
    let nosy = router.register(Registration::new("nosy", &[])).unwrap();
    authority
        .allow("ui", "sensor://temp/{zone}", Methods::SUBSCRIBE)
        .unwrap();
    authority
        .allow("logger", "sensor://temp/{zone}", Methods::SUBSCRIBE)
        .unwrap();
    one.subscribe("sensor://temp/kitchen").unwrap();
    all.subscribe("sensor://temp/{zone}").unwrap();
    assert_eq!(
        nosy.subscribe("sensor://temp/kitchen").unwrap_err(),
        CallError::Denied
    );
    assert!(matches!(
        nosy.subscribe("sensor://{bad").unwrap_err(),
        CallError::BadUri(_)
    ));
    let kitchen = temp.bind("sensor://temp/kitchen").unwrap();
    let garage = temp.bind("sensor://temp/garage").unwrap();
    assert_eq!(temp.publish(&kitchen, Record::new().with("c", 21u8)), Ok(2));
    assert_eq!(temp.publish(&garage, Record::new().with("c", 9u8)), Ok(1));
    let seen = |ep: &fireball_router::Endpoint| -> Vec<String> {
        std::iter::from_fn(|| ep.try_recv().ok())
            .map(|d| match d {
                Delivery::Publication(p) => {
                    format!("{} {} {}", p.publisher(), p.envelope().uri(), p.body())
                }
                other => panic!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(seen(&one), ["sensor.temp#1 sensor://temp/kitchen {c: 21u}"]);
    assert_eq!(
        seen(&all),
        [
            "sensor.temp#1 sensor://temp/kitchen {c: 21u}",
            "sensor.temp#1 sensor://temp/garage {c: 9u}"
        ]
    );
    assert!(seen(&nosy).is_empty());
}

#[test]
fn only_the_owner_publishes() {
    let (router, authority) = traced_router();
    let temp = router
        .register(Registration::new("sensor.temp", &["sensor://temp/{zone}"]))
        .unwrap();
    let fake = router.register(Registration::new("fake", &[])).unwrap();
    authority
        .allow("*", "sensor://temp/{zone}", Methods::ALL)
        .unwrap();
    let b = fake.bind("sensor://temp/kitchen").unwrap();
    assert_eq!(fake.publish(&b, Record::new()), Err(CallError::NotOwner));
    let b = temp.bind("sensor://temp/kitchen").unwrap();
    assert_eq!(temp.publish(&b, Record::new()), Ok(0));
}

#[test]
fn a_full_subscriber_misses_it_and_the_publisher_is_told() {
    let (router, authority) = traced_router();
    let temp = router
        .register(Registration::new("sensor.temp", &["sensor://temp/{zone}"]))
        .unwrap();
    let slow = router
        .register(Registration::new("slow", &[]).inbox(1))
        .unwrap();
    let fast = router.register(Registration::new("fast", &[])).unwrap();
    authority
        .allow("*", "sensor://temp/{zone}", Methods::SUBSCRIBE)
        .unwrap();
    slow.subscribe("sensor://temp/{zone}").unwrap();
    fast.subscribe("sensor://temp/{zone}").unwrap();
    let b = temp.bind("sensor://temp/a").unwrap();
    router.render_trace();
    assert_eq!(temp.publish(&b, Record::new().with("c", 1u8)), Ok(2));
    assert_eq!(
        temp.publish(&b, Record::new().with("c", 2u8)),
        Err(CallError::Refused {
            delivered: 1,
            refused: 1
        })
    );
    assert_eq!(fast.inbox().len(), 2);
    assert_eq!(slow.inbox().len(), 1);
    insta::assert_snapshot!(router.render_trace(), @r"
    0008 publish    sensor.temp#1 sensor://temp/a delivered=2 refused=0 {c: 1u}
    0009 missed     slow#1 sensor://temp/a from sensor.temp#1 (queue full)
    0010 publish    sensor.temp#1 sensor://temp/a delivered=1 refused=1 {c: 2u}
    ");
    // A subscriber that stops is dropped from the list.
    drop(slow);
    assert_eq!(temp.publish(&b, Record::new()), Ok(1));
}

#[test]
fn subscriptions_survive_the_publishers_restart() {
    let (router, authority) = traced_router();
    let temp = router
        .register(Registration::new("sensor.temp", &["sensor://temp/{zone}"]))
        .unwrap();
    let ui = router.register(Registration::new("ui", &[])).unwrap();
    authority
        .allow("ui", "sensor://temp/{zone}", Methods::SUBSCRIBE)
        .unwrap();
    ui.subscribe("sensor://temp/{zone}").unwrap();
    let temp = authority.restart(temp).unwrap();
    let b = temp.bind("sensor://temp/a").unwrap();
    assert_eq!(temp.publish(&b, Record::new()), Ok(1));
    match ui.try_recv().unwrap() {
        Delivery::Publication(p) => assert_eq!(p.publisher().generation(), 2),
        other => panic!("{other:?}"),
    }
}
